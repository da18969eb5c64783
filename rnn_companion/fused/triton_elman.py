r"""Triton kernels for one Elman layer and direction: all T steps in one launch.

Shape convention (stated once for this module): sequences are time-major and contiguous,
``(T, B, H)`` (time steps, batch, hidden features); ``h0`` is ``(B, H)`` and ``w_hh`` is
``(H, H)``, as in :class:`torch.nn.RNN`.

The input projection ``X W_ih^T + b_ih + b_hh`` is *not* computed here: the caller hoists it
as one GEMM over all ``T * B`` rows and passes the result ``xw``. What remains is the
sequential part, one dependent product per step::

    forward   h_t  = act(xw_t + h_{t-1} W_hh^T)                     t = 0 .. T-1
    backward  dz_t = (dh_t + dz_{t+1} W_hh) * act'(h_t)              t = T-1 .. 0

Each kernel is one launch with one program per block of ``BLOCK_B`` batch entries; the
program loads ``W_hh`` (zero-padded to ``BLOCK_H x BLOCK_H``) once, keeps it on chip and loops
over all steps, carrying ``h`` (or ``dz``) in registers. Batch blocks are independent, so the
programs never synchronise. The per-step product is either a ``tl.dot`` (blocks of 16 rows or
more; Triton keeps its operands in shared memory) or broadcast products summed with ``tl.sum``
(any block; the weights in registers, which may spill at H = 256); :func:`launch_config` picks
one from the batch, the hidden size and the shared memory of the GPU. Both accumulate in
float32 for float32, bfloat16 and float16 inputs and in float64 for float64; ``tl.dot`` uses
``input_precision`` "ieee" unless torch's matmul setting allows "tf32" (see
:func:`input_precision`); the broadcast path is always full precision.

Triton is imported by this module; import it only when a CUDA tensor (or the interpreter,
``TRITON_INTERPRET=1``) needs it. The kernels are jitted on first use, so the interpreter
setting in force at that moment decides how they run.
"""

from __future__ import annotations

import contextlib
import functools
import os
from typing import NamedTuple

import torch
import triton
import triton.language as tl
from torch import Tensor

__all__ = [
    "MAX_ELEMENTS", "MAX_HIDDEN", "LaunchConfig", "fused_layer_forward", "fused_layer_backward", "input_precision",
    "dot_shared_bytes", "launch_config", "matmul_allows_tf32", "shared_budget",
]

#: The largest hidden size the kernels accept: W_hh must fit on chip.
MAX_HIDDEN = 256
#: The kernels address a (T, B, H) tensor with 32-bit offsets: fewer elements than this.
MAX_ELEMENTS = 2**31


def _forward_kernel(
    xw_ptr: tl.tensor, h0_ptr: tl.tensor, w_ptr: tl.tensor, out_ptr: tl.tensor, T: int, B: int, H: int,
    BLOCK_B: tl.constexpr, BLOCK_H: tl.constexpr, RELU: tl.constexpr, PRECISION: tl.constexpr,
    UPCAST: tl.constexpr, USE_DOT: tl.constexpr,
) -> None:
    rows = tl.program_id(0) * BLOCK_B + tl.arange(0, BLOCK_B)  # (BLOCK_B,) batch entries
    cols = tl.arange(0, BLOCK_H)  # (BLOCK_H,) hidden features
    col_ok = cols < H
    mask = (rows < B)[:, None] & col_ok[None, :]  # (BLOCK_B, BLOCK_H)
    tile = rows[:, None] * H + cols[None, :]  # offsets of this block within one (B, H) step
    w_ok = col_ok[:, None] & col_ok[None, :]
    # the weights, (BLOCK_H, BLOCK_H), loaded once and held for all steps: for tl.dot W_hh^T,
    # w[k, j] = W_hh[j, k]; for the broadcast path W_hh itself, w[j, k] (no transposed copy)
    if USE_DOT:
        w = tl.load(w_ptr + cols[None, :] * H + cols[:, None], mask=w_ok, other=0.0)
    else:
        w = tl.load(w_ptr + cols[:, None] * H + cols[None, :], mask=w_ok, other=0.0)
    if UPCAST:  # 16-bit weights, float32 copies (see _upcast): the products are exact either way
        w = w.to(tl.float32)
    h = tl.load(h0_ptr + tile, mask=mask, other=0.0)  # (BLOCK_B, BLOCK_H), zero in the padding
    step = B * H
    for _ in range(T):
        if USE_DOT:  # float32 (float64 for float64 input)
            z = tl.dot(h.to(w.dtype), w, input_precision=PRECISION)
        else:  # broadcast products (BLOCK_B, j, k), summed over k
            z = tl.sum(h.to(w.dtype)[:, None, :] * w[None, :, :], axis=2)
        z += tl.load(xw_ptr + tile, mask=mask, other=0.0).to(z.dtype)
        if RELU:
            y = tl.maximum(z, 0.0)
        else:  # tanh(z) = sign(z) (1 - e) / (1 + e), e = exp(-2 |z|): no overflow for any z
            e = tl.exp(-2.0 * tl.abs(z))
            y = (1.0 - e) / (1.0 + e)
            y = tl.where(z < 0.0, -y, y)
        h = y.to(out_ptr.dtype.element_ty)  # the stored state is the next step's input
        tl.store(out_ptr + tile, h, mask=mask)
        xw_ptr += step
        out_ptr += step


