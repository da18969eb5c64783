"""Architecture diagrams (Jordan, Elman, unrolled RNN) and hidden-state plots.

The diagrams are drawn from matplotlib patches (boxes and arrows) and labelled with the
book's symbols, so they are reproducible, crisp at any resolution and stay readable on the
site's light and dark themes (opaque white background, see :mod:`rnn_companion.plotting.style`).
Solid arrows are trained weights; dashed arrows are fixed, untrained connections (the
one-for-one copies with weight 1, and the decay :math:`\\mu` of Jordan's state units).

Shape convention for array inputs (stated once for this module): a hidden-state trajectory
``H`` is a 2-D array of shape ``(T, h)``, row ``t`` holding the hidden state after time step
``t + 1`` for one sequence (pick one sequence of a minibatch, e.g. ``H[:, 0, :]`` of the
``(T, n, h)`` output of :func:`rnn_companion.reference.elman_forward`). NumPy arrays and
(CPU or GPU, with or without gradient) torch tensors are accepted.

Every function takes an optional ``ax``; without it a new figure of an explicit size is
created. Every function returns the :class:`matplotlib.figure.Figure` it drew on.
"""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .._typing import FloatArray
from ..params import ArrayLike
from .style import COLORS, check_int, figure_and_axes, figure_of, new_axes

__all__ = ["draw_jordan", "draw_elman", "draw_unrolled", "plot_hidden_states"]

# role -> colour of a layer's box (edge in full colour, fill tinted)
_ROLE_COLORS = {
    "input": COLORS["green"],
    "hidden": COLORS["blue"],
    "output": COLORS["orange"],
    "state": COLORS["purple"],
}
_BOX_W, _BOX_H = 1.5, 0.62
_LABEL_SIZE = 14
_CAPTION_SIZE = 9
_WEIGHT_SIZE = 11


def _tint(color: str, amount: float = 0.18) -> tuple[float, float, float]:
    """``color`` mixed with white: ``amount`` of the colour, the rest white."""
    r, g, b = (amount * v + (1.0 - amount) for v in mcolors.to_rgb(color))
    return (r, g, b)


def _canvas(ax: Axes | None, xlim: tuple[float, float], ylim: tuple[float, float],
            scale: float = 0.82) -> tuple[Figure, Axes]:
    """A blank, equal-aspect drawing area covering ``xlim`` x ``ylim`` (data units)."""
    if ax is None:
        fig, ax = new_axes((xlim[1] - xlim[0]) * scale, (ylim[1] - ylim[0]) * scale)
        fig.subplots_adjust(left=0.0, right=1.0, bottom=0.0, top=1.0)
    else:
        fig = figure_of(ax)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig, ax


def _box(ax: Axes, x: float, y: float, label: str, role: str, caption: str | None = None,
         *, width: float = _BOX_W, height: float = _BOX_H, caption_below: bool = True) -> None:
    """A rounded box centred at ``(x, y)`` with a math ``label`` and an optional caption."""
    color = _ROLE_COLORS[role]
    patch = FancyBboxPatch(
        (x - width / 2, y - height / 2), width, height,
        boxstyle="round,pad=0.0,rounding_size=0.12",
        facecolor=_tint(color), edgecolor=color, linewidth=1.8, zorder=3,
    )
    patch.set_gid(f"box:{label}")
    ax.add_patch(patch)
    ax.text(x, y, label, ha="center", va="center", fontsize=_LABEL_SIZE, color="black", zorder=4)
    if caption:
        dy = -(height / 2 + 0.06) if caption_below else height / 2 + 0.06
        ax.text(x, y + dy, caption, ha="center", va="top" if caption_below else "bottom",
                fontsize=_CAPTION_SIZE, color="#333333", zorder=4)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float],
           label: str | None = None, *, fixed: bool = False, rad: float = 0.0,
           label_offset: tuple[float, float] = (0.12, 0.0), ha: str = "left",
           color: str | None = None) -> None:
    """An arrow from ``start`` to ``end``; dashed and grey when it is a fixed copy."""
    color = color or (COLORS["grey"] if fixed else "#222222")
    arrow = FancyArrowPatch(
        start, end, arrowstyle="-|>", mutation_scale=15, linewidth=1.6, color=color,
        linestyle=(0, (4, 3)) if fixed else "-", connectionstyle=f"arc3,rad={rad}",
        shrinkA=0.0, shrinkB=0.0, zorder=2,
    )
    ax.add_patch(arrow)
    if label:
        mx = (start[0] + end[0]) / 2 + label_offset[0]
        my = (start[1] + end[1]) / 2 + label_offset[1]
        ax.text(mx, my, label, ha=ha, va="center", fontsize=_WEIGHT_SIZE, color=color, zorder=4)


