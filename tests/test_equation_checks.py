"""Every labelled display equation of a chapter is checked, or declared a definition, in that chapter.

The mapping lives in the notebooks' cell tags (README, "Writing for the book"):

- a label is ``$$ ... $$ (label)`` in a markdown cell, a ``\\label{label}`` inside display math,
  or the ``:label:`` option of a ``{math}`` directive;
- ``check:label`` on a *code* cell: the cell computes both sides of the equation, or the
  formula against an independent oracle, and prints the measured difference. The test asks
  for a stored output (stream or result) with a digit in it; what the cell computes is for
  review;
- ``definition:label`` on the *markdown* cell that holds the equation: a pure definition,
  nothing to check.

The test fails on a label with neither tag, on a tag that names no label of its notebook, on a
``check:`` tag on a markdown cell or a ``definition:`` tag on a cell that does not hold the
equation, on a ``check:`` cell without a printed number, and on a label defined twice.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))

_DOLLAR_LABEL = re.compile(r"\$\$(?:(?!\$\$).)*\$\$[ \t]*\(([^)\s]+)\)", re.S)
_TEX_LABEL = re.compile(r"\\label\{([^}]+)\}")
_MATH_DIRECTIVE_LABEL = re.compile(
    r"^(`{3,}|:{3,})\{math\}[^\n]*\n(?:[ \t]*:[\w-]+:.*\n)*?[ \t]*:label:[ \t]*(\S+)", re.M
)


def equation_labels(markdown: str) -> list[str]:
    """The labels of the display equations in one markdown text, in order."""
    labels = [m.group(1) for m in _DOLLAR_LABEL.finditer(markdown)]
    labels += [m.group(2) for m in _MATH_DIRECTIVE_LABEL.finditer(markdown)]
    for block in re.findall(r"\$\$(.*?)\$\$", markdown, re.S):
        labels += _TEX_LABEL.findall(block)
    return labels


def _printed_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(str(out.get("data", {}).get("text/plain", "")))
    return "".join(parts)


def equation_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Why the notebook's labels and ``check:``/``definition:`` tags do not map (empty: they do)."""
    problems: list[str] = []
    defined: dict[str, int] = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for label in equation_labels(cell.source):
                if label in defined:
                    problems.append(f"cell {i}: label {label} already defined in cell {defined[label]}")
                defined.setdefault(label, i)
    checked: set[str] = set()
    for i, cell in enumerate(nb.cells):
        for tag in cell.metadata.get("tags", []):
            kind, _, label = tag.partition(":")
            if kind not in ("check", "definition") or not label:
                continue
            if label not in defined:
                problems.append(f"cell {i}: tag {tag} names no equation label of this notebook")
                continue
            if kind == "check":
                if cell.cell_type != "code":
                    problems.append(f"cell {i}: tag {tag} on a {cell.cell_type} cell, not a code cell")
                    continue
                if not re.search(r"\d", _printed_text(cell)):
                    problems.append(f"cell {i}: tag {tag} but the cell stores no printed measured difference")
                    continue
            elif defined[label] != i:
                problems.append(f"cell {i}: tag {tag} not on the cell holding the equation (cell {defined[label]})")
                continue
            checked.add(label)
    for label, i in defined.items():
        if label not in checked:
            problems.append(f"cell {i}: equation {label} has no check:{label} code cell "
                            f"and no definition:{label} tag")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_labelled_equation_is_checked_or_a_definition(path: Path) -> None:
    problems = equation_problems(nbformat.read(path, as_version=4))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


# ---- self-tests on synthetic notebooks -----------------------------------------------------


def _nb(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=list(cells))


def _md(source: str, *tags: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(source, metadata={"tags": list(tags)})


def _code(source: str, printed: str | None, *tags: str) -> nbformat.NotebookNode:
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)] if printed else []
    return nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)}, outputs=outputs)


EQ = "Text\n\n$$\nh_t = \\tanh(W x_t)\n$$ (eq-h)\n\nmore text"


def test_labels_of_each_form_are_found() -> None:
    text = EQ + "\n$$\ny = 2x \\label{eq-y}\n$$\n```{math}\n:label: eq-z\nz = 1\n```\n$x$ (not-a-label)"
    assert equation_labels(text) == ["eq-h", "eq-z", "eq-y"]


def test_checked_and_defined_equations_pass() -> None:
    nb = _nb(_md(EQ), _md("$$a = b$$ (eq-def)", "definition:eq-def"),
             _code("print(err)", "max |difference| 1e-16\n", "check:eq-h"))
    assert equation_problems(nb) == []


def test_unchecked_equation_fails() -> None:
    assert equation_problems(_nb(_md(EQ))) == [
        "cell 0: equation eq-h has no check:eq-h code cell and no definition:eq-h tag"]


def test_tag_naming_a_missing_label_fails() -> None:
    nb = _nb(_md(EQ, "definition:eq-h"), _code("print(err)", "0.0\n", "check:eq-gone"))
    assert equation_problems(nb) == ["cell 1: tag check:eq-gone names no equation label of this notebook"]


def test_check_cell_without_printed_number_fails() -> None:
    for printed in (None, "done\n"):
        problems = equation_problems(_nb(_md(EQ), _code("assert ok", printed, "check:eq-h")))
        assert problems[0] == "cell 1: tag check:eq-h but the cell stores no printed measured difference"
        assert len(problems) == 2  # and so eq-h stays unchecked


def test_tags_on_the_wrong_kind_of_cell_fail() -> None:
    nb = _nb(_md(EQ, "check:eq-h"), _md("prose", "definition:eq-h"))
    assert equation_problems(nb)[:2] == [
        "cell 0: tag check:eq-h on a markdown cell, not a code cell",
        "cell 1: tag definition:eq-h not on the cell holding the equation (cell 0)",
    ]


def test_label_defined_twice_fails() -> None:
    nb = _nb(_md(EQ, "definition:eq-h"), _md(EQ))
    assert equation_problems(nb) == ["cell 1: label eq-h already defined in cell 0"]
