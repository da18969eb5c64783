r"""The linear recurrence :math:`h_t = a_t \odot h_{t-1} + b_t` as a scan, in PyTorch.

Shape convention (stated once for this module): sequences are **time-first**. ``a`` and ``b``
have shape ``(T, ...)`` (any trailing dimensions, e.g. ``(T, batch, width)``) and are broadcast
against each other; ``h0`` has the shape of one step, ``(...)``; every function returns all
states ``h_1 .. h_T`` as one tensor of shape ``(T, ...)``. The product is elementwise: this is
a diagonal linear recurrence, one independent scalar recurrence per trailing index.

The step is an affine map :math:`h \mapsto a h + b`, and composing two of them,

.. math::

    (a_2, b_2) \circ (a_1, b_1) = (a_2 a_1,\; a_2 b_1 + b_2),

is associative. So all prefixes can be computed by a parallel scan
(Blelloch 1990; Martin and Cundy 2018 for linear RNNs):

* :func:`sequential_scan`: the loop, one step after the other; the oracle.
* :func:`linear_scan`: the work-efficient scan of Blelloch (an up-sweep that combines
  neighbouring blocks of 1, 2, 4, ... steps in place, then a down-sweep that fills in the
  remaining prefixes): :math:`O(T)` work, :math:`O(\log T)` dependent rounds of vectorised
  operations. With ``method="hillis_steele"`` it runs the simpler doubling scan instead,
  :math:`\lceil\log_2 T\rceil` rounds over the whole sequence, :math:`O(T \log T)` work.
  Any real ``a`` is allowed (negative, zero). Gradients come from a hand-written backward:
  the gradient of a linear scan is a linear scan run backwards in time.
* :func:`log_space_scan`: the closed form :math:`h_t = A_t (h_0 + \sum_{k \le t} b_k / A_k)`
  with :math:`A_t = \prod_{k \le t} a_k`, evaluated with cumulative sums of logarithms
  (``logcumsumexp``). It needs ``a > 0`` and loses relative precision as
  :math:`|\log A_t|` grows (see :func:`log_space_scan`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

__all__ = ["sequential_scan", "linear_scan", "log_space_scan", "scan_levels", "METHODS"]

#: The algorithms of :func:`linear_scan`.
METHODS = ("blelloch", "hillis_steele")


def _prepare(a: Tensor, b: Tensor, h0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
    """Check the arguments and broadcast ``a`` against ``b`` and ``h0`` against one step."""
    for name, x in (("a", a), ("b", b)) + ((("h0", h0),) if h0 is not None else ()):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if not x.is_floating_point():
            raise TypeError(f"{name} must have a floating dtype, got {x.dtype}")
    if a.dim() < 1 or b.dim() < 1:
        raise ValueError(f"a and b need a leading time dimension, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    try:
        shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise ValueError(
            f"a and b must broadcast to one shape (T, ...), got {tuple(a.shape)} and {tuple(b.shape)}"
        ) from None
    a, b = a.expand(shape), b.expand(shape)  # autograd sums the gradient of a broadcast argument
    if h0 is not None:
        try:
            fits = np.broadcast_shapes(tuple(h0.shape), shape[1:]) == shape[1:]
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"h0 must broadcast to one step {shape[1:]}, got {tuple(h0.shape)}")
        h0 = h0.expand(shape[1:])
    return a, b, h0


def sequential_scan(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """All states of ``h_t = a_t * h_{t-1} + b_t`` by a Python loop over ``t`` (``h_0 = h0`` or zeros).

    Differentiable through autograd. ``a`` and ``b``: ``(T, ...)``; returns ``(T, ...)``.
    """
    a, b, h0 = _prepare(a, b, h0)
    if b.shape[0] == 0:
        return b.clone()
    h = torch.zeros_like(b[0]) if h0 is None else h0
    states = []
    for a_t, b_t in zip(a.unbind(0), b.unbind(0), strict=True):  # unbind: one autograd node, not T
        h = a_t * h + b_t
        states.append(h)
    return torch.stack(states)


def scan_levels(T: int) -> list[int]:
    """The strides ``1, 2, 4, ...`` of the up-sweep of a Blelloch scan over ``T`` steps (``2 s <= T``)."""
    strides, s = [], 1
    while 2 * s <= T:
        strides.append(s)
        s *= 2
    return strides


@torch.no_grad()
def _blelloch_(a: Tensor, b: Tensor) -> Tensor:
    """In-place inclusive scan of the affine maps ``(a_t, b_t)`` along dim 0; returns ``b`` (the states).

    Up-sweep, stride ``s``: the block of ``s`` steps ending at ``r = 2s-1, 4s-1, ...`` absorbs the
    block ending at ``r - s``. Afterwards entry ``j`` holds the composition of the block of
    ``lowbit(j+1)`` steps that ends at ``j`` (a Fenwick-tree layout) and entries ``2^k - 1`` are
    final. Down-sweep, stride ``s`` from large to small: entry ``j = 3s-1, 5s-1, ...`` applies its
    block to the final state at ``j - s``. Both sweeps only touch strided views: two vectorised
    operations per level, and ``a`` and ``b`` are overwritten.
    """
    T = b.shape[0]
    levels = scan_levels(T)
    for s in levels:  # up-sweep: O(T) work in total
        right_a, right_b = a[2 * s - 1 :: 2 * s], b[2 * s - 1 :: 2 * s]
        left_a, left_b = a[s - 1 : T - s : 2 * s], b[s - 1 : T - s : 2 * s]
        right_b.addcmul_(right_a, left_b)  # b_r <- a_r b_l + b_r
        right_a.mul_(left_a)  # a_r <- a_r a_l
    for s in reversed(levels):  # down-sweep
        if 3 * s - 1 >= T:
            continue
        b[3 * s - 1 :: 2 * s].addcmul_(a[3 * s - 1 :: 2 * s], b[2 * s - 1 : T - s : 2 * s])
    return b


@torch.no_grad()
def _hillis_steele(a: Tensor, b: Tensor) -> Tensor:
    """Doubling scan: after round ``k`` entry ``t`` holds the composition of steps ``t - 2^k + 1 .. t``."""
    T, s = b.shape[0], 1
    while s < T:
        b = torch.cat((b[:s], torch.addcmul(b[s:], a[s:], b[:-s])))
        a = torch.cat((a[:s], a[s:] * a[:-s]))
        s *= 2
    return b


def _scan_values(a: Tensor, b: Tensor, h0: Tensor | None, method: str) -> Tensor:
    """The states, without autograd: fold ``h0`` into the first step and run the scan on copies."""
    with torch.no_grad():
        b = b.clone(memory_format=torch.contiguous_format)
        if h0 is not None and b.shape[0] > 0:
            b[0].addcmul_(a[0], h0)
        if method == "blelloch":
            return _blelloch_(a.clone(memory_format=torch.contiguous_format), b)
        return _hillis_steele(a, b)


class _LinearScan(torch.autograd.Function):
    """Forward: a parallel scan. Backward: the reversed scan ``g_t = dh_t + a_{t+1} g_{t+1}``."""

    @staticmethod
    def forward(ctx: Any, a: Tensor, b: Tensor, h0: Tensor | None, method: str) -> Tensor:
        h = _scan_values(a, b, h0, method)
        ctx.method = method
        ctx.has_h0 = h0 is not None
        ctx.save_for_backward(a, h, h0 if h0 is not None else h.new_zeros(h.shape[1:]))
        return h

    @staticmethod
    def backward(ctx: Any, grad_h: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None, None]:
        a, h, h0 = ctx.saved_tensors
        # g_t = dL/dh_t in total: g_T = grad_h_T, g_t = grad_h_t + a_{t+1} g_{t+1}, a scan backwards in time
        a_next = torch.cat((a[1:], torch.zeros_like(a[:1])))  # (T, ...): a_{t+1}, nothing after T
        g_reversed = _LinearScan.apply(  # type: ignore[no-untyped-call]  # torch's stub leaves apply untyped
            a_next.flip(0), grad_h.flip(0), None, ctx.method
        )
        g = g_reversed.flip(0)
        h_prev = torch.cat((h0.unsqueeze(0), h[:-1]))  # (T, ...): h_{t-1}
        grad_a = g * h_prev if ctx.needs_input_grad[0] else None
        grad_h0 = a[0] * g[0] if ctx.has_h0 and ctx.needs_input_grad[2] else None
        return grad_a, g, grad_h0, None


def linear_scan(a: Tensor, b: Tensor, h0: Tensor | None = None, *, method: str = "blelloch") -> Tensor:
    """All states of ``h_t = a_t * h_{t-1} + b_t`` (elementwise) by a parallel scan.

    Parameters
    ----------
    a, b
        Coefficients and inputs, ``(T, ...)``, broadcast against each other; ``a`` may be any real
        number (negative or zero included).
    h0
        The initial state ``(...)`` (broadcast to one step); zeros if ``None``.
    method
        ``"blelloch"`` (default, work-efficient, :math:`O(T)` work) or ``"hillis_steele"``
        (:math:`O(T \\log T)` work, fewer but larger rounds).

    Returns
    -------
    Tensor
        ``(T, ...)``, equal to :func:`sequential_scan` to rounding (the products are associated
        differently). Differentiable with respect to ``a``, ``b`` and ``h0`` (also twice).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    a, b, h0 = _prepare(a, b, h0)
    out: Tensor = _LinearScan.apply(a, b, h0, method)  # type: ignore[no-untyped-call]  # torch's stub is untyped
    return out


