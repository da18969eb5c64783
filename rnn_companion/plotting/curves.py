"""Training curves and gradient-norm plots for the training chapters.

Shape conventions (stated once for this module): curves are 1-D sequences indexed by epoch or
step (x values ``1..len``); gradient norms are 1-D arrays indexed by the distance ``T - t``
between a hidden state and the loss (``0..T-1``). Every function draws on ``ax`` (a new
figure from :func:`rnn_companion.plotting.style.new_figure` when ``None``) and returns the axes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .style import COLORS, CYCLE, new_figure

__all__ = ["plot_perplexity", "plot_loss_curves", "plot_grad_norms"]

_DASHES = ("--", ":", "-.", (0, (5, 1, 1, 1)))


def _axes(ax: Any, width: float = 6.4, height: float = 3.6) -> Any:
    if ax is None:
        _, ax = new_figure(width, height)
    return ax


def _finish(ax: Any, xlabel: str, ylabel: str, logy: bool) -> Any:
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return ax


def plot_perplexity(
    curves: Mapping[str, Sequence[float]],
    *,
    optimum: float | None = None,
    baselines: Mapping[str, float] | None = None,
    ax: Any = None,
    xlabel: str = "epoch",
    ylabel: str = "perplexity",
    logy: bool = False,
) -> Any:
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
    ax = _axes(ax)
    for i, (label, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=3, color=CYCLE[i % len(CYCLE)], label=label)
    for j, (label, value) in enumerate((baselines or {}).items()):
        ax.axhline(value, color=COLORS["grey"], ls=_DASHES[j % len(_DASHES)], lw=1.2, label=f"{label} ({value:.3f})")
    if optimum is not None:
        ax.axhline(optimum, color=COLORS["black"], lw=1.5, label=f"optimum ({optimum:.3f})")
    return _finish(ax, xlabel, ylabel, logy)


def plot_loss_curves(
    curves: Mapping[str, Sequence[float]],
    *,
    ax: Any = None,
    xlabel: str = "step",
    ylabel: str = "training loss",
    logy: bool = True,
) -> Any:
    """Several loss curves on one axes (log scale by default); non-finite values leave gaps."""
    ax = _axes(ax)
    for i, (label, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=float)
        values = np.where(np.isfinite(values), values, np.nan)
        ax.plot(np.arange(1, len(values) + 1), values, color=CYCLE[i % len(CYCLE)], lw=1.2, label=label)
    return _finish(ax, xlabel, ylabel, logy)


def plot_grad_norms(
    norms: Mapping[str, Sequence[float]],
    *,
    bounds: Mapping[str, Sequence[float]] | None = None,
    ax: Any = None,
    title: str | None = None,
    ylabel: str = r"$\|\partial L / \partial H_t\|$",
) -> Any:
    """Gradient norm against the distance ``T - t`` to the loss, on a log scale.

    Parameters
    ----------
    norms
        label -> norms at distances ``0, 1, ...`` (solid lines).
    bounds
        label -> an upper bound at the same distances (dotted, same colour as the curve with
        the same label), e.g. ``(gamma * sigma_max(W_hh)) ** d``.
    """
    ax = _axes(ax)
    for i, (label, values) in enumerate(norms.items()):
        color = CYCLE[i % len(CYCLE)]
        values = np.asarray(values, dtype=float)
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
    return ax
