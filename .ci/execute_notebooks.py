"""Re-execute the book's notebooks in place, canonically.

    python .ci/execute_notebooks.py [book/some.ipynb ...]   (default: every book/*.ipynb)
    python .ci/execute_notebooks.py --pin-only              (only pin the install cells)

Each notebook runs top to bottom in a fresh kernel of this interpreter (cwd = book/), then
is written back with stable JSON: kernelspec python3, no timing or widget metadata, cell
ids kept (or made from the cell's position), so refreshing outputs gives a small diff.
Cells tagged ``raises-exception`` may raise; any other error stops with a non-zero exit.

Before executing, the install cell at the top of each chapter (the first code cell, which runs
``%pip install`` where the package is missing, e.g. on Colab) is pinned to the version in
``rnn_companion/__init__.py``, the one place the version is written: a reader installs exactly
the package the book was built with. ``tests/test_notebooks_executed.py`` fails when they differ.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3"}
KEEP_CELL_METADATA = ("tags", "mystnb", "raw_mimetype")
INSTALL = re.compile(r"%pip install -q rnn-companion(==[^\s\"']+)?")


def package_version() -> str:
    """``__version__`` of rnn_companion/__init__.py, read without importing the package."""
    text = (ROOT / "rnn_companion" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    if match is None:
        raise SystemExit("rnn_companion/__init__.py states no __version__")
    return match.group(1)


def pin_install_cell(nb: nbformat.NotebookNode, version: str) -> bool:
    """Pin the first code cell's ``%pip install -q rnn-companion`` to ``version``; whether it changed."""
    cell = next(c for c in nb.cells if c.cell_type == "code")
    if not INSTALL.search(cell.source):
        raise SystemExit("the first code cell has no '%pip install -q rnn-companion' line")
    pinned = INSTALL.sub(f"%pip install -q rnn-companion=={version}", cell.source)
    changed = pinned != cell.source
    cell.source = pinned
    return bool(changed)


def canonicalize(nb: nbformat.NotebookNode) -> None:
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
    for i, cell in enumerate(nb.cells):
        cell.id = cell.get("id") or f"cell-{i}"
        cell.metadata = nbformat.from_dict(
            {k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA}
        )
        if cell.cell_type == "code":
            for out in cell.outputs:
                out.get("metadata", {}).pop("execution", None)
            cell.outputs = coalesce_streams(cell.outputs)


def coalesce_streams(outputs: list) -> list:
    """Merge consecutive stream outputs of the same name: how the kernel happened to
    flush its output must not show up in the diff."""
    merged: list = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.output_type == "stream" and prev is not None
                and prev.output_type == "stream" and prev.name == out.name):
            prev.text += out.text
        else:
            merged.append(out)
    return merged


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    pin_install_cell(nb, package_version())
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        allow_errors=False,
    )
    client.execute(cwd=str(path.parent))
    canonicalize(nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)


def main(argv: list[str]) -> int:
    pin_only = "--pin-only" in argv
    paths = [Path(a) for a in argv if a != "--pin-only"] or sorted((ROOT / "book").glob("*.ipynb"))
    if pin_only:
        version = package_version()
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            if pin_install_cell(nb, version):
                nbformat.write(nb, path)
                print(f"pinned {path} to rnn-companion=={version}", flush=True)
        return 0
    for path in paths:
        start = time.perf_counter()
        execute(path)
        print(f"executed {path} in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
