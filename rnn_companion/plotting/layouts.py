"""Layouts: how ``torch.nn.RNN``'s options arrange the computation, and the 1986/1990 networks
drawn unit by unit.

- :func:`draw_stacked`: ``num_layers=K`` unrolled over a few steps (layer ``k``'s
  :math:`\\mathbf{H}_t` is layer ``k + 1``'s input; where ``h_0``, ``h_n`` and ``output`` sit);
- :func:`draw_bidirectional`: the forward and backward chains of one bidirectional layer, their
  concatenation in ``output`` and the two rows of ``h_n``;
- :func:`draw_packing`: how ``pack_padded_sequence`` lays a padded batch out in ``data``,
  computed from a real ``PackedSequence``'s ``batch_sizes``;
- :func:`draw_srn` and :func:`draw_jordan_units`: Elman's (1990) and Jordan's (1986) networks
  with every unit drawn as a circle, so that the fixed one-for-one copies (weight 1) are visible.

Shape convention (stated once for this module): ``batch_sizes`` is 1-D of length ``T``, the
number of steps of the longest sequence; entry ``t`` is how many sequences have a step ``t + 1``
(non-increasing, as in ``PackedSequence.batch_sizes``). ``sorted_indices`` is 1-D of length
``batch_sizes[0]``: entry ``j`` is the batch index of the ``j``-th longest sequence.

Style as in :mod:`rnn_companion.plotting.diagrams`: boxes and arrows on an opaque white
background; solid arrows are trained weights, dashed grey arrows fixed ones. Every drawn element
carries a ``gid`` (``box:``, ``unit:``, ``arrow:``, ``copy:``, ``loop:``, ``cell:``, ``data:``) so
that tests can count what is drawn. Every function takes an optional ``ax`` and returns the
:class:`matplotlib.figure.Figure` it drew on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle

from .diagrams import _canvas, _tint
from .style import COLORS, check_int

__all__ = ["draw_stacked", "draw_bidirectional", "draw_packing", "draw_srn", "draw_jordan_units", "HasToList"]

_INK, _NOTE = "#222222", "#333333"
_FORWARD, _BACKWARD = COLORS["blue"], COLORS["red"]
_SEQ_COLORS = [COLORS[k] for k in ("blue", "orange", "green", "purple", "sky", "red", "yellow", "grey")]


class HasToList(Protocol):
    """Anything with a ``tolist()`` method, e.g. a torch tensor or a NumPy array."""

    def tolist(self) -> object: ...


def _box(ax: Axes, x: float, y: float, label: str, color: str, *, width: float = 1.15,
         height: float = 0.6, caption: str | None = None, fontsize: int = 14) -> FancyBboxPatch:
    """A rounded box centred at ``(x, y)`` with gid ``box:<label>`` and an optional caption below."""
    patch = FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                           boxstyle="round,pad=0.0,rounding_size=0.12", facecolor=_tint(color),
                           edgecolor=color, linewidth=1.8, zorder=3, gid=f"box:{label}")
    ax.add_patch(patch)
    ax.text(x, y, label, ha="center", va="center", fontsize=fontsize, color="black", zorder=4)
    if caption:
        ax.text(x, y - height / 2 - 0.06, caption, ha="center", va="top", fontsize=9, color=_NOTE,
                family="monospace", zorder=4)
    return patch


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], gid: str, *,
           label: str | None = None, color: str = _INK, fixed: bool = False,
           connection: str = "arc3,rad=0", label_xy: tuple[float, float] | None = None,
           ha: str = "left") -> FancyArrowPatch:
    """An arrow (dashed and grey when ``fixed``) with gid ``arrow:<gid>`` and an optional label,
    by default just right of the arrow's midpoint."""
    color = COLORS["grey"] if fixed else color
    patch = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, linewidth=1.5, color=color,
                            linestyle=(0, (4, 3)) if fixed else "-", connectionstyle=connection,
                            shrinkA=0.0, shrinkB=0.0, zorder=2, gid=f"arrow:{gid}")
    ax.add_patch(patch)
    if label:
        lx, ly = label_xy or ((start[0] + end[0]) / 2 + 0.1, (start[1] + end[1]) / 2)
        ax.text(lx, ly, label, ha=ha, va="center", fontsize=11, color=color, zorder=4)
    return patch


