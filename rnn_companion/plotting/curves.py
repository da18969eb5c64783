"""Training curves and gradient-norm plots for the training chapters.

Shape conventions (stated once for this module): curves are 1-D sequences indexed by epoch or
step (x values ``1..len``); gradient norms are 1-D arrays indexed by the distance ``T - t``
between a hidden state and the loss (``0..T-1``). Every function draws on ``ax`` (a new
figure of an explicit size when ``None``) and returns the :class:`~matplotlib.figure.Figure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .style import COLORS, CYCLE, figure_and_axes

__all__ = ["plot_perplexity", "plot_loss_curves", "plot_grad_norms"]

_DASHES = ("--", ":", "-.", (0, (5, 1, 1, 1)))


def _finish(fig: Figure, ax: Axes, xlabel: str, ylabel: str, logy: bool) -> Figure:
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return fig


def plot_perplexity(
    curves: Mapping[str, Sequence[float]],
    *,
    optimum: float | None = None,
    baselines: Mapping[str, float] | None = None,
    ax: Axes | None = None,
    xlabel: str = "epoch",
    ylabel: str = "perplexity",
    logy: bool = False,
) -> Figure:
    """Perplexity per epoch with the optimum and baselines as horizontal lines.

    Parameters
    ----------
    curves
        label -> perplexity per epoch (plotted at epochs ``1..len``), e.g. training and held-out.
    optimum
        The best achievable perplexity (solid black line), if known.
    baselines
        label -> perplexity of a fixed model (dashed grey lines), e.g. n-gram models.
    """
    fig, ax = figure_and_axes(ax, 6.4, 3.6)
    for i, (label, curve) in enumerate(curves.items()):
        values = np.asarray(curve, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=3, color=CYCLE[i % len(CYCLE)], label=label)
    for j, (label, value) in enumerate((baselines or {}).items()):
        ax.axhline(value, color=COLORS["grey"], ls=_DASHES[j % len(_DASHES)], lw=1.2, label=f"{label} ({value:.3f})")
    if optimum is not None:
        ax.axhline(optimum, color=COLORS["black"], lw=1.5, label=f"optimum ({optimum:.3f})")
    return _finish(fig, ax, xlabel, ylabel, logy)


def plot_loss_curves(
    curves: Mapping[str, Sequence[float]],
    *,
    ax: Axes | None = None,
    xlabel: str = "step",
    ylabel: str = "training loss",
    logy: bool = True,
) -> Figure:
    """Several loss curves on one axes (log scale by default); non-finite values leave gaps."""
    fig, ax = figure_and_axes(ax, 6.4, 3.6)
    for i, (label, curve) in enumerate(curves.items()):
        values = np.asarray(curve, dtype=float)
        values = np.where(np.isfinite(values), values, np.nan)
        ax.plot(np.arange(1, len(values) + 1), values, color=CYCLE[i % len(CYCLE)], lw=1.2, label=label)
    return _finish(fig, ax, xlabel, ylabel, logy)


def plot_grad_norms(
    norms: Mapping[str, Sequence[float]],
    *,
    bounds: Mapping[str, Sequence[float]] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str = r"$\|\partial L / \partial H_t\|$",
) -> Figure:
    """Gradient norm against the distance ``T - t`` to the loss, on a log scale.

    Parameters
    ----------
    norms
        label -> norms at distances ``0, 1, ...`` (solid lines).
    bounds
        label -> an upper bound at the same distances (dotted, same colour as the curve with
        the same label), e.g. ``(gamma * sigma_max(W_hh)) ** d``.
    """
    fig, ax = figure_and_axes(ax, 6.4, 3.6)
    for i, (label, norm) in enumerate(norms.items()):
        color = CYCLE[i % len(CYCLE)]
        values = np.asarray(norm, dtype=float)
        ax.plot(np.arange(len(values)), values, color=color, lw=1.5, label=label)
        if bounds is not None and label in bounds:
            b = np.asarray(bounds[label], dtype=float)
            ax.plot(np.arange(len(b)), b, color=color, lw=1.0, ls=":")
    ax.set_yscale("log")
    ax.set_xlabel(r"distance to the loss $T - t$")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return fig