def _backward_kernel(
    grad_ptr: tl.tensor, out_ptr: tl.tensor, w_ptr: tl.tensor, dz_ptr: tl.tensor, T: int, B: int, H: int,
    BLOCK_B: tl.constexpr, BLOCK_H: tl.constexpr, RELU: tl.constexpr, PRECISION: tl.constexpr,
    UPCAST: tl.constexpr, USE_DOT: tl.constexpr,
) -> None:
    rows = tl.program_id(0) * BLOCK_B + tl.arange(0, BLOCK_B)  # (BLOCK_B,) batch entries
    cols = tl.arange(0, BLOCK_H)  # (BLOCK_H,) hidden features
    col_ok = cols < H
    mask = (rows < B)[:, None] & col_ok[None, :]
    tile = rows[:, None] * H + cols[None, :]
    # W_hh, (BLOCK_H, BLOCK_H), held for all steps: (dz_{t+1} W_hh)[b, k] = sum_j dz_{t+1}[b, j] W_hh[j, k]
    w = tl.load(w_ptr + cols[:, None] * H + cols[None, :], mask=col_ok[:, None] & col_ok[None, :], other=0.0)
    if UPCAST:
        w = w.to(tl.float32)
    step = B * H
    last = (T - 1) * step
    grad_ptr += last
    out_ptr += last
    dz_ptr += last
    dz_next = tl.full((BLOCK_B, BLOCK_H), 0.0, dtype=dz_ptr.dtype.element_ty)  # dz_T = 0
    for _ in range(T):
        if USE_DOT:  # (BLOCK_B, BLOCK_H), float32 or float64
            d = tl.dot(dz_next.to(w.dtype), w, input_precision=PRECISION)
        else:  # broadcast products (BLOCK_B, j, k), summed over j
            d = tl.sum(dz_next.to(w.dtype)[:, :, None] * w[None, :, :], axis=1)
        d += tl.load(grad_ptr + tile, mask=mask, other=0.0).to(d.dtype)  # + dL/dh_t from above
        y = tl.load(out_ptr + tile, mask=mask, other=0.0).to(d.dtype)  # h_t
        if RELU:
            d = tl.where(y > 0.0, d, 0.0)
        else:
            d = d * (1.0 - y * y)
        dz_next = d.to(dz_ptr.dtype.element_ty)
        tl.store(dz_ptr + tile, dz_next, mask=mask)
        grad_ptr -= step
        out_ptr -= step
        dz_ptr -= step


@functools.cache
def _kernels(interpret: bool) -> tuple[triton.JITFunction, triton.JITFunction]:
    """The two kernels, jitted under the interpreter setting of the first call (cached per setting)."""
    if interpret:
        from triton.runtime.interpreter import InterpretedFunction

        # Triton decorates its own library functions (tl.sum, ...) when it is first imported,
        # under the TRITON_INTERPRET of that moment; a kernel interpreted later cannot call them.
        if not isinstance(tl.sum, InterpretedFunction):
            raise RuntimeError(
                "TRITON_INTERPRET=1 must be set before triton is first imported in the process "
                "(triton was imported without it, so its library functions are compiled, not interpreted)"
            )
    return triton.jit(_forward_kernel), triton.jit(_backward_kernel)


def _interpreting() -> bool:
    """Whether triton.jit makes interpreted kernels now (``triton.knobs`` exists from Triton 3.3 on)."""
    knobs = getattr(triton, "knobs", None)
    if knobs is not None:
        return bool(knobs.runtime.interpret)
    return os.environ.get("TRITON_INTERPRET", "0").strip().lower() in ("1", "true", "on", "yes")