def _note(ax: Axes, x: float, y: float, text: str, *, ha: str = "center", va: str = "center",
          color: str = _NOTE, code: bool = False, size: int = 9) -> None:
    ax.text(x, y, text, ha=ha, va=va, fontsize=size, color=color, zorder=4,
            family="monospace" if code else None)


def draw_stacked(num_layers: int = 2, steps: int = 3, ax: Axes | None = None) -> Figure:
    """Draw ``nn.RNN(num_layers=K)`` unrolled through ``steps`` time steps.

    Row ``k`` holds layer ``k``'s hidden states :math:`\\mathbf{H}^{(k)}_t`; the bottom row is the
    input :math:`\\mathbf{X}_t`. Each layer reads the layer below at the same step (through
    :math:`W^{(k)}_{xh}`) and its own previous state (through :math:`W^{(k)}_{hh}`), starting from
    ``h_0[k-1]``. ``h_n[k-1]`` leaves each row after the last step; ``output`` is the outlined
    top row.

    Raises
    ------
    ValueError
        If ``num_layers`` is not an integer from 1 to 4 or ``steps`` not one from 1 to 6.
    """
    K = check_int("num_layers", num_layers, 1, 4)
    T = check_int("steps", steps, 1, 6)
    w, h, dx, dy = 1.15, 0.6, 2.05, 1.7
    first = 2.0
    last = first + (T - 1) * dx
    fig, ax = _canvas(ax, (-1.9, last + w / 2 + 2.0), (-0.95, K * dy + h / 2 + 1.05), scale=0.62)
    for i in range(T):
        cx = first + i * dx
        _box(ax, cx, 0.0, rf"$\mathbf{{X}}_{{{i + 1}}}$", COLORS["green"], width=w, height=h)
        _note(ax, cx, -0.75, f"time step {i + 1}")
    _note(ax, -0.7, 0.0, "input", ha="right")
    for k in range(1, K + 1):
        y = k * dy
        _note(ax, -0.7, y, f"layer {k}", ha="right")
        _box(ax, 0.0, y, rf"$\mathbf{{H}}^{{({k})}}_0$", COLORS["blue"], width=0.92, height=h,
             caption=f"h_0[{k - 1}]")
        prev_right = 0.46
        for i in range(T):
            cx = first + i * dx
            _box(ax, cx, y, rf"$\mathbf{{H}}^{{({k})}}_{{{i + 1}}}$", COLORS["blue"], width=w, height=h)
            _arrow(ax, (cx, y - dy + h / 2), (cx, y - h / 2), f"W_xh{k}", label=rf"$W^{{({k})}}_{{xh}}$")
            _arrow(ax, (prev_right, y), (cx - w / 2, y), f"W_hh{k}", label=rf"$W^{{({k})}}_{{hh}}$",
                   label_xy=((prev_right + cx - w / 2) / 2, y + 0.24), ha="center")
            prev_right = cx + w / 2
        _arrow(ax, (prev_right, y), (prev_right + 0.75, y), f"h_n{k - 1}")
        _note(ax, prev_right + 0.85, y, f"h_n[{k - 1}]", ha="left", code=True, size=10)
    top = K * dy
    band = FancyBboxPatch((first - w / 2 - 0.15, top - h / 2 - 0.12), last - first + w + 0.3, h + 0.6,
                          boxstyle="round,pad=0.0,rounding_size=0.15", facecolor="none",
                          edgecolor=COLORS["orange"], linewidth=2.0, linestyle=(0, (5, 2)), zorder=1,
                          gid="band:output")
    ax.add_patch(band)
    _note(ax, (first + last) / 2, top + h / 2 + 0.75,
          rf"output[t-1] = $\mathbf{{H}}^{{({K})}}_t$, the top layer, at every step", color=_INK, size=10)
    return fig


