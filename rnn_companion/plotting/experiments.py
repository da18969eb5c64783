"""Figures of the Elman (1990) and Jordan (1986) reproductions, with the papers' numbers.

Shape convention for array inputs (stated once for this module): results of several
networks are stacked on a leading *network* axis ``S`` (one seed each), e.g. the XOR error
by position is ``(S, 12)``; a single network's stream of per-step errors is ``(T, ...)``.

Every function takes an optional ``ax`` (or ``axes``); without it a new figure of an explicit
size is created. Every function returns the :class:`matplotlib.figure.Figure` it drew on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._typing import FloatArray
from .style import COLORS, figure_and_axes, figure_of, new_grid

__all__ = [
    "plot_xor_cycle",
    "plot_xor_gaps",
    "plot_letter_stream",
    "plot_letter_bars",
    "plot_dendrogram",
    "plot_jordan_learning",
    "plot_jordan_rollout",
]

_METHOD_COLORS = {"elman": COLORS["blue"], "bptt": COLORS["orange"]}


def _panels(axes: Sequence[Axes] | None, width: float, height: float, nrows: int, ncols: int,
            sharex: bool = False, sharey: bool = False) -> tuple[Figure, list[Axes]]:
    """The given ``axes`` and their figure, or a new grid of panels (row-major)."""
    if axes is not None:
        return figure_of(axes[0]), list(axes)
    fig, grid = new_grid(width, height, nrows, ncols, sharex=sharex, sharey=sharey)
    return fig, [a for row in grid for a in row]


def plot_xor_cycle(
    cycle12: Mapping[str, npt.ArrayLike],
    fig3: Sequence[float] | None = None,
    *,
    ax: Axes | None = None,
) -> Figure:
    """Fig. 3-style plot: mean squared error at each of 12 consecutive steps.

    Parameters
    ----------
    cycle12 : dict
        Label -> ``(S, 12)`` error by position (one thin line per network, a thick mean).
    fig3 : list of float, optional
        The 12 values read off Elman's Fig. 3, drawn as black squares.
    ax : Axes, optional
        Where to draw.
    """
    fig, ax = figure_and_axes(ax, 6.4, 3.6)
    x = np.arange(1, 13)
    palette = [COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["purple"]]
    for k, (label, cycle) in enumerate(cycle12.items()):
        values = np.asarray(cycle, dtype=np.float64)
        color = _METHOD_COLORS.get(label.split()[0].lower(), palette[k % len(palette)])
        for row in values:
            ax.plot(x, row, color=color, alpha=0.15, lw=0.8)
        ax.plot(x, values.mean(0), "o-", color=color, lw=2, label=f"{label} (mean of {len(values)})")
    if fig3 is not None:
        ax.plot(x, fig3, "s", color=COLORS["black"], ms=6, label="Elman (1990), Fig. 3 (read off the page)")
    for c in (2, 5, 8, 11):
        ax.axvline(c, color=COLORS["grey"], lw=0.6, ls=":")
    ax.set_xticks(x)
    ax.set_xlim(0.5, 12.5)
    ax.set_ylim(0, 0.62)
    ax.set_xlabel("cycle (input = 1st, 2nd, 3rd bit of a triplet, repeating)")
    ax.set_ylabel("mean squared error")
    ax.legend(fontsize=8, loc="upper center", ncol=2)
    fig.tight_layout()
    return fig


def plot_xor_gaps(gaps: Mapping[str, npt.ArrayLike], threshold: float = 0.05, *, ax: Axes | None = None) -> Figure:
    """One dot per network: how much lower the error is at the predictable position.

    ``gaps`` maps a label to ``(S,)`` values of :func:`rnn_companion.analysis.dip_gap`.
    """
    fig, ax = figure_and_axes(ax, 6.4, 2.8)
    rng = np.random.default_rng(0)  # jitter only
    arrays = {label: np.asarray(g, dtype=np.float64) for label, g in gaps.items()}
    for k, (label, g) in enumerate(arrays.items()):
        color = _METHOD_COLORS.get(label.split()[0].lower(), COLORS["green"])
        ax.scatter(g, k + rng.uniform(-0.15, 0.15, size=g.shape), color=color, s=18)
        n = int((g > threshold).sum())
        ax.text(0.26, k, f" {n}/{len(g)} above {threshold}", va="center", fontsize=8)
    ax.axvline(threshold, color=COLORS["grey"], ls="--", lw=1)
    # ideal predictors: phase-blind (errors 2.5/9, 1/9, 2.5/9) and phase-aware (1/4, 0, 1/4)
    for value, name in ((1 / 6, "phase-blind\nideal"), (0.25, "perfect")):
        ax.axvline(value, color=COLORS["black"], ls=":", lw=1)
        ax.text(value, len(gaps) - 0.45, " " + name, fontsize=8, va="bottom")
    ax.set_yticks(range(len(gaps)), list(gaps))
    ax.set_xlabel("dip: mean error at positions 1 and 3 minus error at position 2")
    ax.set_xlim(left=min(-0.01, min(float(np.min(g)) for g in arrays.values()) - 0.01), right=0.36)
    ax.set_ylim(-0.6, len(gaps) + 0.2)
    fig.tight_layout()
    return fig


def plot_letter_stream(
    targets: str,
    sq: FloatArray,
    *,
    start: int = 0,
    n: int = 20,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Figs. 4 and 5 style: error over ``n`` steps, labelled with the letter to predict.

    Parameters
    ----------
    targets : str
        The letter to be predicted at each step (length ``T``).
    sq : ndarray
        ``(T, 6)`` squared error per bit.
    start, n : int
        The window shown.
    axes : list of Axes, optional
        For the summed error (Fig. 4), bit 1 Consonant (Fig. 5a) and bit 4 High (Fig. 5b).
    """
    fig, panels_ = _panels(axes, 6.4, 6.0, 3, 1, sharex=True)
    sl = slice(start, start + n)
    x = np.arange(n)
    labels = [f"({c})" for c in targets[sl]]
    panels = (
        (sq[sl].sum(1), "summed over 6 bits (Fig. 4)", COLORS["blue"]),
        (sq[sl, 0], "bit 1, Consonant (Fig. 5a; same scale as bit 4)", COLORS["green"]),
        (sq[sl, 3], "bit 4, High (Fig. 5b)", COLORS["orange"]),
    )
    for ax, (values, title, color) in zip(panels_, panels, strict=False):
        ax.plot(x, values, "o-", color=color, ms=3)
        ax.set_ylabel("squared error")
        ax.set_title(title, fontsize=10)
        ax.set_ylim(bottom=0)
    # bits 1 and 4 on the same scale, so that their errors can be compared (Fig. 5)
    top = 1.08 * max(float(sq[sl, 0].max()), float(sq[sl, 3].max()), 1e-3)
    panels_[1].set_ylim(0, top)
    panels_[2].set_ylim(0, top)
    panels_[-1].set_xticks(x, labels, fontsize=8)
    panels_[-1].set_xlabel("letter to be predicted")
    fig.tight_layout()
    return fig


