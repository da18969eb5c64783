"""A NumPy reference implementation of Elman RNNs, with hand-written backpropagation through time.

Shape conventions (stated once for this module):

* The PyTorch-style functions (:func:`rnn_forward`, :func:`rnn_backward`, :func:`jordan_forward`)
  are **time-major** like ``torch.nn.RNN``: input ``(L, N, H_in)`` (``(N, L, H_in)`` with
  ``batch_first=True``, or unbatched ``(L, H_in)``), output ``(L, N, D * H)``, hidden state
  ``(D * num_layers, N, H)``, where ``D = 2`` for a bidirectional RNN and ``1`` otherwise.
  Their weights are named and shaped exactly as in the ``torch.nn.RNN`` state_dict, e.g.
  ``weight_ih_l0`` is ``(H, H_in)`` (column-vector notation, ``h_t = tanh(W_ih x_t + ...)``).
* The source-notation functions (:func:`elman_step`, :func:`elman_forward`,
  :func:`elman_backward`, :func:`output_layer`, :func:`output_layer_backward`) use the book's
  row-vector minibatches: ``X_t`` is ``(n, d)``, ``H_t`` is ``(n, h)``, ``O_t`` is ``(n, q)``;
  a sequence is stacked time-first as ``X`` of shape ``(T, n, d)``; ``W_xh`` is ``(d, h)``,
  ``W_hh`` is ``(h, h)``, ``b_h`` is ``(1, h)`` or ``(h,)``, ``W_hq`` is ``(h, q)`` and ``b_q`` is
  ``(1, q)`` or ``(q,)``, so that ``H_t = phi(X_t W_xh + H_{t-1} W_hh + b_h)``.

All computations happen in the floating dtype of the inputs (use ``float64`` to compare against
autograd or finite differences). The implementation follows the fast CPU recipe: the input
projection of a layer is one GEMM over all ``L * N`` rows with both biases folded into it, the
per-step work writes into preallocated buffers (``out=``), and in the backward pass the
weight-gradient GEMMs are hoisted out of the time loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = [
    "rnn_forward",
    "rnn_backward",
    "elman_step",
    "elman_forward",
    "elman_backward",
    "output_layer",
    "output_layer_backward",
    "jordan_forward",
]

_RNN_NONLINEARITIES = ("tanh", "relu")
_SOURCE_NONLINEARITIES = ("tanh", "relu", "sigmoid")


# --------------------------------------------------------------------------- helpers
def _asarray(value: Any, name: str) -> np.ndarray:
    """Convert a tensor or array-like to a NumPy array; reject non-numeric data."""
    if hasattr(value, "detach"):  # torch.Tensor, without importing torch
        value = value.detach().cpu().numpy()
    arr = np.asarray(value)
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    return arr


def _float_dtype(*arrays: np.ndarray) -> np.dtype:
    dtype = np.result_type(*arrays)
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def _activate_(z: np.ndarray, nonlinearity: str) -> np.ndarray:
    """Apply the nonlinearity in place and return ``z``."""
    if nonlinearity == "tanh":
        np.tanh(z, out=z)
    elif nonlinearity == "relu":
        np.maximum(z, 0, out=z)
    else:  # sigmoid
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1
        np.reciprocal(z, out=z)
    return z


def _derivative(h: np.ndarray, nonlinearity: str) -> np.ndarray:
    """phi'(z) expressed through the activation ``h = phi(z)`` (a new array)."""
    if nonlinearity == "tanh":
        d = np.multiply(h, h)
        np.subtract(1, d, out=d)
        return d
    if nonlinearity == "relu":
        return (h > 0).astype(h.dtype)
    return h * (1 - h)  # sigmoid


def _check_nonlinearity(nonlinearity: str, allowed: tuple[str, ...]) -> None:
    if nonlinearity not in allowed:
        names = " or ".join(repr(a) for a in allowed)
        raise ValueError(f"Unknown nonlinearity {nonlinearity!r}. Select from {names}.")


# --------------------------------------------------------------------------- one layer, one direction
def _layer_forward(
    xw: np.ndarray, w_hh_t: np.ndarray, h0: np.ndarray, nonlinearity: str, reverse: bool
) -> np.ndarray:
    """Run the recurrence over a precomputed input projection.

    xw: (L, N, H) = x W_ih^T + b_ih + b_hh; w_hh_t: (H, H) = W_hh^T; h0: (N, H).
    Returns out: (L, N, H), out[t] = phi(xw[t] + h_{t-1} W_hh^T) (h_{t-1} = out[t+1] if reverse).
    """
    out = np.empty_like(xw)  # (L, N, H)
    h = h0
    steps = range(xw.shape[0] - 1, -1, -1) if reverse else range(xw.shape[0])
    for t in steps:
        o = out[t]  # (N, H), a contiguous view
        np.matmul(h, w_hh_t, out=o)
        o += xw[t]
        _activate_(o, nonlinearity)
        h = o
    return out


