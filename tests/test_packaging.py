"""The distribution as a user gets it: wheel and sdist build, the wheel installs into a
clean virtual environment, and ``import rnn_companion`` stays light."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(p.name for p in (ROOT / "rnn_companion").glob("*.py"))


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    return out


def test_wheel_has_every_module_the_typing_marker_and_ranges(dist: Path) -> None:
    (wheel,) = dist.glob("rnn_companion-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode())
        entry_points = zf.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    missing = [m for m in MODULES if f"rnn_companion/{m}" not in names]
    assert not missing, f"modules missing from the wheel: {missing}"
    assert "rnn_companion/py.typed" in names
    assert "rnn_companion/plotting/style.py" in names
    assert "rnn_companion/data/experiments/xor.json" in names
    assert not any(n.startswith(("tests/", "book/")) for n in names)
    assert meta["Name"] == "rnn-companion"
    requires = meta.get_all("Requires-Dist")
    assert "numpy>=1.24" in requires and "torch>=2.2" in requires
    # matplotlib only through the 'plot' extra
    assert all("extra ==" in r for r in requires if r.startswith(("matplotlib", "scipy")))
    assert "rnn-companion-bench = rnn_companion.bench:main" in entry_points


def test_sdist_has_sources_and_tests_are_not_packaged(dist: Path) -> None:
    (sdist,) = dist.glob("rnn_companion-*.tar.gz")
    with tarfile.open(sdist) as tf:
        names = tf.getnames()
    assert any(n.endswith("rnn_companion/elman.py") for n in names)
    assert any(n.endswith("pyproject.toml") for n in names)


def test_wheel_installs_into_a_clean_venv(dist: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("rnn_companion-*.whl")
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    py = env / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-index", "--no-deps", str(wheel)],
                   check=True, capture_output=True)
    # outside the repository, so the installed copy is the one imported
    code = ("import rnn_companion, sys, pathlib; "
            "p = pathlib.Path(rnn_companion.__file__).parent; "
            "assert (p / 'py.typed').exists(); "
            "assert 'site-packages' in str(p), p; "
            "print(rnn_companion.__version__)")
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([py, "-c", code], check=True, capture_output=True, text=True,
                         cwd=tmp_path, env=clean)
    assert out.stdout.strip() == __import__("rnn_companion").__version__
    assert (env / "bin" / "rnn-companion-bench").exists()


def test_import_is_light() -> None:
    code = ("import sys, rnn_companion; "
            "heavy = [m for m in ('torch', 'matplotlib', 'scipy') if m in sys.modules]; "
            "assert not heavy, heavy; "
            "assert 'ElmanRNN' in dir(rnn_companion)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_lazy_names_resolve_and_unknown_names_fail() -> None:
    import rnn_companion

    for name in rnn_companion._EXPORTS:
        assert getattr(rnn_companion, name).__name__ == name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        rnn_companion.nope  # noqa: B018
