"""Cells print what they measured, never a fixed verdict; glued values are compared by nbval.

Three checks over every code cell of every notebook in ``book/`` (README, "Writing for the
book"), kept simple on purpose: they read the cell's source with ``ast`` (lines starting with
``%`` or ``!`` are dropped first), they do not run it.

1. **A printed verdict**: a ``print(...)`` call
   - with a ``True``/``False`` literal among its arguments (``print("ok", True)``), or
   - whose constant text (string literals, the literal parts of f-strings) ends in ``True``,
     ``False``, ``OK`` or ``passed`` (``print("...: True")``), or
   - whose dynamic content (the non-literal arguments and the ``{...}`` parts of f-strings) is
     all boolean-valued: a comparison, ``and``/``or``/``not``, or a call of ``allclose``,
     ``isclose``, ``array_equal``, ``array_equiv``, ``equal``, ``all``, ``any``, ``isinstance``,
     ``issubclass``, ``callable``, ``is_tensor`` (``print(f"close: {np.allclose(a, b)}")``).
     A measured quantity printed next to a boolean (``print(err, err < 1e-6)``) passes, and so
     does ``x or "none"`` (an ``or`` is boolean only when all its operands are).
2. **An asserting cell that prints nothing measured**: a cell with an ``assert`` statement or an
   ``assert_*`` call (``torch.testing.assert_close``, ``np.testing.assert_allclose``) whose
   ``print`` calls are all constant text (``print("the terms agree with autograd")``). A cell
   that asserts and prints nothing at all passes this check (it shows nothing it did not
   compute); one that asserts and prints only constants states a verdict.
3. **A hidden glued value**: a cell tagged ``nbval-ignore-output`` (or starting with
   ``# NBVAL_IGNORE_OUTPUT``) that glues a name the prose uses through ``{glue:text}``,
   ``{glue}`` or ``{glue:md}``: nbval would never compare the number the sentence shows. Glue
   names built by f-strings are matched with each ``{...}`` as a wildcard.

Not detected: verdicts printed through a variable (``msg = "True"; print(msg)``), through
``display`` or a last expression, and typed numbers quoted from an ignored cell's printout
without glue (``tests/test_prose_numbers.py`` catches decimals, percentages, times and ratios
anywhere in the prose, and integers of two or more digits printed by an ignored cell).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))

_BOOLEAN_CALLS = {"allclose", "isclose", "array_equal", "array_equiv", "equal", "all", "any",
                  "isinstance", "issubclass", "callable", "is_tensor"}
_VERDICT_END = re.compile(r"(?i)\b(true|false|ok|passed)\W*$")
_GLUE_ROLE = re.compile(r"\{glue(?::text|:md)?\}`([^`:]+)")


def _parse(source: str) -> ast.Module | None:
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _call_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_boolean(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, bool)
    if isinstance(node, ast.Compare):
        return True
    if isinstance(node, ast.BoolOp):  # `text or "none"` is a default, not a verdict
        return all(_is_boolean(v) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not)
    if isinstance(node, ast.Call):
        return _call_name(node.func) in _BOOLEAN_CALLS
    return False


def _print_parts(call: ast.Call) -> tuple[str, list[ast.expr]]:
    """The constant text of a print call, and its dynamic parts (keyword arguments ignored)."""
    text, dynamic = [], []
    for arg in call.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            text.append(arg.value)
        elif isinstance(arg, ast.JoinedStr):
            for part in arg.values:
                if isinstance(part, ast.Constant):
                    text.append(str(part.value))
                elif isinstance(part, ast.FormattedValue):
                    dynamic.append(part.value)
        else:
            dynamic.append(arg)
    return " ".join(t.strip() for t in text if t.strip()), dynamic


def _prints(tree: ast.Module) -> list[ast.Call]:
    return [n for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"]


def verdict_prints(source: str) -> list[str]:
    """The lines of ``source`` whose print states a fixed or boolean verdict (rule 1 above)."""
    tree = _parse(source)
    if tree is None:
        return []
    found = []
    for call in _prints(tree):
        text, dynamic = _print_parts(call)
        literal = any(isinstance(a, ast.Constant) and isinstance(a.value, bool) for a in dynamic)
        if literal or (dynamic and all(_is_boolean(d) for d in dynamic)) or (
                not dynamic and _VERDICT_END.search(text)):
            found.append(ast.get_source_segment(source, call) or text)
    return found


def asserts_without_measurement(source: str) -> bool:
    """True when the cell asserts and every print in it is constant text (rule 2 above)."""
    tree = _parse(source)
    if tree is None:
        return False
    asserts = any(isinstance(n, ast.Assert) or (isinstance(n, ast.Call) and _call_name(n.func).startswith("assert_"))
                  for n in ast.walk(tree))
    prints = _prints(tree)
    return asserts and bool(prints) and all(not _print_parts(p)[1] for p in prints)


def glued_names(source: str) -> list[str]:
    """Patterns of the names a cell glues: the first argument of each ``glue(...)`` call."""
    tree = _parse(source)
    if tree is None:
        return []
    names = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and _call_name(n.func) == "glue" and n.args:
            first = n.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.append(re.escape(first.value))
            elif isinstance(first, ast.JoinedStr):
                names.append("".join(re.escape(str(p.value)) if isinstance(p, ast.Constant) else ".+"
                                     for p in first.values))
    return names


def _ignored(cell: nbformat.NotebookNode) -> bool:
    return ("nbval-ignore-output" in cell.metadata.get("tags", [])
            or cell.source.lstrip().startswith("# NBVAL_IGNORE_OUTPUT"))


def verdict_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Every breach of the three rules in one notebook (empty: none)."""
    problems = []
    used = {m.group(1).strip() for c in nb.cells if c.cell_type == "markdown" for m in _GLUE_ROLE.finditer(c.source)}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        problems += [f"cell {i}: prints a verdict: {v}" for v in verdict_prints(cell.source)]
        if asserts_without_measurement(cell.source):
            problems.append(f"cell {i}: asserts but prints only constant text")
        if _ignored(cell):
            for pattern in glued_names(cell.source):
                hidden = sorted(u for u in used if re.fullmatch(pattern, u))
                if hidden:
                    problems.append(f"cell {i}: nbval-ignore-output but the prose uses its glued {hidden}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_printed_verdict_and_no_hidden_glue(path: Path) -> None:
    problems = verdict_problems(nbformat.read(path, as_version=4))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


# ---- self-tests -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        'assert ok\nprint("nn.RNN output == elman_forward: True")',
        'print("shapes agree:", True)',
        'print(f"close: {np.allclose(a, b)}")',
        'print(f"{err < 1e-6} and {torch.equal(a, b)}")',
        "print(not bad)",
        "print(a < b and np.allclose(c, d))",
        'print("all tests passed.")',
        '%pip install x\nprint("OK")',
    ],
)
def test_verdict_prints_are_found(source: str) -> None:
    assert len(verdict_prints(source)) == 1


