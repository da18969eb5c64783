"""The book's local Sphinx extension: the repository URL is one setting, never invented."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("book_site", ROOT / "book" / "_ext" / "book_site.py")
book_site = importlib.util.module_from_spec(spec)
spec.loader.exec_module(book_site)

# what Jupyter Book puts into html_theme_options by default
JB_DEFAULTS = {
    "repository_url": "https://github.com/executablebooks/jupyter-book",
    "launch_buttons": {"colab_url": "https://colab.research.google.com",
                       "binderhub_url": "https://mybinder.org"},
    "use_repository_button": False,
}


def configured(monkeypatch: pytest.MonkeyPatch, url: str | None) -> SimpleNamespace:
    if url is None:
        monkeypatch.delenv("BOOK_REPOSITORY_URL", raising=False)
    else:
        monkeypatch.setenv("BOOK_REPOSITORY_URL", url)
    monkeypatch.delenv("BOOK_REPOSITORY_BRANCH", raising=False)
    config = SimpleNamespace(html_theme_options=dict(JB_DEFAULTS), html_context={})
    book_site._repository_settings(None, config)
    return config


def test_without_the_setting_no_repository_and_no_launch_buttons(monkeypatch: pytest.MonkeyPatch) -> None:
    options = configured(monkeypatch, None).html_theme_options
    assert options["repository_url"] == ""  # not Jupyter Book's own repository
    assert options["launch_buttons"] == {}
    assert not options["use_repository_button"]


def test_the_setting_turns_on_repository_and_launch_buttons(monkeypatch: pytest.MonkeyPatch) -> None:
    config = configured(monkeypatch, "https://git.example.org/team/book/")
    options = config.html_theme_options
    assert options["repository_url"] == "https://git.example.org/team/book"
    assert options["repository_branch"] == "main"
    assert options["use_repository_button"] and options["use_edit_page_button"]
    assert options["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert config.html_context["default_mode"] == "auto"


def test_the_site_serves_its_own_mathjax() -> None:
    assert (book_site.VENDOR / "tex-chtml-full.js").stat().st_size > 1_000_000
    assert len(list((book_site.VENDOR / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))) >= 20
    config = (ROOT / "_config.yml").read_text()
    assert "mathjax_path: mathjax/tex-chtml-full.js" in config


# ----------------------------------------------------------------- the two editions

@pytest.mark.parametrize(("pagename", "chinese", "expected", "resolves_to"), [
    ("book/02_hidden_state", False, "../zh_CN/book/02_hidden_state.html", "zh_CN/book/02_hidden_state.html"),
    ("book/02_hidden_state", True, "../../book/02_hidden_state.html", "book/02_hidden_state.html"),
    ("search", False, "zh_CN/search.html", "zh_CN/search.html"),
    ("genindex", True, "../genindex.html", "genindex.html"),
])
def test_language_switch_points_at_the_same_page(pagename: str, chinese: bool, expected: str,
                                                 resolves_to: str) -> None:
    url = book_site.other_edition(pagename, chinese)
    assert url == expected
    here = Path("/site") / ("zh_CN" if chinese else "") / pagename
    assert (here.parent / url).resolve() == Path("/site") / resolves_to


def test_glue_roles_in_translations_name_their_notebook() -> None:
    text = ("范数从 {glue:text}`ch2_norm_2:.2f` 降到 {glue:text}`n_distinct`，"
            "见 {glue:text}`other.ipynb::k:.1f` 与 {eq}`eq-x`。")
    assert book_site.glue_from_notebook(text, "02_hidden_state.ipynb") == (
        "范数从 {glue:text}`02_hidden_state.ipynb::ch2_norm_2:.2f` 降到 "
        "{glue:text}`02_hidden_state.ipynb::n_distinct:s`，"
        "见 {glue:text}`other.ipynb::k:.1f` 与 {eq}`eq-x`。")


def test_glossary_table_is_read_row_by_row(tmp_path: Path) -> None:
    page = tmp_path / "glossary.md"
    page.write_text("# Glossary\n\nText (隐状态).\n\n| English | 中文 |\n| --- | --- |\n"
                    "| hidden state | 隐状态 |\n| time step | 时间步 |\n\nAfter | 不是表格\n",
                    encoding="utf-8")
    assert book_site.glossary_pairs(page) == [("hidden state", "隐状态"), ("time step", "时间步")]
    assert len(book_site.glossary_pairs()) >= 60
