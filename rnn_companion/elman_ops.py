r"""The kernels of :class:`~rnn_companion.elman.ElmanRNN`: one layer in one direction.

Shape convention (this module): a layer's sequence batch is a 2-D tensor of rows, ``(R, F)``
(rows, features), ordered by time step and, within a step, by batch entry. For padded input
``R = T * N``; for a :class:`~torch.nn.utils.rnn.PackedSequence` it is the packed ``data``,
whose step ``t`` holds ``sizes[t]`` rows. ``H`` is the hidden size, ``I`` the layer's input size.

Why it is fast (see the book's performance chapter):

* the input projection of all ``R`` rows is one GEMM with both biases folded in; its buffer
  becomes the output, so a step is ``out_t.addmm_(h_{t-1}, W_hh^T)`` and an in-place nonlinearity;
* training uses a hand-written backpropagation through time (:func:`bptt`): per step only the
  dependent product ``dz_{t+1} W_hh`` and the nonlinearity's derivative; each weight gradient is
  one large GEMM over all steps;
* the nonlinearity is ``relu_`` or ``tanh_``, or for large steps on CPU tanh computed from
  ``expm1`` (``_nonlinearity``), with an error relative to the output, as torch's; for
  mid-size float32 steps on CPU the recurrence runs in the sigmoid form (``_recur_sigmoid_form``),
  kept only where its absolute error is small against the outputs' norm (never for outputs of
  1e-6, where it would be of the order of the outputs themselves).

Three entry points run a layer: :func:`scan` (no autograd), ``ElmanLayerFunction`` (eager
autograd; a double backward recomputes the layer with ATen's differentiable ``rnn_tanh``) and the
custom operator ``rnn_companion::elman_layer`` (padded input, for ``torch.compile`` and
``torch.export``, which then see one opaque operator whatever the sequence length).
"""

import contextlib
import math
import threading
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import _VF, Tensor

__all__ = ["ElmanLayerFunction", "bptt", "elman_layer", "layer_autograd", "packed_indices", "scan", "sigmoid_form"]

EXPM1_MIN_STEP_ELEMENTS = 8192  # from about 64 x 128 per step, tanh via expm1 beats torch.tanh on CPU
# From 2048 elements per step (and below EXPM1_MIN_STEP_ELEMENTS), float32 on CPU: the sigmoid form
# of tanh (_recur_sigmoid_form), kept only where its error, measured against the outputs' norm, is as
# small as torch.tanh's: root mean square of the outputs at least SIGMOID_FORM_MIN_RMS.
# Equal lengths and at least this many elements per step: each BPTT step reads its rows of g_out in
# its addmm (no copy of g_out first); below it, splitting g_out costs more than the copy saves.
BPTT_READ_G_MIN_STEP_ELEMENTS = 1024
SIGMOID_FORM_MIN_STEP_ELEMENTS = 2048
SIGMOID_FORM_MIN_RMS = 0.35
SIGMOID_FORM_PROBE_STEPS = 8  # run with tanh_ first; their outputs decide (_recur_sigmoid_form)
# ... and only for recurrent weights of the size of torch's initialisation: largest absolute row
# sum of W_hh at most sqrt(H) (torch's uniform(-1/sqrt(H), 1/sqrt(H)) gives about sqrt(H) / 2).
# Larger weights make the shifted sums 2 Z_t cancel more, and chaotic dynamics amplify that.
SIGMOID_FORM_MAX_ROW_SUM_PER_SQRT_H = 1.0

# ATen's fused derivatives, written into grad_input: g * (1 - y^2) and g * (y > 0).
# (._op skips the Python dispatch wrapper: ~1 us less per call, which matters per time step.)
_tanh_backward = getattr(torch.ops.aten.tanh_backward.grad_input, "_op", torch.ops.aten.tanh_backward.grad_input)
_relu_backward = getattr(
    torch.ops.aten.threshold_backward.grad_input, "_op", torch.ops.aten.threshold_backward.grad_input
)


