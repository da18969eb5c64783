"""The book's figure style: explicit sizes, a colour-blind-safe palette, an opaque
white background so that figures stay readable in the site's light and dark themes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure

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

RC: dict[str, object] = {
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
    "axes.prop_cycle": cycler(color=CYCLE),
}


def use_book_style() -> None:
    """Apply the book's matplotlib settings globally."""
    plt.style.use(RC)


def new_figure(
    width: float = 6.4, height: float = 3.6, nrows: int = 1, ncols: int = 1, *, sharex: bool = False,
    sharey: bool = False, squeeze: bool = True,
) -> tuple[Figure, Axes | npt.NDArray[np.object_]]:
    """``plt.subplots`` with an explicit size and the book's style applied.

    Returns the figure and, as ``plt.subplots`` does, one ``Axes`` or an array of them.
    """
    use_book_style()
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), sharex=sharex, sharey=sharey, squeeze=squeeze)
    return fig, axes


def new_axes(width: float = 6.4, height: float = 3.6) -> tuple[Figure, Axes]:
    """A new figure of an explicit size with one ``Axes``, in the book's style."""
    use_book_style()
    fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def new_grid(
    width: float, height: float, nrows: int = 1, ncols: int = 1, *, sharex: bool = False, sharey: bool = False
) -> tuple[Figure, list[list[Axes]]]:
    """A new figure with an ``nrows`` x ``ncols`` grid of ``Axes`` (a list of rows), in the book's style."""
    use_book_style()
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), sharex=sharex, sharey=sharey, squeeze=False)
    return fig, [list(row) for row in axes]


def figure_of(ax: Axes) -> Figure:
    """The top-level figure that holds ``ax``."""
    fig = ax.figure
    while not isinstance(fig, Figure):  # a SubFigure: go up to its parent
        fig = fig.figure
    return fig


def figure_and_axes(ax: Axes | None, width: float, height: float) -> tuple[Figure, Axes]:
    """``(figure_of(ax), ax)``, or a new figure of ``width`` x ``height`` inches when ``ax`` is ``None``."""
    return new_axes(width, height) if ax is None else (figure_of(ax), ax)


def check_int(name: str, value: object, low: int, high: int) -> int:
    """``value`` as an ``int`` if it is an integer from ``low`` to ``high`` (``bool`` is not)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return int(value)
