"""The book's figure style: explicit sizes, a colour-blind-safe palette, an opaque
white background so that figures stay readable in the site's light and dark themes."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt

# Okabe-Ito palette (colour-blind safe)
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "red": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#7F7F7F",
}
CYCLE = [COLORS[k] for k in ("blue", "orange", "green", "red", "purple", "sky", "black")]

RC = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "axes.prop_cycle": mpl.cycler(color=CYCLE),
}


def use_book_style() -> None:
    """Apply the book's matplotlib settings globally."""
    mpl.rcParams.update(RC)


def new_figure(width: float = 6.4, height: float = 3.6, **kwargs: Any) -> tuple[Any, Any]:
    """``plt.subplots`` with an explicit size and the book's style applied."""
    use_book_style()
    return plt.subplots(figsize=(width, height), **kwargs)