def draw_bidirectional(steps: int = 4, ax: Axes | None = None) -> Figure:
    """Draw one bidirectional RNN layer unrolled through ``steps`` time steps.

    The forward chain :math:`\\overrightarrow{\\mathbf{H}}_t` (blue) runs left to right from
    ``h_0[0]``, the backward chain :math:`\\overleftarrow{\\mathbf{H}}_t` (vermillion) right to
    left from ``h_0[1]``; both read every :math:`\\mathbf{X}_t`. ``output[t-1]`` concatenates the
    two states of step ``t``; ``h_n[0]`` is the forward state after the *last* step and
    ``h_n[1]`` the backward state after the *first* one.

    Raises
    ------
    ValueError
        If ``steps`` is not an integer from 2 to 6.
    """
    T = check_int("steps", steps, 2, 6)
    w, h, dx, shift = 1.0, 0.6, 2.3, 0.3
    y_f, y_b, y_o = 1.7, 3.2, 4.9
    last = (T - 1) * dx
    fig, ax = _canvas(ax, (-3.4, last + dx + shift + w / 2 + 0.3), (-1.35, y_o + h / 2 + 0.5), scale=0.5)
    right_arrow, left_arrow = r"\overrightarrow{\mathbf{H}}", r"\overleftarrow{\mathbf{H}}"
    # initial states: forward on the left, backward on the right
    _box(ax, -dx - shift, y_f, rf"${right_arrow}_0$", _FORWARD, width=w, height=h, caption="h_0[0]")
    _box(ax, last + dx + shift, y_b, rf"${left_arrow}_{{{T + 1}}}$", _BACKWARD, width=w, height=h,
         caption="h_0[1]")
    for i in range(T):
        cx, t = i * dx, i + 1
        _box(ax, cx, 0.0, rf"$\mathbf{{X}}_{{{t}}}$", COLORS["green"], width=w + 0.15, height=h)
        _note(ax, cx, -0.75, f"time step {t}")
        _box(ax, cx - shift, y_f, rf"${right_arrow}_{{{t}}}$", _FORWARD, width=w, height=h)
        _box(ax, cx + shift, y_b, rf"${left_arrow}_{{{t}}}$", _BACKWARD, width=w, height=h)
        # chains: forward from the left neighbour, backward from the right neighbour
        _arrow(ax, (cx - dx - shift + w / 2, y_f), (cx - shift - w / 2, y_f), "forward", color=_FORWARD)
        _arrow(ax, (cx + dx + shift - w / 2, y_b), (cx + shift + w / 2, y_b), "backward", color=_BACKWARD)
        # both directions read X_t; both feed output[t-1]
        _arrow(ax, (cx - shift, h / 2), (cx - shift, y_f - h / 2), "x_forward", color=_FORWARD)
        _arrow(ax, (cx + 0.45, h / 2), (cx + 0.45, y_b - h / 2), "x_backward", color=_BACKWARD)
        _arrow(ax, (cx - 0.45, y_f + h / 2), (cx - 0.45, y_o - h / 2), "out_forward", color=_FORWARD)
        _arrow(ax, (cx + shift, y_b + h / 2), (cx + shift, y_o - h / 2), "out_backward", color=_BACKWARD)
        _concat_box(ax, cx, y_o, t, h)
    _arrow(ax, (last - shift + w / 2, y_f), (last - shift + w / 2 + 0.7, y_f), "h_n0", color=_FORWARD)
    _note(ax, last - shift + w / 2 + 0.8, y_f, "h_n[0]", ha="left", code=True, size=10)
    _arrow(ax, (shift - w / 2, y_b), (shift - w / 2 - 0.7, y_b), "h_n1", color=_BACKWARD)
    _note(ax, shift - w / 2 - 0.8, y_b, "h_n[1]", ha="right", code=True, size=10)
    _note(ax, last / 2, -1.15, "blue: forward direction, left to right    "
          "vermillion: backward direction, right to left")
    return fig