def _recur(out: Tensor, h: Tensor, w_t: Tensor, sizes: list[int], act: Callable[[Tensor], Tensor]) -> None:
    """In place over out, (R, H): out_t = act(out_t + h_{t-1} w_t), with h_{-1} = h and w_t (H, H)."""
    prev = sizes[0]  # h: (n_t, H), the rows still running at step t
    for n, o in zip(sizes, out.split_with_sizes(sizes), strict=False):  # o: (n_t, H), a view into out
        if n != prev:  # packed input: shorter sequences have ended
            h = h[:n]
        o.addmm_(h, w_t)
        act(o)
        h, prev = o, n


def scan(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None,
    sizes: list[int], relu: bool,
) -> Tensor:
    """All hidden states of one layer and direction, (R, H), from x (R, I) and h0 (N, H)."""
    bias = b_ih + b_hh if b_ih is not None and b_hh is not None else None  # (H,)
    # hoisted input projection: (R, I) @ (I, H) + b -> (R, H); it becomes the output
    out = torch.mm(x, w_ih.t()) if bias is None else torch.addmm(bias, x, w_ih.t())
    act = _nonlinearity(relu, out, sizes[0])
    if len(sizes) == 1:  # one step (a sampling loop): no per-step views
        return act(out.addmm_(h0, w_hh.t()))
    if _sigmoid_form_applies(out, w_hh, sizes, relu):
        _recur_sigmoid_form(out, x, h0, w_ih, w_hh, bias, sizes)
    else:
        _recur(out, h0, w_hh.t(), sizes, act)
    return out


_sigmoid_form_on = [True]  # switched by sigmoid_form(); a list so that the context manager can set it


@contextlib.contextmanager
def sigmoid_form(enabled: bool) -> Iterator[None]:
    """Turn the sigmoid form of tanh (``_recur_sigmoid_form``) on or off inside a ``with`` block,
    e.g. to measure what it buys (the benchmark's ``elman_tanh`` contender). Not thread-safe."""
    previous = _sigmoid_form_on[0]
    _sigmoid_form_on[0] = bool(enabled)
    try:
        yield
    finally:
        _sigmoid_form_on[0] = previous


def _sigmoid_form_applies(out: Tensor, w_hh: Tensor, sizes: list[int], relu: bool) -> bool:
    """Whether ``_recur_sigmoid_form`` may run: float32 tanh on CPU, mid-size steps, a long
    enough sequence and recurrent weights no larger than torch's initialisation makes them."""
    return bool(
        _sigmoid_form_on[0] and len(sizes) >= 4 * SIGMOID_FORM_PROBE_STEPS
        and not relu and out.dtype == torch.float32 and out.is_cpu
        and SIGMOID_FORM_MIN_STEP_ELEMENTS <= sizes[0] * w_hh.shape[0] < EXPM1_MIN_STEP_ELEMENTS
        and float(w_hh.abs().sum(1).max()) <= SIGMOID_FORM_MAX_ROW_SUM_PER_SQRT_H * w_hh.shape[0] ** 0.5
    )


def _rms(t: Tensor) -> float:
    """Root mean square of t's elements (NaN if any is NaN)."""
    norm: float = float(torch.linalg.vector_norm(t))
    return norm / math.sqrt(max(t.numel(), 1))


