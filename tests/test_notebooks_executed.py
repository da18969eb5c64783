"""Guard for strict nbval: every committed notebook must be stored fully executed.

nbval never compares a cell whose stored ``execution_count`` is null, so a notebook
committed without outputs would pass ``pytest --nbval`` without checking anything.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

import rnn_companion

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(p for p in BOOK.glob("*.ipynb"))
RAISES = "raises-exception"
# what must never reach a compared output: addresses, local paths, timings
UNSTABLE = [
    (re.compile(r"0x[0-9a-fA-F]{8,16}"), "a memory address"),
    (re.compile(r"(/work/|/tmp/|/home/|/root/|site-packages)"), "a local path"),
    (re.compile(r"\b\d+(\.\d+)?\s*(ms|µs|us|ns)\b|\bwall time\b", re.I), "a timing"),
]


def execution_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Reasons why ``nb`` is not a fully executed, error-free notebook (empty: fine)."""
    problems = []
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for expected, (i, cell) in enumerate(code, start=1):
        if not cell.source.strip():
            problems.append(f"cell {i}: empty code cell")
        if cell.execution_count != expected:
            problems.append(
                f"cell {i}: execution_count expected {expected}, got {cell.execution_count}"
            )
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        tagged = RAISES in cell.metadata.get("tags", [])
        if errors and not tagged:
            problems.append(f"cell {i}: error output {errors[0].ename} but no '{RAISES}' tag")
        if tagged and not errors:
            problems.append(f"cell {i}: tagged '{RAISES}' but stored no error")
    return problems


def unstable_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """Compared outputs that would differ between machines or runs."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "nbval-ignore-output" in cell.metadata.get("tags", []):
            continue
        if cell.source.lstrip().startswith("# NBVAL_IGNORE_OUTPUT"):
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                continue
            text = out.get("text", "") or out.get("data", {}).get("text/plain", "")
            for pattern, what in UNSTABLE:
                if pattern.search(text):
                    found.append(f"cell {i}: {what} in {pattern.search(text).group(0)!r}")
    return found


def toc_files() -> set[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = {toc["root"]}
    for part in toc.get("parts", []):
        files.update(ch["file"] for ch in part["chapters"])
    return files


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 9, f"expected at least 9 chapter notebooks, got {len(NOTEBOOKS)}"


def test_every_notebook_is_in_the_toc_and_every_toc_page_exists() -> None:
    listed = toc_files()
    in_book = {str(p.relative_to(ROOT).with_suffix("")) for p in NOTEBOOKS}
    assert in_book <= listed, f"notebooks not in _toc.yml: {sorted(in_book - listed)}"
    missing = [f for f in listed if not any((ROOT / f).with_suffix(s).exists() for s in (".ipynb", ".md"))]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_fully_executed(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert any(c.cell_type == "code" for c in nb.cells), f"{path.name}: no code cell"
    problems = execution_problems(nb)
    assert not problems, f"{path.name} is not stored fully executed:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_are_deterministic_text(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    found = unstable_outputs(nb)
    assert not found, f"{path.name} has unstable compared outputs:\n" + "\n".join(found)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_kernel_and_colab_guard(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", path.name
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "import rnn_companion" in first.source and "pip install" in first.source, (
        f"{path.name}: the first code cell must install rnn-companion when it is missing"
    )


PINNED = re.compile(r"%pip install -q rnn-companion==([^\s\"']+)")


def pinned_version(nb: nbformat.NotebookNode) -> str | None:
    """The version the install cell (the first code cell) installs, ``None`` if it pins none."""
    first = next(c for c in nb.cells if c.cell_type == "code")
    match = PINNED.search(first.source)
    return match.group(1) if match else None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_install_cell_pins_the_version_the_book_was_built_with(path: Path) -> None:
    version = pinned_version(nbformat.read(path, as_version=4))
    assert version == rnn_companion.__version__, (
        f"{path.name} installs rnn-companion=={version}, the package is {rnn_companion.__version__}: "
        "run `python .ci/execute_notebooks.py --pin-only` (or make notebooks)"
    )


def test_pin_check_can_fail() -> None:
    for source, expected in (("%pip install -q rnn-companion", None),
                             ("%pip install -q rnn-companion==0.0.9", "0.0.9")):
        nb = _nb(nbformat.v4.new_code_cell(f"try:\n    import rnn_companion\nexcept ImportError:\n    {source}"))
        assert pinned_version(nb) == expected != rnn_companion.__version__


# The guard itself must be able to fail.
def _nb(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def test_guard_rejects_unexecuted_and_out_of_order_cells() -> None:
    a = nbformat.v4.new_code_cell("x = 1")
    b = nbformat.v4.new_code_cell("print(x)")
    assert len(execution_problems(_nb(a, b))) == 2  # never executed
    a.execution_count, b.execution_count = 2, 1
    assert len(execution_problems(_nb(a, b))) == 2  # out of order
    a.execution_count, b.execution_count = 1, 2
    assert execution_problems(_nb(a, b)) == []


def test_guard_rejects_untagged_errors_and_stale_tags() -> None:
    cell = nbformat.v4.new_code_cell("1/0", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="", traceback=[])]
    assert "no 'raises-exception' tag" in execution_problems(_nb(cell))[0]
    cell.metadata["tags"] = [RAISES]
    assert execution_problems(_nb(cell)) == []
    cell.outputs = []
    assert "stored no error" in execution_problems(_nb(cell))[0]


def test_guard_flags_addresses_paths_and_timings() -> None:
    cell = nbformat.v4.new_code_cell("print(obj)", execution_count=1)
    for text in ("<object at 0x7f3a2b1c9d10>", "saved to /tmp/x.png", "took 12.5 ms"):
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        assert len(unstable_outputs(_nb(cell))) == 1, text
    cell.metadata["tags"] = ["nbval-ignore-output"]
    assert unstable_outputs(_nb(cell)) == []
