"""Rebuild ``stdlib_prose.txt`` from the docstrings of the running Python's standard library.

Usage: ``python rnn_companion/data/text/make_stdlib_prose.py > stdlib_prose.txt``. The recipe
(README.md beside this file): for each module of :data:`MODULES`, in that order, walk its source
in order (module, then each class and function, depth first) and take every docstring; split it
into paragraphs at blank lines and keep a paragraph only if no line is indented or starts with
``>>>`` or ``...`` (code), it is ASCII, has at least 8 words and ends with a full stop; join its
words with single spaces, skip it if the same paragraph was kept before, and wrap it at 72
columns with :func:`textwrap.fill`. Paragraphs are separated by a blank line; the file ends
with one newline.
"""

from __future__ import annotations

import ast
import sys
import sysconfig
import textwrap
from collections.abc import Iterator
from pathlib import Path

MODULES = (
    "threading",
    "difflib",
    "shutil",
    "statistics",
    "textwrap",
    "random",
    "subprocess",
    "socketserver",
    "inspect",
    "configparser",
)
WIDTH = 72
MIN_WORDS = 8


def docstrings(node: ast.AST) -> Iterator[str]:
    """Docstrings of a module, class or function and of everything defined in it, in source order."""
    if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        doc = ast.get_docstring(node)
        if doc:
            yield doc
    for child in ast.iter_child_nodes(node):
        yield from docstrings(child)


def prose_paragraphs(doc: str) -> Iterator[str]:
    """The paragraphs of a docstring that are English prose, each as one line of single-spaced words."""
    for paragraph in doc.split("\n\n"):
        lines = paragraph.strip("\n").split("\n")
        if any(line[:1].isspace() or line.lstrip().startswith((">>>", "...")) for line in lines):
            continue
        words = paragraph.split()
        text = " ".join(words)
        if text.isascii() and len(words) >= MIN_WORDS and text.endswith("."):
            yield text


def build(stdlib: Path) -> str:
    seen: set[str] = set()
    kept: list[str] = []
    for module in MODULES:
        tree = ast.parse((stdlib / f"{module}.py").read_text(encoding="utf-8"))
        for doc in docstrings(tree):
            for paragraph in prose_paragraphs(doc):
                if paragraph not in seen:
                    seen.add(paragraph)
                    kept.append(textwrap.fill(paragraph, WIDTH))
    return "\n\n".join(kept) + "\n"


if __name__ == "__main__":
    sys.stdout.write(build(Path(sysconfig.get_paths()["stdlib"])))