def _concat_box(ax: Axes, x: float, y: float, t: int, h: float) -> None:
    """``output[t-1]``: a box split into the forward half (left) and the backward half (right)."""
    half = 0.8
    for side, color, arrow in ((-1, _FORWARD, r"\overrightarrow"), (1, _BACKWARD, r"\overleftarrow")):
        x0 = x - half if side < 0 else x
        ax.add_patch(Rectangle((x0, y - h / 2), half, h, facecolor=_tint(color, 0.25), edgecolor="none",
                               zorder=3))
        ax.text(x + side * half / 2, y, rf"${arrow}{{\mathbf{{H}}}}_{{{t}}}$", ha="center", va="center",
                fontsize=12, color="black", zorder=4)
    ax.add_patch(FancyBboxPatch((x - half, y - h / 2), 2 * half, h, boxstyle="round,pad=0.0,rounding_size=0.08",
                                facecolor="none", edgecolor=COLORS["orange"], linewidth=1.8, zorder=4,
                                gid=f"box:output[{t - 1}]"))
    ax.plot([x, x], [y - h / 2, y + h / 2], color=COLORS["orange"], linewidth=1.2, zorder=4)
    _note(ax, x, y + h / 2 + 0.08, f"output[{t - 1}]", va="bottom", code=True)


def _int_list(values: Sequence[int] | HasToList, name: str) -> list[int]:
    raw = values.tolist() if hasattr(values, "tolist") else values
    if not isinstance(raw, (list, tuple)) or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
        raise ValueError(f"{name} must be a 1-D sequence of integers, got {values!r}")
    return list(raw)


def draw_packing(batch_sizes: Sequence[int] | HasToList, ax: Axes | None = None, *,
                 sorted_indices: Sequence[int] | HasToList | None = None) -> Figure:
    """Draw how a ``PackedSequence`` lays out a padded batch, from its ``batch_sizes``.

    Top: the padded batch, one row per sequence (longest first, labelled with its batch index
    from ``sorted_indices``), one column per time step; a real step shows its row index in
    ``packed.data``, padding is grey. Column ``t`` has ``batch_sizes[t]`` real steps, printed
    under it. Bottom: ``packed.data`` itself, time step after time step.

    Parameters
    ----------
    batch_sizes
        ``packed.batch_sizes`` (a tensor, array or sequence of non-increasing positive ints).
    ax
        Axes to draw on; a new figure sized to the batch when omitted.
    sorted_indices
        ``packed.sorted_indices``; ``None`` (as ``pack_sequence`` gives for sorted input) means
        the batch is already sorted.

    Raises
    ------
    ValueError
        If ``batch_sizes`` is empty, not positive and non-increasing, longer than 12 or wider than
        8, or ``sorted_indices`` is not a permutation of ``range(batch_sizes[0])``.
    """
    sizes = _int_list(batch_sizes, "batch_sizes")
    if not 1 <= len(sizes) <= 12 or any(b < 1 for b in sizes) or sizes != sorted(sizes, reverse=True) \
            or sizes[0] > 8:
        raise ValueError("batch_sizes must hold 1 to 12 positive, non-increasing integers, the first at "
                         f"most 8; got {sizes}")
    B, T = sizes[0], len(sizes)
    order = list(range(B)) if sorted_indices is None else _int_list(sorted_indices, "sorted_indices")
    if sorted(order) != list(range(B)):
        raise ValueError(f"sorted_indices must be a permutation of range({B}), got {order}")
    lengths = [sum(b > j for b in sizes) for j in range(B)]
    offsets = [sum(sizes[:t]) for t in range(T)]  # where step t starts in data
    c, gap = 0.7, 0.15
    n_data = offsets[-1] + sizes[-1]
    strip_width = n_data * c + (T - 1) * gap
    y_grid = 0.0  # top edge of the grid
    y_sizes = y_grid - B * c - 0.35
    y_strip = y_sizes - 1.05  # top edge of the data strip
    fig, ax = _canvas(ax, (-3.9, max(T * c, strip_width) + 0.3), (y_strip - c - 0.8, 0.75), scale=0.62)
    for t in range(T):
        _note(ax, (t + 0.5) * c, y_grid + 0.25, f"t={t + 1}")
        _note(ax, (t + 0.5) * c, y_sizes, str(sizes[t]), color=_INK, size=10)
    _note(ax, -0.2, y_sizes, "batch_sizes", ha="right", code=True)
    for j in range(B):
        color = _SEQ_COLORS[j % len(_SEQ_COLORS)]
        y = y_grid - (j + 1) * c
        _note(ax, -0.2, y + c / 2, f"sequence {order[j]}, length {lengths[j]}", ha="right")
        for t in range(T):
            real = t < lengths[j]
            ax.add_patch(Rectangle((t * c, y), c, c, facecolor=_tint(color, 0.3) if real else "#E6E6E6",
                                   edgecolor=color if real else "#BBBBBB", linewidth=1.2, zorder=3,
                                   hatch=None if real else "///", gid=f"cell:{j}:{t}:{'real' if real else 'pad'}"))
            _note(ax, (t + 0.5) * c, y + c / 2, str(offsets[t] + j) if real else "pad",
                  color="black" if real else "#777777", size=9 if real else 7)
    _note(ax, -0.2, y_strip - c / 2, "packed.data", ha="right", code=True)
    for t in range(T):
        x0 = offsets[t] * c + t * gap
        for j in range(sizes[t]):
            color = _SEQ_COLORS[j % len(_SEQ_COLORS)]
            ax.add_patch(Rectangle((x0 + j * c, y_strip - c), c, c, facecolor=_tint(color, 0.3), edgecolor=color,
                                   linewidth=1.2, zorder=3, gid=f"data:{offsets[t] + j}:{order[j]}:{t}"))
            _note(ax, x0 + (j + 0.5) * c, y_strip - c / 2, str(offsets[t] + j), color="black")
        x1 = x0 + sizes[t] * c
        ax.plot([x0 + 0.04, x0 + 0.04, x1 - 0.04, x1 - 0.04], [y_strip - c - 0.08, y_strip - c - 0.16,
                y_strip - c - 0.16, y_strip - c - 0.08], color=_INK, linewidth=1.0)
        _note(ax, (x0 + x1) / 2, y_strip - c - 0.38, f"t={t + 1}")
    return fig


