"""The Elman recurrence in the book's notation: the step, the sequence, BPTT and the output layer.

Shape conventions (stated once for this module): row-vector minibatches, ``X_t`` is ``(n, d)``,
``H_t`` is ``(n, h)``, ``O_t`` is ``(n, q)``; a sequence is ``X`` of shape ``(T, n, d)``;
``W_xh (d, h)``, ``W_hh (h, h)``, ``b_h (1, h)`` or ``(h,)``, ``W_hq (h, q)``, ``b_q (1, q)`` or
``(q,)``, so ``H_t = phi(X_t W_xh + H_{t-1} W_hh + b_h)`` and ``O_t = H_t W_hq + b_q``.
Computations happen in the floating dtype of the inputs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._typing import Array
from ._common import SOURCE_NONLINEARITIES, activate, check_nonlinearity, derivative, float_dtype

__all__ = ["elman_step", "elman_forward", "elman_backward", "output_layer", "output_layer_backward"]


def elman_step(
    X_t: ArrayLike, H_prev: ArrayLike, W_xh: ArrayLike, W_hh: ArrayLike, b_h: ArrayLike, nonlinearity: str = "tanh"
) -> Array:
    """One step ``H_t = phi(X_t W_xh + H_{t-1} W_hh + b_h)``: ``X_t (n, d)``, ``H_prev (n, h)`` -> ``(n, h)``."""
    check_nonlinearity(nonlinearity, SOURCE_NONLINEARITIES)
    X_t, H_prev, W_xh, W_hh = np.asarray(X_t), np.asarray(H_prev), np.asarray(W_xh), np.asarray(W_hh)
    if X_t.shape[-1] != W_xh.shape[0]:
        raise ValueError(f"X_t has {X_t.shape[-1]} features but W_xh expects {W_xh.shape[0]} (W_xh shape {W_xh.shape})")
    if H_prev.shape[-1] != W_hh.shape[0]:
        raise ValueError(
            f"H_prev has {H_prev.shape[-1]} units but W_hh expects {W_hh.shape[0]} (W_hh shape {W_hh.shape})"
        )
    Z = X_t @ W_xh + H_prev @ W_hh + np.reshape(b_h, (1, -1))  # (n, h)
    return activate(Z.astype(np.result_type(Z, 0.0)), nonlinearity)


def _check_source(X: Array, W_xh: Array, W_hh: Array) -> tuple[int, int, int, int]:
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
    X: ArrayLike,
    W_xh: ArrayLike,
    W_hh: ArrayLike,
    b_h: ArrayLike,
    H0: ArrayLike | None = None,
    nonlinearity: str = "tanh",
) -> Array:
    """Run the recurrence over a sequence: ``H[t] = phi(X[t] W_xh + H[t-1] W_hh + b_h)``.

    ``X`` is ``(T, n, d)``, ``H0`` ``(n, h)`` (zeros if ``None``); returns ``H`` ``(T, n, h)``.
    The input term ``X W_xh + b_h`` of every step is computed at once; the loop adds the
    recurrent term.
    """
    check_nonlinearity(nonlinearity, SOURCE_NONLINEARITIES)
    X, W_xh, W_hh, b = np.asarray(X), np.asarray(W_xh), np.asarray(W_hh), np.asarray(b_h)
    T, n, d, h = _check_source(X, W_xh, W_hh)
    if b.size != h:
        raise ValueError(f"b_h must have shape (1, {h}) or ({h},), got {b.shape}")
    dtype = float_dtype(X, W_xh, W_hh, b)
    H_prev = np.zeros((n, h), dtype=dtype) if H0 is None else np.asarray(H0, dtype=dtype)
    if H_prev.shape != (n, h):
        raise ValueError(f"H0 must have shape ({n}, {h}), got {H_prev.shape}")
    XW = (X.reshape(T * n, d).astype(dtype) @ W_xh.astype(dtype) + b.reshape(1, h)).reshape(T, n, h)
    H = np.empty((T, n, h), dtype=dtype)
    for t in range(T):
        H[t] = H_prev = activate(H_prev @ W_hh.astype(dtype) + XW[t], nonlinearity)
    return H


def elman_backward(
    dH: ArrayLike,
    X: ArrayLike,
    H: ArrayLike,
    W_xh: ArrayLike,
    W_hh: ArrayLike,
    H0: ArrayLike | None = None,
    nonlinearity: str = "tanh",
    *,
    return_per_step: bool = False,
) -> dict[str, Array]:
    """Backpropagation through time for :func:`elman_forward`.

    ``dH`` ``(T, n, h)`` is the gradient of the loss with respect to each ``H_t`` coming
    *directly* from the loss at that step; the recurrent part is added here. With
    ``Z_t = X_t W_xh + H_{t-1} W_hh + b_h``, going backwards in time::

        G_t  = dH_t + dZ_{t+1} W_hh^T        (total gradient at H_t)
        dZ_t = phi'(Z_t) * G_t

    and every use of a shared weight adds one term: ``dW_hh = sum_t H_{t-1}^T dZ_t``,
    ``dW_xh = sum_t X_t^T dZ_t``, ``db_h = sum_t 1^T dZ_t``.

    Returns
    -------
    dict
        ``dW_xh (d, h)``, ``dW_hh (h, h)``, ``db_h (1, h)``, ``dX (T, n, d)``, ``dH0 (n, h)``;
        with ``return_per_step`` also ``dZ (T, n, h)``, ``dW_hh_per_step (T, h, h)`` and
        ``dW_xh_per_step (T, d, h)`` (the terms whose sums are ``dW_hh`` and ``dW_xh``).
    """
    check_nonlinearity(nonlinearity, SOURCE_NONLINEARITIES)
    X, H, dH = np.asarray(X), np.asarray(H), np.asarray(dH)
    W_xh, W_hh = np.asarray(W_xh), np.asarray(W_hh)
    T, n, d, h = _check_source(X, W_xh, W_hh)
    for name, arr in (("H", H), ("dH", dH)):
        if arr.shape != (T, n, h):
            raise ValueError(f"{name} must have shape {(T, n, h)}, got {arr.shape}")
    dtype = float_dtype(X, H, dH, W_xh, W_hh)
    H0_ = np.zeros((n, h), dtype=dtype) if H0 is None else np.asarray(H0, dtype=dtype)
    if H0_.shape != (n, h):
        raise ValueError(f"H0 must have shape ({n}, {h}), got {H0_.shape}")
    X, H, W_xh, W_hh = X.astype(dtype), H.astype(dtype), W_xh.astype(dtype), W_hh.astype(dtype)
    dZ = np.empty((T, n, h), dtype=dtype)
    carry = np.zeros((n, h), dtype=dtype)  # dZ_{t+1} W_hh^T
    for t in reversed(range(T)):
        dZ[t] = derivative(H[t], nonlinearity) * (dH[t] + carry)
        carry = dZ[t] @ W_hh.T
    H_prev = np.concatenate([H0_[None], H[:-1]], axis=0)  # (T, n, h): H_{t-1}
    grads = {
        "dW_xh": X.reshape(T * n, d).T @ dZ.reshape(T * n, h),
        "dW_hh": H_prev.reshape(T * n, h).T @ dZ.reshape(T * n, h),
        "db_h": dZ.reshape(T * n, h).sum(axis=0, keepdims=True),
        "dX": dZ @ W_xh.T,
        "dH0": carry,
    }
    if return_per_step:
        grads["dZ"] = dZ
        grads["dW_hh_per_step"] = np.einsum("tni,tnj->tij", H_prev, dZ)
        grads["dW_xh_per_step"] = np.einsum("tni,tnj->tij", X, dZ)
    return grads


def output_layer(H: ArrayLike, W_hq: ArrayLike, b_q: ArrayLike) -> Array:
    """``O_t = H_t W_hq + b_q`` at every step: ``H (T, n, h)`` (or ``(n, h)``) -> ``(T, n, q)``."""
    H, W_hq = np.asarray(H), np.asarray(W_hq)
    if W_hq.ndim != 2 or H.shape[-1] != W_hq.shape[0]:
        raise ValueError(f"W_hq must have shape ({H.shape[-1]}, q) to match H {H.shape}, got {W_hq.shape}")
    out: Array = H @ W_hq + np.reshape(b_q, (-1,))
    return out


def output_layer_backward(dO: ArrayLike, H: ArrayLike, W_hq: ArrayLike) -> dict[str, Array]:
    """Gradients of :func:`output_layer` given ``dO (T, n, q)``: ``dW_hq (h, q)``, ``db_q (1, q)``, ``dH (T, n, h)``.

    ``dH`` is what :func:`elman_backward` expects as its first argument.
    """
    dO, H, W_hq = np.asarray(dO), np.asarray(H), np.asarray(W_hq)
    h, q = W_hq.shape
    dO2, H2 = dO.reshape(-1, q), H.reshape(-1, h)
    return {"dW_hq": H2.T @ dO2, "db_q": dO2.sum(axis=0, keepdims=True), "dH": dO @ W_hq.T}
