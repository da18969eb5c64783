"""Every figure in the book is numbered, captioned, named and has alt text, and the text refers
to it: a code cell that stores an image must carry myst-nb figure metadata (``mystnb.figure.caption``
and ``mystnb.figure.name``) and ``mystnb.image.alt``, and its name must be referenced with
``{numref}`` in the same chapter."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg")


def figure_problems(nb: nbformat.NotebookNode) -> list[str]:
    problems = []
    names = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        images = sum(1 for out in cell.get("outputs", []) for t in IMAGE_TYPES if t in out.get("data", {}))
        if not images:
            continue
        meta = cell.get("metadata", {}).get("mystnb", {})
        figure, image = meta.get("figure", {}), meta.get("image", {})
        where = f"cell {i} ({cell.get('id')})"
        if images > 1:
            problems.append(f"{where}: {images} images in one cell; one figure per cell, so each gets its number")
        for key in ("caption", "name"):
            if not str(figure.get(key, "")).strip():
                problems.append(f"{where}: figure has no {key}")
        if len(str(image.get("alt", "")).strip()) < 20:
            problems.append(f"{where}: image has no alt text (got {image.get('alt')!r})")
        if figure.get("name"):
            names.append(figure["name"])
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for name in names:
        if not re.search(r"\{numref\}`(?:[^`<]*<)?" + re.escape(name) + r">?`", text):
            problems.append(f"figure {name!r} is never referenced with {{numref}} in the text")
    if len(names) != len(set(names)):
        problems.append(f"figure names repeat: {sorted(names)}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_is_numbered_captioned_and_referenced(path: Path) -> None:
    problems = figure_problems(nbformat.read(path, as_version=4))
    assert not problems, "\n".join(problems)


def test_the_figure_check_can_fail() -> None:
    png = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
           "metadata": {}}
    nb = nbformat.v4.new_notebook()
    bare = nbformat.v4.new_code_cell("plot()")
    bare.outputs = [nbformat.from_dict(png)]
    named = nbformat.v4.new_code_cell("plot()")
    named.outputs = [nbformat.from_dict(png)]
    named.metadata["mystnb"] = {"figure": {"caption": "A plot.", "name": "fig-x"},
                                "image": {"alt": "A line rising from left to right."}}
    nb.cells = [bare, named, nbformat.v4.new_markdown_cell("See the plot.")]
    problems = figure_problems(nb)
    assert any("no caption" in p for p in problems) and any("no name" in p for p in problems)
    assert any("no alt text" in p for p in problems)
    assert any("'fig-x' is never referenced" in p for p in problems)
    nb.cells = [named, nbformat.v4.new_markdown_cell("As {numref}`fig-x` shows.")]
    assert figure_problems(nb) == []
