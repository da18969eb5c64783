"""Local Sphinx extension for the book's site.

- Serves MathJax from the site itself: copies ``book/_vendor/mathjax`` into
  ``_static/mathjax`` (``mathjax_path`` in ``_config.yml`` points there), so pages
  make no third-party request and read offline.
- Adds ``static/book_site.css``: on narrow screens display math, code and outputs scroll
  inside their block instead of being cut off.
- Unhooks sphinx-thebe (live code is not used; it would name a third-party script).
- Two editions, English and Chinese (``language: zh_CN``, built from the catalogues in
  ``book/locale``; README.md). Every page gets a link to the same page in the other edition
  (the Chinese site lives in ``zh_CN/`` beside the English one) and ``hreflang`` alternates.
  Translated paragraphs keep their glued values: a ``{glue:text}`` role in a translation is
  resolved from the page's own notebook, as in the English text. The Chinese site's search
  segments words with jieba, taught the glossary's terms (``book/glossary.md``).
- The repository's public URL is one setting, the environment variable
  ``BOOK_REPOSITORY_URL`` (the GitHub workflow sets it from the repository it runs in;
  ``BOOK_REPOSITORY_BRANCH`` defaults to ``main``). With it, every page gets the
  repository, issue and edit buttons and the Colab and Binder launch buttons; without
  it the site invents no address and shows only the download buttons.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.fileutil import copy_asset

VENDOR = Path(__file__).resolve().parent.parent / "_vendor" / "mathjax"
STATIC = Path(__file__).resolve().parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates"
LOCALES = Path(__file__).resolve().parent / "locale"  # fallbacks for extensions' own messages
GLOSSARY = Path(__file__).resolve().parent.parent / "glossary.md"
ZH_DIR = "zh_CN"  # the Chinese site's folder inside the English one
_HAN = re.compile(r"[\u3400-\u9fff]")


def glossary_pairs(path: Path = GLOSSARY) -> list[tuple[str, str]]:
    """The glossary page's table as (English, Chinese) rows, in the page's order."""
    rows: list[tuple[str, str]] = []
    in_table = False
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2:
            in_table = False
        elif set(cells[0]) <= set("-: "):
            in_table = True  # the row under the header
        elif in_table and _HAN.search(cells[1]):
            rows.append((cells[0], cells[1]))
    return rows


def is_chinese(language: str | None) -> bool:
    return (language or "").lower().replace("-", "_").startswith("zh")


def other_edition(pagename: str, chinese: bool) -> str:
    """Relative URL, from page `pagename` of one edition, of the same page in the other."""
    up = "../" * pagename.count("/")
    return f"{up}../{pagename}.html" if chinese else f"{up}{ZH_DIR}/{pagename}.html"


def _language_switch(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                     doctree: Any) -> None:
    chinese = is_chinese(app.config.language)
    url = other_edition(pagename, chinese)
    here = pagename.rsplit("/", 1)[-1] + ".html"
    other, this = ("en", "zh-CN") if chinese else ("zh-CN", "en")
    context["book_language_switch"] = {
        "url": url,
        "label": "English" if chinese else "中文",
        "lang": "en" if chinese else "zh-CN",
        "title": "Read this page in English" if chinese else "阅读本页的中文版",
    }
    alternates = (f'<link rel="alternate" hreflang="{other}" href="{url}">\n'
                  f'<link rel="alternate" hreflang="{this}" href="{here}">\n')
    context["metatags"] = context.get("metatags", "") + alternates


def _edition_settings(app: Sphinx, config: Config) -> None:
    options = dict(config.html_theme_options or {})
    end = options.get("article_header_end") or ["article-header-buttons.html"]
    if isinstance(end, str):
        end = [e.strip() for e in end.split(",") if e.strip()]
    options["article_header_end"] = ["language-switch.html", *end]
    config.html_theme_options = options
    config.templates_path = [*config.templates_path, str(TEMPLATES)]
    if not config.html_favicon:  # a page without one makes browsers ask for /favicon.ico
        config.html_favicon = str(STATIC / "favicon.svg")
    if is_chinese(config.language):
        # jieba (sphinx.search.zh) splits Chinese text into words; the glossary's terms are
        # added to its dictionary so that 隐状态 or 时间步 is one search word.
        terms = Path(app.doctreedir) / "jieba-glossary.txt"
        terms.parent.mkdir(parents=True, exist_ok=True)
        terms.write_text("".join(f"{zh} 20000 n\n" for _, zh in glossary_pairs()), encoding="utf-8")
        config.html_search_options = {**(config.html_search_options or {}), "dict": str(terms)}


_GLUE_ROLE = re.compile(r"\{glue:(text|any)?\}`(?![^`]*::)([^`]+)`")


def glue_from_notebook(source: str, notebook: str) -> str:
    """``{glue:text}`key:fmt``` -> ``{glue:text}`<notebook>::key:fmt```: the same value, looked
    up in the named notebook's stored outputs rather than in the paragraph being parsed."""

    def rewrite(m: re.Match[str]) -> str:
        kind, content = m.group(1) or "", m.group(2)
        if kind == "text" and ":" not in content:
            content += ":s"  # the role's default format, written out (`a::b` would read b as one)
        return f"{{glue:{kind}}}`{notebook}::{content}`"

    return _GLUE_ROLE.sub(rewrite, source)