@pytest.mark.parametrize(
    "source",
    [
        'print(f"max |difference| {err:.1e}")',
        "print(err, err < 1e-6)",
        'print("the last hidden state")\nprint(h.round(3))',
        'print(f"{n:,} parameters")',
        "print(flag_name)",  # a variable: not judged
        'print("Truth table:")',
        'print("found:", ", ".join(names) or "none")',
    ],
)
def test_measured_prints_pass(source: str) -> None:
    assert verdict_prints(source) == []


def test_asserting_cell_must_print_a_measurement() -> None:
    assert asserts_without_measurement('assert x\nprint("the terms agree with autograd;")')
    assert asserts_without_measurement('torch.testing.assert_close(a, b)\nprint("agree")')
    assert not asserts_without_measurement('assert x\nprint(f"max diff {d:.1e}")\nprint("done")')
    assert not asserts_without_measurement("assert x")
    assert not asserts_without_measurement('print("a heading")')


def test_hidden_glue_is_found() -> None:
    prose = nbformat.v4.new_markdown_cell("a gap of {glue:text}`gap_3:.2f` and {glue}`other`")
    code = 'glue("gap_3", round(g, 3), display=False)'
    looped = 'for k in ks:\n    glue(f"gap_{k}", round(g[k], 3), display=False)'
    for source in (code, looped):
        ignored = nbformat.v4.new_code_cell(source, metadata={"tags": ["nbval-ignore-output"]})
        problems = verdict_problems(nbformat.v4.new_notebook(cells=[prose, ignored]))
        assert problems == ["cell 1: nbval-ignore-output but the prose uses its glued ['gap_3']"]
    compared = nbformat.v4.new_code_cell(code)
    assert verdict_problems(nbformat.v4.new_notebook(cells=[prose, compared])) == []
    unused = nbformat.v4.new_code_cell('glue("timing", t)', metadata={"tags": ["nbval-ignore-output"]})
    assert verdict_problems(nbformat.v4.new_notebook(cells=[prose, unused])) == []
