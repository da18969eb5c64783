"""The reference ``torch.nn.RNN``: forward and backpropagation through time in PyTorch's notation.

Shape conventions (stated once for this module): **time-major** like ``torch.nn.RNN``: input
``(L, N, H_in)`` (``(N, L, H_in)`` with ``batch_first=True``, or unbatched ``(L, H_in)``), output
``(L, N, D * H)``, hidden state ``(D * num_layers, N, H)``, ``D = 2`` for a bidirectional RNN and
``1`` otherwise. Weights are named and shaped as in the ``torch.nn.RNN`` state_dict, e.g.
``weight_ih_l0`` is ``(H, H_in)``, so ``h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.
Computations happen in the floating dtype of the inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple, overload

import numpy as np

from .._typing import Array
from ..params import ArrayLike, as_numeric, check_rnn_params
from ._common import RNN_NONLINEARITIES, activate, as_time_major, check_nonlinearity, derivative, float_dtype

__all__ = ["RNNCache", "rnn_forward", "rnn_backward"]


@dataclass
class RNNCache:
    """What :func:`rnn_backward` needs from :func:`rnn_forward` (time-major arrays)."""

    inputs: list[Array]  #: per layer, its input ``(L, N, F)``
    outputs: list[list[Array]]  #: per layer and direction, the hidden states ``(L, N, H)``
    h0: Array  #: ``(D * num_layers, N, H)``
    params: dict[str, Array]
    dtype: np.dtype[np.floating]
    num_layers: int
    num_directions: int
    hidden_size: int
    nonlinearity: str
    bias: bool
    batch_first: bool
    unbatched: bool


def initial_state(
    h0: ArrayLike | None, shape: tuple[int, int, int], unbatched: bool, dtype: np.dtype[np.floating]
) -> Array:
    if h0 is None:
        return np.zeros(shape, dtype=dtype)
    a = as_numeric(h0, "h0")
    expected = (shape[0], shape[2]) if unbatched else shape
    if a.ndim != len(expected):
        kind = "unbatched 2-D" if unbatched else "batched 3-D"
        raise ValueError(f"For {kind} input, h0 should be {len(expected)}-D with shape {expected}, got shape {a.shape}")
    if a.shape != expected:
        raise ValueError(f"Expected hidden size {expected}, got {a.shape}")
    return (a[:, None, :] if unbatched else a).astype(dtype)


class ForwardInputs(NamedTuple):
    """:func:`rnn_forward`'s arguments, checked and in one floating dtype (time-major)."""

    inp: Array  #: the first layer's input ``(L, N, F)``
    h0: Array  #: ``(D * num_layers, N, H)``
    params: dict[str, Array]
    dtype: np.dtype[np.floating]
    num_directions: int
    hidden_size: int
    unbatched: bool


def prepare_forward(
    x: ArrayLike, params: Mapping[str, ArrayLike], h0: ArrayLike | None, num_layers: int, nonlinearity: str,
    bias: bool, batch_first: bool, bidirectional: bool, *, copy: bool = True,
) -> ForwardInputs:
    """Check the arguments of :func:`rnn_forward` as ``torch.nn.RNN`` does and bring them to one
    dtype. With ``copy=False`` arrays already in that dtype (and C order) are used as they are."""
    check_nonlinearity(nonlinearity, RNN_NONLINEARITIES)
    if isinstance(num_layers, bool) or not isinstance(num_layers, (int, np.integer)) or num_layers < 1:
        raise ValueError(f"num_layers must be a positive integer, got {num_layers!r}")
    xt, unbatched = as_time_major(x, batch_first)
    L, N, input_size = xt.shape
    if L == 0:
        raise ValueError("RNN: Expected a sequence of length at least 1, got length 0")
    D = 2 if bidirectional else 1
    arrays, expected_size, H = check_rnn_params(params, num_layers, bias, D)
    if input_size != expected_size:
        raise ValueError(f"input.size(-1) must be equal to input_size. Expected {expected_size}, got {input_size}")
    dtype = float_dtype(xt, *arrays.values())
    P = {name: a.astype(dtype, copy=copy) for name, a in arrays.items()}
    h0_ = initial_state(h0, (D * num_layers, N, H), unbatched, dtype)
    inp = np.array(xt, dtype=dtype, order="C") if copy else np.ascontiguousarray(xt, dtype=dtype)
    return ForwardInputs(inp, h0_, P, dtype, D, H, unbatched)