def _unit_slots(n: int, max_units: int) -> list[int | None]:
    """The unit indices drawn for a layer of ``n`` units: all, or the first few, ``None`` for the
    ellipsis, and the last."""
    return list(range(n)) if n <= max_units else [*range(max_units - 2), None, n - 1]


def _layer(ax: Axes, name: str, x: float, y: float, n: int, symbol: str, color: str, max_units: int, *,
           extra_height: float = 0.0) -> tuple[list[float], float]:
    """A layer box holding its units as circles, its symbol on the left; returns the x of each
    drawn unit (in slot order, the ellipsis skipped) and the box's width."""
    slots = _unit_slots(n, max_units)
    spacing, head = 0.42, 0.65
    width = head + len(slots) * spacing + 0.1
    height = 0.6 + extra_height
    left = x - width / 2
    ax.add_patch(FancyBboxPatch((left, y - 0.3), width, height, boxstyle="round,pad=0.0,rounding_size=0.12",
                                facecolor=_tint(color), edgecolor=color, linewidth=1.8, zorder=1,
                                gid=f"box:{name}"))
    ax.text(left + 0.35, y, symbol, ha="center", va="center", fontsize=13, color="black", zorder=4)
    xs = []
    for s, unit in enumerate(slots):
        ux = left + head + (s + 0.5) * spacing
        if unit is None:
            ax.text(ux, y, r"$\cdots$", ha="center", va="center", fontsize=11, color="black", zorder=4)
            continue
        ax.add_patch(Circle((ux, y), 0.15, facecolor="white", edgecolor=color, linewidth=1.5, zorder=3,
                            gid=f"unit:{name}:{unit}"))
        xs.append(ux)
    return xs, width


def _check_sizes(sizes: dict[str, int], max_units: int) -> None:
    check_int("max_units", max_units, 4, 20)
    for name, n in sizes.items():
        check_int(name, n, 1, 10_000)