def _layer_backward(
    gout: np.ndarray,
    dh: np.ndarray,
    out: np.ndarray,
    w_hh: np.ndarray,
    nonlinearity: str,
    reverse: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """BPTT through one direction of one layer.

    gout: (L, N, H) dLoss/d out (from above, not including the recurrence); dh: (N, H) dLoss/d h_n;
    out: (L, N, H) forward activations; w_hh: (H, H).
    Returns dz: (L, N, H) = dLoss/d(pre-activation) and dh0: (N, H).
    """
    dz = _derivative(out, nonlinearity)  # (L, N, H), phi'(z_t); overwritten by dz_t below
    dh = dh.copy()  # (N, H), running dLoss/dh_t
    buf = np.empty_like(dh)
    steps = range(out.shape[0]) if reverse else range(out.shape[0] - 1, -1, -1)
    for t in steps:
        d = dz[t]
        np.add(gout[t], dh, out=buf)  # total dLoss/dh_t
        d *= buf  # dz_t = phi'(z_t) * dLoss/dh_t
        np.matmul(d, w_hh, out=dh)  # dLoss/dh_{t-1} through the recurrence
    return dz, dh


def _hidden_weight_grad(dz: np.ndarray, out: np.ndarray, h0: np.ndarray, reverse: bool) -> np.ndarray:
    """dW_hh = sum_t dz_t^T h_{t-1}: (H, H), as two GEMMs over all steps (no concatenation)."""
    L, N, H = dz.shape
    if reverse:  # h_{t-1} is out[t+1]; the last position sees h0
        g = dz[L - 1].T @ h0
        if L > 1:
            g += dz[:-1].reshape(-1, H).T @ out[1:].reshape(-1, H)
    else:
        g = dz[0].T @ h0
        if L > 1:
            g += dz[1:].reshape(-1, H).T @ out[:-1].reshape(-1, H)
    return g


# --------------------------------------------------------------------------- torch-style API
def _check_params(
    params: dict[str, Any],
    num_layers: int,
    bias: bool,
    num_directions: int,
) -> tuple[dict[str, np.ndarray], int, int]:
    """Validate names and shapes of a torch-style parameter dict.

    Returns the arrays (in torch's order), the input size and the hidden size.
    """
    if not isinstance(params, Mapping):
        raise TypeError(
            f"params must be a dict of arrays named like torch.nn.RNN's state_dict, got {type(params).__name__}"
        )
    for name in ("weight_ih_l0", "weight_hh_l0"):
        if name not in params:
            raise ValueError(f"params is missing {name!r}; got keys {sorted(params)}")
    w_ih, w_hh = _asarray(params["weight_ih_l0"], "weight_ih_l0"), _asarray(params["weight_hh_l0"], "weight_hh_l0")
    if w_hh.ndim != 2 or w_hh.shape[0] != w_hh.shape[1]:
        raise ValueError(f"weight_hh_l0 must have shape (H, H), got {w_hh.shape}")
    hidden = w_hh.shape[0]
    if w_ih.ndim != 2:
        raise ValueError(f"weight_ih_l0 must have shape ({hidden}, input_size), got {w_ih.shape}")
    input_size = w_ih.shape[1]
    expected: dict[str, tuple[int, ...]] = {}
    for k in range(num_layers):
        in_k = input_size if k == 0 else num_directions * hidden
        for d in range(num_directions):
            sfx = f"_l{k}" + ("_reverse" if d else "")
            expected["weight_ih" + sfx] = (hidden, in_k)
            expected["weight_hh" + sfx] = (hidden, hidden)
            if bias:
                expected["bias_ih" + sfx] = (hidden,)
                expected["bias_hh" + sfx] = (hidden,)
    missing = [n for n in expected if n not in params]
    if missing:
        raise ValueError(f"params is missing {missing} (expected keys {list(expected)}, got {sorted(params)})")
    unexpected = [n for n in params if n not in expected]
    if unexpected:
        raise ValueError(
            f"params has unexpected keys {unexpected} for num_layers={num_layers}, bias={bias}, "
            f"bidirectional={num_directions == 2} (expected keys {list(expected)})"
        )
    arrays = {}
    for name, shape in expected.items():
        arr = _asarray(params[name], name)
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
        arrays[name] = arr
    return arrays, input_size, hidden


def rnn_forward(
    x: Any,
    params: dict[str, Any],
    h0: Any = None,
    *,
    num_layers: int = 1,
    nonlinearity: str = "tanh",
    bias: bool = True,
    batch_first: bool = False,
    bidirectional: bool = False,
    return_cache: bool = False,
) -> tuple[np.ndarray, ...]:
    """Forward pass of a (multi-layer, optionally bidirectional) Elman RNN, as ``torch.nn.RNN``.

    Each layer ``k`` and direction computes
    ``h_t = phi(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, where ``x_t`` is the input for
    ``k = 0`` and the (concatenated) output of layer ``k - 1`` otherwise. The reverse direction
    runs from ``t = L - 1`` down to ``0``.

    Parameters
    ----------
    x
        Input, ``(L, N, H_in)``; ``(N, L, H_in)`` if ``batch_first``; or unbatched ``(L, H_in)``.
    params
        Arrays (or tensors) named as ``torch.nn.RNN(...).state_dict()``: ``weight_ih_l{k}``
        ``(H, H_in or D*H)``, ``weight_hh_l{k}`` ``(H, H)``, ``bias_ih_l{k}``, ``bias_hh_l{k}``
        ``(H,)``, and the same names with ``_reverse`` for the second direction.
    h0
        Initial hidden state ``(D * num_layers, N, H)`` (``(D * num_layers, H)`` for unbatched
        input); zeros if ``None``. Ordered as torch: layer-major, forward direction first.
    num_layers, nonlinearity, bias, batch_first, bidirectional
        As in ``torch.nn.RNN``; ``nonlinearity`` is ``"tanh"`` or ``"relu"``.
    return_cache
        Also return a cache for :func:`rnn_backward`.

    Returns
    -------
    output : numpy.ndarray
        ``(L, N, D * H)`` (``(N, L, D * H)`` if ``batch_first``, ``(L, D * H)`` if unbatched):
        the last layer's hidden states, both directions concatenated on the last axis.
    h_n : numpy.ndarray
        ``(D * num_layers, N, H)`` (``(D * num_layers, H)`` if unbatched): the final hidden state
        of every layer and direction (for the reverse direction, the state at ``t = 0``).
    cache : dict
        Only if ``return_cache``; pass it to :func:`rnn_backward`.

    Raises
    ------
    ValueError
        For a wrong number of input dimensions, a wrong feature size, a wrong ``h0`` shape,
        missing, unexpected or mis-shaped parameters, or an unknown nonlinearity.
    TypeError
        If ``params`` is not a mapping or an input is not numeric.
    """
    _check_nonlinearity(nonlinearity, _RNN_NONLINEARITIES)
    if isinstance(num_layers, bool) or not isinstance(num_layers, (int, np.integer)) or num_layers < 1:
        raise ValueError(f"num_layers must be a positive integer, got {num_layers!r}")
    x = _asarray(x, "x")
    if x.ndim not in (2, 3):
        raise ValueError(f"RNN: Expected input to be 2D or 3D, got {x.ndim}D array instead")
    unbatched = x.ndim == 2
    if unbatched:
        x = x[:, None, :]  # (L, 1, H_in)
    elif batch_first:
        x = x.transpose(1, 0, 2)  # (N, L, H_in) -> (L, N, H_in)
    L, N, input_size = x.shape
    if L == 0:
        raise ValueError("RNN: Expected a sequence of length at least 1, got length 0")
    D = 2 if bidirectional else 1
    arrays, expected_size, H = _check_params(params, num_layers, bias, D)
    if input_size != expected_size:
        raise ValueError(f"input.size(-1) must be equal to input_size. Expected {expected_size}, got {input_size}")
    dtype = _float_dtype(x, *arrays.values())
    expected_h0 = (D * num_layers, H) if unbatched else (D * num_layers, N, H)
    if h0 is None:
        h0 = np.zeros((D * num_layers, N, H), dtype=dtype)
    else:
        h0 = _asarray(h0, "h0")
        if h0.ndim != len(expected_h0):
            kind = "unbatched 2-D" if unbatched else "batched 3-D"
            raise ValueError(f"For {kind} input, h0 should be {len(expected_h0)}-D with shape {expected_h0}, got shape {h0.shape}")
        if h0.shape != expected_h0:
            raise ValueError(f"Expected hidden size {expected_h0}, got {h0.shape}")
        h0 = h0.astype(dtype, copy=False)
        if unbatched:
            h0 = h0[:, None, :]
    inp = np.ascontiguousarray(x, dtype=dtype)  # (L, N, H_in)
    layers = []  # per layer: (input, [out per direction])
    h_n = np.empty((D * num_layers, N, H), dtype=dtype)
    for k in range(num_layers):
        outs = []
        for d in range(D):
            sfx = f"_l{k}" + ("_reverse" if d else "")
            w_ih = arrays["weight_ih" + sfx].astype(dtype, copy=False)  # (H, F)
            w_hh = arrays["weight_hh" + sfx].astype(dtype, copy=False)  # (H, H)
            xw = inp.reshape(L * N, -1) @ w_ih.T  # (L*N, H): hoisted input projection
            if bias:
                xw += arrays["bias_ih" + sfx].astype(dtype, copy=False) + arrays["bias_hh" + sfx].astype(dtype, copy=False)
            out = _layer_forward(xw.reshape(L, N, H), w_hh.T, h0[k * D + d], nonlinearity, reverse=d == 1)
            h_n[k * D + d] = out[0] if d == 1 else out[L - 1]
            outs.append(out)
        layers.append((inp, outs))
        inp = outs[0] if D == 1 else np.concatenate(outs, axis=2)  # (L, N, D*H)
    output = inp
    if unbatched:
        output, h_n_ret = output[:, 0, :], h_n[:, 0, :]
    else:
        h_n_ret = h_n
        if batch_first:
            output = np.ascontiguousarray(output.transpose(1, 0, 2))
    if not return_cache:
        return output, h_n_ret
    cache = {
        "layers": layers,
        "h0": h0,
        "params": arrays,
        "dtype": dtype,
        "num_layers": num_layers,
        "num_directions": D,
        "hidden_size": H,
        "nonlinearity": nonlinearity,
        "bias": bias,
        "batch_first": batch_first,
        "unbatched": unbatched,
    }
    return output, h_n_ret, cache


def rnn_backward(
    grad_output: Any,
    grad_h_n: Any,
    cache: dict[str, Any],
    *,
    need_input_grad: bool = True,
) -> dict[str, np.ndarray | None]:
    """Hand-written backpropagation through time for :func:`rnn_forward`.

    Given the gradients of a scalar loss with respect to the two outputs of
    ``rnn_forward(..., return_cache=True)``, return the gradients with respect to every parameter,
    the input and the initial hidden state.

    Parameters
    ----------
    grad_output
        dLoss/d output, same shape as ``output`` (``None`` means zeros).
    grad_h_n
        dLoss/d h_n, same shape as ``h_n`` (``None`` means zeros).
    cache
        The third value returned by ``rnn_forward(..., return_cache=True)``.
    need_input_grad
        If ``False``, skip the first layer's input-gradient GEMM and return ``None`` for
        ``"input"`` (like an input that does not require grad in PyTorch).

    Returns
    -------
    dict
        One entry per parameter, with the same names and shapes as ``params``; ``"input"``
        (shape of ``x``) and ``"h0"`` (shape of ``h0``, or of the zeros used when ``h0`` was
        ``None``).

    Notes
    -----
    Per layer and direction the time loop only does
    ``dz_t = phi'(z_t) * (g_t + dz_{t+1} W_hh)``; then ``dW_hh = sum_t dz_t^T h_{t-1}``,
    ``dW_ih = sum_t dz_t^T x_t``, ``db_ih = db_hh = sum_t dz_t`` and ``dx_t = dz_t W_ih``
    are single GEMMs (or sums) over all time steps.
    """
    layers, arrays, dtype = cache["layers"], cache["params"], cache["dtype"]
    D, H, num_layers = cache["num_directions"], cache["hidden_size"], cache["num_layers"]
    nonlinearity, bias = cache["nonlinearity"], cache["bias"]
    L, N = layers[0][0].shape[:2]
    shape_out = (L, N, D * H)
    shape_hn = (D * num_layers, N, H)

    def _grad(g: Any, shape: tuple[int, ...], name: str, time_major: bool) -> np.ndarray:
        if g is None:
            return np.zeros(shape, dtype=dtype)
        g = _asarray(g, name).astype(dtype, copy=False)
        if cache["unbatched"]:
            g = g[:, None, :]
        elif time_major and cache["batch_first"]:
            g = g.transpose(1, 0, 2)
        if g.shape != shape:
            raise ValueError(f"{name} must match the forward output's shape {shape}, got {g.shape}")
        return g

    gout = _grad(grad_output, shape_out, "grad_output", time_major=True)  # (L, N, D*H)
    ghn = _grad(grad_h_n, shape_hn, "grad_h_n", time_major=False)  # (D*layers, N, H)
    grads: dict[str, np.ndarray | None] = {}
    dh0 = np.empty((D * num_layers, N, H), dtype=dtype)
    for k in range(num_layers - 1, -1, -1):
        inp, outs = layers[k]
        F = inp.shape[2]
        inp2 = inp.reshape(L * N, F)
        dinp = None
        for d in range(D):
            sfx = f"_l{k}" + ("_reverse" if d else "")
            w_ih = arrays["weight_ih" + sfx].astype(dtype, copy=False)
            w_hh = arrays["weight_hh" + sfx].astype(dtype, copy=False)
            g = gout if D == 1 else gout[:, :, d * H : (d + 1) * H]
            dz, dh0[k * D + d] = _layer_backward(
                g, ghn[k * D + d], outs[d], w_hh, nonlinearity, reverse=d == 1
            )
            dz2 = dz.reshape(L * N, H)
            grads["weight_ih" + sfx] = dz2.T @ inp2  # (H, F)
            grads["weight_hh" + sfx] = _hidden_weight_grad(dz, outs[d], cache["h0"][k * D + d], d == 1)
            if bias:
                db = dz2.sum(axis=0)
                grads["bias_ih" + sfx] = db
                grads["bias_hh" + sfx] = db.copy()
            if k > 0 or need_input_grad:
                if dinp is None:
                    dinp = dz2 @ w_ih  # (L*N, F)
                else:
                    dinp += dz2 @ w_ih
        gout = dinp.reshape(L, N, F) if dinp is not None else None
    dx = gout
    if dx is not None:
        if cache["unbatched"]:
            dx = dx[:, 0, :]
        elif cache["batch_first"]:
            dx = np.ascontiguousarray(dx.transpose(1, 0, 2))
    grads = {name: grads[name] for name in arrays}  # same order as params
    grads["input"] = dx
    grads["h0"] = dh0[:, 0, :] if cache["unbatched"] else dh0
    return grads


# --------------------------------------------------------------------------- source notation
def elman_step(
    X_t: np.ndarray,
    H_prev: np.ndarray,
    W_xh: np.ndarray,
    W_hh: np.ndarray,
    b_h: np.ndarray,
    nonlinearity: str = "tanh",
) -> np.ndarray:
    """One step of the Elman recurrence: ``H_t = phi(X_t W_xh + H_{t-1} W_hh + b_h)``.

    Parameters
    ----------
    X_t
        Inputs at step t, ``(n, d)``.
    H_prev
        Previous hidden state ``H_{t-1}``, ``(n, h)``.
    W_xh, W_hh, b_h
        ``(d, h)``, ``(h, h)``, ``(1, h)`` or ``(h,)``.
    nonlinearity
        ``"tanh"``, ``"relu"`` or ``"sigmoid"``.

    Returns
    -------
    numpy.ndarray
        ``H_t``, ``(n, h)``.
    """
    _check_nonlinearity(nonlinearity, _SOURCE_NONLINEARITIES)
    X_t, H_prev = np.asarray(X_t), np.asarray(H_prev)
    W_xh, W_hh = np.asarray(W_xh), np.asarray(W_hh)
    if X_t.shape[-1] != W_xh.shape[0]:
        raise ValueError(f"X_t has {X_t.shape[-1]} features but W_xh expects {W_xh.shape[0]} (W_xh shape {W_xh.shape})")
    if H_prev.shape[-1] != W_hh.shape[0]:
        raise ValueError(f"H_prev has {H_prev.shape[-1]} units but W_hh expects {W_hh.shape[0]} (W_hh shape {W_hh.shape})")
    Z = X_t @ W_xh + H_prev @ W_hh + np.reshape(b_h, (1, -1))  # (n, h)
    return _activate_(Z.astype(np.result_type(Z, 0.0), copy=False), nonlinearity)


def _check_source(X: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray) -> tuple[int, int, int, int]:
    if X.ndim != 3:
        raise ValueError(f"X must have shape (T, n, d), got {X.ndim}-D shape {X.shape}")
    T, n, d = X.shape
    if W_xh.ndim != 2 or W_xh.shape[0] != d:
        raise ValueError(f"W_xh must have shape ({d}, h) to match X {X.shape}, got {W_xh.shape}")
    h = W_xh.shape[1]
    if W_hh.shape != (h, h):
        raise ValueError(f"W_hh must have shape ({h}, {h}), got {W_hh.shape}")
    return T, n, d, h


def elman_forward(
    X: np.ndarray,
    W_xh: np.ndarray,
    W_hh: np.ndarray,
    b_h: np.ndarray,
    H0: np.ndarray | None = None,
    nonlinearity: str = "tanh",
) -> np.ndarray:
    """Run the Elman recurrence over a sequence (source notation).

    Parameters
    ----------
    X
        Inputs ``(T, n, d)``: ``X[t]`` is the minibatch ``X_t``.
    W_xh, W_hh, b_h
        ``(d, h)``, ``(h, h)``, ``(1, h)`` or ``(h,)``.
    H0
        Initial state ``(n, h)``; zeros if ``None``.
    nonlinearity
        ``"tanh"``, ``"relu"`` or ``"sigmoid"``.

    Returns
    -------
    numpy.ndarray
        ``H`` of shape ``(T, n, h)`` with ``H[t] = phi(X[t] W_xh + H[t-1] W_hh + b_h)``
        (``H[-1]`` there meaning ``H0``).
    """
    _check_nonlinearity(nonlinearity, _SOURCE_NONLINEARITIES)
    X, W_xh, W_hh = np.asarray(X), np.asarray(W_xh), np.asarray(W_hh)
    T, n, d, h = _check_source(X, W_xh, W_hh)
    b_h = np.asarray(b_h)
    if b_h.size != h:
        raise ValueError(f"b_h must have shape (1, {h}) or ({h},), got {b_h.shape}")
    dtype = _float_dtype(X, W_xh, W_hh, b_h)
    if H0 is None:
        H0 = np.zeros((n, h), dtype=dtype)
    H0 = np.asarray(H0, dtype=dtype)
    if H0.shape != (n, h):
        raise ValueError(f"H0 must have shape ({n}, {h}), got {H0.shape}")
    XW = X.reshape(T * n, d).astype(dtype, copy=False) @ W_xh.astype(dtype, copy=False)  # (T*n, h)
    XW += b_h.reshape(1, h)
    return _layer_forward(XW.reshape(T, n, h), W_hh.astype(dtype, copy=False), H0, nonlinearity, reverse=False)


def elman_backward(
    dH: np.ndarray,
    X: np.ndarray,
    H: np.ndarray,
    W_xh: np.ndarray,
    W_hh: np.ndarray,
    H0: np.ndarray | None = None,
    nonlinearity: str = "tanh",
    *,
    return_per_step: bool = False,
) -> dict[str, np.ndarray]:
    """Backpropagation through time for :func:`elman_forward` (source notation).

    Parameters
    ----------
    dH
        ``(T, n, h)``: the gradient of the loss with respect to each ``H_t`` coming *directly*
        from the loss at that step (e.g. through the output layer); the recurrent contribution
        from ``H_{t+1}`` is added here.
    X, H
        The forward inputs ``(T, n, d)`` and states ``(T, n, h)`` returned by :func:`elman_forward`.
    W_xh, W_hh
        ``(d, h)``, ``(h, h)``.
    H0
        The initial state used in the forward pass (zeros if ``None``).
    nonlinearity
        The nonlinearity used in the forward pass.
    return_per_step
        Also return the per-step contributions to the shared weights' gradients.

    Returns
    -------
    dict
        ``dW_xh`` ``(d, h)``, ``dW_hh`` ``(h, h)``, ``db_h`` ``(1, h)``, ``dX`` ``(T, n, d)``,
        ``dH0`` ``(n, h)``; with ``return_per_step`` also ``dZ`` ``(T, n, h)`` (the gradient
        with respect to the pre-activations), ``dW_hh_per_step`` and ``dW_xh_per_step``,
        arrays ``(T, h, h)`` and ``(T, d, h)`` whose sums over the first axis are ``dW_hh`` and
        ``dW_xh``: ``dW_hh_per_step[t] = H_{t-1}^T dZ_t``, ``dW_xh_per_step[t] = X_t^T dZ_t``.

    Notes
    -----
    With ``Z_t = X_t W_xh + H_{t-1} W_hh + b_h`` and ``H_t = phi(Z_t)``, going backwards in time:
    ``G_t = dH_t + dZ_{t+1} W_hh^T`` (total gradient at ``H_t``), ``dZ_t = phi'(Z_t) * G_t``.
    Every use of a shared weight contributes one term, so
    ``dW_hh = sum_t H_{t-1}^T dZ_t``, ``dW_xh = sum_t X_t^T dZ_t``, ``db_h = sum_t 1^T dZ_t``.
    """
    _check_nonlinearity(nonlinearity, _SOURCE_NONLINEARITIES)
    X, H, dH = np.asarray(X), np.asarray(H), np.asarray(dH)
    W_xh, W_hh = np.asarray(W_xh), np.asarray(W_hh)
    T, n, d, h = _check_source(X, W_xh, W_hh)
    for name, arr in (("H", H), ("dH", dH)):
        if arr.shape != (T, n, h):
            raise ValueError(f"{name} must have shape {(T, n, h)}, got {arr.shape}")
    dtype = _float_dtype(X, H, dH, W_xh, W_hh)
    H0 = np.zeros((n, h), dtype=dtype) if H0 is None else np.asarray(H0, dtype=dtype)
    if H0.shape != (n, h):
        raise ValueError(f"H0 must have shape ({n}, {h}), got {H0.shape}")
    H = H.astype(dtype, copy=False)
    # the recurrence in source notation multiplies by W_hh^T going backwards
    dZ, dH0 = _layer_backward(
        dH.astype(dtype, copy=False), np.zeros((n, h), dtype), H, W_hh.T.astype(dtype), nonlinearity, reverse=False
    )
    dZ2 = dZ.reshape(T * n, h)
    X2 = X.reshape(T * n, d).astype(dtype, copy=False)
    grads = {
        "dW_xh": X2.T @ dZ2,  # (d, h)
        "dW_hh": _hidden_weight_grad(dZ, H, H0, reverse=False).T,  # (h, h)
        "db_h": dZ2.sum(axis=0, keepdims=True),  # (1, h)
        "dX": (dZ2 @ W_xh.T.astype(dtype, copy=False)).reshape(T, n, d),
        "dH0": dH0,
    }
    if return_per_step:
        H_prev = np.concatenate([H0[None], H[:-1]], axis=0)  # (T, n, h)
        grads["dZ"] = dZ
        grads["dW_hh_per_step"] = np.einsum("tni,tnj->tij", H_prev, dZ)  # (T, h, h)
        grads["dW_xh_per_step"] = np.einsum("tni,tnj->tij", X.astype(dtype, copy=False), dZ)  # (T, d, h)
    return grads


def output_layer(H: np.ndarray, W_hq: np.ndarray, b_q: np.ndarray) -> np.ndarray:
    """The output layer ``O_t = H_t W_hq + b_q`` applied at every step.

    Parameters
    ----------
    H
        Hidden states ``(T, n, h)`` (or a single step ``(n, h)``).
    W_hq, b_q
        ``(h, q)`` and ``(1, q)`` or ``(q,)``.

    Returns
    -------
    numpy.ndarray
        ``O`` of shape ``(T, n, q)`` (or ``(n, q)``).
    """
    H, W_hq = np.asarray(H), np.asarray(W_hq)
    if W_hq.ndim != 2 or H.shape[-1] != W_hq.shape[0]:
        raise ValueError(f"W_hq must have shape ({H.shape[-1]}, q) to match H {H.shape}, got {W_hq.shape}")
    return H @ W_hq + np.reshape(b_q, (-1,))


def output_layer_backward(dO: np.ndarray, H: np.ndarray, W_hq: np.ndarray) -> dict[str, np.ndarray]:
    """Gradients of :func:`output_layer` given ``dO = dLoss/dO``, ``(T, n, q)``.

    Returns
    -------
    dict
        ``dW_hq`` ``(h, q)``, ``db_q`` ``(1, q)`` and ``dH`` ``(T, n, h)``; ``dH`` is what
        :func:`elman_backward` expects as its first argument.
    """
    dO, H, W_hq = np.asarray(dO), np.asarray(H), np.asarray(W_hq)
    h, q = W_hq.shape
    dO2, H2 = dO.reshape(-1, q), H.reshape(-1, h)
    return {"dW_hq": H2.T @ dO2, "db_q": dO2.sum(axis=0, keepdims=True), "dH": dO @ W_hq.T}


# --------------------------------------------------------------------------- Jordan network
_JORDAN_OUTPUT = ("sigmoid", "tanh", "identity")


def jordan_forward(
    x: Any,
    params: dict[str, Any],
    s0: Any = None,
    targets: Any = None,
    *,
    mu: float = 0.0,
    nonlinearity: str = "tanh",
    output_nonlinearity: str = "sigmoid",
    batch_first: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NumPy forward pass of a Jordan network, matching :class:`~rnn_companion.jordan.JordanRNN`.

    For ``t = 1, ..., L`` (time-major, column-vector notation as ``torch.nn.RNN``)::

        h_t     = phi(W_ih x_t + W_sh s_t + b_h)
        y_t     = f(W_ho h_t + b_o)
        s_{t+1} = mu * s_t + y_t        (the target y*_t instead of y_t when teacher forcing)

    with ``s_1 = s0`` (zeros if ``None``).

    Parameters
    ----------
    x
        Input ``(L, N, I)`` (``(N, L, I)`` if ``batch_first``; unbatched ``(L, I)``).
    params
        Arrays named as ``JordanRNN``'s state_dict: ``weight_ih`` ``(H, I)``, ``weight_sh``
        ``(H, O)``, ``weight_ho`` ``(O, H)`` and optionally ``bias_h`` ``(H,)``, ``bias_o`` ``(O,)``
        (missing biases count as zeros).
    s0
        Initial state ``(N, O)`` (``(O,)`` unbatched); zeros if ``None``.
    targets
        Teacher-forcing targets with the layout of the output ``y``; ``None`` feeds back ``y``.
    mu
        Self-connection weight of the state units, ``0 <= mu < 1``.
    nonlinearity
        Hidden nonlinearity ``phi``: ``"tanh"``, ``"relu"`` or ``"sigmoid"``.
    output_nonlinearity
        Output nonlinearity ``f``: ``"sigmoid"``, ``"tanh"`` or ``"identity"``.
    batch_first
        Whether ``x``, ``targets`` and the returned ``y`` and ``h`` are batch-major.

    Returns
    -------
    y : numpy.ndarray
        Outputs ``(L, N, O)``.
    h : numpy.ndarray
        Hidden activations ``(L, N, H)``.
    s_n : numpy.ndarray
        The state ``s_{L+1}`` that the next step would see, ``(N, O)`` (``(O,)`` unbatched).
    """
    _check_nonlinearity(nonlinearity, _SOURCE_NONLINEARITIES)
    if output_nonlinearity not in _JORDAN_OUTPUT:
        raise ValueError(f"Unknown output_nonlinearity {output_nonlinearity!r}. Select from {_JORDAN_OUTPUT}.")
    if not 0.0 <= mu < 1.0:
        raise ValueError(f"mu must be in [0, 1), got {mu}")
    x = _asarray(x, "x")
    if x.ndim not in (2, 3):
        raise ValueError(f"Expected input to be 2D or 3D, got {x.ndim}D array instead")
    unbatched = x.ndim == 2
    w_ih = _asarray(params["weight_ih"], "weight_ih")  # (H, I)
    w_sh = _asarray(params["weight_sh"], "weight_sh")  # (H, O)
    w_ho = _asarray(params["weight_ho"], "weight_ho")  # (O, H)
    Hd, O = w_sh.shape
    b_h = _asarray(params["bias_h"], "bias_h") if params.get("bias_h") is not None else np.zeros(Hd)
    b_o = _asarray(params["bias_o"], "bias_o") if params.get("bias_o") is not None else np.zeros(O)
    dtype = _float_dtype(x, w_ih, w_sh, w_ho, b_h, b_o)

    def time_major(a: np.ndarray) -> np.ndarray:
        a = a[:, None, :] if unbatched else (a.transpose(1, 0, 2) if batch_first else a)
        return a.astype(dtype)

    x = time_major(x)  # (L, N, I)
    L, N, _ = x.shape
    if x.shape[2] != w_ih.shape[1]:
        raise ValueError(f"input.size(-1) must be equal to input_size. Expected {w_ih.shape[1]}, got {x.shape[2]}")
    if targets is not None:
        targets = time_major(_asarray(targets, "targets"))
        if targets.shape != (L, N, O):
            raise ValueError(f"targets must have the output's (time-major) shape {(L, N, O)}, got {targets.shape}")
    s = np.zeros((N, O), dtype) if s0 is None else np.asarray(s0, dtype).reshape(N, O)
    act_o = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "identity": lambda z: z}[output_nonlinearity]
    y, h = np.empty((L, N, O), dtype), np.empty((L, N, Hd), dtype)
    for t in range(L):
        h[t] = _activate_(x[t] @ w_ih.T + s @ w_sh.T + b_h, nonlinearity)  # (N, H)
        y[t] = act_o(h[t] @ w_ho.T + b_o)  # (N, O)
        s = mu * s + (targets[t] if targets is not None else y[t])  # (N, O)
    if unbatched:
        return y[:, 0], h[:, 0], s[0]
    if batch_first:
        return y.transpose(1, 0, 2).copy(), h.transpose(1, 0, 2).copy(), s
    return y, h, s
