"""The Chinese edition's message catalogues: one .po file per page, kept in step with the book.

    python .ci/catalogues.py extract   English messages -> _build/gettext/book/*.pot
    python .ci/catalogues.py update    merge them into book/locale/zh_CN/LC_MESSAGES/book/*.po
    python .ci/catalogues.py check     fail on an untranslated, fuzzy, stale or broken entry
    python .ci/catalogues.py config    print _config.yml with the Chinese edition's settings

`update` keeps every translation whose English is unchanged, adds new messages untranslated,
pre-fills a changed message from its nearest old one and marks it fuzzy, and deletes the
messages the book no longer has. Docstrings (the API page's entries) stay English and are left
out. A message that is only mathematics is copied unchanged.

`check` compares the catalogues with freshly extracted messages and with the rules a
translation must keep (the same roles, references, code and maths; the glossary's terms;
full-width punctuation; no line break inside a paragraph). `check --no-extract` uses the
messages already in _build/gettext.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from book_site import glossary_pairs  # noqa: E402  (one parser of the glossary page)

LOCALE = "zh_CN"
PO_DIR = ROOT / "book" / "locale" / LOCALE / "LC_MESSAGES"
POT_DIR = ROOT / "_build" / "gettext"
GLOSSARY = ROOT / "book" / "glossary.md"
FIXED_DATE = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)

# The Chinese edition's settings, applied on top of _config.yml (`config`).
TITLE_ZH = "循环神经网络：用代码验证每一步"

HAN = r"\u3400-\u9fff\uf900-\ufaff"
_HAN_RE = re.compile(f"[{HAN}]")

# Markup a translation must carry over unchanged, in any order.
_ROLE = re.compile(r"(?<![A-Za-z0-9_`])\{[a-zA-Z:_-]+\}`[^`]*`")
_CODE = re.compile(r"``[^`]+``|`[^`]+`")
_DMATH = re.compile(r"\$\$.+?\$\$", re.S)
_MATH = re.compile(r"(?<![\\$])\$[^$\n]+?(?<!\\)\$")
_LINK = re.compile(r"\]\(([^)\s]+)\)|<(https?://[^>]+)>")
_URL = re.compile(r"https?://\S+")


def _protected(text: str) -> tuple[list[str], str]:
    """Markup tokens of `text` and `text` with them blanked out."""
    tokens: list[str] = []
    for pattern in (_ROLE, _DMATH, _CODE, _MATH):
        for m in pattern.finditer(text):
            token = m.group(0)
            # {cite:t} and {cite:p} are the same reference; word order may need either.
            token = re.sub(r"^\{cite:[tp]\}", "{cite}", token)
            # {ref}`text <target>`: the text is translated, the target is kept
            token = re.sub(r"^(\{[a-z:]+\}`)[^`<]*?\s*(<[^`>]+>`)$", r"\1\2", token)
            tokens.append(token)
        text = pattern.sub(" \x00 ", text)
    for m in _LINK.finditer(text):
        tokens.append(m.group(1) or m.group(2))
    text = _LINK.sub("]( \x00 )", text)
    text = _URL.sub(" \x00 ", text)
    return tokens, text


def is_notation_only(msgid: str) -> bool:
    """A message with no words to translate: displayed maths, code, references, numbers."""
    if msgid.startswith("\n") or msgid.lstrip().startswith("\\begin"):
        # \text{step} or \text{RNN} is a label, as in the inline maths; a phrase is prose
        return re.search(r"\\text\{[^}]*[A-Za-z]+\s+[A-Za-z]+", msgid) is None
    _, rest = _protected(msgid)
    return re.search(r"[A-Za-z]{2,}", rest) is None


def _is_docstring_only(message: Message) -> bool:
    names = [str(f) for f, _ in message.locations]
    return bool(names) and not any(
        re.search(r"book/[^/:]+\.(ipynb|md)$", n) and "docstring" not in n for n in names
    )


# ----------------------------------------------------------------------------- glossary

@dataclass(frozen=True)
class Term:
    english: str  # as the glossary page gives it, without the abbreviation
    chinese: str
    pattern: re.Pattern[str]


def glossary_terms(path: Path = GLOSSARY) -> list[Term]:
    """The glossary page's (English, Chinese) pairs, longest English first."""
    terms = []
    for english, chinese in glossary_pairs(path):
        english = re.sub(r"\s*\([^)]*\)$", "", english)
        words = re.escape(english.lower()).replace(r"\-", " ").replace(r"\ ", " ")
        words = words.replace(" ", r"[\s-]+")
        pattern = re.compile(rf"\b{words}(?:s|es)?\b", re.I)
        terms.append(Term(english, chinese, pattern))
    return sorted(terms, key=lambda t: -len(t.english))


