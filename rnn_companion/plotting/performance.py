"""Plots of stored benchmark results (the JSON written by ``rnn-companion-bench --json``).

Nothing here times anything, and nothing here builds a table: every function draws a run, the
dictionary that :func:`rnn_companion.bench.report.load_runs` returns for one JSON file (its schema is
:class:`rnn_companion.bench.report.BenchRun`), selecting records with
:func:`rnn_companion.bench.report.records`. Sizes are ``(T, batch, input, hidden)`` as in the benchmark.
Every function takes an optional ``ax`` (``axes`` for several panels) and returns the Figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..bench.report import BenchRecord, overhead_model, records, step_flops
from .style import COLORS, figure_and_axes, figure_of, new_grid

__all__ = [
    "CONTENDER_COLORS",
    "plot_ratios",
    "plot_roofline",
]

#: Colour of each contender in every benchmark figure.
CONTENDER_COLORS = {
    "torch": COLORS["black"],
    "elman": COLORS["blue"],
    "numpy": COLORS["orange"],
    "torch_nocudnn": COLORS["red"],
}
_MARKERS = {"torch": "o", "elman": "s", "numpy": "^", "torch_nocudnn": "D"}
_PASS_TITLES = {"fwd": "forward (inference)", "fwd_bwd": "forward + backward"}


def _case_label(r: BenchRecord) -> str:
    return f"{r['size']} L={r['layers']}"


def plot_ratios(run: Mapping[str, object], device: str = "cpu", *, axes: Sequence[Axes] | None = None,
                width: float = 9.0, height: float = 3.6) -> Figure:
    """Bar chart of each contender's time relative to ``torch.nn.RNN`` (log scale).

    One panel per pass; groups are (size, layers); bars are the median ratio with the
    interquartile range of the contender's samples (divided by the baseline's median) as
    error bar; a short black dash marks the target where the project sets one. ``axes``: one
    per pass present in the run (a new figure of ``width`` x ``height`` inches when ``None``).

    Returns
    -------
    Figure
        The figure (call ``plt.show()`` to display it).
    """
    passes = [p for p in ("fwd", "fwd_bwd") if records(run, device=device, pass_=p)]
    if axes is None:
        fig, grid = new_grid(width, height, ncols=len(passes), sharey=True)
        panels = grid[0]
    else:
        panels = list(axes)
        fig = figure_of(panels[0])
    rows_all = records(run, device=device)
    contenders = [c for c in ("elman", "numpy", "torch_nocudnn") if any(r["contender"] == c for r in rows_all)]
    ratios_seen = [r["ratio"] for r in rows_all] + [1.0]
    for ax, p in zip(panels, passes, strict=True):
        bases = records(run, device=device, pass_=p, contender="torch")
        xs = np.arange(len(bases))
        w = 0.8 / max(1, len(contenders))
        for j, c in enumerate(contenders):
            label = None
            for i, base in enumerate(bases):
                key = (base["size"], base["layers"], base["device"])
                r = next((x for x in records(run, device=device, pass_=p, contender=c)
                          if (x["size"], x["layers"], x["device"]) == key), None)
                if r is None:
                    continue
                label = r["label"]
                x = xs[i] + (j - (len(contenders) - 1) / 2) * w
                lo, hi = r["q1_s"] / base["median_s"], r["q3_s"] / base["median_s"]
                ax.bar(x, r["ratio"], width=w * 0.9, color=CONTENDER_COLORS[c], bottom=0,
                       label=label if i == 0 else None)
                ax.errorbar(x, r["ratio"], yerr=[[max(r["ratio"] - lo, 0)], [max(hi - r["ratio"], 0)]],
                            color=COLORS["grey"], capsize=2, lw=1)
                ratios_seen += [lo, hi]
                if r["target"] is not None:
                    ax.plot([x - w * 0.45, x + w * 0.45], [r["target"]] * 2, color="black", lw=2.5,
                            solid_capstyle="butt")
        ax.axhline(1.0, color=CONTENDER_COLORS["torch"], lw=1, ls="--")
        ax.set_xticks(xs, [_case_label(b) for b in bases], rotation=0, fontsize=8)
        ax.set_title(_PASS_TITLES[p])
        ax.set_yscale("log")
        ax.grid(axis="x", visible=False)
    nice = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
    lo = 0.9 * max([t for t in nice if t <= 0.9 * min(ratios_seen)] or [0.9 * min(ratios_seen)])
    hi = max(1.25 * max(ratios_seen), 1.5)
    panels[0].set_ylim(lo, hi)
    ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0,
                         200.0, 500.0, 1000.0, 2000.0, 5000.0)
             if lo <= t <= hi]
    panels[0].set_yticks(ticks, [f"{t:g}" for t in ticks])
    panels[0].minorticks_off()
    panels[-1].minorticks_off()
    panels[0].set_ylabel("time / time of torch.nn.RNN")
    handles, labels = panels[0].get_legend_handles_labels()
    if any(r["target"] is not None for r in rows_all):
        handles.append(Line2D([], [], color="black", lw=2.5))
        labels.append("target")
    handles.append(Line2D([], [], color=CONTENDER_COLORS["torch"], lw=1, ls="--"))
    labels.append("torch.nn.RNN" + (" (cuDNN)" if device == "cuda" else ""))
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def plot_roofline(run: Mapping[str, object], device: str = "cpu", *, pass_: str = "fwd",
                  overheads: Sequence[tuple[str, float]] | None = None, ax: Axes | None = None,
                  width: float = 6.4, height: float = 4.0) -> Figure:
    """Achieved GFLOP/s against the work of one time step, with the floor of
    :func:`~rnn_companion.bench.report.overhead_model`.

    Parameters
    ----------
    run
        A benchmark run; its ``floor[device]`` gives the rate of its GEMM probe (the flat roof; a
        measurement of one square GEMM, not the processor's hard peak).
    device, pass_
        Which records to draw.
    overheads
        ``(label, seconds per step)`` pairs, each drawn as a model curve under the roof; default:
        the run's measured ``step_overhead_s`` of a tiny ``addmm_`` + ``tanh_`` loop.
    ax
        Where to draw; a new figure of ``width`` x ``height`` inches when ``None``.

    Returns
    -------
    Figure
    """
    floors = run["floor"]
    assert isinstance(floors, dict)
    floor: dict[str, float] = floors[next(d for d in floors if d.split(":")[0] == device)]
    peak = floor["peak_gflops"] * 1e9
    if overheads is None:
        overheads = [("tiny addmm_ + tanh_ step", floor["step_overhead_s"])]
    fig, ax = figure_and_axes(ax, width, height)
    rows = records(run, device=device, pass_=pass_)
    works = np.array([step_flops(r) for r in rows])
    grid = np.logspace(np.log10(works.min()) - 0.3, np.log10(works.max()) + 0.3, 200)
    ax.plot(grid, np.full_like(grid, peak / 1e9), color=COLORS["grey"], lw=2,
            label=f"GEMM probe ({floor['peak_gflops']:.0f} GFLOP/s)")
    styles = ["--", ":", "-."]
    for k, (label, o) in enumerate(overheads):
        ax.plot(grid, overhead_model(grid, peak, o) / 1e9, color=COLORS["grey"], ls=styles[k % 3], lw=1.2,
                label=f"floor, {label}: {o * 1e6:.1f} µs/step")
    for c in ("torch", "elman", "numpy", "torch_nocudnn"):
        sel = [r for r in rows if r["contender"] == c]
        if not sel:
            continue
        ax.plot([step_flops(r) for r in sel], [r["flops"] / r["median_s"] / 1e9 for r in sel],
                _MARKERS[c], color=CONTENDER_COLORS[c], label=sel[0]["label"], ms=6, alpha=0.85, ls="none")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("FLOP per time step and layer, $w$")
    ax.set_ylabel("achieved GFLOP/s")
    ax.set_title(f"{_PASS_TITLES[pass_]}, {device.upper()}, float32")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