def _recur_sigmoid_form(
    out: Tensor, x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, bias: Tensor | None, sizes: list[int]
) -> None:
    """:func:`_recur` for tanh, in place over out (R, H) holding X W_ih^T + b, through the sigmoid form
    where it is as precise as ``tanh_``.

    ``sigmoid_`` is vectorised on CPU and ``tanh_`` is not, and tanh z = 2 sigmoid(2 z) - 1. On
    S_t = sigmoid(2 Z_t) = (H_t + 1) / 2 the recurrence reads 2 Z_t = 2 (X_t W_ih^T + b)
    - 2 (1 W_hh^T) + S_{t-1} (4 W_hh^T), and H = 2 S - 1 at the end. Its error is absolute (a few
    ulp of 1 per element), small against the outputs' norm only when the outputs are not small:
    the first ``SIGMOID_FORM_PROBE_STEPS`` steps run with ``tanh_``, and the rest switch to the
    sigmoid form only if those outputs' root mean square is at least ``SIGMOID_FORM_MIN_RMS``;
    if the rest's turns out smaller, or not finite, it is recomputed with ``tanh_``.
    """
    k = SIGMOID_FORM_PROBE_STEPS
    head = sum(sizes[:k])
    w_t = w_hh.t()  # (H, H)
    _recur(out[:head], h0, w_t, sizes[:k], torch.Tensor.tanh_)
    h_prev = out[head - sizes[k - 1] : head][: sizes[k]]  # H_{k-1} of the rows still running, (n_k, H)
    rest = out[head:]  # (R - head, H): X W_ih^T + b of the remaining steps
    if _rms(out[:head]) < SIGMOID_FORM_MIN_RMS:
        _recur(rest, h_prev, w_t, sizes[k:], torch.Tensor.tanh_)
        return
    rest.mul_(2.0).add_(w_hh.sum(1), alpha=-2.0)  # 2 (X W_ih^T + b) - 2 (1 W_hh^T)
    s_prev = (h_prev + 1.0).mul_(0.5)  # S_{k-1}
    _recur(rest, s_prev, w_t * 4.0, sizes[k:], torch.Tensor.sigmoid_)
    rest.mul_(2.0).sub_(1.0)  # H = 2 S - 1
    if not _rms(rest) >= SIGMOID_FORM_MIN_RMS:  # small (or NaN) after all: redo the rest with tanh_
        torch.mm(x[head:], w_ih.t(), out=rest)
        if bias is not None:
            rest.add_(bias)
        _recur(rest, h_prev, w_t, sizes[k:], torch.Tensor.tanh_)


def _nonlinearity(relu: bool, out: Tensor, rows: int) -> Callable[[Tensor], Tensor]:
    """The in-place nonlinearity of a step: relu_, tanh_, or for large float32 steps on CPU tanh via expm1.

    ``torch.tanh`` is not vectorised on CPU in this build (about 2.4 ns per element, against
    0.65 ns for ``expm1``). For at least ``EXPM1_MIN_STEP_ELEMENTS`` elements per step,
    tanh z = e / (e + 2) with e = expm1(2 z) is about twice as fast, and its error is relative
    (about 2 ulp against torch's 1 ulp), unlike 2 sigmoid(2 z) - 1's. z is clamped at 20 first,
    where tanh rounds to 1 (so e never overflows); NaN stays NaN.
    """
    if relu:
        return torch.Tensor.relu_
    if rows * out.shape[1] < EXPM1_MIN_STEP_ELEMENTS or out.dtype != torch.float32 or not out.is_cpu:
        return torch.Tensor.tanh_
    tmp = torch.empty(rows, out.shape[1], dtype=out.dtype)  # e + 2 of one step, (n_t, H)

    def tanh_by_expm1(o: Tensor) -> Tensor:  # in place over o, (n_t, H)
        o.clamp_(max=20.0).mul_(2.0).expm1_()
        e_plus_2 = tmp[: o.shape[0]]
        torch.add(o, 2.0, out=e_plus_2)
        return o.div_(e_plus_2)

    return tanh_by_expm1


def final_states(out: Tensor, sizes: list[int], last: Tensor | None, copy: bool = True) -> Tensor:
    """Each sequence's state at its own last step, (N, H): a new tensor, or a view if not ``copy``."""
    if last is None:  # all sequences have the same length
        view = out[out.shape[0] - sizes[-1]:]
        return view.clone() if copy else view
    return out.index_select(0, last)


_cache = threading.local()


def _scratch(like: Tensor) -> Tensor:
    """An uninitialised buffer shaped like ``like``, reused across calls on CPU (per thread and dtype).

    The backward's dz never leaves it, and a fresh large CPU allocation costs a page fault per
    4 KiB page on first touch (about as much as the work on it). At most 2**24 elements.
    """
    if like.device.type != "cpu" or like.numel() > 1 << 24:  # CUDA's caching allocator reuses memory
        return torch.empty_like(like, memory_format=torch.contiguous_format)
    buffers: dict[torch.dtype, Tensor] = _cache.__dict__.setdefault("buffers", {})
    buf = buffers.get(like.dtype)
    if buf is None or buf.numel() < like.numel():
        buf = buffers[like.dtype] = torch.empty(like.numel(), dtype=like.dtype)
    return buf[: like.numel()].view(like.shape)


def _derivative(d: Tensor, o: Tensor, relu: bool) -> None:
    """d *= the nonlinearity's derivative at the states o, in place: (n_t, H)."""
    if relu:
        _relu_backward(d, o, 0, grad_input=d)
    else:
        _tanh_backward(d, o, grad_input=d)


