"""Parameter counts and figures for the chapters on parameter sharing and ``torch.nn.RNN``.

Shape conventions (stated once for this module): sizes use the book's source notation,
``d`` inputs, ``h`` hidden units, ``q`` outputs and ``T`` time steps. Per-step gradient
contributions are arrays of shape ``(T, ...)`` (one slice per time step). A ``torch.nn.RNN``
output is ``(T, N, D * H)`` and its final state ``h_n`` is ``(D * num_layers, N, H)``
(sequence-first layout).

The counting functions need only the standard library; the figure functions use matplotlib
with the book's style (:mod:`rnn_companion.plotting.style`).
"""

from __future__ import annotations

# typing's aliases rather than collections.abc: Sphinx resolves ``typing`` names in the
# API reference without intersphinx (the book builds offline, nitpicky)
from typing import Any, Iterable, Mapping  # noqa: UP035

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from .style import COLORS, new_figure

__all__ = [
    "elman_param_count",
    "window_mlp_param_count",
    "unshared_rnn_param_count",
    "plot_param_count_vs_steps",
    "plot_step_contributions",
    "plot_bidirectional_output",
]


def _check_sizes(**sizes: Any) -> None:
    """Raise unless every size is a positive ``int`` (``bool`` is rejected)."""
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(
                f"{name} must be a positive int; expected an int >= 1, received {value!r}"
            )
        if value < 1:
            raise ValueError(
                f"{name} must be a positive int; expected an int >= 1, received {value}"
            )


def elman_param_count(d: int, h: int, q: int, *, torch_biases: bool = False) -> int:
    """Parameters of an Elman RNN with an output layer, in the source notation.

    ``W_xh`` (d, h), ``W_hh`` (h, h), ``b_h`` (1, h), ``W_hq`` (h, q) and ``b_q`` (1, q):
    ``d*h + h*h + h + h*q + q``, whatever the number of time steps.

    Parameters
    ----------
    d
        Input size (features per time step).
    h
        Hidden size.
    q
        Output size.
    torch_biases
        Count two hidden biases (``bias_ih`` and ``bias_hh``, as ``torch.nn.RNN`` stores them)
        instead of the single ``b_h``: adds ``h``.

    Raises
    ------
    ValueError
        If a size is not a positive integer.
    """
    _check_sizes(d=d, h=h, q=q)
    return int(d * h + h * h + (2 if torch_biases else 1) * h + h * q + q)


def window_mlp_param_count(d: int, h: int, q: int, steps: int) -> int:
    """Parameters of a one-hidden-layer MLP that reads ``steps`` concatenated inputs.

    The hidden layer maps the ``steps * d`` concatenated inputs to ``h`` units and the
    output layer maps them to ``q``: ``steps*d*h + h + h*q + q``, which grows with ``steps``.

    Parameters
    ----------
    d
        Input size (features per time step).
    h
        Hidden size.
    q
        Output size.
    steps
        Window length ``T``: how many time steps the MLP reads at once.

    Raises
    ------
    ValueError
        If a size is not a positive integer.
    """
    _check_sizes(d=d, h=h, q=q, steps=steps)
    return int(steps * d * h + h + h * q + q)


def unshared_rnn_param_count(d: int, h: int, q: int, steps: int) -> int:
    """Parameters of an unrolled Elman RNN with its own ``W_xh, W_hh, b_h`` at every step.

    ``steps * (d*h + h*h + h) + h*q + q`` (one output layer shared, as in the text): what
    the recurrence would cost without parameter sharing.

    Parameters
    ----------
    d
        Input size (features per time step).
    h
        Hidden size.
    q
        Output size.
    steps
        Number of time steps ``T``, each with its own recurrent weights.

    Raises
    ------
    ValueError
        If a size is not a positive integer.
    """
    _check_sizes(d=d, h=h, q=q, steps=steps)
    return int(steps * (d * h + h * h + h) + h * q + q)


def plot_param_count_vs_steps(
    d: int,
    h: int,
    q: int,
    steps: Iterable[int] = range(1, 51),
    *,
    unshared: bool = True,
    width: float = 6.4,
    height: float = 3.6,
) -> Any:
    """Plot parameter counts against the number of time steps ``T``.

    Draws the Elman RNN's constant count (:func:`elman_param_count`), the window MLP's
    (:func:`window_mlp_param_count`) and, when ``unshared`` is true, an unrolled RNN without
    sharing (:func:`unshared_rnn_param_count`).

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
    _check_sizes(d=d, h=h, q=q)
    ts = [int(t) for t in steps]
    if not ts:
        raise ValueError("steps must hold at least one time-step count; expected >= 1 values, received 0")
    for t in ts:
        _check_sizes(steps=t)
    fig, ax = new_figure(width, height)
    rnn = [elman_param_count(d, h, q)] * len(ts)
    ax.plot(ts, rnn, color=COLORS["blue"], lw=2.2,
            label="Elman RNN (one set of weights for all steps)")
    ax.plot(ts, [window_mlp_param_count(d, h, q, t) for t in ts], color=COLORS["orange"],
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
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{int(v):,}"))
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_step_contributions(
    contributions: Mapping[str, Any],
    *,
    width: float = 6.4,
    height: float = 3.4,
) -> Any:
    """Bar chart of the Frobenius norm of each time step's gradient contribution.

    Parameters
    ----------
    contributions
        Maps a parameter name (e.g. ``"W_hh"``) to an array of shape ``(T, ...)``: slice ``t``
        is the contribution of step ``t + 1`` to that parameter's gradient. Every entry must
        have the same ``T``. Tensors are accepted (detached and moved to the CPU).
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
    arrays: dict[str, np.ndarray] = {}
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
    fig, ax = new_figure(width, height)
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
    output: Any,
    h_n: Any,
    *,
    batch_index: int = 0,
    width: float = 6.4,
    height: float = 3.6,
) -> Any:
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
    fig, ax = new_figure(width, height)
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


def _as_array(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=float)
