"""The character-level language model's figure: cross-entropy per epoch against n-gram baselines.

Shape conventions (stated once for this module): a curve is a 1-D sequence of cross-entropies in
bits per character, one per epoch (plotted at epochs ``1..len``); a baseline is one number in the
same unit. The function draws on ``ax`` (a new figure from
:func:`rnn_companion.plotting.style.new_axes` when ``None``) and returns its figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import COLORS, CYCLE, figure_and_axes

__all__ = ["plot_bits_per_char"]

_DASHES = ("--", ":", "-.", (0, (5, 1, 1, 1)), (0, (3, 1, 1, 1, 1, 1)))
_MARKERS = ("o", "s", "^", "D")


def plot_bits_per_char(
    curves: Mapping[str, Sequence[float]],
    baselines: Mapping[str, float],
    *,
    ax: Axes | None = None,
    xlabel: str = "epoch",
    ylabel: str = "validation cross-entropy (bits per character)",
) -> Figure:
    """Models' cross-entropy per epoch (solid lines with markers) and baselines (grey, dashed).

    Parameters
    ----------
    curves
        label -> bits per character after each epoch, e.g. one curve per implementation.
    baselines
        label -> bits per character of a fixed model, e.g. ``{"trigram": 3.0}``; each is drawn
        across the whole axis and labelled with its value.
    """
    fig, ax = figure_and_axes(ax, 6.4, 3.8)
    for i, (label, values) in enumerate(curves.items()):
        y = np.asarray(values, dtype=float)
        if y.ndim != 1 or len(y) == 0:
            raise ValueError(f"curve {label!r} must be a non-empty 1-D sequence, got shape {y.shape}")
        ax.plot(np.arange(1, len(y) + 1), y, color=CYCLE[i % len(CYCLE)], lw=1.6,
                marker=_MARKERS[i % len(_MARKERS)], ms=3, markevery=max(1, len(y) // 10), label=label)
    for j, (label, value) in enumerate(baselines.items()):
        ax.axhline(value, color=COLORS["grey"], ls=_DASHES[j % len(_DASHES)], lw=1.2, label=f"{label} ({value:.2f})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, loc="upper right", ncol=2)
    return fig