def _bptt_equal_lengths(
    dz: Tensor, g_out: Tensor, g_final: Tensor | None, w_hh: Tensor, out: Tensor, sizes: list[int], relu: bool
) -> None:
    """The sequential part of :func:`bptt` for sequences of equal length, into dz (R, H): each step
    computes g_t + dz_{t+1} W_hh in one ``addmm`` from g_out's rows (no copy of g_out first)."""
    dzs, outs, gs = dz.split_with_sizes(sizes), out.split_with_sizes(sizes), g_out.split_with_sizes(sizes)
    d = dzs[-1]  # the last step: (N, H)
    d.copy_(gs[-1])
    if g_final is not None:
        d.add_(g_final)
    _derivative(d, outs[-1], relu)
    for t in range(len(sizes) - 2, -1, -1):
        d = torch.addmm(gs[t], d, w_hh, out=dzs[t])  # g_t + dz_{t+1} W_hh, (N, H)
        _derivative(d, outs[t], relu)


def bptt(
    g_out: Tensor | None, g_final: Tensor | None, x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor,
    out: Tensor, sizes: list[int], last: Tensor | None, prev: Tensor | None, relu: bool,
    need: tuple[bool, bool, bool, bool, bool] = (True, True, True, True, True),
) -> tuple[Tensor | None, Tensor | None, Tensor | None, Tensor | None, Tensor | None]:
    """Backpropagation through time: dx (R, I), dh0 (N, H), dW_ih (H, I), dW_hh (H, H), db (H,).

    ``g_out`` (R, H) and ``g_final`` (N, H) are the gradients of the states and final states;
    ``need`` says which of the five gradients to compute (the others are None).
    """
    n0, rows = sizes[0], out.shape[0]
    dz = _scratch(out)  # dL/d(pre-activation), (R, H); starts as dL/dh from above
    if g_out is not None and last is None and sizes[0] * out.shape[1] >= BPTT_READ_G_MIN_STEP_ELEMENTS:
        _bptt_equal_lengths(dz, g_out, g_final, w_hh, out, sizes, relu)
    else:
        if g_out is None:
            dz.zero_()
        else:
            dz.copy_(g_out)
        if g_final is not None:
            if last is None:
                dz[rows - sizes[-1]:].add_(g_final)
            else:
                dz.index_add_(0, last, g_final)
        d_next, n_next = None, 0
        dzs, outs = dz.split_with_sizes(sizes), out.split_with_sizes(sizes)
        for t in range(len(sizes) - 1, -1, -1):  # the only sequential part: (n_t, H) @ (H, H) per step
            d = dzs[t]
            if d_next is not None:
                (d if n_next == sizes[t] else d[:n_next]).addmm_(d_next, w_hh)  # + dz_{t+1} W_hh
            _derivative(d, outs[t], relu)
            d_next, n_next = d, sizes[t]
    dx = dz.mm(w_ih) if need[0] else None  # (R, I)
    dh0 = dz[:n0].mm(w_hh) if need[1] else None  # (N, H): every sequence starts at step 0
    dw_ih = dz.t().mm(x) if need[2] else None  # (H, I): one GEMM over all steps
    dw_hh = None
    if need[3]:  # sum_t dz_t^T h_{t-1}: one GEMM over steps 1.., plus step 0 with h0
        h_prev = out[: rows - sizes[-1]] if prev is None else out.index_select(0, prev)  # (R - N, H)
        dw_hh = dz[n0:].t().mm(h_prev).addmm_(dz[:n0].t(), h0)
    db = dz.sum(0) if need[4] else None
    return dx, dh0, dw_ih, dw_hh, db