def _translated_glue() -> None:
    """A translated paragraph is parsed on its own, without its notebook's glue data, so a
    ``{glue:text}`key``` in it would find nothing: name the page's own notebook instead."""
    from sphinx.transforms import i18n

    if getattr(i18n.publish_msgstr, "_book_site", False):
        return
    original = i18n.publish_msgstr

    def publish_msgstr(app: Sphinx, source: str, source_path: str, source_line: int,
                       config: Config, settings: Any) -> Any:
        if "{glue" in source and source_path.endswith(".ipynb"):
            source = glue_from_notebook(source, Path(source_path).name)
        return original(app, source, source_path, source_line, config, settings)

    publish_msgstr._book_site = True  # type: ignore[attr-defined]
    i18n.publish_msgstr = publish_msgstr


def _repository_settings(app: Sphinx, config: Config) -> None:
    options = dict(config.html_theme_options or {})
    url = os.environ.get("BOOK_REPOSITORY_URL", "").strip().rstrip("/")
    if url:
        options.update(
            repository_url=url,
            repository_branch=os.environ.get("BOOK_REPOSITORY_BRANCH", "main"),
            path_to_docs="",
            use_repository_button=True,
            use_issues_button=True,
            use_edit_page_button=True,
        )
    else:
        # Jupyter Book's default would point at its own repository: clear it, and the
        # Colab/Binder links that need it.
        options.update(repository_url="", launch_buttons={})
    config.html_theme_options = options
    # An empty default mode makes the theme log a console error on a reader's first visit.
    config.html_context = {"default_mode": "auto", **(config.html_context or {})}


class ExerciseTitlesAreMessages(SphinxTransform):
    """sphinx-exercise builds an exercise's title (``{exercise} Which network can learn it?``)
    without a source, so gettext would neither extract nor translate it. Give it its
    directive's place; this runs just before translation (sphinx.transforms.i18n.Locale, 20)."""

    default_priority = 15

    def apply(self, **kwargs: Any) -> None:
        try:
            from sphinx_exercise.nodes import exercise_subtitle
        except ImportError:  # pragma: no cover - the book always has sphinx-exercise
            return
        for node in self.document.findall(exercise_subtitle):
            if node.source:
                continue
            holder = next((a for a in node.traverse(include_self=False, ascend=True, descend=False)
                           if getattr(a, "source", None)), None)
            node.source = holder.source if holder is not None else self.document["source"]
            node.line = holder.line if holder is not None else 1
            node.rawsource = node.astext()


class TocCaptionsTranslated(SphinxTransform):
    """sphinx-external-toc inserts the root page's toctrees (priority 100), after the page was
    translated (20): translate their captions (the parts of ``_toc.yml``) from the root page's
    catalogue, where the gettext builder puts them."""

    default_priority = 101

    def apply(self, **kwargs: Any) -> None:
        if not self.config.language or self.config.language == "en":
            return
        from sphinx import addnodes
        from sphinx.locale import init as init_locale
        from sphinx.util.i18n import docname_to_domain

        tocs = [t for t in self.document.findall(addnodes.toctree) if t.get("caption")]
        if not tocs:
            return
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        dirs = [str(Path(self.env.srcdir) / d) for d in self.config.locale_dirs]
        catalog, found = init_locale(dirs, self.config.language, domain)
        if not found:
            return
        for toc in tocs:
            toc["caption"] = toc["rawcaption"] = catalog.gettext(toc["caption"])


