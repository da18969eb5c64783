"""Figures of the chapter on gated and linear recurrences: the scan's dependencies, its measured
speed, the precision of the log-space form and accuracy against delay.

Conventions (stated once for this module): every function takes an optional matplotlib ``ax``
(a new figure in the book's style when ``None``) and returns the :class:`~matplotlib.figure.Figure`.
Benchmark runs are the dictionaries of :func:`rnn_companion.bench.scan.load_scan_run`; lengths
``T`` are numbers of time steps; accuracies are fractions in ``[0, 1]`` with one row per seed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..scan import scan_levels
from .style import COLORS, figure_and_axes

__all__ = [
    "SCAN_COLORS",
    "blelloch_rounds",
    "draw_scan_dependencies",
    "plot_scan_times",
    "plot_scan_speedup",
    "plot_error_vs_length",
    "plot_accuracy_vs_delay",
]

#: Colour of each benchmark contender and of each model of the experiment.
SCAN_COLORS = {
    "loop": COLORS["black"],
    "blelloch": COLORS["blue"],
    "hillis_steele": COLORS["orange"],
    "Elman": COLORS["grey"],
    "GRU": COLORS["blue"],
    "LSTM": COLORS["green"],
    "MinGRU": COLORS["red"],
}
_LABELS = {"loop": "Python loop", "blelloch": "Blelloch scan", "hillis_steele": "Hillis-Steele scan"}


def _axes(ax: Axes | None, width: float = 6.4, height: float = 3.6) -> tuple[Figure, Axes]:
    return figure_and_axes(ax, width, height)


def blelloch_rounds(T: int) -> list[list[tuple[int, int]]]:
    """The combinations ``(source, target)`` of each round of :func:`rnn_companion.scan.linear_scan`.

    Up-sweep rounds first (stride ``s = 1, 2, 4, ...``: target ``2s-1, 4s-1, ...`` absorbs
    ``target - s``), then the down-sweep rounds (stride from large to small: target
    ``3s-1, 5s-1, ...`` applies its block to ``target - s``). Indices are 0-based steps.
    """
    levels = scan_levels(T)
    rounds = [[(r - s, r) for r in range(2 * s - 1, T, 2 * s)] for s in levels]
    rounds += [[(j - s, j) for j in range(3 * s - 1, T, 2 * s)] for s in reversed(levels)]
    return [r for r in rounds if r]


def draw_scan_dependencies(T: int = 16, *, ax: Axes | None = None) -> Figure:
    """The rounds of the Blelloch scan over ``T`` steps: one row per round, an arrow per combination.

    Rows from top to bottom are the rounds of :func:`blelloch_rounds` (blue: up-sweep, orange:
    down-sweep); a filled dot is a step updated in that round. Everything in one row can run at
    the same time.
    """
    fig, ax = _axes(ax, 7.0, 4.2)
    rounds = blelloch_rounds(T)
    n_up = len(scan_levels(T))
    for row, pairs in enumerate(rounds, start=1):
        color = COLORS["blue"] if row <= n_up else COLORS["orange"]
        for src, dst in pairs:
            ax.annotate("", xy=(dst + 1, -row), xytext=(src + 1, -row + 1),
                        arrowprops={"arrowstyle": "->", "color": color, "lw": 1.3, "shrinkA": 4, "shrinkB": 4})
        updated = {dst for _, dst in pairs}
        for t in range(T):
            hit = t in updated
            ax.plot(t + 1, -row, "o", ms=6, color=color if hit else "#BBBBBB", mfc=color if hit else "white",
                    zorder=3)
    ax.plot(np.arange(1, T + 1), np.zeros(T), "o", ms=6, color=COLORS["black"], zorder=3)
    ax.set_yticks([0] + [-r for r in range(1, len(rounds) + 1)],
                  ["input"] + [f"up {r}" if r <= n_up else f"down {r - n_up}" for r in range(1, len(rounds) + 1)])
    ax.set_xticks(range(1, T + 1))
    ax.set_xlabel("time step t")
    ax.set_ylim(-len(rounds) - 0.6, 0.6)
    ax.grid(False)
    ax.set_title(f"Blelloch scan, T = {T}: {len(rounds)} rounds instead of {T - 1} dependent steps")
    return fig


def _rows(run: Mapping[str, Any], case: str, contender: str) -> list[dict[str, Any]]:
    return sorted((r for r in run["results"] if r["case"] == case and r["contender"] == contender),
                  key=lambda r: r["T"])


def plot_scan_times(run: Mapping[str, Any], *, case: str = "narrow", ax: Axes | None = None) -> Figure:
    """Median time per call against ``T`` (log-log) for every contender of ``case``, with quartile bars."""
    fig, ax = _axes(ax)
    for name in ("loop", "blelloch", "hillis_steele"):
        rows = _rows(run, case, name)
        if not rows:
            continue
        T = np.array([r["T"] for r in rows])
        med = np.array([r["median_s"] for r in rows])
        err = np.array([[m - r["q1_s"] for m, r in zip(med, rows, strict=True)],
                        [r["q3_s"] - m for m, r in zip(med, rows, strict=True)]])
        ax.errorbar(T, med * 1e3, yerr=err * 1e3, marker="o", ms=4, capsize=2, color=SCAN_COLORS[name],
                    label=_LABELS[name])
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("time per call (ms)")
    first = _rows(run, case, "loop")[0]
    ax.set_title(f"{case}: batch {first['batch']}, width {first['width']}, one thread")
    ax.legend(fontsize=8)
    return fig


def plot_scan_speedup(run: Mapping[str, Any], *, target: float | None = None, ax: Axes | None = None) -> Figure:
    """Speedup of the Blelloch scan over the loop (loop time / scan time) against ``T``, for every case."""
    fig, ax = _axes(ax)
    styles = {"narrow": ("o-", SCAN_COLORS["blelloch"]), "wide": ("s--", COLORS["red"])}
    for case in sorted({r["case"] for r in run["results"]}):
        rows = _rows(run, case, "blelloch")
        style, color = styles.get(case, ("^-", COLORS["grey"]))
        ax.plot([r["T"] for r in rows], [r["speedup"] for r in rows], style, ms=4, color=color,
                label=f"{case} (batch {rows[0]['batch']}, width {rows[0]['width']})")
    ax.axhline(1.0, color=COLORS["black"], lw=1, ls=":", label="as fast as the loop")
    if target is not None:
        ax.axhline(target, color=COLORS["green"], lw=1, ls="--", label=f"target {target:g}x")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("speedup over the loop")
    ax.legend(fontsize=8)
    return fig


def plot_error_vs_length(lengths: Sequence[int], errors: Mapping[str, Sequence[float]], *,
                         ax: Axes | None = None, title: str | None = None) -> Figure:
    """Largest absolute error against a float64 reference, one line per method, against ``T`` (log-log)."""
    fig, ax = _axes(ax)
    markers = iter("os^Dv")
    for name, err in errors.items():
        floor = np.maximum(np.asarray(err, dtype=float), 1e-12)  # exact zeros on a log axis
        ax.plot(lengths, floor, marker=next(markers, "o"), ms=4, label=name)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("max |error| (float32)")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def plot_accuracy_vs_delay(delays: Sequence[int], accuracy: Mapping[str, np.ndarray], *,
                           chance: float | None = None, ax: Axes | None = None) -> Figure:
    """Test accuracy against delay: the mean over seeds as a line, every seed as a dot.

    ``accuracy[name]`` has shape ``(seeds, len(delays))``.
    """
    fig, ax = _axes(ax)
    delays_arr = np.asarray(delays, dtype=float)
    names = list(accuracy)
    for k, name in enumerate(names):
        acc = np.asarray(accuracy[name], dtype=float)
        if acc.ndim != 2 or acc.shape[1] != len(delays_arr):
            raise ValueError(f"accuracy[{name!r}] must be (seeds, {len(delays_arr)}), got {acc.shape}")
        color = SCAN_COLORS.get(name, COLORS["purple"])
        shift = (k - (len(names) - 1) / 2) * 0.012 * (delays_arr.max() - delays_arr.min() + 1)
        for row in acc:
            ax.plot(delays_arr + shift, row, "o", ms=3, alpha=0.5, color=color)
        ax.plot(delays_arr + shift, acc.mean(axis=0), "-", lw=1.6, color=color, label=name)
    if chance is not None:
        ax.axhline(chance, color=COLORS["black"], lw=1, ls=":", label="chance")
    ax.set_xticks(delays_arr)
    ax.set_xlabel("delay D (steps)")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8, ncol=2)
    return fig