def draw_srn(n_input: int, n_hidden: int, n_output: int, ax: Axes | None = None, *,
             max_units: int = 12) -> Figure:
    """Draw Elman's (1990) simple recurrent network with ``n_input``, ``n_hidden`` (and as many
    context) and ``n_output`` units, every unit a circle (layers wider than ``max_units`` are
    shown with an ellipsis).

    Each hidden unit is copied into its own context unit with the fixed weight 1 (dashed); the
    context units, which start at 0.5, feed all hidden units through the trained :math:`W_{ch}`,
    the input units through :math:`W_{xh}`, and the hidden units feed the output units through
    :math:`W_{hy}`. Hidden and output units are logistic sigmoids :math:`\\sigma`.

    Raises
    ------
    ValueError
        If a size is not a positive integer or ``max_units`` is not from 4 to 20.
    """
    _check_sizes({"n_input": n_input, "n_hidden": n_hidden, "n_output": n_output}, max_units)
    y_low, y_hid, y_out = 0.0, 1.9, 3.5
    slots_h = len(_unit_slots(n_hidden, max_units))
    half_h = (0.75 + slots_h * 0.42) / 2
    x_in = -half_h - 1.5 - (0.75 + len(_unit_slots(n_input, max_units)) * 0.42) / 2
    left = x_in - (0.75 + len(_unit_slots(n_input, max_units)) * 0.42) / 2
    fig, ax = _canvas(ax, (left - 0.2, half_h + 2.3), (-1.25, y_out + 0.7), scale=0.75)
    _, w_in = _layer(ax, "input", x_in, y_low, n_input, r"$\mathbf{x}_t$", COLORS["green"], max_units)
    xs_c, w_c = _layer(ax, "context", 0.0, y_low, n_hidden, r"$\mathbf{c}_t$", COLORS["purple"], max_units)
    xs_h, w_h = _layer(ax, "hidden", 0.0, y_hid, n_hidden, r"$\mathbf{h}_t$", COLORS["blue"], max_units)
    _, w_o = _layer(ax, "output", 0.0, y_out, n_output, r"$\mathbf{y}_t$", COLORS["orange"], max_units)
    for xh, xc in zip(xs_h, xs_c, strict=True):  # one-for-one copies, weight 1
        _arrow(ax, (xh, y_hid - 0.16), (xc, y_low + 0.16), "copy", fixed=True)
    _note(ax, -w_h / 2 - 0.05, (y_hid + y_low) / 2, "copy,\nweight 1", ha="right", color=COLORS["grey"])
    _arrow(ax, (x_in, y_low + 0.3), (-w_h / 2, y_hid), "W_xh", connection="angle3,angleA=90,angleB=0",
           label=r"$W_{xh}$", label_xy=(x_in - 0.05, y_hid - 0.75), ha="right")
    _arrow(ax, (w_c / 2, y_low), (w_h / 2, y_hid), "W_ch", connection="arc3,rad=0.55", label=r"$W_{ch}$",
           label_xy=(w_h / 2 + 0.6, (y_low + y_hid) / 2))
    _arrow(ax, (0.0, y_hid + 0.3), (0.0, y_out - 0.3), "W_hy", label=r"$W_{hy}$")
    _note(ax, -w_o / 2 - 0.1, y_out, f"output units ({n_output}, $\\sigma$)", ha="right")
    _note(ax, -w_h / 2 - 0.1, y_hid + 0.45, f"hidden units ({n_hidden}, $\\sigma$)", ha="right")
    _note(ax, x_in, y_low - 0.45, f"input units ({n_input})")
    _note(ax, 0.0, y_low - 0.45, f"context units ({n_hidden}), start at 0.5")
    _note(ax, (left + half_h + 2.1) / 2, -1.0, "solid: trained weights    dashed: fixed weights (not trained)")
    return fig


