"""Figures for the chapters on parameter sharing and ``torch.nn.RNN``.

Shape conventions (stated once for this module): sizes use the book's source notation,
``d`` inputs, ``h`` hidden units, ``q`` outputs and ``T`` time steps. Per-step gradient
contributions are arrays of shape ``(T, ...)`` (one slice per time step). A ``torch.nn.RNN``
output is ``(T, N, D * H)`` and its final state ``h_n`` is ``(D * num_layers, N, H)``
(sequence-first layout).

The parameter counts drawn here come from :mod:`rnn_companion.params`. Every function takes an
optional ``ax`` (a new figure of an explicit size when ``None``) and returns the
:class:`~matplotlib.figure.Figure`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

from .._typing import FloatArray
from ..params import ArrayLike, elman_param_count, unshared_rnn_param_count, window_mlp_param_count
from .style import COLORS, figure_and_axes

__all__ = [
    "plot_param_count_vs_steps",
    "plot_step_contributions",
    "plot_bidirectional_output",
]


def plot_param_count_vs_steps(
    d: int,
    h: int,
    q: int,
    steps: Iterable[int] = range(1, 51),
    *,
    unshared: bool = True,
    ax: Axes | None = None,
    width: float = 6.4,
    height: float = 3.6,
) -> Figure:
    """Plot parameter counts against the number of time steps ``T``.

    Draws the Elman RNN's constant count (:func:`~rnn_companion.params.elman_param_count`), the window MLP's
    (:func:`~rnn_companion.params.window_mlp_param_count`) and, when ``unshared`` is true, an unrolled RNN without
    sharing (:func:`~rnn_companion.params.unshared_rnn_param_count`).

    Parameters
    ----------
    d
        Input size (features per time step).
    h
        Hidden size.
    q
        Output size.
    steps
        The values of ``T`` on the horizontal axis (positive integers).
    unshared
        Also draw the unrolled RNN without sharing.
    ax
        Where to draw; a new figure of ``width`` x ``height`` inches when ``None``.
    width
        Figure width in inches.
    height
        Figure height in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a size is not a positive integer or ``steps`` is empty.
    """
    ts = [int(t) for t in steps]
    if not ts:
        raise ValueError("steps must hold at least one time-step count; expected >= 1 values, received 0")
    rnn = [elman_param_count(d, h, q)] * len(ts)  # checks d, h, q
    mlp = [window_mlp_param_count(d, h, q, t) for t in ts]  # checks every t
    fig, ax = figure_and_axes(ax, width, height)
    ax.plot(ts, rnn, color=COLORS["blue"], lw=2.2,
            label="Elman RNN (one set of weights for all steps)")
    ax.plot(ts, mlp, color=COLORS["orange"],
            lw=2.2, ls="--", label=r"MLP over a window of $T$ inputs")
    if unshared:
        ax.plot(ts, [unshared_rnn_param_count(d, h, q, t) for t in ts], color=COLORS["red"],
                lw=2.2, ls=":", label="RNN without sharing (weights per step)")
    ax.set_xlabel(r"number of time steps $T$")
    ax.set_ylabel("number of parameters")
    ax.set_title(f"Parameter count against sequence length ($d={d}$, $h={h}$, $q={q}$)")
    ax.set_xlim(min(ts), max(ts))
    ax.set_ylim(bottom=0)
    ax.ticklabel_format(axis="y", style="plain")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(v):,}"))
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_step_contributions(
    contributions: Mapping[str, ArrayLike],
    *,
    ax: Axes | None = None,
    width: float = 6.4,
    height: float = 3.4,
) -> Figure:
    """Bar chart of the Frobenius norm of each time step's gradient contribution.

    Parameters
    ----------
    contributions
        Maps a parameter name (e.g. ``"W_hh"``) to an array of shape ``(T, ...)``: slice ``t``
        is the contribution of step ``t + 1`` to that parameter's gradient. Every entry must
        have the same ``T``. Tensors are accepted (detached and moved to the CPU).
    ax
        Where to draw; a new figure of ``width`` x ``height`` inches when ``None``.
    width
        Figure width in inches.
    height
        Figure height in inches.

    Returns
    -------
    matplotlib.figure.Figure
        One group of bars per time step; a dashed line per parameter marks the norm of the
        summed gradient, which is at most the sum of the bars (triangle inequality).

    Raises
    ------
    ValueError
        If ``contributions`` is empty, an entry has fewer than one dimension, or the
        entries disagree on ``T``.
    """
    if not contributions:
        raise ValueError("contributions is empty; expected at least one name -> (T, ...) array")
    arrays: dict[str, FloatArray] = {}
    for name, value in contributions.items():
        arr = _as_array(value)
        if arr.ndim < 1 or arr.shape[0] < 1:
            raise ValueError(
                f"contributions[{name!r}] must have shape (T, ...) with T >= 1; received shape {arr.shape}"
            )
        arrays[name] = arr.reshape(arr.shape[0], -1)
    lengths = {name: arr.shape[0] for name, arr in arrays.items()}
    steps = next(iter(lengths.values()))
    if any(n != steps for n in lengths.values()):
        raise ValueError(f"every entry must have the same number of steps T; received {lengths}")
    fig, ax = figure_and_axes(ax, width, height)
    colours = [COLORS[c] for c in ("blue", "orange", "green", "red", "purple", "sky")]
    k = len(arrays)
    top = 0.0
    bar_w = 0.8 / k
    x = np.arange(1, steps + 1)
    for i, (name, arr) in enumerate(arrays.items()):
        colour = colours[i % len(colours)]
        norms = np.linalg.norm(arr, axis=1)
        ax.bar(x + (i - (k - 1) / 2) * bar_w, norms, width=bar_w, color=colour,
               label=rf"step $t$ term of $\partial L/\partial {_tex(name)}$")
        total = float(np.linalg.norm(arr.sum(axis=0)))
        top = max(top, total, float(norms.max()))
        ax.axhline(total, color=colour, ls="--", lw=1.4,
                   label=rf"$\|\partial L/\partial {_tex(name)}\|$ (sum over steps)")
    ax.set_xlabel(r"time step $t$")
    ax.set_ylabel("Frobenius norm")
    ax.set_title("A shared weight's gradient is the sum of per-step terms")
    ax.set_xticks(x if steps <= 20 else x[:: max(1, steps // 10)])
    ax.set_xlim(0.4, steps + 0.6)
    ax.set_ylim(0, 1.45 * top if top > 0 else 1.0)
    ax.legend(loc="upper center", ncol=2, fontsize=8.5)
    fig.tight_layout()
    return fig


def _tex(name: str) -> str:
    """``"W_hh"`` -> ``"W_{hh}"`` for mathtext labels."""
    if "_" in name:
        head, tail = name.split("_", 1)
        return f"{head}_{{{tail}}}"
    return name


def plot_bidirectional_output(
    output: ArrayLike,
    h_n: ArrayLike,
    *,
    batch_index: int = 0,
    ax: Axes | None = None,
    width: float = 6.4,
    height: float = 3.6,
) -> Figure:
    """Show where a one-layer bidirectional RNN's ``h_n`` sits inside its ``output``.

    Draws ``output[:, batch_index, :]`` as a heat map (time down, features across), splits it
    into the forward half ``[:H]`` and the backward half ``[H:]``, and outlines the two rows
    that equal ``h_n[0]`` (forward direction, last step) and ``h_n[1]`` (backward direction,
    first step).

    Parameters
    ----------
    output
        Shape ``(T, N, 2 * H)``, sequence-first (array or tensor).
    h_n
        Shape ``(2, N, H)``.
    batch_index
        Which sequence of the batch to draw.
    ax
        Where to draw; a new figure of ``width`` x ``height`` inches when ``None``.
    width
        Figure width in inches.
    height
        Figure height in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the shapes do not fit a one-layer bidirectional RNN, ``batch_index`` is out of
        range, or the outlined rows do not equal ``h_n`` (up to 1e-5).
    """
    out = _as_array(output)
    hn = _as_array(h_n)
    if out.ndim != 3 or hn.ndim != 3:
        raise ValueError(
            f"expected output of shape (T, N, 2*H) and h_n of shape (2, N, H); "
            f"received {out.shape} and {hn.shape}"
        )
    steps, batch, feat = out.shape
    hidden = hn.shape[2]
    if hn.shape[0] != 2 or hn.shape[1] != batch or feat != 2 * hidden:
        raise ValueError(
            f"expected h_n of shape (2, {batch}, {feat // 2}) for output {out.shape}; received {hn.shape}"
        )
    if not 0 <= batch_index < batch:
        raise ValueError(f"batch_index must be in [0, {batch}); received {batch_index}")
    seq = out[:, batch_index, :]
    if not (np.allclose(seq[-1, :hidden], hn[0, batch_index], atol=1e-5)
            and np.allclose(seq[0, hidden:], hn[1, batch_index], atol=1e-5)):
        raise ValueError("h_n does not match output[-1, :, :H] and output[0, :, H:]; "
                         "expected the final states of a one-layer bidirectional RNN")
    fig, ax = figure_and_axes(ax, width, height)
    ax.grid(False)
    lim = float(np.abs(seq).max()) or 1.0
    im = ax.imshow(seq, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto",
                   extent=(-0.5, feat - 0.5, steps - 0.5, -0.5))
    ax.axvline(hidden - 0.5, color="black", lw=2)
    ax.add_patch(Rectangle((-0.5, steps - 1.5), hidden, 1, fill=False, ec=COLORS["orange"], lw=3))
    ax.add_patch(Rectangle((hidden - 0.5, -0.5), hidden, 1, fill=False, ec=COLORS["green"], lw=3))
    ax.annotate(r"= h_n[0]  (forward, last step)", xy=(hidden / 2 - 0.5, steps - 1),
                xytext=(hidden / 2 - 0.5, steps - 1 - 0.32 * steps), ha="center", fontsize=9,
                color="black", bbox=dict(boxstyle="round", fc="white", ec=COLORS["orange"]),
                arrowprops=dict(arrowstyle="->", color=COLORS["orange"], lw=1.5))
    ax.annotate(r"= h_n[1]  (backward, first step)", xy=(hidden * 1.5 - 0.5, 0),
                xytext=(hidden * 1.5 - 0.5, 0.32 * steps), ha="center", fontsize=9,
                color="black", bbox=dict(boxstyle="round", fc="white", ec=COLORS["green"]),
                arrowprops=dict(arrowstyle="->", color=COLORS["green"], lw=1.5))
    ax.set_xticks([(hidden - 1) / 2, hidden + (hidden - 1) / 2])
    ax.set_xticklabels([f"forward half  [:{hidden}]", f"backward half  [{hidden}:]"])
    ax.set_yticks(range(steps))
    ax.set_yticklabels([str(t) for t in range(steps)])
    ax.set_ylabel("time index in output")
    ax.set_title(f"output[:, {batch_index}, :] of a bidirectional RNN (H = {hidden})")
    cbar = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    cbar.set_label("value")
    fig.tight_layout()
    return fig


def _as_array(value: ArrayLike) -> FloatArray:
    if hasattr(value, "detach"):  # torch.Tensor, without importing torch
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)