def caller_layout(a: Array, unbatched: bool, batch_first: bool) -> Array:
    """A time-major ``(L, N, F)`` result in the layout of the caller's input."""
    if unbatched:
        return a[:, 0]
    return np.ascontiguousarray(a.transpose(1, 0, 2)) if batch_first else a


def backward_result(grads: dict[str, Array | None], dx: Array | None, dh0: Array, c: RNNCache
                    ) -> dict[str, Array | None]:
    """:func:`rnn_backward`'s result: the parameters' gradients in torch's order, then the
    input's (``None`` if not computed) and the initial state's, in the caller's layout."""
    out: dict[str, Array | None] = {name: grads[name] for name in c.params}
    out["input"] = None if dx is None else caller_layout(dx, c.unbatched, c.batch_first)
    out["h0"] = dh0[:, 0] if c.unbatched else dh0
    return out


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
    """Forward pass of a (multi-layer, optionally bidirectional) Elman RNN, as ``torch.nn.RNN``.

    Each layer ``k`` and direction computes ``h_t = phi(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``,
    where ``x_t`` is the input for ``k = 0`` and the (concatenated) output of layer ``k - 1``
    otherwise. The reverse direction runs from ``t = L - 1`` down to ``0``.

    Parameters
    ----------
    x
        Input, ``(L, N, H_in)``; ``(N, L, H_in)`` if ``batch_first``; or unbatched ``(L, H_in)``.
        A batch of ``N = 0`` sequences gives empty outputs, as in ``torch.nn.RNN``.
    params
        Arrays (or tensors) named as ``torch.nn.RNN(...).state_dict()``.
    h0
        Initial hidden state ``(D * num_layers, N, H)`` (``(D * num_layers, H)`` unbatched);
        zeros if ``None``. Ordered as torch: layer-major, forward direction first.
    num_layers, nonlinearity, bias, batch_first, bidirectional
        As in ``torch.nn.RNN``; ``nonlinearity`` is ``"tanh"`` or ``"relu"``.
    return_cache
        Also return the :class:`RNNCache` that :func:`rnn_backward` needs.

    Returns
    -------
    tuple
        ``(output, h_n)`` or, with ``return_cache``, ``(output, h_n, cache)``: ``output``
        ``(L, N, D * H)`` (``(N, L, D * H)`` if ``batch_first``, ``(L, D * H)`` unbatched): the last
        layer's hidden states, both directions concatenated; ``h_n``
        ``(D * num_layers, N, H)``: the final state of every layer and direction (for the
        reverse direction, the state at ``t = 0``); ``cache`` (with ``return_cache``).

    Raises
    ------
    ValueError
        For a wrong number of input dimensions, a wrong feature size, a wrong ``h0`` shape, an
        empty sequence, missing, unexpected or mis-shaped parameters, or an unknown nonlinearity.
    TypeError
        If ``params`` is not a mapping or an input is not numeric.
    """
    inp, h0_, P, dtype, D, H, unbatched = prepare_forward(
        x, params, h0, num_layers, nonlinearity, bias, batch_first, bidirectional)
    L, N = inp.shape[:2]  # inp: (L, N, F)
    inputs, outputs = [], []
    h_n = np.empty((D * num_layers, N, H), dtype=dtype)
    for k in range(num_layers):
        outs = []
        for d in range(D):
            sfx = f"_l{k}" + ("_reverse" if d else "")
            W_ih, W_hh = P["weight_ih" + sfx], P["weight_hh" + sfx]  # (H, F), (H, H)
            b = P["bias_ih" + sfx] + P["bias_hh" + sfx] if bias else np.zeros(H, dtype)  # (H,)
            out = np.empty((L, N, H), dtype=dtype)
            h = h0_[k * D + d]  # (N, H)
            for t in reversed(range(L)) if d else range(L):
                h = activate(inp[t] @ W_ih.T + b + h @ W_hh.T, nonlinearity)
                out[t] = h
            h_n[k * D + d] = h
            outs.append(out)
        inputs.append(inp)
        outputs.append(outs)
        inp = np.concatenate(outs, axis=2)  # (L, N, D*H): the next layer's input
    output = caller_layout(inp, unbatched, batch_first)
    h_n_out = h_n[:, 0] if unbatched else h_n
    if not return_cache:
        return output, h_n_out
    cache = RNNCache(inputs, outputs, h0_, P, dtype, num_layers, D, H, nonlinearity, bias, batch_first, unbatched)
    return output, h_n_out, cache