# ----------------------------------------------------------------------------- checks

@dataclass(frozen=True)
class Problem:
    catalogue: str
    msgid: str
    what: str

    def __str__(self) -> str:
        return f"{self.catalogue}: {self.what}\n    msgid: {self.msgid[:160]!r}"


def check_message(msgid: str, msgstr: str, terms: list[Term], *, keep_english: bool = False
                  ) -> list[str]:
    """What is wrong with one translated message (empty list: nothing)."""
    if not msgstr.strip():
        return ["untranslated"]
    problems = []
    id_tokens, id_rest = _protected(msgid)
    str_tokens, str_rest = _protected(msgstr)
    if Counter(id_tokens) != Counter(str_tokens):
        lost = sorted((Counter(id_tokens) - Counter(str_tokens)).elements())
        added = sorted((Counter(str_tokens) - Counter(id_tokens)).elements())
        problems.append(f"markup differs: missing {lost}, added {added}")
    if msgstr == msgid:
        if not (keep_english or is_notation_only(msgid)):
            problems.append("msgstr is the English text")
        return problems
    if not _HAN_RE.search(str_rest) and re.search(r"[A-Za-z]{3,}", id_rest):
        problems.append("msgstr has no Chinese text")
    if "\n" in msgstr.strip("\n") and "\n" not in msgid.strip("\n"):
        problems.append("line break inside the translation (it would show as a space)")
    bad = re.findall(f"[{HAN}][,.;:?!]", str_rest) + re.findall(f"[,;?!][{HAN}]", str_rest)
    if bad:
        problems.append(f"half-width punctuation next to Chinese text: {bad}")
    if re.search(f"[{HAN}] +[{HAN}]", str_rest):
        problems.append("space between two Chinese characters")
    if re.search(r"[式图表]\s*\{(eq|numref)\}", msgstr):
        problems.append("式/图/表 before {eq} or {numref}: the reference already reads 式 (n) or 图 n")
    if str_rest.count("（") != str_rest.count("）"):
        problems.append("unbalanced full-width parentheses")
    english = id_rest
    compact = re.sub(r"\s+", "", str_rest)
    for term in terms:
        if term.pattern.search(english):
            english = term.pattern.sub(" ", english)
            if re.sub(r"\s+", "", term.chinese) not in compact:
                problems.append(f"glossary: {term.english!r} is {term.chinese!r}")
    return problems


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=LOCALE if path.suffix == ".po" else None)


def expected_messages(pot: Path) -> list[Message]:
    return [m for m in _read(pot) if m.id and not _is_docstring_only(m)]


def check_catalogue(name: str, po: Catalog, expected: Iterable[str] | None,
                    terms: list[Term]) -> Iterator[Problem]:
    if po.locale is None or po.locale != Locale.parse(LOCALE):
        yield Problem(name, "", f"catalogue language is {po.locale}, expected {LOCALE}")
    if po.charset.lower() != "utf-8":
        yield Problem(name, "", f"catalogue charset is {po.charset}, expected UTF-8")
    if po.obsolete:
        yield Problem(name, str(next(iter(po.obsolete))), f"{len(po.obsolete)} obsolete (#~) entries")
    have = {str(m.id): m for m in po if m.id}
    if expected is not None:
        want = list(expected)
        for msgid in want:
            if msgid not in have:
                yield Problem(name, msgid, "missing from the catalogue (run make locale)")
        for msgid in set(have) - set(want):
            yield Problem(name, msgid, "stale: the book no longer has this message")
    keep_english = name.endswith("glossary.po")
    for msgid, m in have.items():
        if m.fuzzy:
            yield Problem(name, msgid, "fuzzy: the English changed; update the translation")
        msgstr = m.string if isinstance(m.string, str) else ""
        for what in check_message(str(msgid), msgstr, terms, keep_english=keep_english):
            yield Problem(name, msgid, what)


# ----------------------------------------------------------------------------- commands

def extract() -> None:
    subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--builder", "custom",
         "--custom-builder", "gettext", "--path-output", str(ROOT / "_build" / "i18n"), "-q",
         "--all"],  # a fresh read: doctrees kept from an older build may lack messages
        check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    built = ROOT / "_build" / "i18n" / "_build" / "gettext"
    if POT_DIR.exists():
        subprocess.run(["rm", "-rf", str(POT_DIR)], check=True)
    built.rename(POT_DIR)


