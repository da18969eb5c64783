"""Local Sphinx extension for the book's site.

- Serves MathJax from the site itself: copies ``book/_vendor/mathjax`` into
  ``_static/mathjax`` (``mathjax_path`` in ``_config.yml`` points there), so pages
  make no third-party request and read offline.
- Adds ``static/book_site.css``: on narrow screens display math, code and outputs scroll
  inside their block instead of being cut off.
- Unhooks sphinx-thebe (live code is not used; it would name a third-party script).
- The repository's public URL is one setting, the environment variable
  ``BOOK_REPOSITORY_URL`` (the GitHub workflow sets it from the repository it runs in;
  ``BOOK_REPOSITORY_BRANCH`` defaults to ``main``). With it, every page gets the
  repository, issue and edit buttons and the Colab and Binder launch buttons; without
  it the site invents no address and shows only the download buttons.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.fileutil import copy_asset

VENDOR = Path(__file__).resolve().parent.parent / "_vendor" / "mathjax"
STATIC = Path(__file__).resolve().parent / "static"


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


def _drop_thebe(app: Sphinx) -> None:
    """Jupyter Book always loads sphinx-thebe; the book does not use live code, and its
    script (declared twice, a console error) names a third-party URL. Unhook it."""
    for event, listeners in app.events.listeners.items():
        app.events.listeners[event] = [
            l for l in listeners
            if getattr(l.handler, "__name__", "") not in ("init_thebe_core", "update_thebe_context")
        ]


def _copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        copy_asset(str(VENDOR), str(Path(app.outdir) / "_static" / "mathjax"))


def _add_static(app: Sphinx) -> None:
    app.config.html_static_path = [*app.config.html_static_path, str(STATIC)]


def setup(app: Sphinx) -> dict[str, Any]:
    _drop_thebe(app)
    app.connect("config-inited", _repository_settings)
    app.connect("build-finished", _copy_mathjax)
    app.connect("builder-inited", _add_static)
    app.add_css_file("book_site.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