def _polyline_arrow(ax: Axes, points: list[tuple[float, float]], *, fixed: bool = True) -> None:
    """A right-angled connector through ``points``; the arrow head is on the last segment."""
    color = COLORS["grey"] if fixed else "#222222"
    xs, ys = zip(*points[:-1], strict=True)
    ax.plot(xs, ys, color=color, linewidth=1.6, linestyle=(0, (4, 3)) if fixed else "-",
            solid_capstyle="butt", zorder=2)
    _arrow(ax, points[-2], points[-1], fixed=fixed)


def _legend(ax: Axes, x: float, y: float) -> None:
    ax.text(x, y, "solid: trained weights    dashed: fixed weights (not trained)",
            ha="center", va="center", fontsize=_CAPTION_SIZE, color="#333333")


def _self_loop_left(ax: Axes, x: float, y: float, label: str, *, width: float = _BOX_W) -> None:
    """A fixed (dashed) loop leaving and re-entering the left edge of the box at ``(x, y)``."""
    edge = x - width / 2
    # arc3 with rad < 0 bends to the right of the direction of travel: outwards here
    _arrow(ax, (edge, y - 0.15), (edge, y + 0.15), rad=-2.6, fixed=True)
    ax.text(edge - 0.55, y, label, ha="right", va="center", fontsize=_WEIGHT_SIZE + 1,
            color=COLORS["grey"])


def _three_layers(
    ax: Axes | None, state: str, state_caption: str, input_caption: str, state_weight: str
) -> tuple[Figure, Axes]:
    """The part Jordan's and Elman's diagrams share: input and state/context units below,
    hidden units, output units, and the three trained weights between them."""
    fig, ax = _canvas(ax, (-0.2, 7.4), (-0.95, 4.2))
    x_in, x_state, x_mid = _X_IN, _X_STATE, _X_MID
    y_low, y_hid, y_out = _Y_LOW, _Y_HID, _Y_OUT
    _box(ax, x_in, y_low, r"$\mathbf{x}_t$", "input", input_caption)
    _box(ax, x_state, y_low, state, "state", state_caption)
    _box(ax, x_mid, y_hid, r"$\mathbf{h}_t$", "hidden", None)
    ax.text(x_mid - _BOX_W / 2 - 0.1, y_hid, "hidden units", ha="right", va="center",
            fontsize=_CAPTION_SIZE, color="#333333")
    _box(ax, x_mid, y_out, r"$\mathbf{y}_t$", "output", None)
    ax.text(x_mid - _BOX_W / 2 - 0.1, y_out, "output units", ha="right", va="center",
            fontsize=_CAPTION_SIZE, color="#333333")
    top, bottom = _BOX_H / 2, -_BOX_H / 2
    _arrow(ax, (x_in + 0.2, y_low + top), (x_mid - 0.35, y_hid + bottom), r"$W_{xh}$",
           label_offset=(-0.25, 0.05), ha="right")
    _arrow(ax, (x_state - 0.2, y_low + top), (x_mid + 0.35, y_hid + bottom), state_weight,
           label_offset=(0.25, 0.05))
    _arrow(ax, (x_mid, y_hid + top), (x_mid, y_out + bottom), r"$W_{hy}$")
    return fig, ax


_X_IN, _X_STATE, _X_MID = 1.3, 4.7, 3.0
_Y_LOW, _Y_HID, _Y_OUT = 0.4, 2.0, 3.55


def draw_jordan(ax: Axes | None = None, *, self_loop: bool = True) -> Figure:
    """Draw a Jordan (1986) network: the output is fed back through state units.

    Layers: input (plan) units :math:`\\mathbf{x}_t`, state units :math:`\\mathbf{s}_t`,
    hidden units :math:`\\mathbf{h}_t`, output units :math:`\\mathbf{y}_t`. The output is
    copied one-for-one (weight 1) into the state units at the next step; with
    ``self_loop=True`` the state units also keep a decaying copy of themselves (fixed
    weight :math:`\\mu`), as in the standard formulation :math:`\\mathbf{s}_t = \\mu\\mathbf{s}_{t-1}
    + \\mathbf{y}_{t-1}`.

    Parameters
    ----------
    ax
        Axes to draw on; a new 6 x 4.5 inch figure when omitted.
    self_loop
        Draw the state units' self-connection :math:`\\mu`.

    Returns
    -------
    Figure
        The figure holding the diagram.
    """
    fig, ax = _three_layers(ax, r"$\mathbf{s}_t$", "state units", "input (plan) units", r"$W_{sh}$")
    x_state, x_mid, y_low, y_out = _X_STATE, _X_MID, _Y_LOW, _Y_OUT
    right = 6.75
    _polyline_arrow(ax, [(x_mid + _BOX_W / 2, y_out), (right, y_out), (right, y_low),
                         (x_state + _BOX_W / 2, y_low)])
    ax.text(right + 0.1, (y_out + y_low) / 2 + 0.25, r"$\mathbf{y}_{t-1}$", ha="left",
            va="center", fontsize=_WEIGHT_SIZE, color=COLORS["grey"])
    ax.text(right - 0.1, (y_out + y_low) / 2 - 0.35, "copy,\nweight 1", ha="right",
            va="center", fontsize=_CAPTION_SIZE, color=COLORS["grey"])
    if self_loop:
        _self_loop_left(ax, x_state, y_low, r"$\mu$")
    _legend(ax, 3.6, -0.72)
    return fig