def packed_indices(batch_sizes: Tensor, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    """Row indices for packed data: ``last`` (N,), ``prev`` (R - N,), ``rev`` (R,).

    Row ``offsets[t] + b`` holds sequence ``b`` at step ``t``. ``rev`` maps each row to the same
    sequence's row at the mirrored step, reversing every sequence within its own length.
    """
    bs = batch_sizes.to(torch.long)  # (T,)
    n, steps = int(bs[0]), bs.numel()
    offsets = torch.cumsum(bs, 0) - bs  # (T,) first row of each step
    lengths = (bs.unsqueeze(0) > torch.arange(n).unsqueeze(1)).sum(1)  # (N,)
    t_row = torch.repeat_interleave(torch.arange(steps), bs)  # (R,) step of each row
    b_row = torch.arange(t_row.numel()) - offsets[t_row]  # (R,) sequence of each row
    last = offsets[lengths - 1] + torch.arange(n)
    prev = torch.arange(n, t_row.numel()) - bs[t_row[n:] - 1]
    rev = offsets[lengths[b_row] - 1 - t_row] + b_row
    return last.to(device), prev.to(device), rev.to(device)


def aten_layer(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None,
    sizes: list[int], relu: bool,
) -> tuple[Tensor, Tensor]:
    """The same layer through ATen's differentiable ``rnn_tanh``/``rnn_relu`` (as torch.nn.RNN)."""
    weights = [w_ih, w_hh] + ([b_ih, b_hh] if b_ih is not None and b_hh is not None else [])
    has_bias = len(weights) == 4
    fn = _VF.rnn_relu if relu else _VF.rnn_tanh
    if sizes[-1] == sizes[0]:  # padded: (T, N, I)
        out, h_n = fn(x.view(len(sizes), sizes[0], -1), h0.unsqueeze(0), weights, has_bias, 1, 0.0, False, False, False)
        return out.reshape(x.shape[0], -1), h_n[0]
    batch_sizes = torch.tensor(sizes, dtype=torch.long)
    out, h_n = fn(x, batch_sizes, h0.unsqueeze(0), weights, has_bias, 1, 0.0, False, False)
    return out, h_n[0]


class ElmanLayerFunction(torch.autograd.Function):
    """One layer and direction for eager autograd: BPTT backward, and a differentiable one for
    double backward (``create_graph=True``), which recomputes the layer with ``aten_layer``.

    The returned states are not saved for backward (an in-place change of them would make
    autograd refuse the backward): the backward reads a detached alias, which shares their
    version counter, and recomputes the states from the saved inputs if they were changed.
    """

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None,
        sizes: list[int], last: Tensor | None, prev: Tensor | None, relu: bool,
    ) -> tuple[Tensor, Tensor]:
        out = scan(x, h0, w_ih, w_hh, b_ih, b_hh, sizes, relu)
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh)
        ctx.states, ctx.version = out.detach(), out._version  # no reference cycle through out.grad_fn
        ctx.sizes, ctx.last, ctx.prev, ctx.relu = sizes, last, prev, relu
        ctx.set_materialize_grads(False)
        return out, final_states(out, sizes, last)

    @staticmethod
    def backward(ctx: Any, g_out: Tensor | None, g_final: Tensor | None) -> tuple[Tensor | None, ...]:
        x, h0, w_ih, w_hh, b_ih, b_hh = ctx.saved_tensors
        need = ctx.needs_input_grad[:6]
        if torch.is_grad_enabled():  # create_graph=True: differentiate a differentiable recomputation
            inputs = [t for t, n in zip((x, h0, w_ih, w_hh, b_ih, b_hh), need, strict=False) if n]
            ys = aten_layer(x, h0, w_ih, w_hh, b_ih, b_hh, ctx.sizes, ctx.relu)
            ys = (ys[0], final_states(ys[0], ctx.sizes, ctx.last))
            pairs = [(y, g) for y, g in zip(ys, (g_out, g_final), strict=False) if g is not None]
            grads = iter(torch.autograd.grad([y for y, _ in pairs], inputs, [g for _, g in pairs],
                                             create_graph=True, allow_unused=True))
            return tuple(next(grads) if n else None for n in need) + (None,) * 4
        out = ctx.states
        if out._version != ctx.version:  # the caller changed the returned states in place
            out = scan(x, h0, w_ih, w_hh, b_ih, b_hh, ctx.sizes, ctx.relu)
        dx, dh0, dw_ih, dw_hh, db = bptt(g_out, g_final, x, h0, w_ih, w_hh, out, ctx.sizes, ctx.last, ctx.prev,
                                         ctx.relu, (need[0], need[1], need[2], need[3], need[4] or need[5]))
        db_ih = db if need[4] else None
        db_hh = (db.clone() if need[4] and db is not None else db) if need[5] else None  # .grads must not alias
        return (dx, dh0, dw_ih, dw_hh, db_ih, db_hh) + (None,) * 4