def grad_arg(g: ArrayLike | None, cache: RNNCache, shape: tuple[int, int, int], name: str, time_major: bool) -> Array:
    """A gradient argument of :func:`rnn_backward` in the cache's time-major layout (zeros for ``None``)."""
    if g is None:
        return np.zeros(shape, dtype=cache.dtype)
    a = as_numeric(g, name).astype(cache.dtype)
    if cache.unbatched:
        a = a[:, None, :]
    elif time_major and cache.batch_first:
        a = a.transpose(1, 0, 2)
    if a.shape != shape:
        raise ValueError(f"{name} must match the forward output's shape {shape}, got {a.shape}")
    return a


def rnn_backward(
    grad_output: ArrayLike | None, grad_h_n: ArrayLike | None, cache: RNNCache, *, need_input_grad: bool = True
) -> dict[str, Array | None]:
    """Backpropagation through time for :func:`rnn_forward`, written out step by step.

    Given ``dLoss/d output`` and ``dLoss/d h_n`` (same shapes as the forward's results;
    ``None`` means zeros), returns the gradient of every parameter (same names and shapes as
    ``params``), of the input (``"input"``; ``None`` if not ``need_input_grad``) and of the
    initial state (``"h0"``).

    Per layer and direction, going backwards in time:
    ``dz_t = phi'(z_t) * (g_t + dz_{t+1} W_hh)`` (``g_t`` from the layer above or the loss),
    and every step adds ``dz_t^T x_t`` to ``dW_ih``, ``dz_t^T h_{t-1}`` to ``dW_hh``, ``dz_t``
    to both biases, and ``dz_t W_ih`` to the gradient of that step's input.
    """
    c = cache
    L, N = c.inputs[0].shape[:2]
    D, H = c.num_directions, c.hidden_size
    gout = grad_arg(grad_output, c, (L, N, D * H), "grad_output", time_major=True)
    ghn = grad_arg(grad_h_n, c, (D * c.num_layers, N, H), "grad_h_n", time_major=False)
    grads: dict[str, Array | None] = {}
    dh0 = np.empty((D * c.num_layers, N, H), dtype=c.dtype)
    for k in reversed(range(c.num_layers)):
        inp = c.inputs[k]  # (L, N, F)
        dinp = np.zeros_like(inp)
        for d in range(D):
            sfx = f"_l{k}" + ("_reverse" if d else "")
            W_ih, W_hh, out = c.params["weight_ih" + sfx], c.params["weight_hh" + sfx], c.outputs[k][d]
            g = gout[:, :, d * H : (d + 1) * H]  # (L, N, H): from above
            dW_ih, dW_hh, db = np.zeros_like(W_ih), np.zeros_like(W_hh), np.zeros(H, c.dtype)
            dh = ghn[k * D + d]  # (N, H): running dLoss/dh_t through the recurrence
            order = range(L) if d else reversed(range(L))  # backwards in the direction's own time
            for t in order:
                t_prev = t + 1 if d else t - 1
                h_prev = c.h0[k * D + d] if t_prev in (-1, L) else out[t_prev]
                dz = derivative(out[t], c.nonlinearity) * (g[t] + dh)  # (N, H)
                dW_ih += dz.T @ inp[t]
                dW_hh += dz.T @ h_prev
                db += dz.sum(axis=0)
                dinp[t] += dz @ W_ih
                dh = dz @ W_hh
            dh0[k * D + d] = dh
            grads["weight_ih" + sfx], grads["weight_hh" + sfx] = dW_ih, dW_hh
            if c.bias:
                grads["bias_ih" + sfx], grads["bias_hh" + sfx] = db, db.copy()
        gout = dinp
    return backward_result(grads, gout if need_input_grad else None, dh0, c)