def _message(text: str, source: str | None, line: int | None) -> nodes.paragraph:
    """A paragraph holding ``text`` that the gettext builder extracts as a message from ``source``
    (it needs a source and skips a node without a ``uid``)."""
    copy = nodes.paragraph(text, text)
    copy.source, copy.line = source, line
    copy.uid = uuid.uuid4().hex
    return copy


class ExerciseTitlesForGettext(SphinxPostTransform):
    """sphinx-exercise's post-transform (priority 20) folds the title into a new node without
    a source, after translation but before the gettext builder reads the page: leave the
    gettext builder a copy of each title to extract."""

    default_priority = 19
    builders = ("gettext",)

    def run(self, **kwargs: Any) -> None:
        from sphinx_exercise.nodes import exercise_subtitle

        for node in list(self.document.findall(exercise_subtitle)):
            node.parent.parent.append(_message(node.rawsource or node.astext(), node.source, node.line))


class ExerciseTitlesFullWidth(SphinxPostTransform):
    """In a Chinese page an exercise's title reads 练习 2.1（标题）: sphinx-exercise joins number
    and title with ASCII parentheses (its post-transform, priority 20)."""

    default_priority = 25

    def run(self, **kwargs: Any) -> None:
        if not is_chinese(self.config.language):
            return
        from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node

        for node in self.document.findall(lambda n: isinstance(n, (exercise_node, exercise_enumerable_node))):
            title = node.children[0] if node.children else None
            if not isinstance(title, nodes.title):
                continue
            for text in list(title.findall(nodes.Text)):
                if str(text) in (" (", ")"):
                    text.parent.replace(text, nodes.Text("（" if str(text) == " (" else "）"))


class AltTextForGettext(SphinxPostTransform):
    """A figure's alt text is translated with the page (Sphinx translates an image's ``alt``),
    but myst-nb drops a notebook's images from the gettext builder's copy of the page
    (SelectMimeType, priority 4, keeps text/plain there): extract the alt texts before that."""

    default_priority = 3
    builders = ("gettext",)

    def run(self, **kwargs: Any) -> None:
        for image in list(self.document.findall(nodes.image)):
            alt = image.get("alt")
            if not alt:
                continue
            self.document.append(_message(alt, image.source or self.document["source"], image.line or 1))


def _extension_catalogues(app: Sphinx) -> None:
    """Compile and register the fallback catalogues in ``_ext/locale`` (sphinx-exercise's)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in LOCALES.glob("*/LC_MESSAGES/*.po"):
        with po.open("rb") as f:
            catalog = read_po(f)
        with po.with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog)
    for domain in {po.stem for po in LOCALES.glob("*/LC_MESSAGES/*.po")}:
        app.add_message_catalog(domain, str(LOCALES))


def _drop_thebe(app: Sphinx) -> None:
    """Jupyter Book always loads sphinx-thebe; the book does not use live code, and its
    script (declared twice, a console error) names a third-party URL. Unhook it."""
    for event, listeners in app.events.listeners.items():
        app.events.listeners[event] = [
            listener for listener in listeners
            if getattr(listener.handler, "__name__", "") not in ("init_thebe_core", "update_thebe_context")
        ]


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        copy_asset(str(VENDOR), str(Path(app.outdir) / "_static" / "mathjax"))


def _add_static(app: Sphinx) -> None:
    app.config.html_static_path = [*app.config.html_static_path, str(STATIC)]


def setup(app: Sphinx) -> dict[str, Any]:
    _drop_thebe(app)
    _translated_glue()
    app.connect("config-inited", _repository_settings)
    app.connect("config-inited", _edition_settings)
    app.connect("html-page-context", _language_switch)
    app.connect("build-finished", _copy_mathjax)
    app.connect("builder-inited", _add_static)
    app.add_css_file("book_site.css")
    app.add_transform(ExerciseTitlesAreMessages)
    app.add_transform(TocCaptionsTranslated)
    app.add_post_transform(ExerciseTitlesForGettext)
    app.add_post_transform(ExerciseTitlesFullWidth)
    app.add_post_transform(AltTextForGettext)
    _extension_catalogues(app)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
