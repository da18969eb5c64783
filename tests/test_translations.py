"""The Chinese edition's catalogues (book/locale/zh_CN): complete, current, and faithful to the
English markup. `make html-zh` also compares them with freshly extracted English messages; here
the committed catalogues are checked on their own, and the checker is shown to fail where it must.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("catalogues", ROOT / ".ci" / "catalogues.py")
assert spec is not None and spec.loader is not None
catalogues = importlib.util.module_from_spec(spec)
sys.modules["catalogues"] = catalogues
spec.loader.exec_module(catalogues)

TERMS = catalogues.glossary_terms()
PO_FILES = sorted(catalogues.PO_DIR.rglob("*.po"))
BOOK_PAGES = sorted(p for p in (ROOT / "book").iterdir() if p.suffix in (".ipynb", ".md"))


def test_every_page_of_the_book_has_a_catalogue() -> None:
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    pages = re.findall(r"(?:root|file): (book/\S+)", toc)
    have = {str(p.relative_to(catalogues.PO_DIR).with_suffix("")) for p in PO_FILES}
    assert len(pages) == 15
    assert set(pages) == have


@pytest.mark.parametrize("path", PO_FILES, ids=lambda p: p.stem)
def test_catalogue_is_complete_and_faithful(path: Path) -> None:
    name = str(path.relative_to(ROOT))
    problems = list(catalogues.check_catalogue(name, catalogues._read(path), None, TERMS))
    assert not problems, "\n".join(map(str, problems[:20])) + f"\n({len(problems)} problems)"
    translated = [m for m in catalogues._read(path) if m.id and m.string]
    print(f"{path.stem}: {len(translated)} messages translated")
    assert translated


# --------------------------------------------------------------- the checker can fail

ENGLISH = ("The hidden state at step {glue:text}`ch2_t:d` follows {eq}`eq-rnn-hidden`; "
           "see {cite:t}`elman1990` and `torch.nn.RNN` for $\\mathbf{H}_t$.")
GOOD = ("第 {glue:text}`ch2_t:d` 步的隐状态遵循 {eq}`eq-rnn-hidden`；"
        "参见 {cite:p}`elman1990` 与 `torch.nn.RNN` 中的 $\\mathbf{H}_t$。")


def test_a_faithful_translation_passes() -> None:
    assert catalogues.check_message(ENGLISH, GOOD, TERMS) == []


@pytest.mark.parametrize(("broken", "expected"), [
    ("", "untranslated"),
    (GOOD.replace("{glue:text}`ch2_t:d`", "3"), "markup differs"),
    (GOOD.replace("{eq}`eq-rnn-hidden`", "式 (2.1)"), "markup differs"),
    (GOOD.replace("$\\mathbf{H}_t$", "$H_t$"), "markup differs"),
    (GOOD.replace("`torch.nn.RNN`", "torch.nn.RNN"), "markup differs"),
    (GOOD.replace("隐状态", "隐藏状态"), "glossary: 'hidden state' is '隐状态'"),
    (GOOD.replace("；", ";"), "half-width punctuation"),
    (GOOD.replace("参见", "参\n见"), "line break"),
    (GOOD.replace("参见", "参 见"), "space between two Chinese characters"),
    (ENGLISH, "msgstr is the English text"),
    (GOOD.replace("遵循 {eq}", "遵循式 {eq}"), "the reference already reads"),
])
def test_the_checker_catches(broken: str, expected: str) -> None:
    found = catalogues.check_message(ENGLISH, broken, TERMS)
    assert any(expected in f for f in found), found


def test_notation_only_messages_may_stay_as_they_are() -> None:
    maths = "\n\\mathbf{H}_t = \\phi(\\mathbf{X}_t \\mathbf{W}_{xh}),\n"
    assert catalogues.is_notation_only(maths)
    assert catalogues.check_message(maths, maths, TERMS) == []
    assert not catalogues.is_notation_only("\n\\text{hidden size} = h\n")
    assert not catalogues.is_notation_only("Exercises")


def test_catalogue_level_problems_are_reported() -> None:
    po = Catalog(locale="zh_CN")
    po.add("Kept sentence.", "保留的句子。")
    po.add("Old sentence.", "旧句子。")
    po.add("Changed sentence.", "改过的句子。", flags=["fuzzy"])
    found = [p.what for p in catalogues.check_catalogue(
        "x.po", po, ["Kept sentence.", "Changed sentence.", "New sentence."], TERMS)]
    assert any(w.startswith("missing") for w in found)
    assert any(w.startswith("stale") for w in found)
    assert any(w.startswith("fuzzy") for w in found)
    assert len(found) == 3, found


def test_merge_keeps_marks_fuzzy_and_drops() -> None:
    po = Catalog(locale="zh_CN")
    po.add("The hidden state of the network.", "网络的隐状态。")
    po.add("A sentence that the book dropped.", "一句被删掉的话。")
    po.add("Unchanged.", "未改。")
    merged = catalogues.merge(po, ["The hidden state of the network!", "Unchanged.", "$x$",
                                   "Brand new."])
    got = {m.id: (m.string, m.fuzzy) for m in merged if m.id}
    assert got["Unchanged."] == ("未改。", False)
    assert got["The hidden state of the network!"] == ("网络的隐状态。", True)
    assert got["$x$"] == ("$x$", False)
    assert not got["Brand new."][0]
    assert "A sentence that the book dropped." not in got and not merged.obsolete


# --------------------------------------------------------------- the glossary

def test_glossary_holds_every_chinese_term_the_english_book_gives() -> None:
    """The English text gives a key term's Chinese name in parentheses, e.g. hidden state
    (隐状态); the glossary page must list each such term, and each English term once."""
    pairs = catalogues.glossary_pairs()
    chinese = [zh for _, zh in pairs]
    english = [re.sub(r"\s*\(.*\)$", "", en) for en, _ in pairs]
    assert len(set(english)) == len(english) == len(pairs) >= 60
    given = set()
    for page in BOOK_PAGES:
        if page.name == "glossary.md":
            continue
        text = page.read_text(encoding="utf-8")
        if page.suffix == ".ipynb":
            cells = json.loads(text)["cells"]
            text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        for m in re.finditer(r"\(([\u4e00-\u9fff]+)[,;:)]", text):
            given.add(m.group(1))
    assert len(given) >= 40
    missing = sorted(given - set(chinese))
    assert not missing, f"Chinese terms in the text but not in book/glossary.md: {missing}"