def draw_elman(ax: Axes | None = None) -> Figure:
    """Draw an Elman (1990) simple recurrent network: the hidden layer feeds itself back.

    Layers: input units :math:`\\mathbf{x}_t`, context units :math:`\\mathbf{c}_t`, hidden
    units :math:`\\mathbf{h}_t`, output units :math:`\\mathbf{y}_t`. The hidden layer is
    copied one-for-one (weight 1) into the context units, so :math:`\\mathbf{c}_t =
    \\mathbf{h}_{t-1}`, and the context feeds the hidden layer through the trained
    weights :math:`W_{hh}`.

    Parameters
    ----------
    ax
        Axes to draw on; a new 6 x 4.5 inch figure when omitted.

    Returns
    -------
    Figure
        The figure holding the diagram.
    """
    fig, ax = _three_layers(ax, r"$\mathbf{c}_t$", "context units", "input units", r"$W_{hh}$")
    x_ctx, x_mid, y_low, y_hid = _X_STATE, _X_MID, _Y_LOW, _Y_HID
    right = 6.2
    _polyline_arrow(ax, [(x_mid + _BOX_W / 2, y_hid), (right, y_hid), (right, y_low),
                         (x_ctx + _BOX_W / 2, y_low)])
    ax.text(right + 0.1, (y_hid + y_low) / 2 + 0.05, r"$\mathbf{h}_{t-1}$", ha="left",
            va="center", fontsize=_WEIGHT_SIZE, color=COLORS["grey"])
    ax.text(x_mid + _BOX_W / 2 + 0.15, y_hid + 0.2, "copy, weight 1", ha="left",
            va="bottom", fontsize=_CAPTION_SIZE, color=COLORS["grey"])
    _legend(ax, 3.6, -0.72)
    return fig


def draw_unrolled(steps: int = 4, ax: Axes | None = None, *, output: bool = True,
                  folded: bool = True) -> Figure:
    """Draw an Elman RNN unrolled through ``steps`` time steps.

    Each column is one time step :math:`t`: the input :math:`\\mathbf{X}_t` enters through
    :math:`W_{xh}`, the previous hidden state :math:`\\mathbf{H}_{t-1}` through
    :math:`W_{hh}` (starting from :math:`\\mathbf{H}_0`), and the output
    :math:`\\mathbf{O}_t` leaves through :math:`W_{hq}`. Every column carries the same weight
    labels: the parameters are shared across time steps.

    Parameters
    ----------
    steps
        Number of time steps to draw (1 to 8).
    ax
        Axes to draw on; a new figure sized to the number of steps when omitted.
    output
        Draw the output layer :math:`\\mathbf{O}_t`.
    folded
        Also draw the folded network (a cell with a self-loop) on the left, followed by "=".

    Returns
    -------
    Figure
        The figure holding the diagram.

    Raises
    ------
    ValueError
        If ``steps`` is not an integer from 1 to 8.
    """
    steps = check_int("steps", steps, 1, 8)
    w, h = 1.15, 0.6
    dx = 2.05
    y_x, y_h, y_o = 0.0, 1.7, 3.4 if output else 1.7
    x0 = 3.0 if folded else 0.0  # the H_0 box
    first = x0 + 2.0
    xmax = first + (steps - 1) * dx + w / 2 + 0.3
    ytop = (y_o if output else y_h) + h / 2 + 0.3
    fig, ax = _canvas(ax, (-0.9 if folded else -0.7, xmax), (-0.95, ytop), scale=0.62)

    if folded:
        _box(ax, 0.0, y_x, r"$\mathbf{X}_t$", "input", width=w, height=h)
        _box(ax, 0.0, y_h, r"$\mathbf{H}_t$", "hidden", width=w, height=h)
        _arrow(ax, (0.0, y_x + h / 2), (0.0, y_h - h / 2), r"$W_{xh}$")
        if output:
            _box(ax, 0.0, y_o, r"$\mathbf{O}_t$", "output", width=w, height=h)
            _arrow(ax, (0.0, y_h + h / 2), (0.0, y_o - h / 2), r"$W_{hq}$")
        # self-loop on the right side of the folded cell
        _arrow(ax, (w / 2, y_h + 0.15), (w / 2, y_h - 0.15), rad=-2.6)
        ax.text(w / 2 + 0.55, y_h, r"$W_{hh}$", ha="left", va="center", fontsize=_WEIGHT_SIZE)
        ax.text(1.95, y_h, "=", ha="center", va="center", fontsize=22, color="#222222")
        ax.text(0.0, -0.75, "folded", ha="center", va="center", fontsize=_CAPTION_SIZE,
                color="#333333")

    _box(ax, x0, y_h, r"$\mathbf{H}_0$", "hidden", width=0.8 * w, height=h)
    prev_right = x0 + 0.4 * w
    for i in range(steps):
        t = i + 1
        cx = first + i * dx
        _box(ax, cx, y_x, rf"$\mathbf{{X}}_{{{t}}}$", "input", width=w, height=h)
        _box(ax, cx, y_h, rf"$\mathbf{{H}}_{{{t}}}$", "hidden", width=w, height=h)
        _arrow(ax, (cx, y_x + h / 2), (cx, y_h - h / 2), r"$W_{xh}$")
        if output:
            _box(ax, cx, y_o, rf"$\mathbf{{O}}_{{{t}}}$", "output", width=w, height=h)
            _arrow(ax, (cx, y_h + h / 2), (cx, y_o - h / 2), r"$W_{hq}$")
        _arrow(ax, (prev_right, y_h), (cx - w / 2, y_h), r"$W_{hh}$",
               label_offset=(0.0, 0.22), ha="center")
        prev_right = cx + w / 2
        ax.text(cx, -0.75, f"time step {t}", ha="center", va="center",
                fontsize=_CAPTION_SIZE, color="#333333")
    return fig