def draw_jordan_units(n_plan: int, n_hidden: int, n_output: int, ax: Axes | None = None, *,
                      mu: float | None = None, max_units: int = 12) -> Figure:
    """Draw Jordan's (1986) network with ``n_plan`` plan, ``n_hidden`` hidden and ``n_output``
    output (and as many state) units, every unit a circle.

    The plan units hold :math:`\\mathbf{p}` constant during a sequence and feed the hidden units
    through :math:`W_{ph}`; the state units feed them through :math:`W_{sh}`. Each output unit is
    copied into its own state unit with the fixed weight 1 (the dashed lines around the right),
    and each state unit keeps its previous value through a fixed self-connection :math:`\\mu`
    (the loops), so :math:`\\mathbf{s}_t = \\mu\\mathbf{s}_{t-1} + \\mathbf{y}_{t-1}`.

    Parameters
    ----------
    mu
        The decay, printed next to the loops; ``None`` prints the symbol only.

    Raises
    ------
    ValueError
        If a size is not a positive integer, ``max_units`` is not from 4 to 20 or ``mu`` is not
        in [0, 1).
    """
    _check_sizes({"n_plan": n_plan, "n_hidden": n_hidden, "n_output": n_output}, max_units)
    if mu is not None and not 0.0 <= mu < 1.0:
        raise ValueError(f"mu must be in [0, 1), got {mu!r}")
    y_low, y_hid, y_out = 0.0, 2.0, 3.6
    width = {name: 0.75 + len(_unit_slots(n, max_units)) * 0.42
             for name, n in (("plan", n_plan), ("hidden", n_hidden), ("output", n_output))}
    x_plan = -max(width["hidden"], width["output"]) / 2 - 0.2 - width["plan"] / 2
    right = max(width.values()) / 2 + 0.5
    fig, ax = _canvas(ax, (x_plan - width["plan"] / 2 - 0.3, right + 2.4), (-1.5, y_out + 0.95), scale=0.62)
    _layer(ax, "plan", x_plan, y_low, n_plan, r"$\mathbf{p}$", COLORS["green"], max_units)
    xs_s, w_s = _layer(ax, "state", 0.0, y_low, n_output, r"$\mathbf{s}_t$", COLORS["purple"], max_units,
                       extra_height=0.35)
    _, w_h = _layer(ax, "hidden", 0.0, y_hid, n_hidden, r"$\mathbf{h}_t$", COLORS["blue"], max_units)
    xs_o, w_o = _layer(ax, "output", 0.0, y_out, n_output, r"$\mathbf{y}_t$", COLORS["orange"], max_units)
    _arrow(ax, (x_plan, y_low + 0.3), (-w_h / 2, y_hid), "W_ph", connection="angle3,angleA=90,angleB=0",
           label=r"$W_{ph}$", label_xy=(x_plan - 0.05, y_hid - 0.75), ha="right")
    _arrow(ax, (0.0, y_low + 0.65), (0.0, y_hid - 0.3), "W_sh", label=r"$W_{sh}$")
    _arrow(ax, (0.0, y_hid + 0.3), (0.0, y_out - 0.3), "W_hy", label=r"$W_{hy}$")
    grey = COLORS["grey"]
    n_drawn = len(xs_o)
    for i, (xo, xs) in enumerate(zip(xs_o, xs_s, strict=True)):
        k = n_drawn - 1 - i  # the rightmost unit takes the innermost route: no crossings
        up, out, down = y_out + 0.35 + 0.12 * k, right + 0.12 * k, y_low - 0.5 - 0.12 * k
        ax.plot([xo, xo, out, out, xs, xs], [y_out + 0.15, up, up, down, down, y_low - 0.5],
                color=grey, linewidth=1.3, linestyle=(0, (4, 3)), zorder=2)
        _arrow(ax, (xs, y_low - 0.5), (xs, y_low - 0.16), f"copy{i}", fixed=True)
        ax.patches[-1].set_gid("copy:output_to_state")
        loop = FancyArrowPatch((xs + 0.07, y_low + 0.14), (xs - 0.07, y_low + 0.14), arrowstyle="-|>",
                               mutation_scale=9, linewidth=1.2, color=grey, connectionstyle="arc3,rad=2.2",
                               shrinkA=0.0, shrinkB=0.0, zorder=4, gid="loop:mu")
        ax.add_patch(loop)
    _note(ax, right + 0.12 * n_drawn + 0.1, (y_out + y_low) / 2, "copy of $\\mathbf{y}_{t-1}$,\n"
          "one-for-one,\nweight 1", ha="left", color=grey)
    mu_text = r"$\mu$" if mu is None else rf"$\mu = {mu:g}$"
    _note(ax, w_s / 2 + 0.1, y_low + 0.35, f"self-loops {mu_text}", ha="left", color=grey)
    _note(ax, -w_o / 2 - 0.1, y_out, f"output units ({n_output})", ha="right")
    _note(ax, -w_h / 2 - 0.1, y_hid + 0.45, f"hidden units ({n_hidden})", ha="right")
    _note(ax, x_plan, y_low - 0.45, f"plan units ({n_plan}), constant")
    _note(ax, -w_s / 2 - 0.1, y_low - 0.2, f"state units ({n_output})", ha="right")
    _note(ax, (x_plan + right) / 2, -1.3, "solid: trained weights    dashed: fixed weights (not trained)")
    return fig
