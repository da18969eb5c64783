"""Computational-graph diagrams: one step as a single product, the unrolled graph with its
gradient paths, and truncated backpropagation through time.

Drawn in the style of :mod:`rnn_companion.plotting.diagrams` (rounded boxes, arrows, the
colours of :mod:`rnn_companion.plotting.style`, an opaque white background so that the
figures read the same on the site's light and dark themes). In the graph diagrams the
forward computation is drawn in dark grey with solid arrows and the gradient flow in
vermillion with dashed arrows, so that the two are told apart by colour *and* line style.

Shapes follow the source notation of the book (stated once for this module): a minibatch of
``n`` sequences, ``d`` input features and ``h`` hidden units; ``X_t`` is ``n x d``,
``H_t`` is ``n x h``, ``W_xh`` is ``d x h`` and ``W_hh`` is ``h x h``.

Every patch and text that a reader (or a test) may want to find carries a ``gid``:
``"block:<name>"`` for the matrices of :func:`draw_concat_step`, ``"fwd:..."`` and
``"bwd:..."`` for forward and gradient arrows, ``"chunk:<i>"`` and ``"cut:<t>"`` for the
chunks and cuts of :func:`draw_truncated_bptt`. Every function takes an optional ``ax`` and
returns the :class:`matplotlib.figure.Figure` it drew on.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from .diagrams import _canvas, _tint
from .style import COLORS, check_int

__all__ = ["draw_concat_step", "draw_bptt_graph", "draw_truncated_bptt", "chunk_bounds", "draw_next_token_model",
           "FORWARD_COLOR", "BACKWARD_COLOR"]

FORWARD_COLOR = "#222222"
BACKWARD_COLOR = COLORS["red"]
_ROLE = {"input": COLORS["green"], "hidden": COLORS["blue"], "output": COLORS["orange"],
         "loss": COLORS["purple"], "weight": COLORS["grey"]}
_LABEL, _SMALL = 13, 9


def _node(ax: Axes, x: float, y: float, label: str, role: str, *, width: float = 1.0,
          height: float = 0.55, gid: str | None = None) -> None:
    """A rounded box centred at ``(x, y)`` holding a math label."""
    color = _ROLE[role]
    patch = FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                           boxstyle="round,pad=0.0,rounding_size=0.1", facecolor=_tint(color),
                           edgecolor=color, linewidth=1.6, zorder=3)
    patch.set_gid(gid or f"node:{label}")
    ax.add_patch(patch)
    ax.text(x, y, label, ha="center", va="center", fontsize=_LABEL, color="black", zorder=4)


def _link(ax: Axes, start: tuple[float, float], end: tuple[float, float], gid: str, *,
          backward: bool = False, rad: float = 0.0, label: str | None = None,
          label_at: tuple[float, float] | None = None, ha: str = "center") -> None:
    """A forward (solid, dark) or gradient (dashed, vermillion) arrow tagged with ``gid``."""
    color = BACKWARD_COLOR if backward else FORWARD_COLOR
    arrow = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=13,
                            linewidth=1.9 if backward else 1.5, color=color,
                            linestyle=(0, (4, 2)) if backward else "-",
                            connectionstyle=f"arc3,rad={rad}", shrinkA=0.0, shrinkB=0.0, zorder=2)
    arrow.set_gid(gid)
    ax.add_patch(arrow)
    if label is not None:
        x, y = label_at or ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        ax.text(x, y, label, ha=ha, va="center", fontsize=_SMALL + 1, color=color, zorder=4)


# --------------------------------------------------------------------------- one step, one product


def _block(ax: Axes, x: float, y: float, width: float, height: float, label: str, shape: str,
           role: str, gid: str, *, shape_right: bool = False) -> None:
    """A matrix drawn as a rectangle ``width`` x ``height`` (lower-left corner ``(x, y)``)."""
    color = _ROLE[role]
    patch = Rectangle((x, y), width, height, facecolor=_tint(color, 0.25), edgecolor=color,
                      linewidth=1.6, zorder=3)
    patch.set_gid(gid)
    ax.add_patch(patch)
    ax.text(x + width / 2, y + height / 2, label, ha="center", va="center", fontsize=_LABEL,
            color="black", zorder=4)
    if shape_right:  # the shape beside the block (stacked blocks leave no room below)
        tx, ty, ha, va = x + width + 0.1, y + height / 2, "left", "center"
    else:
        tx, ty, ha, va = x + width / 2, y - 0.12, "center", "top"
    ax.text(tx, ty, shape, ha=ha, va=va, fontsize=_SMALL, color="#333333",
            zorder=4).set_gid(f"shape:{gid.split(':', 1)[1]}")


def draw_concat_step(n: int = 3, d: int = 4, h: int = 5, ax: Axes | None = None) -> Figure:
    """Draw :math:`[\\mathbf{X}_t, \\mathbf{H}_{t-1}]\\,[\\mathbf{W}_{xh}; \\mathbf{W}_{hh}]`
    as block matrices whose sides are proportional to ``n``, ``d`` and ``h``.

    The left factor is ``n x (d + h)`` (the input and the previous state side by side), the
    right factor ``(d + h) x h`` (the two weight matrices stacked), and their product is the
    ``n x h`` matrix :math:`\\mathbf{X}_t\\mathbf{W}_{xh} + \\mathbf{H}_{t-1}\\mathbf{W}_{hh}`
    (adding :math:`\\mathbf{b}_h` and applying :math:`\\phi` gives :math:`\\mathbf{H}_t`). Each
    block is labelled with its symbol and its shape, symbolic and numeric (e.g. ``n x d = 3 x 4``).

    Parameters
    ----------
    n, d, h
        Batch size, input size and hidden size (integers from 1 to 12).
    ax
        Axes to draw on; a new figure sized to the blocks when omitted.

    Returns
    -------
    Figure
        The figure holding the diagram.

    Raises
    ------
    ValueError
        If ``n``, ``d`` or ``h`` is not an integer from 1 to 12.
    """
    n, d, h = (check_int(name, v, 1, 12) for name, v in (("n", n), ("d", d), ("h", h)))
    u = max(0.32, 0.7 / min(n, d, h))  # drawing units per matrix row or column; small sizes stay legible
    gap, gap_eq = 0.9, 1.7  # room for the operator signs; after the weights also for their shapes
    x0, top = 0.0, (d + h) * u  # every block hangs from the same top edge
    xh = x0 + d * u  # H_{t-1} sits right of X_t
    xw = xh + h * u + gap  # the stacked weights
    xr = xw + h * u + gap_eq  # the result
    width = xr + max(h * u, h * u / 2 + 1.4) + 0.4  # room for the product's label above it
    fig, ax = _canvas(ax, (-0.4, width), (-1.25, top + 0.75), scale=0.75)
    _block(ax, x0, top - n * u, d * u, n * u, r"$\mathbf{X}_t$", r"$n \times d$" + f"\n{n} × {d}",
           "input", "block:X_t")
    _block(ax, xh, top - n * u, h * u, n * u, r"$\mathbf{H}_{t-1}$", r"$n \times h$" + f"\n{n} × {h}",
           "hidden", "block:H_prev")
    _block(ax, xw, top - d * u, h * u, d * u, r"$\mathbf{W}_{xh}$", r"$d \times h$" + f"\n{d} × {h}",
           "input", "block:W_xh", shape_right=True)
    _block(ax, xw, top - (d + h) * u, h * u, h * u, r"$\mathbf{W}_{hh}$", r"$h \times h$" + f"\n{h} × {h}",
           "hidden", "block:W_hh", shape_right=True)
    _block(ax, xr, top - n * u, h * u, n * u, "", r"$n \times h$" + f"\n{n} × {h}", "hidden", "block:product")
    mid = top - n * u / 2
    ax.text(xw - gap / 2, mid, r"$\times$", ha="center", va="center", fontsize=18)
    ax.text(xr - 0.35, mid, "=", ha="center", va="center", fontsize=18)
    ax.text(xh, top + 0.2, rf"$n \times (d + h) = {n} \times {d + h}$", ha="center", va="bottom",
            fontsize=_SMALL, color="#333333").set_gid("shape:left")
    ax.text(xw + h * u / 2, top + 0.2, rf"$(d + h) \times h = {d + h} \times {h}$", ha="center",
            va="bottom", fontsize=_SMALL, color="#333333").set_gid("shape:right")
    product = r"$\mathbf{X}_t\mathbf{W}_{xh} + \mathbf{H}_{t-1}\mathbf{W}_{hh}$"
    ax.text(xr + h * u / 2, top + 0.2, product, ha="center", va="bottom", fontsize=_SMALL + 1,
            color="#222222").set_gid("label:product")
    ax.text(width / 2 - 0.2, -1.05,
            r"then $\mathbf{H}_t = \phi(\mathbf{X}_t\mathbf{W}_{xh} + \mathbf{H}_{t-1}\mathbf{W}_{hh}"
            r" + \mathbf{b}_h)$",
            ha="center", va="center", fontsize=_SMALL + 1, color="#222222")
    return fig


# --------------------------------------------------------------------------- the unrolled graph


def draw_bptt_graph(steps: int = 3, ax: Axes | None = None) -> Figure:
    """Draw an Elman RNN unrolled over ``steps`` steps with its forward and gradient paths.

    Forward (dark, solid): :math:`\\mathbf{X}_t \\to \\mathbf{H}_t`,
    :math:`\\mathbf{H}_{t-1} \\to \\mathbf{H}_t` (through :math:`\\mathbf{W}_{hh}`),
    :math:`\\mathbf{H}_t \\to \\mathbf{O}_t \\to \\ell_t`. Backward (vermillion, dashed):
    :math:`\\ell_t \\to \\mathbf{O}_t \\to \\mathbf{H}_t` (each step's own loss) and
    :math:`\\mathbf{H}_t \\to \\mathbf{H}_{t-1}` (through :math:`\\mathbf{W}_{hh}^\\top`), so the
    gradient at :math:`\\mathbf{H}_t` is the sum of what its own loss and all later losses
    send back. That makes ``4 * steps`` forward and ``3 * steps`` gradient arrows.

    Parameters
    ----------
    steps
        Number of time steps (1 to 6).
    ax
        Axes to draw on; a new figure sized to the number of steps when omitted.

    Returns
    -------
    Figure
        The figure holding the diagram.

    Raises
    ------
    ValueError
        If ``steps`` is not an integer from 1 to 6.
    """
    steps = check_int("steps", steps, 1, 6)
    dx, w, hgt = 2.6, 1.0, 0.55
    y_x, y_h, y_o, y_l = 0.0, 1.6, 3.2, 4.6
    first = 2.2
    xmax = first + (steps - 1) * dx + 2.6
    fig, ax = _canvas(ax, (-0.9, xmax), (-1.15, y_l + 0.75), scale=0.62)
    _node(ax, 0.0, y_h, r"$\mathbf{H}_0$", "hidden", width=0.8)
    prev = 0.4
    for i in range(steps):
        t = i + 1
        cx = first + i * dx
        _node(ax, cx, y_x, rf"$\mathbf{{X}}_{{{t}}}$", "input")
        _node(ax, cx, y_h, rf"$\mathbf{{H}}_{{{t}}}$", "hidden")
        _node(ax, cx, y_o, rf"$\mathbf{{O}}_{{{t}}}$", "output")
        _node(ax, cx, y_l, rf"$\ell_{{{t}}}$", "loss", width=0.8)
        lx = cx - 0.17  # forward arrows on the left of a column, gradient arrows on its right
        rx = cx + 0.17
        _link(ax, (cx, y_x + hgt / 2), (cx, y_h - hgt / 2), f"fwd:X{t}->H{t}",
              label=r"$W_{xh}$", label_at=(cx + 0.1, (y_x + y_h) / 2), ha="left")
        _link(ax, (lx, y_h + hgt / 2), (lx, y_o - hgt / 2), f"fwd:H{t}->O{t}")
        _link(ax, (lx, y_o + hgt / 2), (lx, y_l - hgt / 2), f"fwd:O{t}->l{t}")
        _link(ax, (rx, y_l - hgt / 2), (rx, y_o + hgt / 2), f"bwd:l{t}->O{t}", backward=True)
        _link(ax, (rx, y_o - hgt / 2), (rx, y_h + hgt / 2), f"bwd:O{t}->H{t}", backward=True)
        left = cx - w / 2
        # H_{t-1} -> H_t slightly above the centre line, the gradient back slightly below
        _link(ax, (prev, y_h + 0.1), (left, y_h + 0.1), f"fwd:H{t - 1}->H{t}",
              label=r"$W_{hh}$", label_at=((prev + left) / 2, y_h + 0.36))
        _link(ax, (left, y_h - 0.12), (prev, y_h - 0.12), f"bwd:H{t}->H{t - 1}", backward=True,
              label=r"$W_{hh}^\top$", label_at=((prev + left) / 2, y_h - 0.4))
        prev = cx + w / 2
        ax.text(cx, -0.62, f"step {t}", ha="center", va="center", fontsize=_SMALL, color="#333333")
    last = first + (steps - 1) * dx
    note = r"$\partial L/\partial\mathbf{H}_t$" + "\n= own loss\n+ from later steps"
    ax.text(last + 0.62, (y_o + y_h) / 2 + 0.35, note, ha="left", va="center", fontsize=_SMALL,
            color=BACKWARD_COLOR).set_gid("note:sum")
    ax.text((xmax - 0.9) / 2, -1.0, "solid dark: forward pass    dashed vermillion: gradient (backward pass)",
            ha="center", va="center", fontsize=_SMALL, color="#333333").set_gid("legend")
    return fig


# --------------------------------------------------------------------------- truncated BPTT


def chunk_bounds(T: int, k: int) -> list[tuple[int, int]]:
    """The chunks of truncated BPTT: ``[(first, last), ...]`` over steps ``1..T`` in pieces of ``k``
    (the last one shorter when ``k`` does not divide ``T``)."""
    T = check_int("T", T, 1, 10_000)
    k = check_int("k", k, 1, 10_000)
    return [(s, min(s + k - 1, T)) for s in range(1, T + 1, k)]


def draw_truncated_bptt(T: int = 10, k: int = 4, ax: Axes | None = None) -> Figure:
    """Draw truncated BPTT: ``T`` steps cut into chunks of ``k``, the state carried forward
    across every cut, the gradient stopped at every cut.

    Each step is a hidden-state box :math:`\\mathbf{H}_t`; shaded bands mark the chunks
    (:func:`chunk_bounds`). Forward arrows (dark, solid) join all consecutive states,
    ``T - 1`` of them, including across cuts (the carried, *detached* state); gradient arrows
    (vermillion, dashed) join consecutive states inside a chunk only, ``T - ceil(T / k)`` of
    them. A vertical line marks each of the ``ceil(T / k) - 1`` cuts.

    Parameters
    ----------
    T
        Sequence length (2 to 24).
    k
        Truncation length (1 to ``T``).
    ax
        Axes to draw on; a new figure sized to ``T`` when omitted.

    Returns
    -------
    Figure
        The figure holding the diagram.

    Raises
    ------
    ValueError
        If ``T`` is not an integer from 2 to 24 or ``k`` not one from 1 to ``T``.
    """
    T = check_int("T", T, 2, 24)
    k = check_int("k", k, 1, T)
    dx, w = 1.3, 0.72
    chunks = chunk_bounds(T, k)
    xmax = (T - 1) * dx + 0.9
    fig, ax = _canvas(ax, (-0.9, xmax), (-1.3, 2.05), scale=0.75)
    for i, (a, b) in enumerate(chunks):
        x_a, x_b = (a - 1) * dx - w / 2 - 0.12, (b - 1) * dx + w / 2 + 0.12
        band = FancyBboxPatch((x_a, -0.55), x_b - x_a, 1.75, boxstyle="round,pad=0.0,rounding_size=0.1",
                              facecolor=_tint(COLORS["sky"], 0.14 if i % 2 == 0 else 0.28),
                              edgecolor="none", zorder=1)
        band.set_gid(f"chunk:{i + 1}")
        ax.add_patch(band)
        ax.text((x_a + x_b) / 2, 1.45, f"chunk {i + 1}: steps {a}–{b}" if b > a else f"chunk {i + 1}: step {a}",
                ha="center", va="center", fontsize=_SMALL, color="#333333")
    for t in range(1, T + 1):
        _node(ax, (t - 1) * dx, 0.3, rf"$\mathbf{{H}}_{{{t}}}$", "hidden", width=w, height=0.5)
    starts = {a for a, _ in chunks}
    for t in range(1, T):
        x_left, x_right = (t - 1) * dx + w / 2, t * dx - w / 2
        _link(ax, (x_left, 0.42), (x_right, 0.42), f"fwd:H{t}->H{t + 1}")
        if t + 1 in starts:  # a cut between t and t + 1: the state goes on, the gradient stops
            xc = (t - 0.5) * dx
            ax.plot([xc, xc], [-0.6, 1.25], color=BACKWARD_COLOR, lw=1.4, ls=(0, (1, 1.5)),
                    zorder=2, gid=f"cut:{t}")
            ax.text(xc, -0.75, "detach", ha="center", va="top", fontsize=_SMALL - 1,
                    color=BACKWARD_COLOR)
        else:
            _link(ax, (x_right, 0.14), (x_left, 0.14), f"bwd:H{t + 1}->H{t}", backward=True)
    ax.text(xmax / 2 - 0.45, -1.2,
            f"T = {T}, k = {k}: {len(chunks)} chunks.  solid dark: state carried forward"
            "    dashed vermillion: gradient, stops at each cut",
            ha="center", va="center", fontsize=_SMALL, color="#333333").set_gid("legend")
    return fig



# --------------------------------------------------------------------------- next-token prediction


def draw_next_token_model(tokens: list[str], ax: Axes | None = None) -> Figure:
    """Draw a recurrent language model reading ``tokens[:-1]`` and predicting ``tokens[1:]``.

    Column ``t`` (one per input token): the token :math:`w_t` enters as an embedding, the hidden
    state :math:`\\mathbf{H}_t` takes it and :math:`\\mathbf{H}_{t-1}`, the output
    :math:`\\mathbf{O}_t` (one score per vocabulary word) goes through a softmax to
    :math:`p(\\cdot \\mid w_1, \\dots, w_t)`, and the loss :math:`\\ell_t = -\\log p(w_{t+1} \\mid \\dots)`
    scores the next token, the target, written above. The targets are the inputs shifted by one.
    Text carries gids ``"token:<t>"`` and ``"target:<t>"``; forward arrows ``"fwd:..."``.

    Raises
    ------
    ValueError
        If ``tokens`` has fewer than 2 or more than 7 entries.
    """
    if not isinstance(tokens, (list, tuple)) or not 2 <= len(tokens) <= 7:
        raise ValueError(f"tokens must be a list of 2 to 7 strings, got {tokens!r}")
    steps = len(tokens) - 1
    dx, hgt = 2.2, 0.55
    y_w, y_h, y_o, y_p, y_l = 0.0, 1.5, 2.9, 4.3, 5.7
    first = 2.0
    xmax = first + (steps - 1) * dx + 2.4
    fig, ax = _canvas(ax, (-0.9, xmax), (-0.9, y_l + 1.2), scale=0.6)
    _node(ax, 0.0, y_h, r"$\mathbf{H}_0$", "hidden", width=0.8)
    prev = 0.4
    for i in range(steps):
        t = i + 1
        cx = first + i * dx
        _node(ax, cx, y_w, f"“{tokens[i]}”", "input", width=1.5, gid=f"node:w{t}")
        ax.texts[-1].set_gid(f"token:{t}")
        _node(ax, cx, y_h, rf"$\mathbf{{H}}_{{{t}}}$", "hidden")
        _node(ax, cx, y_o, rf"$\mathbf{{O}}_{{{t}}}$", "output")
        _node(ax, cx, y_p, rf"$p(\cdot \mid w_{{\leq {t}}})$", "output", width=1.7)
        _node(ax, cx, y_l, rf"$\ell_{{{t}}}$", "loss", width=0.8)
        ax.text(cx, y_l + 0.6, f"target “{tokens[i + 1]}”", ha="center", va="center", fontsize=_SMALL,
                color="#333333").set_gid(f"target:{t}")
        _link(ax, (cx, y_w + hgt / 2), (cx, y_h - hgt / 2), f"fwd:w{t}->H{t}", label="embed",
              label_at=(cx + 0.1, (y_w + y_h) / 2), ha="left")
        _link(ax, (cx, y_h + hgt / 2), (cx, y_o - hgt / 2), f"fwd:H{t}->O{t}", label=r"$W_{hq}$",
              label_at=(cx + 0.1, (y_h + y_o) / 2), ha="left")
        _link(ax, (cx, y_o + hgt / 2), (cx, y_p - hgt / 2), f"fwd:O{t}->p{t}", label="softmax",
              label_at=(cx + 0.1, (y_o + y_p) / 2), ha="left")
        _link(ax, (cx, y_p + hgt / 2), (cx, y_l - hgt / 2), f"fwd:p{t}->l{t}")
        left = cx - 0.5
        _link(ax, (prev, y_h), (left, y_h), f"fwd:H{t - 1}->H{t}", label=r"$W_{hh}$",
              label_at=((prev + left) / 2, y_h + 0.3))
        prev = cx + 0.5
    ax.text((xmax - 0.9) / 2, -0.72, "loss L = mean of the " + r"$\ell_t$" + ";   perplexity = exp(L)",
            ha="center", va="center", fontsize=_SMALL, color="#333333").set_gid("legend")
    return fig