def plot_letter_bars(
    by_letter_bit: npt.ArrayLike,
    floor_bit: FloatArray | None = None,
    *,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Mean error by target letter: summed over bits, bit 1 and bit 4, with the ideal floor.

    ``by_letter_bit`` is ``(S, 6, 6)`` [network, target letter b d g a i u, bit];
    ``floor_bit`` ``(6, 6)`` is the ideal predictor's error (black ticks).
    """
    fig, panels_ = _panels(axes, 7.2, 2.8, 1, 3, sharey=True)
    e = np.asarray(by_letter_bit, dtype=np.float64)
    letters = list("bdgaiu")
    x = np.arange(6)
    panels = (
        (e.sum(-1), None if floor_bit is None else floor_bit.sum(-1), "summed over bits", COLORS["blue"]),
        (e[..., 0], None if floor_bit is None else floor_bit[:, 0], "bit 1 (Consonant)", COLORS["green"]),
        (e[..., 3], None if floor_bit is None else floor_bit[:, 3], "bit 4 (High)", COLORS["orange"]),
    )
    for ax, (vals, floor, title, color) in zip(panels_, panels, strict=False):
        ax.bar(x, vals.mean(0), color=color, alpha=0.8)
        ax.errorbar(x, vals.mean(0), yerr=[vals.mean(0) - vals.min(0), vals.max(0) - vals.mean(0)],
                    fmt="none", color=COLORS["black"], lw=0.8, capsize=2)
        if floor is not None:
            ax.scatter(x, floor, marker="_", s=300, color=COLORS["black"], zorder=3)
        ax.set_xticks(x, letters)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("letter to be predicted")
    panels_[0].set_ylabel("mean squared error")
    fig.tight_layout()
    return fig


def plot_dendrogram(
    Z: FloatArray,
    labels: Sequence[str],
    groups: Mapping[str, Sequence[str]] | None = None,
    *,
    ax: Axes | None = None,
) -> Figure:
    """Fig. 7-style dendrogram (leaves on the left), leaf labels coloured by group.

    Parameters
    ----------
    Z : ndarray
        SciPy linkage matrix.
    labels : list of str
        Leaf names.
    groups : dict, optional
        Group name -> words; each group's labels get a colour (first match wins).
    """
    from scipy.cluster.hierarchy import dendrogram

    fig, ax = figure_and_axes(ax, 6.4, 6.4)
    dendrogram(Z, labels=list(labels), orientation="left", ax=ax, color_threshold=0,
               above_threshold_color=COLORS["grey"], leaf_font_size=9)
    palette = [COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["red"], COLORS["purple"], COLORS["sky"]]
    handles = []
    if groups:
        colour_of: dict[str, str] = {}
        for k, (name, words) in enumerate(groups.items()):
            for w in words:
                colour_of.setdefault(w, palette[k % len(palette)])
            handles.append((name, palette[k % len(palette)]))
        for lab in ax.get_yticklabels():
            lab.set_color(colour_of.get(lab.get_text(), COLORS["black"]))
        for name, color in handles:
            ax.plot([], [], "s", color=color, label=name)
        ax.legend(fontsize=8, loc="lower left")
    ax.set_xlabel("distance at which clusters merge")
    ax.grid(False)
    fig.tight_layout()
    return fig


def plot_jordan_learning(
    curves: Mapping[str, npt.ArrayLike],
    epochs: npt.ArrayLike,
    *,
    ax: Axes | None = None,
) -> Figure:
    """Free-running accuracy against training epochs, one line per label (``(S, E)`` each, mean and range)."""
    fig, ax = figure_and_axes(ax, 6.4, 3.4)
    palette = [COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["red"], COLORS["purple"], COLORS["sky"]]
    for k, (label, curve) in enumerate(curves.items()):
        acc = np.asarray(curve, dtype=np.float64)
        color = palette[k % len(palette)]
        ax.plot(epochs, acc.mean(0), color=color, lw=2, label=label)
        ax.fill_between(epochs, acc.min(0), acc.max(0), color=color, alpha=0.15)
    ax.set_xlabel("training epochs")
    ax.set_ylabel("steps generated correctly")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_jordan_rollout(
    outputs: FloatArray,
    action_names: Sequence[str],
    *,
    perturb_at: int | None = None,
    distance: FloatArray | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """A free-running Jordan network's outputs ``(T, O)`` as a heat map, and its distance to the cycle.

    ``distance`` ``(T,)`` (optional) is drawn below, e.g. the distance of the state to the
    nearest state of the learned cycle; ``perturb_at`` marks the kick.
    """
    nrows = 2 if distance is not None else 1
    fig, panels = _panels(axes, 6.4, 3.8 if nrows == 2 else 2.2, nrows, 1, sharex=True)
    T = outputs.shape[0]
    ax = panels[0]
    ax.imshow(outputs.T, aspect="auto", cmap="Greys", vmin=0, vmax=1,
              extent=(-0.5, T - 0.5, len(action_names) - 0.5, -0.5))
    ax.set_yticks(range(len(action_names)), list(action_names))
    ax.set_ylabel("output unit")
    ax.grid(False)
    if distance is not None:
        panels[1].plot(np.arange(T), distance, color=COLORS["blue"])
        panels[1].set_ylabel("state distance\nto the cycle")
        panels[1].set_ylim(bottom=0)
    for a in panels:
        if perturb_at is not None:
            a.axvline(perturb_at - 0.5, color=COLORS["red"], lw=1.5, ls="--")
    panels[-1].set_xlabel("time step")
    fig.tight_layout()
    return fig