def layer_autograd(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None,
    sizes: list[int], last: Tensor | None, prev: Tensor | None, relu: bool,
) -> tuple[Tensor, Tensor]:
    """``ElmanLayerFunction`` applied: all states (R, H) and final states (N, H)."""
    out: tuple[Tensor, Tensor] = ElmanLayerFunction.apply(  # type: ignore[no-untyped-call]  # untyped in torch
        x, h0, w_ih, w_hh, b_ih, b_hh, sizes, last, prev, relu
    )
    return out


# ----------------------------------------------------------------------------- the custom operator
# Padded input only (x is (T, N, I)); torch.compile and torch.export see one operator, whose
# backward is a second opaque operator, so neither unrolls the time loop.


@torch.library.custom_op("rnn_companion::elman_layer", mutates_args=())
def elman_layer(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None, relu: bool,
) -> tuple[Tensor, Tensor]:
    """One layer and direction over padded input: x (T, N, I), h0 (N, H) -> (T, N, H), (N, H)."""
    steps, n = x.shape[0], x.shape[1]
    hidden = w_hh.shape[0]
    if steps == 0 or n == 0:
        return x.new_zeros(steps, n, hidden), h0.clone()
    sizes = [n] * steps
    out = scan(x.reshape(steps * n, -1), h0, w_ih, w_hh, b_ih, b_hh, sizes, relu)
    return out.view(steps, n, hidden), final_states(out, sizes, None)


@elman_layer.register_fake
def _elman_layer_fake(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None, relu: bool,
) -> tuple[Tensor, Tensor]:
    return x.new_empty(x.shape[0], x.shape[1], w_hh.shape[0]), h0.new_empty(h0.shape)


@torch.library.custom_op("rnn_companion::elman_layer_backward", mutates_args=())
def elman_layer_backward(
    g_out: Tensor, g_final: Tensor, x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, out: Tensor, relu: bool,
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """:func:`bptt` of :func:`elman_layer`: dx (T, N, I), dh0, dW_ih, dW_hh, db (one bias gradient)."""
    steps, n = x.shape[0], x.shape[1]
    if steps == 0 or n == 0:
        return (torch.zeros_like(x), g_final.clone(), torch.zeros_like(w_ih), torch.zeros_like(w_hh),
                w_hh.new_zeros(w_hh.shape[0]))
    rows = steps * n
    dx, dh0, dw_ih, dw_hh, db = bptt(g_out.reshape(rows, -1), g_final, x.reshape(rows, -1), h0, w_ih, w_hh,
                                     out.reshape(rows, -1), [n] * steps, None, None, relu)
    assert dx is not None and dh0 is not None and dw_ih is not None and dw_hh is not None and db is not None
    return dx.view(x.shape), dh0, dw_ih, dw_hh, db


@elman_layer_backward.register_fake
def _elman_layer_backward_fake(
    g_out: Tensor, g_final: Tensor, x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, out: Tensor, relu: bool,
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    return (torch.empty_like(x), torch.empty_like(h0), torch.empty_like(w_ih), torch.empty_like(w_hh),
            w_hh.new_empty(w_hh.shape[0]))


def _setup_context(ctx: Any, inputs: tuple[Any, ...], output: tuple[Tensor, Tensor]) -> None:
    x, h0, w_ih, w_hh, b_ih, b_hh, relu = inputs
    ctx.save_for_backward(x, h0, w_ih, w_hh, output[0])
    ctx.relu = relu
    ctx.has_bias = b_ih is not None


def _backward(ctx: Any, g_out: Tensor | None, g_final: Tensor | None) -> tuple[Tensor | None, ...]:
    x, h0, w_ih, w_hh, out = ctx.saved_tensors
    g_out = torch.zeros_like(out) if g_out is None else g_out
    g_final = torch.zeros_like(h0) if g_final is None else g_final
    dx, dh0, dw_ih, dw_hh, db = elman_layer_backward(g_out, g_final, x, h0, w_ih, w_hh, out, ctx.relu)
    db_ih, db_hh = (db, db.clone()) if ctx.has_bias else (None, None)
    return dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None


elman_layer.register_autograd(_backward, setup_context=_setup_context)