def pots() -> list[Path]:
    found = sorted(POT_DIR.glob("book/*.pot"))
    if not found:
        raise SystemExit(f"no .pot files under {POT_DIR}: run `python .ci/catalogues.py extract`")
    return found


def po_path(pot: Path) -> Path:
    return PO_DIR / pot.relative_to(POT_DIR).with_suffix(".po")


def _write(path: Path, catalog: Catalog) -> None:
    catalog.creation_date = FIXED_DATE
    catalog.revision_date = FIXED_DATE
    catalog.project = "rnn-companion"
    catalog.version = ""
    catalog.language_team = "zh_CN"
    catalog.last_translator = "rnn-companion authors"
    catalog.fuzzy = False
    for m in catalog:
        m.flags.discard("python-format")
        m.flags.discard("python-brace-format")
    buf = io.BytesIO()
    write_po(buf, catalog, width=0, no_location=True, omit_header=False, ignore_obsolete=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())


def merge(po: Catalog | None, expected: Iterable[str]) -> Catalog:
    """`po` brought in step with the English messages `expected`: unchanged ones keep their
    translation, a changed one gets its nearest old translation marked fuzzy, new ones are
    untranslated (notation-only ones copied), and messages the book no longer has are gone."""
    template = Catalog(locale=None)
    for msgid in expected:
        template.add(msgid)
    po = po if po is not None else Catalog(locale=LOCALE)
    po.update(template, no_fuzzy_matching=False)
    po.obsolete.clear()
    for m in po:
        if m.id and not m.string and isinstance(m.id, str) and is_notation_only(m.id):
            m.string = m.id
    return po


def update() -> None:
    wanted = set()
    for pot in pots():
        path = po_path(pot)
        wanted.add(path)
        old = _read(path) if path.exists() else None
        _write(path, merge(old, [str(m.id) for m in expected_messages(pot)]))
    for path in PO_DIR.rglob("*.po"):
        if path not in wanted:
            path.unlink()
            print(f"removed {path.relative_to(ROOT)}: the book has no such page")


def check(no_extract: bool, only: str = "") -> int:
    if not no_extract:
        extract()
    terms = glossary_terms()
    problems: list[Problem] = []
    wanted = set()
    for pot in pots():
        path = po_path(pot)
        wanted.add(path)
        name = str(path.relative_to(ROOT))
        if only not in name:
            continue
        if not path.exists():
            problems.append(Problem(name, "", "catalogue missing (run make locale)"))
            continue
        expected = [str(m.id) for m in expected_messages(pot)]
        problems.extend(check_catalogue(name, _read(path), expected, terms))
    for path in PO_DIR.rglob("*.po"):
        if path not in wanted and not only:
            problems.append(Problem(str(path.relative_to(ROOT)), "", "stale catalogue"))
    for p in problems:
        print(p)
    total = sum(len(expected_messages(pot)) for pot in pots())
    print(f"{len(problems)} problems in the catalogues of {len(wanted)} pages ({total} messages)")
    return 1 if problems else 0


def config() -> str:
    """_config.yml with the Chinese edition's settings (title, language, catalogues)."""
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    text = re.sub(r"^title: .*$", f'title: "{TITLE_ZH}"', text, count=1, flags=re.M)
    text = re.sub(r'^(\s*)math_eqref_format: .*\n', "", text, count=1, flags=re.M)
    anchor = "  config:\n"
    assert anchor in text, "_config.yml has no sphinx: config: section"
    extra = (f"    language: {LOCALE}\n"
             "    locale_dirs: [book/locale/]\n"
             '    math_eqref_format: "式 ({number})"\n')
    return "# Generated by .ci/catalogues.py config from _config.yml: do not edit.\n" + \
        text.replace(anchor, anchor + extra, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["extract", "update", "check", "config"])
    parser.add_argument("--no-extract", action="store_true",
                        help="use the messages already in _build/gettext")
    parser.add_argument("--only", default="", help="check only catalogues whose path has this")
    args = parser.parse_args(argv)
    if args.command == "extract":
        extract()
    elif args.command == "update":
        if not args.no_extract:
            extract()
        update()
    elif args.command == "check":
        return check(args.no_extract, args.only)
    else:
        sys.stdout.write(config())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
