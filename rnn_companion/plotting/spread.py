"""Results over several seeds: the mean as a line, the range (minimum to maximum) as a band.

Shape convention (stated once for this module): a curve is a 2-D array ``(len(x), n_seeds)``,
row ``i`` holding the values of every seed at ``x[i]``. NumPy arrays and nested sequences
are accepted. The function takes an optional ``ax`` and returns the
:class:`matplotlib.figure.Figure` it drew on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .style import COLORS, CYCLE, figure_and_axes

__all__ = ["plot_mean_and_range"]

_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def plot_mean_and_range(
    x: Sequence[float],
    curves: Mapping[str, ArrayLike],
    ax: Axes | None = None,
    *,
    chance: float | None = None,
    xlabel: str = "",
    ylabel: str = "",
    title: str | None = None,
) -> Figure:
    """One line per curve at the mean over seeds, with a shaded band from the minimum to the maximum.

    Parameters
    ----------
    x
        Positions on the horizontal axis (e.g. delays or positions in a sequence).
    curves
        label -> values ``(len(x), n_seeds)``.
    ax
        Axes to draw on; a new 6.4 x 3.6 inch figure when omitted.
    chance
        If given, a dotted grey horizontal line labelled "chance".
    xlabel, ylabel, title
        Axis labels and an optional title.

    Returns
    -------
    Figure
        The figure holding the plot.

    Raises
    ------
    ValueError
        If a curve is not 2-D with ``len(x)`` rows, or ``curves`` is empty.
    """
    if not curves:
        raise ValueError("curves must hold at least one curve, got an empty mapping")
    xs = np.asarray(x, dtype=float)
    fig, ax = figure_and_axes(ax, 6.4, 3.6)
    for i, (label, values) in enumerate(curves.items()):
        arr = np.asarray(values, dtype=float)
        if arr.ndim != 2 or arr.shape[0] != len(xs):
            raise ValueError(f"curve {label!r} must have shape (len(x), n_seeds) = ({len(xs)}, n_seeds), "
                             f"got {arr.shape}")
        color = CYCLE[i % len(CYCLE)]
        ax.fill_between(xs, arr.min(axis=1), arr.max(axis=1), color=color, alpha=0.18, linewidth=0)
        ax.plot(xs, arr.mean(axis=1), color=color, marker=_MARKERS[i % len(_MARKERS)], markersize=4,
                linewidth=1.6, label=f"{label}")
    if chance is not None:
        ax.axhline(chance, color=COLORS["grey"], linestyle=":", linewidth=1.2, label="chance")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return fig