def _upcast(dtype: torch.dtype, use_dot: bool) -> bool:
    """Whether the products take float32 copies of 16-bit operands (float32 products of 16-bit
    values are exact, so only the accumulation differs): on the broadcast path, so that it sums
    in float32, and under the interpreter, whose 16-bit ``tl.dot`` multiplies the raw bits."""
    return dtype in (torch.bfloat16, torch.float16) and (not use_dot or _interpreting())


def input_precision(dtype: torch.dtype) -> str:
    """The ``tl.dot`` input precision torch would use for a matmul in ``dtype``.

    "tf32" only for float32 when torch's matmul setting allows TF32 (torch's default does not),
    otherwise "ieee" (full float32; the other dtypes ignore it).
    """
    return "tf32" if dtype == torch.float32 and matmul_allows_tf32() else "ieee"


def matmul_allows_tf32() -> bool:
    """Whether torch's float32 matmuls may use TF32, read as torch resolves it.

    ``torch.backends.cuda.matmul.fp32_precision`` (torch 2.9 and later) reflects every way of
    setting it (``allow_tf32``, ``set_float32_matmul_precision``, the new per-backend API); the
    legacy ``allow_tf32`` getter raises once the new API has been used, so it is read only on
    older versions.
    """
    matmul = torch.backends.cuda.matmul
    precision = getattr(matmul, "fp32_precision", None)
    if isinstance(precision, str):
        return precision == "tf32"
    return bool(matmul.allow_tf32)


class LaunchConfig(NamedTuple):
    block_b: int  # batch entries per program
    block_h: int  # the hidden size rounded up to a power of two (at least 16)
    num_warps: int
    use_dot: bool  # tl.dot, or broadcast products summed with tl.sum


def dot_shared_bytes(block_b: int, block_h: int, dtype: torch.dtype) -> int:
    """Shared memory the tl.dot path takes: the weights and one state block as dot operands
    (this formula matched what Triton 3.9 compiled for sm_90 in float32, float64 and bfloat16)."""
    operand = {torch.float64: 8, torch.float32: 4}.get(dtype, 2)
    return (block_h * block_h + block_b * block_h) * operand


def shared_budget(device: torch.device) -> int | None:
    """Bytes of shared memory one program may use on ``device``; None where there is no limit (CPU)."""
    if device.type != "cuda":
        return None
    props = torch.cuda.get_device_properties(device)
    return int(getattr(props, "shared_memory_per_block_optin", 99 * 1024)) - 4096  # room for Triton's scratch


