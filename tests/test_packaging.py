"""The distribution as a user gets it: wheel and sdist build without a warning, the wheel installs
into a clean virtual environment and reads its stored data there, and ``import rnn_companion``
stays light. Building and installing is slow (the slow tier)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import rnn_companion

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rnn_companion"
MODULES = sorted(str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py"))
DATA = sorted(str(p.relative_to(ROOT)) for p in (PACKAGE / "data").rglob("*.json"))


@pytest.fixture(scope="module")
def build_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("dist")
    # PYTHONDONTWRITEBYTECODE (set on some machines) only makes setuptools say it skips byte-compiling
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True, capture_output=True, text=True, env=env,
    )
    return out, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def dist(build_log: tuple[Path, str]) -> Path:
    return build_log[0]


@pytest.mark.slow
def test_build_prints_no_warning(build_log: tuple[Path, str]) -> None:
    _, log = build_log
    warnings = [line for line in log.splitlines() if "warn" in line.lower() or "deprecat" in line.lower()]
    assert not warnings, "python -m build warned:\n" + "\n".join(warnings)


@pytest.mark.slow
def test_metadata_licence_and_the_one_version(dist: Path) -> None:
    (wheel,) = dist.glob("rnn_companion-*.whl")
    assert wheel.name.startswith(f"rnn_companion-{rnn_companion.__version__}-")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode())
    assert meta["Version"] == rnn_companion.__version__
    assert meta["License-Expression"] == "MIT" and meta.get_all("License-File") == ["LICENSE"]
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    # the version is written once, in rnn_companion/__init__.py: pyproject.toml reads it
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and f'"{rnn_companion.__version__}"' not in pyproject


@pytest.mark.slow
def test_wheel_has_every_module_the_typing_marker_and_ranges(dist: Path) -> None:
    (wheel,) = dist.glob("rnn_companion-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode())
        entry_points = zf.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    missing = [m for m in MODULES + DATA if m not in names]
    assert not missing, f"files missing from the wheel: {missing}"
    assert "rnn_companion/py.typed" in names
    assert not any(n.startswith(("tests/", "book/")) for n in names)
    assert meta["Name"] == "rnn-companion"
    requires = meta.get_all("Requires-Dist")
    assert "numpy>=1.24" in requires and "torch>=2.2" in requires
    # matplotlib only through the 'plot' extra
    assert all("extra ==" in r for r in requires if r.startswith(("matplotlib", "scipy")))
    assert "rnn-companion-bench = rnn_companion.bench:main" in entry_points
    assert "rnn-companion = rnn_companion.cli:main" in entry_points


@pytest.mark.slow
def test_sdist_has_sources_and_tests_are_not_packaged(dist: Path) -> None:
    (sdist,) = dist.glob("rnn_companion-*.tar.gz")
    with tarfile.open(sdist) as tf:
        names = tf.getnames()
    assert any(n.endswith("rnn_companion/elman.py") for n in names)
    assert any(n.endswith("pyproject.toml") for n in names)
    assert any(n.endswith("/LICENSE") for n in names)
    assert any(n.endswith("rnn_companion/data/bench/cpu.json") for n in names)


@pytest.mark.slow
def test_wheel_installs_into_a_clean_venv(dist: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("rnn_companion-*.whl")
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    py = env / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-index", "--no-deps", str(wheel)],
                   check=True, capture_output=True)
    # outside the repository, so the installed copy is the one imported
    # the stored runs are read through importlib.resources, from the installed copy (no numpy needed)
    code = ("import rnn_companion, sys, pathlib; "
            "p = pathlib.Path(rnn_companion.__file__).parent; "
            "assert (p / 'py.typed').exists(); "
            "assert 'site-packages' in str(p), p; "
            "from rnn_companion.stored import STORED, load_stored; "
            "assert all(load_stored(n)['experiment'] == n for n in STORED); "
            "from rnn_companion.bench import load_runs; "
            "print(sorted(r['file'] for r in load_runs())); "
            "import importlib.resources as r; "
            "assert r.files('rnn_companion.data.text').joinpath('stdlib_prose.txt').read_text().strip(); "
            "print(rnn_companion.__version__)")
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([py, "-c", code], check=True, capture_output=True, text=True,
                         cwd=tmp_path, env=clean)
    runs_line, version_line = out.stdout.strip().splitlines()
    assert version_line == __import__("rnn_companion").__version__
    # every stored benchmark run of the repository is in the wheel and read back
    stored = sorted(p.name for p in (ROOT / "rnn_companion" / "data" / "bench").glob("*.json")
                    if json.loads(p.read_text(encoding="utf-8")).get("schema") == "rnn_companion.bench/1")
    assert len(stored) >= 5 and runs_line == repr(stored), (runs_line, stored)
    assert (env / "bin" / "rnn-companion-bench").exists() and (env / "bin" / "rnn-companion").exists()


def test_import_is_light() -> None:
    code = ("import sys, rnn_companion; "
            "heavy = [m for m in ('torch', 'matplotlib', 'scipy') if m in sys.modules]; "
            "assert not heavy, heavy; "
            "assert 'ElmanRNN' in dir(rnn_companion)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_lazy_names_resolve_and_unknown_names_fail() -> None:
    for name in rnn_companion._EXPORTS:
        assert getattr(rnn_companion, name).__name__ == name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        rnn_companion.__getattr__("nope")


def test_every_module_is_a_listed_submodule_and_short() -> None:
    """The layout rule of the issue: every module is reachable from the package and at most 450 lines."""
    top = sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_"))
    top += sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert sorted(top) == sorted(rnn_companion._SUBMODULES)
    long = {m: n for m in MODULES if (n := len((ROOT / m).read_text().splitlines())) > 450}
    assert not long, f"modules over 450 lines: {long}"


def _pins(path: Path) -> dict[str, str]:
    """``name -> version`` of the ``name==version`` lines of a requirements file (includes not followed)."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def test_every_pin_is_written_once() -> None:
    files = [ROOT / "requirements-run.txt", ROOT / "requirements-test.txt", ROOT / "requirements-dev.txt",
             ROOT / ".binder" / "requirements.txt"]
    seen: dict[str, Path] = {}
    for path in files:
        for name in _pins(path):
            assert name not in seen, f"{name} is pinned in {seen.get(name)} and in {path}"
            seen[name] = path
    dev = (ROOT / "requirements-dev.txt").read_text()
    assert "-r requirements-run.txt" in dev and "-r requirements-test.txt" in dev
    assert "-r ../requirements-run.txt" in (ROOT / ".binder" / "requirements.txt").read_text()


def test_release_and_ci_workflows() -> None:
    yaml = pytest.importorskip("yaml")
    release = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    triggers = release[True]  # YAML reads the key "on" as True
    assert triggers == {"push": {"tags": ["v*"]}}
    jobs = release["jobs"]
    assert set(jobs["test"]["strategy"]["matrix"]["python-version"]) == {"3.10", "3.13"}
    assert set(jobs["test"]["strategy"]["matrix"]["artifact"]) == {"wheel", "sdist"}
    publish = jobs["publish"]
    assert publish["needs"] == "test" and publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    assert any(step.get("uses", "").startswith("pypa/gh-action-pypi-publish") for step in publish["steps"])
    book = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    pythons = {step["with"]["python-version"] for job in book["jobs"].values() for step in job["steps"]
               if step.get("uses", "").startswith("actions/setup-python")}
    assert pythons == {"3.10", "3.13"}  # the oldest and the newest supported Python
    assert 'requires-python = ">=3.10"' in (ROOT / "pyproject.toml").read_text()