def _as_array(H: ArrayLike) -> FloatArray:
    if hasattr(H, "detach"):  # torch.Tensor, without importing torch here
        H = H.detach().cpu().numpy()
    return np.asarray(H, dtype=np.float64)


def plot_hidden_states(H: ArrayLike, ax: Axes | None = None, *, kind: str = "heatmap",
                       title: str | None = None, vmax: float | None = None) -> Figure:
    """Plot how a hidden state evolves over a sequence.

    Parameters
    ----------
    H
        Hidden states of one sequence, shape ``(T, h)`` (time steps x hidden units).
    ax
        Axes to draw on; a new 6.4 x 3.2 inch figure when omitted.
    kind
        ``"heatmap"``: one row per hidden unit, one column per time step, a diverging colour
        map centred at 0; ``"lines"``: one line per hidden unit.
    title
        Optional axes title.
    vmax
        Colour limit of the heatmap (symmetric, ``[-vmax, vmax]``); default 1 when every
        value lies in [-1, 1] (tanh units), else the largest absolute value.

    Returns
    -------
    Figure
        The figure holding the plot.

    Raises
    ------
    ValueError
        If ``H`` is not 2-D, is empty, or ``kind`` is unknown.
    """
    arr = _as_array(H)
    if arr.ndim != 2:
        raise ValueError(
            f"H must be a 2-D array of shape (T, h) (time steps, hidden units); "
            f"got an array with ndim={arr.ndim} and shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"H must not be empty; got shape {arr.shape}")
    if kind not in ("heatmap", "lines"):
        raise ValueError(f"kind must be 'heatmap' or 'lines', got {kind!r}")
    T, n_units = arr.shape
    fig, ax = figure_and_axes(ax, 6.4, 3.2)
    steps = np.arange(1, T + 1)
    if kind == "heatmap":
        if vmax is None:
            peak = float(np.max(np.abs(arr)))
            vmax = 1.0 if peak <= 1.0 else peak
        image = ax.imshow(arr.T, aspect="auto", cmap="RdBu_r", vmin=-vmax, vmax=vmax,
                          origin="lower", interpolation="nearest",
                          extent=(0.5, T + 0.5, 0.5, n_units + 0.5))
        ax.grid(False)
        ax.set_ylabel("hidden unit")
        if n_units <= 12:
            ax.set_yticks(np.arange(1, n_units + 1))
        colorbar = fig.colorbar(image, ax=ax, pad=0.02)
        colorbar.set_label("activation")
    else:
        for j in range(n_units):
            ax.plot(steps, arr[:, j], marker="o", markersize=3, linewidth=1.4,
                    label=f"unit {j + 1}")
        ax.set_ylabel("activation")
        if n_units <= 8:
            ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    ax.set_xlabel("time step $t$")
    if T <= 20:
        ax.set_xticks(steps)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
