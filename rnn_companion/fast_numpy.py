"""The fast NumPy contender of the benchmark: :func:`rnn_forward` and :func:`rnn_backward` tuned for the CPU.

Same arguments, results and shape conventions as :mod:`rnn_companion.reference.torch_notation`
(time-major ``(L, N, H_in)`` input, ``(L, N, D * H)`` output, ``(D * num_layers, N, H)`` state,
weights named as the ``torch.nn.RNN`` state_dict), and tested against it; only the arithmetic is
arranged for speed: the input projection of a layer is one GEMM over all ``L * N`` rows with both
biases folded in, each step writes into a preallocated buffer (``out=``), and in the backward pass
the weight-gradient GEMMs are hoisted out of the time loop. The book shows the reference; this
module is what ``rnn-companion bench`` times as ``numpy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, overload

import numpy as np

from ._typing import Array
from .params import ArrayLike
from .reference.torch_notation import RNNCache, backward_result, caller_layout, grad_arg, prepare_forward

__all__ = ["rnn_forward", "rnn_backward"]


def _activate_(z: Array, nonlinearity: str) -> Array:
    """Apply the nonlinearity in place and return ``z``."""
    if nonlinearity == "tanh":
        np.tanh(z, out=z)
    else:
        np.maximum(z, 0, out=z)
    return z


def _derivative(h: Array, nonlinearity: str) -> Array:
    """``phi'(z)`` through the activation ``h = phi(z)`` (a new array)."""
    if nonlinearity == "tanh":
        d = np.multiply(h, h)
        np.subtract(1, d, out=d)
        return d
    return (h > 0).astype(h.dtype)


def _layer_forward(xw: Array, w_hh_t: Array, h0: Array, nonlinearity: str, reverse: bool) -> Array:
    """``out[t] = phi(xw[t] + h_{t-1} W_hh^T)`` over ``xw (L, N, H)``; ``w_hh_t = W_hh^T``, ``h0 (N, H)``."""
    out = np.empty_like(xw)  # (L, N, H)
    h = h0
    for t in range(xw.shape[0] - 1, -1, -1) if reverse else range(xw.shape[0]):
        o = out[t]  # (N, H), a contiguous view
        np.matmul(h, w_hh_t, out=o)
        o += xw[t]
        _activate_(o, nonlinearity)
        h = o
    return out


def _layer_backward(
    gout: Array, dh: Array, out: Array, w_hh: Array, nonlinearity: str, reverse: bool
) -> tuple[Array, Array]:
    """BPTT through one direction: ``dz (L, N, H)`` (pre-activation gradients) and ``dh0 (N, H)``."""
    dz = _derivative(out, nonlinearity)  # phi'(z_t), overwritten by dz_t below
    dh = dh.copy()  # (N, H), running dLoss/dh_t
    buf = np.empty_like(dh)
    for t in range(out.shape[0]) if reverse else range(out.shape[0] - 1, -1, -1):
        d = dz[t]
        np.add(gout[t], dh, out=buf)  # total dLoss/dh_t
        d *= buf
        np.matmul(d, w_hh, out=dh)  # dLoss/dh_{t-1} through the recurrence
    return dz, dh


def _hidden_weight_grad(dz: Array, out: Array, h0: Array, reverse: bool) -> Array:
    """``dW_hh = sum_t dz_t^T h_{t-1}`` ``(H, H)`` as two GEMMs over all steps."""
    L, _, H = dz.shape
    if reverse:  # h_{t-1} is out[t+1]; the last position sees h0
        g: Array = dz[L - 1].T @ h0
        if L > 1:
            g += dz[:-1].reshape(-1, H).T @ out[1:].reshape(-1, H)
    else:
        g = dz[0].T @ h0
        if L > 1:
            g += dz[1:].reshape(-1, H).T @ out[:-1].reshape(-1, H)
    return g