def launch_config(
    batch: int, hidden: int, dtype: torch.dtype = torch.float32, budget: int | None = None,
) -> LaunchConfig:
    """How to launch the kernels (a first guess, not tuned on a GPU).

    Two ways to form the per-step product. ``tl.dot`` takes blocks of at least 16 rows (a batch
    of 1 is padded to 16) and holds its operands in shared memory, so it is used only where
    :func:`dot_shared_bytes` fits the ``budget`` (None: no limit). The broadcast path (``tl.sum``
    over a (BLOCK_B, H, H) product) takes any block and holds the weights in registers; it is
    chosen for batches up to 4 with ``BLOCK_B * BLOCK_H**2 <= 16384``, and wherever tl.dot does
    not fit (e.g. float32 at H = 256 on one SM's 227 KB), one or a few batch entries per program.
    ``RNN_COMPANION_FUSED_KERNEL=dot`` or ``=reduce`` forces one way (for benchmarks and tests).
    """
    if not 0 < hidden <= MAX_HIDDEN:
        raise ValueError(f"hidden size must be in 1..{MAX_HIDDEN} for the fused kernel, got {hidden}")
    block_h = max(16, triton.next_power_of_2(hidden))
    num_warps = {16: 1, 32: 2, 64: 4, 128: 8, 256: 16}[block_h]
    choice = os.environ.get("RNN_COMPANION_FUSED_KERNEL", "auto")
    if choice not in ("auto", "dot", "reduce"):
        raise ValueError(f"RNN_COMPANION_FUSED_KERNEL must be auto, dot or reduce, got {choice!r}")
    block_b = 16 if block_h >= 128 else min(64, max(16, triton.next_power_of_2(batch)))
    while budget is not None and block_b > 16 and dot_shared_bytes(block_b, block_h, dtype) > budget:
        block_b //= 2
    fits = budget is None or dot_shared_bytes(block_b, block_h, dtype) <= budget
    small = min(triton.next_power_of_2(batch), 4)
    if choice == "dot":
        if not fits:
            raise ValueError(
                f"the tl.dot path needs {dot_shared_bytes(block_b, block_h, dtype)} bytes of shared memory "
                f"for hidden {hidden} in {dtype}, more than the {budget} available"
            )
        return LaunchConfig(block_b, block_h, num_warps, True)
    if choice == "reduce" or not fits or (batch <= 4 and small * block_h * block_h <= 16384):
        return LaunchConfig(max(1, min(small, 16384 // (block_h * block_h))), block_h, num_warps, False)
    return LaunchConfig(block_b, block_h, num_warps, True)


def _device_guard(t: Tensor) -> contextlib.AbstractContextManager[object]:
    """Triton launches on the current CUDA device: make it the tensor's."""
    return torch.cuda.device(t.device) if t.is_cuda else contextlib.nullcontext()


def _check_size(t: Tensor) -> None:
    if t.numel() >= MAX_ELEMENTS:
        raise ValueError(f"the fused kernels take fewer than 2**31 elements (32-bit offsets), got {t.numel()}")


def _check(name: str, t: Tensor, shape: tuple[int, ...], like: Tensor) -> None:
    if tuple(t.shape) != shape or t.dtype != like.dtype or t.device != like.device:
        raise ValueError(
            f"{name} must be {shape} {like.dtype} on {like.device}, got {tuple(t.shape)} {t.dtype} on {t.device}"
        )


def _launch(kernel: triton.JITFunction, args: tuple[Tensor, Tensor, Tensor], relu: bool) -> Tensor:
    """Run a forward or backward kernel on ``args`` (a (T, B, H) sequence, then (B, H) or
    (T, B, H), then ``w_hh`` (H, H)): one program per block of batch rows, all steps inside it.
    Returns the kernel's (T, B, H) result, shaped like ``args[0]``."""
    seq = args[0]
    steps, batch, hidden = seq.shape
    config = launch_config(batch, hidden, seq.dtype, shared_budget(seq.device))
    ready = [a.contiguous() for a in args]
    result = torch.empty_like(ready[0])
    if result.numel() == 0:
        return result
    with _device_guard(seq):
        kernel[(triton.cdiv(batch, config.block_b),)](
            *ready, result, steps, batch, hidden,
            BLOCK_B=config.block_b, BLOCK_H=config.block_h, RELU=relu, PRECISION=input_precision(seq.dtype),
            UPCAST=_upcast(seq.dtype, config.use_dot), USE_DOT=config.use_dot, num_warps=config.num_warps,
        )
    return result


def fused_layer_forward(xw: Tensor, h0: Tensor, w_hh: Tensor, relu: bool) -> Tensor:
    """All states ``(T, B, H)`` of one layer and direction, in one kernel launch.

    ``xw`` (T, B, H) is the hoisted input projection ``X W_ih^T + b_ih + b_hh``; ``h0`` (B, H)
    the initial state; ``w_hh`` (H, H); ``relu`` picks relu instead of tanh.
    """
    if xw.dim() != 3:
        raise ValueError(f"xw must be (T, B, H), got {xw.dim()} dimensions")
    _, batch, hidden = xw.shape
    _check("h0", h0, (batch, hidden), xw)
    _check("w_hh", w_hh, (hidden, hidden), xw)
    _check_size(xw)
    forward, _ = _kernels(_interpreting())
    return _launch(forward, (xw, h0, w_hh), relu)  # out (T, B, H)


def fused_layer_backward(grad: Tensor, out: Tensor, w_hh: Tensor, relu: bool) -> Tensor:
    """``dz`` (T, B, H), the gradient with respect to every pre-activation, in one launch.

    ``grad`` (T, B, H) is dL/dh_t from above (the output's gradient, plus the final state's
    at the last step); ``out`` (T, B, H) the states of the forward; ``w_hh`` (H, H).
    """
    if out.dim() != 3:
        raise ValueError(f"out must be (T, B, H), got {out.dim()} dimensions")
    _, batch, hidden = out.shape
    _check("grad", grad, tuple(out.shape), out)
    _check("w_hh", w_hh, (hidden, hidden), out)
    _check_size(out)
    _, backward = _kernels(_interpreting())
    return _launch(backward, (grad, out, w_hh), relu)  # dz (T, B, H)