def log_space_scan(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """All states of ``h_t = a_t * h_{t-1} + b_t`` from cumulative sums in log space (needs ``a > 0``).

    With :math:`A_t = \\prod_{k \\le t} a_k`, the recurrence unrolls to
    :math:`h_t = A_t (h_0 + \\sum_{k \\le t} b_k / A_k)`. Written with logarithms,
    :math:`\\log A_t` is a cumulative sum and the sum over ``k`` is a ``logcumsumexp`` of
    :math:`\\log |b_k| - \\log A_k`, done separately for the positive and the negative ``b_k``.
    Nothing overflows or underflows, but :math:`h_t` is the difference
    :math:`\\log A_t + \\text{logcumsumexp}(\\dots)` of two numbers of size about
    :math:`|\\log A_t|`, so its relative error grows like :math:`\\varepsilon |\\log A_t|`
    (machine epsilon times a number that grows linearly with ``t`` when ``a < 1``).

    Raises
    ------
    ValueError
        If some ``a`` is not positive (the logarithm is undefined; use :func:`linear_scan`).
    """
    a, b, h0 = _prepare(a, b, h0)
    if a.numel() and not bool((a > 0).all()):
        raise ValueError(f"log_space_scan needs a > 0 everywhere, got min(a) = {float(a.min()):.3g}")
    if h0 is not None:  # h0 enters as an extra first input b_0 = h0 with a_0 = 1
        a = torch.cat((torch.ones_like(a[:1]), a))
        b = torch.cat((h0.unsqueeze(0), b))
    log_A = torch.cumsum(torch.log(a), dim=0)  # (T, ...)
    parts = []
    for sign in (1.0, -1.0):
        log_b = torch.log(torch.clamp(sign * b, min=0.0))  # -inf where this sign is absent
        parts.append(torch.exp(log_A + torch.logcumsumexp(log_b - log_A, dim=0)))
    h = parts[0] - parts[1]
    return h[1:] if h0 is not None else h