@overload
def rnn_forward(
    x: ArrayLike, params: Mapping[str, ArrayLike], h0: ArrayLike | None = ..., *, num_layers: int = ...,
    nonlinearity: str = ..., bias: bool = ..., batch_first: bool = ..., bidirectional: bool = ...,
    return_cache: Literal[False] = ...,
) -> tuple[Array, Array]: ...
@overload
def rnn_forward(
    x: ArrayLike, params: Mapping[str, ArrayLike], h0: ArrayLike | None = ..., *, num_layers: int = ...,
    nonlinearity: str = ..., bias: bool = ..., batch_first: bool = ..., bidirectional: bool = ...,
    return_cache: Literal[True],
) -> tuple[Array, Array, RNNCache]: ...
def rnn_forward(
    x: ArrayLike,
    params: Mapping[str, ArrayLike],
    h0: ArrayLike | None = None,
    *,
    num_layers: int = 1,
    nonlinearity: str = "tanh",
    bias: bool = True,
    batch_first: bool = False,
    bidirectional: bool = False,
    return_cache: bool = False,
) -> tuple[Array, Array] | tuple[Array, Array, RNNCache]:
    """:func:`rnn_companion.reference.rnn_forward`, arranged for speed (same arguments and results)."""
    inp, h0_, P, dtype, D, H, unbatched = prepare_forward(
        x, params, h0, num_layers, nonlinearity, bias, batch_first, bidirectional, copy=False)
    L, N = inp.shape[:2]  # inp: (L, N, F)
    inputs, outputs = [], []
    h_n = np.empty((D * num_layers, N, H), dtype=dtype)
    for k in range(num_layers):
        outs = []
        for d in range(D):
            sfx = f"_l{k}" + ("_reverse" if d else "")
            xw = inp.reshape(L * N, inp.shape[2]) @ P["weight_ih" + sfx].T  # (L*N, H): hoisted projection
            if bias:
                xw += P["bias_ih" + sfx] + P["bias_hh" + sfx]
            out = _layer_forward(xw.reshape(L, N, H), P["weight_hh" + sfx].T, h0_[k * D + d], nonlinearity, d == 1)
            h_n[k * D + d] = out[0] if d == 1 else out[L - 1]
            outs.append(out)
        inputs.append(inp)
        outputs.append(outs)
        inp = outs[0] if D == 1 else np.concatenate(outs, axis=2)  # (L, N, D*H)
    output = caller_layout(inp, unbatched, batch_first)
    h_n_out = h_n[:, 0] if unbatched else h_n
    if not return_cache:
        return output, h_n_out
    cache = RNNCache(inputs, outputs, h0_, P, dtype, num_layers, D, H, nonlinearity, bias, batch_first, unbatched)
    return output, h_n_out, cache


def rnn_backward(
    grad_output: ArrayLike | None, grad_h_n: ArrayLike | None, cache: RNNCache, *, need_input_grad: bool = True
) -> dict[str, Array | None]:
    """:func:`rnn_companion.reference.rnn_backward`, arranged for speed (same arguments and results).

    With ``need_input_grad=False`` the first layer's input-gradient GEMM is skipped.
    """
    c = cache
    L, N = c.inputs[0].shape[:2]
    D, H = c.num_directions, c.hidden_size
    gout: Array | None = grad_arg(grad_output, c, (L, N, D * H), "grad_output", time_major=True)
    ghn = grad_arg(grad_h_n, c, (D * c.num_layers, N, H), "grad_h_n", time_major=False)
    grads: dict[str, Array | None] = {}
    dh0 = np.empty((D * c.num_layers, N, H), dtype=c.dtype)
    for k in range(c.num_layers - 1, -1, -1):
        assert gout is not None  # layers above the first always pass a gradient down
        inp = c.inputs[k]
        F = inp.shape[2]
        inp2 = inp.reshape(L * N, F)
        dinp: Array | None = None
        for d in range(D):
            sfx = f"_l{k}" + ("_reverse" if d else "")
            w_ih, w_hh = c.params["weight_ih" + sfx], c.params["weight_hh" + sfx]
            g = gout if D == 1 else gout[:, :, d * H : (d + 1) * H]
            dz, dh0[k * D + d] = _layer_backward(g, ghn[k * D + d], c.outputs[k][d], w_hh, c.nonlinearity, d == 1)
            dz2 = dz.reshape(L * N, H)
            grads["weight_ih" + sfx] = dz2.T @ inp2  # (H, F)
            grads["weight_hh" + sfx] = _hidden_weight_grad(dz, c.outputs[k][d], c.h0[k * D + d], d == 1)
            if c.bias:
                db = dz2.sum(axis=0)
                grads["bias_ih" + sfx], grads["bias_hh" + sfx] = db, db.copy()
            if k > 0 or need_input_grad:
                dinp = dz2 @ w_ih if dinp is None else dinp + dz2 @ w_ih  # (L*N, F)
        gout = dinp.reshape(L, N, F) if dinp is not None else None
    return backward_result(grads, gout, dh0, c)
