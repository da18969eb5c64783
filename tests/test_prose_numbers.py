"""No measured number is typed into the book's prose: it reaches the text through myst-nb glue.

The rule (README, "Writing for the book"). The prose is every markdown cell of every notebook
in ``book/`` and every ``book/*.md`` page except ``api.md`` and ``bibliography.md``. First
these are removed, because nothing in them is prose a number could be typed into:

- display math ``$$...$$`` and inline math ``$...$`` (numbers in a formula are the formula's);
- MyST roles with their content, ``{glue:text}`name:.3f```, ``{eq}``, ``{cite:p}``,
  ``{numref}``, ``{doc}``, ``{ref}``, ``{math}`` ... (a glued number is computed);
- inline code (double and single backticks);
- the contents of plain fenced code blocks (```` ``` ```` or ```` ```python ````, and the
  ``{code-block}``/``{code-cell}``/``{code}`` directives); other directives (``{note}``,
  ``{figure}``, ``:::{admonition}``) hold prose and stay, but their argument (the rest of the
  opening line: a file name, a title) and their option lines (``:label: ...``, ``:alt: ...``)
  go;
- link targets (``[text](target)`` keeps ``text``), autolinks, bare URLs, reference
  definitions, HTML tags and comments, label lines ``(name)=`` and YAML front matter.

Whitespace is then collapsed to single spaces (so snippets do not depend on line wraps), and a
*measured number* is any of

- a **decimal**: ``0.17``, ``2.5``, ``1e-3``, ``5e-4`` (digits, a point, digits; or scientific
  notation);
- a **percentage**: ``2 %``, ``12%``, ``3 percent``, ``3 per cent`` (integer or decimal);
- a **time**: a number followed by ``ns``, ``µs``/``μs``/``us``, ``ms``, ``s``, ``sec``,
  ``min``, ``h``, ``second(s)``, ``minute(s)``, ``hour(s)``;
- a **ratio or factor**: ``1.5x``, ``30×``, ``30 x``, ``1.5 times``, and an integer followed by
  ``times`` and a comparative (``3 times faster``/``slower``/``larger``/``smaller``/``more``/
  ``fewer``/``less``/``higher``/``lower``/``longer``/``shorter``/``as``/``the``).

It does not count (each exclusion has a self-test below):

- plain integers: counts, sizes, years, ``3,000`` (a thousands separator is not a decimal
  point), ranges like ``110-170``; ``repeated 3 times`` (a count, no comparative);
- numbers inside words or identifiers: ``H200``, ``fp16``, ``W2``, ``06b_char_model``,
  ``3x3``/``2×3`` (a digit right after the ``x`` makes it a size, not a factor);
- figure, table, equation, section and chapter numbers: a dotted number right after ``Fig.``,
  ``Figs.``, ``Figure``, ``Table``, ``Eq.``, ``Eqs.``, ``Equation``, ``section``, ``chapter``,
  ``§``, ``p.``, ``pp.`` (any case, plural too), and the further numbers of a list after it
  (``sections 5.2 and 5.3``);
- version numbers: any number with two or more points (``3.11.7``), one with a trailing ``+``
  (``3.10+``), one right after ``v``, ``==``/``>=``/``<=``/``~=``, and a dotted number right
  after a software name or the word version (``Python``, ``PyTorch``, ``torch``, ``NumPy``,
  ``CUDA``, ``cuDNN``, ``Triton``, ``jupyter-book``, ``version(s)``, ``release``), with the
  further numbers of a list after it (``Python 3.10 and 3.13``);
- list markers and sentence ends (``1.`` then a space: no digit after the point).

Not detected (kept simple on purpose): numbers spelled in words, a ratio written ``3:1``, a
leading-point decimal ``.5``, numbers inside math (``$\approx 0.111$`` is math by the rule; keep
measured values out of formulas, or glue them next to the formula), integer counts quoted from a
cell's output. For the last, ``test_prose_quotes_no_number_nbval_ignores`` below catches the
integers of two or more digits that a cell tagged ``nbval-ignore-output`` prints and the prose
repeats (``110-170 epochs``), and ``tests/test_no_verdicts.py`` checks that such a cell glues
nothing the prose uses.

``ALLOWED`` lists the typed measured numbers the book keeps as setup values (at most 10 for
the whole book): (file name, an exact snippet of the collapsed prose, the reason). A finding
is accepted when its number lies inside an occurrence of the snippet in that file's prose. An
entry whose snippet no longer occurs, or accepts no finding, is stale and fails the test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
NOT_PROSE = {"api.md", "bibliography.md"}
MAX_ALLOWED = 10

# (file name in book/, exact snippet of the collapsed prose, why it may stay typed)
ALLOWED: list[tuple[str, str, str]] = [
    ("preface.md", "Creative Commons 3.0", "the version of the source article's licence, not a measurement"),
]

# ---- stripping ---------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_FENCE_OPEN = re.compile(r"^(\s*)(`{3,}|~{3,}|:{3,})\s*(\{([\w:-]+)\})?(.*)$")
_CODE_DIRECTIVES = {"code-block", "code-cell", "code", "sourcecode", "literalinclude", "math", "raw"}
_OPTION_LINE = re.compile(r"^\s*:[\w-]+:(\s.*)?$")
_LABEL_LINE = re.compile(r"^\s*\([\w:.-]+\)=\s*$")
_REF_DEF = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$")
_INLINE_SUBS = [
    (re.compile(r"<!--.*?-->", re.S), " "),
    (re.compile(r"\{[\w:+-]+\}(`+).*?\1", re.S), " "),  # roles with their content
    (re.compile(r"(`+).*?\1", re.S), " "),  # inline code
    (re.compile(r"\$\$.*?\$\$(\s*\([^)\s]+\))?", re.S), " "),  # display math and its label
    (re.compile(r"(?<![\\$])\$(?!\s)[^$]+?(?<![\s\\])\$(?!\d)"), " "),  # inline math
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links and images: keep the text
    (re.compile(r"!?\[([^\]]*)\]\[[^\]]*\]"), r"\1"),  # reference links
    (re.compile(r"<(https?|mailto):[^>]*>"), " "),  # autolinks
    (re.compile(r"https?://\S+"), " "),  # bare URLs
    (re.compile(r"</?[A-Za-z][^>]*>"), " "),  # HTML tags
]


def strip_non_prose(text: str) -> str:
    """``text`` with math, code, roles, options, link targets and markup removed, spaces collapsed."""
    text = _FRONT_MATTER.sub("", text)
    kept: list[str] = []
    fences: list[tuple[str, bool]] = []  # open fences: (marker, contents are code)
    for line in text.split("\n"):
        m = _FENCE_OPEN.match(line)
        if fences and m and m.group(2)[0] == fences[-1][0][0] and len(m.group(2)) >= len(fences[-1][0]) \
                and not m.group(3) and not m.group(5).strip():
            fences.pop()  # a closing fence
            continue
        if fences and fences[-1][1]:
            continue  # inside code
        if m and (m.group(3) or m.group(2)[0] != ":"):
            directive = m.group(4)
            is_code = directive is None or directive in _CODE_DIRECTIVES
            fences.append((m.group(2), is_code))
            continue  # the opening line: its argument is a name, a path or a title
        if _OPTION_LINE.match(line) or _LABEL_LINE.match(line) or _REF_DEF.match(line):
            continue
        kept.append(line)
    text = "\n".join(kept)
    for pattern, repl in _INLINE_SUBS:
        text = pattern.sub(repl, text)
    return re.sub(r"\s+", " ", text).strip()


# ---- detection ---------------------------------------------------------------------------

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_SCI = r"\d+(?:\.\d+)?[eE][-+]?\d+"
_START = r"(?<![\w.,])"  # not inside a word, a dotted number or a thousands group
_CMP = r"(?:faster|slower|larger|smaller|bigger|more|fewer|less|higher|lower|longer|shorter|as|the)"
_KINDS = [
    ("percentage", re.compile(rf"{_START}{_NUM}\s?(?:%|percent\b|per cent\b)")),
    ("time", re.compile(
        rf"{_START}{_NUM}\s?(?:ns|µs|μs|us|ms|s|sec|min|h|seconds?|minutes?|hours?)(?!\w)")),
    ("ratio", re.compile(rf"{_START}{_NUM}\s?(?:x|×)(?![\w×])(?!\s?\d)")),
    ("ratio", re.compile(rf"{_START}\d+\.\d+\s+times\b|{_START}\d+\s+times\s+{_CMP}\b")),
    ("decimal", re.compile(rf"{_START}(?:{_SCI}|\d+\.\d+)(?!\w|\.\d)")),
]
_NAMED = (r"(?:figs?\.|figures?|tables?|eqs?\.|equations?|sections?|chapters?|§|pp?\.|"
          r"python|pytorch|torch|numpy|cuda|cudnn|triton|jupyter-book|versions?|release)")
_LIST_TAIL = r"(?:\s*(?:,|and|or|to|-|–)\s*v?\d+(?:\.\d+)*)*"
_EXCLUDED = [
    re.compile(rf"(?i)(?<![\w]){_NAMED}\s*v?\d+(?:\.\d+)*{_LIST_TAIL}"),  # Fig. 3.2, Python 3.10 and 3.13
    re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}"),  # 3.11.7
    re.compile(r"(?<![\w.])\d+(?:\.\d+)+\+"),  # 3.10+
    re.compile(r"(?:\bv|==|>=|<=|~=)\s?\d+(?:\.\d+)+"),  # v2.13, ==2.13
]


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    snippet: str


def find_measured_numbers(prose: str) -> list[Finding]:
    """Every measured number in collapsed prose (see the module docstring), in text order."""
    excluded = [(m.start(), m.end()) for p in _EXCLUDED for m in p.finditer(prose)]
    found: dict[int, Finding] = {}
    for kind, pattern in _KINDS:
        for m in pattern.finditer(prose):
            if any(a <= m.start() < b for a, b in excluded) or any(
                f.start <= m.start() < f.end for f in found.values()
            ):
                continue
            snippet = prose[max(0, m.start() - 30): m.end() + 30]
            found[m.start()] = Finding(kind, m.start(), m.end(), snippet)
    return [found[k] for k in sorted(found)]


# ---- the book ----------------------------------------------------------------------------


def prose_pages() -> list[tuple[str, int, str]]:
    """(file name, cell index or -1 for a page, collapsed prose) for every prose text of the book."""
    pages: list[tuple[str, int, str]] = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown":
                pages.append((path.name, i, strip_non_prose(cell.source)))
    for path in sorted(BOOK.glob("*.md")):
        if path.name not in NOT_PROSE:
            pages.append((path.name, -1, strip_non_prose(path.read_text(encoding="utf-8"))))
    return pages


def allowed_spans(prose: str, snippet: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(snippet), prose)]


def allowed_table_problems(allowed: list[tuple[str, str, str]]) -> list[str]:
    problems = [f"{len(allowed)} typed numbers kept, at most {MAX_ALLOWED}"] if len(allowed) > MAX_ALLOWED else []
    problems += [f"entry needs (file, snippet, reason): {e}" for e in allowed if len(e) != 3 or not all(e)]
    return problems


def typed_numbers(
    pages: list[tuple[str, int, str]], allowed: list[tuple[str, str, str]]
) -> tuple[list[str], list[str]]:
    """(the typed measured numbers not in ``allowed``, the stale entries of ``allowed``)."""
    used = [0] * len(allowed)
    typed: list[str] = []
    for name, cell, prose in pages:
        for f in find_measured_numbers(prose):
            accepting = [
                k for k, (file, snippet, _) in enumerate(allowed)
                if file == name and any(a <= f.start and f.end <= b for a, b in allowed_spans(prose, snippet))
            ]
            for k in accepting:
                used[k] += 1
            if not accepting:
                where = f"cell {cell}" if cell >= 0 else "page"
                typed.append(f"{name} {where} [{f.kind}] ...{f.snippet}...")
    stale = [f"{allowed[k][0]}: {allowed[k][1]!r}" for k, n in enumerate(used) if n == 0]
    return typed, stale


def test_allowed_table_is_small() -> None:
    problems = allowed_table_problems(ALLOWED)
    assert not problems, "\n".join(problems)


def test_no_measured_number_typed_into_prose() -> None:
    typed, stale = typed_numbers(prose_pages(), ALLOWED)
    assert not stale, "stale ALLOWED entries (snippet gone or no number in it):\n" + "\n".join(stale)
    assert not typed, (
        f"{len(typed)} measured numbers typed into prose (glue them, or list a setup value in ALLOWED):\n"
        + "\n".join(typed)
    )


def test_allowed_entries_accept_their_numbers_and_go_stale() -> None:
    pages = [("a.ipynb", 3, "a learning rate of 0.01 and a gap of 0.8 %"), ("b.md", -1, "rate of 0.01")]
    rate = ("a.ipynb", "learning rate of 0.01", "setup value")
    typed, stale = typed_numbers(pages, [rate])
    assert typed == ["a.ipynb cell 3 [percentage] ...ing rate of 0.01 and a gap of 0.8 %...",
                     "b.md page [decimal] ...rate of 0.01..."]
    assert stale == []
    _, stale = typed_numbers(pages, [rate, ("a.ipynb", "a rate of 0.02", "gone"), ("a.ipynb", "a gap", "no number")])
    assert stale == ["a.ipynb: 'a rate of 0.02'", "a.ipynb: 'a gap'"]
    assert allowed_table_problems([rate] * MAX_ALLOWED) == []
    assert allowed_table_problems([rate] * (MAX_ALLOWED + 1)) == [f"{MAX_ALLOWED + 1} typed numbers kept, at most 10"]
    no_reason = ("a.ipynb", "rate", "")
    assert allowed_table_problems([no_reason]) == [f"entry needs (file, snippet, reason): {no_reason}"]


# ---- numbers quoted from outputs nbval does not compare -------------------------------------

_OUTPUT_NUMBER = re.compile(r"(?<![\w.,])(\d+\.\d+|\d{2,})(?![\w]|\.\d)")
_CODE_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?!\w)")


def ignored_numbers_in_prose(nb: nbformat.NotebookNode) -> list[str]:
    """Numbers printed by a cell nbval ignores that the notebook's prose quotes.

    A cell tagged ``nbval-ignore-output`` (or starting with ``# NBVAL_IGNORE_OUTPUT``) prints
    numbers nbval never compares; a sentence that repeats one of them goes stale unseen. This
    catches what the decimal rule cannot (integer counts such as ``110-170 epochs``): every
    decimal and every integer of two or more digits in the cell's stored text output that also
    stands in the collapsed prose, unless some code cell's source writes it (then it is a setup
    value, such as ``300`` steps).
    """
    prose = " ".join(strip_non_prose(c.source) for c in nb.cells if c.cell_type == "markdown")
    in_prose = set(_OUTPUT_NUMBER.findall(prose))
    in_code = {n for c in nb.cells if c.cell_type == "code" for n in _CODE_NUMBER.findall(c.source)}
    found = []
    for i, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or not (
            "nbval-ignore-output" in tags or cell.source.lstrip().startswith("# NBVAL_IGNORE_OUTPUT")
        ):
            continue
        text = "".join(
            o.get("text", "") if o.output_type == "stream" else str(o.get("data", {}).get("text/plain", ""))
            for o in cell.get("outputs", [])
        )
        quoted = sorted((set(_OUTPUT_NUMBER.findall(text)) & in_prose) - in_code)
        if quoted:
            found.append(f"cell {i}: nbval-ignore-output, yet the prose quotes its printed {quoted}")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_prose_quotes_no_number_nbval_ignores(path: Path) -> None:
    problems = ignored_numbers_in_prose(nbformat.read(path, as_version=4))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_numbers_from_ignored_outputs_are_found() -> None:
    prose = nbformat.v4.new_markdown_cell("It took 110-170 epochs; 3 of 5 runs; $x = 0.25$; 300 steps.")
    printed = nbformat.v4.new_output("stream", name="stdout", text="epochs [110, 170] 0.25, 3 of 5, 300\n")
    cell = nbformat.v4.new_code_cell("run(steps=300)", outputs=[printed], metadata={"tags": ["nbval-ignore-output"]})
    nb = nbformat.v4.new_notebook(cells=[prose, cell])
    expected = "cell 1: nbval-ignore-output, yet the prose quotes its printed ['110', '170']"
    assert ignored_numbers_in_prose(nb) == [expected]
    cell.metadata["tags"] = []
    assert ignored_numbers_in_prose(nb) == []


# ---- self-tests of the detector ------------------------------------------------------------


def _numbers(text: str) -> list[tuple[str, str]]:
    prose = strip_non_prose(text)
    return [(f.kind, prose[f.start: f.end]) for f in find_measured_numbers(prose)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the error settles near 0.17 after training", [("decimal", "0.17")]),
        ("a gap of 2.5 nats", [("decimal", "2.5")]),
        ("about 5e-4 on the GPU", [("decimal", "5e-4")]),
        ("within 2 % of the bound", [("percentage", "2 %")]),
        ("12% of the runs", [("percentage", "12%")]),
        ("0.8 percent", [("percentage", "0.8 percent")]),
        ("one step takes 4.7 µs", [("time", "4.7 µs")]),
        ("3 ms per batch", [("time", "3 ms")]),
        ("the run took 62 s in all", [("time", "62 s")]),
        ("it took 3 minutes", [("time", "3 minutes")]),
        ("a 1.5x speed-up", [("ratio", "1.5x")]),
        ("30× faster", [("ratio", "30×")]),
        ("1.5 times the reference", [("ratio", "1.5 times")]),
        ("3 times faster than cuDNN", [("ratio", "3 times faster")]),
        ("0.92 vs 0.88", [("decimal", "0.92"), ("decimal", "0.88")]),
        ("a table | 0.111 | row |", [("decimal", "0.111")]),
        ("a learning rate of 0.01.", [("decimal", "0.01")]),
        ("The error is 0.5. Then", [("decimal", "0.5")]),
        ("see Fig. 3 where the error is 0.17", [("decimal", "0.17")]),
    ],
)
def test_detector_finds_each_kind(text: str, expected: list[tuple[str, str]]) -> None:
    assert _numbers(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Fig. 3 and Figs. 4 and 5, Figure 2.1, Table 1, Eq. 4.1, Eqs. 4.1 and 4.2",
        "in section 5.2 and chapter 5.2; sections 5.2 and 5.3; § 3.4; p. 182",
        "Python 3.11.7, torch 2.13, PyTorch 2.13.0, version 1.0, Python 3.10 and 3.13",
        "Python 3.10+ and v2.13 and torch==2.13.0, numpy>=1.26",
        "Jordan (1986), Elman 1990, in 2014",
        "the H200 GPU, fp16, W2, 06b_char_model, a 3x3 matrix, a 2 × 3 matrix",
        "a 3,000-bit stream of 20 networks, 110-170 epochs, 3 of 5 seeds, repeated 3 times",
        "1. first item\n2. second item",
        "$W = 0.5 \\cdot I$ and $$x = 1.5$$ (eq-x) and inline `lr=0.01`",
        "grows to {glue:text}`nn_peak:.2f` times, with {cite:p}`elman1990` and {eq}`eq-2.1`",
        "see [the run](runs/v0.17.json) and <https://example.org/1.5> and https://x.org/2.5",
        "```python\nx = 0.5\ny = 3.2\n```\nprose",
        "```{figure} fig_1.5.png\n:width: 80%\n:alt: a plot at 0.5 scale\n\nThe caption.\n```",
        "(sec-2.1)=\n## Title\n<!-- 0.5 -->",
    ],
)
def test_detector_ignores_each_exclusion(text: str) -> None:
    assert _numbers(text) == []


def test_directive_bodies_are_prose() -> None:
    text = "```{note}\n:class: dropdown\nThe gap is 0.8 %.\n```\n:::{admonition} Ex 1.2\nIt is 0.17.\n:::"
    assert _numbers(text) == [("percentage", "0.8 %"), ("decimal", "0.17")]
