"""One Elman layer and direction on the fused Triton kernels, as a differentiable function.

Shape convention (stated once for this module): time-major, ``x`` is ``(T, B, I)``, ``h0`` is
``(B, H)``, all states ``out`` are ``(T, B, H)``; weights as in :class:`torch.nn.RNN`
(``w_ih`` (H, I), ``w_hh`` (H, H), biases (H,)).

Forward: the input projection of all ``T * B`` rows is one GEMM (``addmm`` with both biases
folded in), then one kernel launch runs all T steps. Backward: one kernel launch runs the
recurrence ``dz_t = (dh_t + dz_{t+1} W_hh) * act'(h_t)`` over all steps in reverse, then every
other gradient is one GEMM (or one sum) over all steps, as in :mod:`rnn_companion.elman`. The
GEMMs are torch's, so they follow torch's float32 matmul setting (``allow_tf32``,
``set_float32_matmul_precision``); the kernels' own products use TF32 under the same setting
(:func:`~rnn_companion.fused.triton_elman.input_precision`).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .dispatch import RNNSettings
from .triton_elman import fused_layer_backward, fused_layer_forward

__all__ = ["FusedElmanLayer", "fused_layer", "rnn_forward"]


def _project(x: Tensor, w_ih: Tensor, b_ih: Tensor | None, b_hh: Tensor | None) -> Tensor:
    """The hoisted input projection, (T, B, I) -> (T, B, H): x W_ih^T + b_ih + b_hh."""
    rows = x.reshape(-1, x.shape[-1])  # (T * B, I)
    bias = b_hh if b_ih is None else b_ih if b_hh is None else b_ih + b_hh  # (H,) or None
    xw = torch.mm(rows, w_ih.t()) if bias is None else torch.addmm(bias, rows, w_ih.t())
    return xw.view(x.shape[0], x.shape[1], w_ih.shape[0])


class FusedElmanLayer(torch.autograd.Function):
    """Outputs all states (T, B, H) and the final state (B, H); a hand-written backward."""

    @staticmethod
    def forward(
        ctx: torch.autograd.function.FunctionCtx, x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor,
        b_ih: Tensor | None, b_hh: Tensor | None, relu: bool,
    ) -> tuple[Tensor, Tensor]:
        out = fused_layer_forward(_project(x, w_ih, b_ih, b_hh), h0, w_hh, relu)
        ctx.save_for_backward(x, h0, w_ih, w_hh, out)
        ctx.relu = relu  # type: ignore[attr-defined]  # FunctionCtx declares no attributes
        ctx.set_materialize_grads(False)
        return out, out[-1].clone()

    @staticmethod
    def backward(
        ctx: torch.autograd.function.FunctionCtx, g_out: Tensor | None, g_final: Tensor | None,
    ) -> tuple[Tensor | None, ...]:
        if torch.is_grad_enabled():  # create_graph=True: the backward itself would need a backward
            raise RuntimeError(
                "the fused ElmanRNN path does not support double backward: its hand-written backward is "
                "not differentiable (got create_graph=True); use torch.nn.RNN for higher-order gradients"
            )
        x, h0, w_ih, w_hh, out = ctx.saved_tensors  # type: ignore[attr-defined]  # set by save_for_backward
        steps, batch, hidden = out.shape
        # dL/dh_t from above, (T, B, H), in a buffer we own
        grad = torch.zeros_like(out) if g_out is None else g_out.clone(memory_format=torch.contiguous_format)
        if g_final is not None:
            grad[-1] += g_final
        dz = fused_layer_backward(grad, out, w_hh, ctx.relu)  # type: ignore[attr-defined]  # set in forward
        dz_rows = dz.view(steps * batch, hidden)  # (T * B, H)
        need = ctx.needs_input_grad  # type: ignore[attr-defined]  # set by autograd
        dx = dh0 = dw_ih = dw_hh = db_ih = db_hh = None
        if need[0]:
            dx = dz_rows.mm(w_ih).view(steps, batch, -1)  # (T, B, I)
        if need[1]:
            dh0 = dz[0].mm(w_hh)  # (B, H)
        if need[2]:
            dw_ih = dz_rows.t().mm(x.reshape(steps * batch, -1))  # (H, I): one GEMM over all steps
        if need[3]:  # sum_t dz_t^T h_{t-1}: one GEMM over steps 1.., plus step 0 with h0
            dw_hh = dz[1:].reshape(-1, hidden).t().mm(out[:-1].reshape(-1, hidden)).addmm_(dz[0].t(), h0)
        if need[4] or need[5]:  # False for an absent bias
            db = dz_rows.sum(0)  # (H,)
            db_ih = db if need[4] else None
            db_hh = (db.clone() if need[4] else db) if need[5] else None  # .grad buffers must not alias
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None


def fused_layer(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None, relu: bool,
) -> tuple[Tensor, Tensor]:
    """All states (T, B, H) and the final state (B, H) of one layer and direction.

    Goes through :class:`FusedElmanLayer` when a gradient is needed, else straight to the kernel.
    """
    tensors = (x, h0, w_ih, w_hh, b_ih, b_hh)
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors):
        # torch declares Function.apply without types
        out, h_n = FusedElmanLayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, relu)  # type: ignore[no-untyped-call]
        return out, h_n
    out = fused_layer_forward(_project(x, w_ih, b_ih, b_hh), h0, w_hh, relu)
    return out, out[-1].clone()


def rnn_forward(module: torch.nn.Module, x: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Run a whole :class:`torch.nn.RNN` (or :class:`~rnn_companion.elman.ElmanRNN`) on the fused path.

    Uses the module's weights and settings (layers, directions, nonlinearity, bias,
    ``batch_first``); ``x`` is a batched, unpacked ``(T, B, I)`` tensor (``(B, T, I)`` if
    ``batch_first``) and ``hx`` ``(D * layers, B, H)`` or None. Returns ``(output, h_n)`` as the
    module would. Dropout between layers is not applied: a module with ``dropout > 0`` in
    training mode is refused.
    """
    settings = RNNSettings.of(module)
    if settings.dropout > 0 and module.training:
        raise ValueError(f"rnn_forward applies no dropout; got dropout={settings.dropout} in training mode")
    if x.dim() != 3:
        raise ValueError(f"x must be a batched (T, B, I) tensor, got {x.dim()} dimensions")
    layers, hidden, directions, batch_first, relu, bias, _ = settings
    seq = x.transpose(0, 1) if batch_first else x  # (T, B, I)
    if hx is None:
        hx = seq.new_zeros(layers * directions, seq.shape[1], hidden)
    finals = []
    for layer in range(layers):
        outs = []
        for direction in range(directions):
            suffix = f"l{layer}" + ("_reverse" if direction == 1 else "")
            w_ih, w_hh = getattr(module, f"weight_ih_{suffix}"), getattr(module, f"weight_hh_{suffix}")
            b_ih = getattr(module, f"bias_ih_{suffix}") if bias else None
            b_hh = getattr(module, f"bias_hh_{suffix}") if bias else None
            inp = seq if direction == 0 else seq.flip(0)
            out, h_n = fused_layer(inp, hx[layer * directions + direction], w_ih, w_hh, b_ih, b_hh, relu)
            outs.append(out if direction == 0 else out.flip(0))
            finals.append(h_n)
        seq = outs[0] if directions == 1 else torch.cat(outs, 2)  # (T, B, D * H)
    output = seq.transpose(0, 1) if batch_first else seq
    return output, torch.stack(finals)
