r"""Gated recurrent networks in NumPy, in the book's notation: the GRU and the LSTM, with hand-written BPTT.

Shape convention (stated once for this module): the book's row-vector minibatches, time first.
``X`` is ``(T, n, d)``, every state ``H_t`` (and the LSTM's cell ``C_t``) is ``(n, h)``, the
stacked states are ``(T, n, h)``; input weights ``W_x*`` are ``(d, h)``, recurrent weights
``W_h*`` are ``(h, h)`` and biases are ``(h,)`` (``(1, h)`` is accepted). Parameters are dicts of
NumPy arrays keyed by the names in :data:`GRU_PARAMS` and :data:`LSTM_PARAMS`.

GRU (gate order ``r, z, n`` as in :class:`torch.nn.GRU`)::

    R_t = sigmoid(X_t W_xr + H_{t-1} W_hr + b_r)                    reset gate
    Z_t = sigmoid(X_t W_xz + H_{t-1} W_hz + b_z)                    update gate
    N_t = tanh(X_t W_xn + b_xn + R_t * (H_{t-1} W_hn + b_hn))       candidate
    H_t = (1 - Z_t) * N_t + Z_t * H_{t-1}

The reset gate multiplies ``H_{t-1} W_hn + b_hn``, bias included, exactly as PyTorch computes it
(so ``b_xn`` and ``b_hn`` cannot be merged, while ``b_r`` and ``b_z`` are the sums of torch's two
biases).

LSTM (gate order ``i, f, g, o`` as in :class:`torch.nn.LSTM`)::

    I_t = sigmoid(X_t W_xi + H_{t-1} W_hi + b_i)      input gate
    F_t = sigmoid(X_t W_xf + H_{t-1} W_hf + b_f)      forget gate
    G_t = tanh(X_t W_xg + H_{t-1} W_hg + b_g)         candidate
    O_t = sigmoid(X_t W_xo + H_{t-1} W_ho + b_o)      output gate
    C_t = F_t * C_{t-1} + I_t * G_t
    H_t = O_t * tanh(C_t)

Products written ``*`` are elementwise. The converters map these names to and from a one-layer
``torch.nn.GRU`` / ``torch.nn.LSTM`` state_dict (``weight_ih_l0`` is the transposed stack of the
input weights in gate order, ``bias_ih_l0 + bias_hh_l0`` the summed biases).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

__all__ = [
    "GRU_PARAMS",
    "LSTM_PARAMS",
    "init_gru",
    "init_lstm",
    "gru_forward",
    "gru_backward",
    "lstm_forward",
    "lstm_backward",
    "gru_from_torch",
    "gru_to_torch",
    "lstm_from_torch",
    "lstm_to_torch",
]

Array = NDArray[np.floating[Any]]
Params = dict[str, Array]

GRU_GATES = ("r", "z", "n")
LSTM_GATES = ("i", "f", "g", "o")
#: Parameter names of a GRU (input and recurrent weights per gate, then the biases ``b_r, b_z, b_xn, b_hn``).
GRU_PARAMS = tuple(f"W_x{g}" for g in GRU_GATES) + tuple(f"W_h{g}" for g in GRU_GATES) + ("b_r", "b_z", "b_xn", "b_hn")
#: Parameter names of an LSTM (input and recurrent weights per gate, then one bias per gate).
LSTM_PARAMS = (
    tuple(f"W_x{g}" for g in LSTM_GATES) + tuple(f"W_h{g}" for g in LSTM_GATES) + tuple(f"b_{g}" for g in LSTM_GATES)
)


def _sigmoid(x: Array) -> Array:
    out: Array = 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow for large |x|
    return out


def _check(params: Mapping[str, Any], names: tuple[str, ...], X: Array, what: str) -> tuple[Params, int]:
    """Validate names and shapes; return float arrays (biases as ``(h,)``) and the hidden size."""
    missing = [k for k in names if k not in params]
    if missing:
        raise KeyError(f"{what} parameters missing {missing}; expected {list(names)}")
    if X.ndim != 3:
        raise ValueError(f"X must be (T, n, d), got shape {X.shape}")
    p = {k: np.asarray(params[k]) for k in names}
    d, h = p[names[0]].shape
    for k, v in p.items():
        if k.startswith("b"):
            p[k] = v = v.reshape(-1)
        expected = (h,) if k.startswith("b") else (d, h) if k.startswith("W_x") else (h, h)
        if v.shape != expected:
            raise ValueError(f"{what} parameter {k} must have shape {expected}, got {v.shape}")
    if X.shape[2] != d:
        raise ValueError(f"X has {X.shape[2]} features, the weights expect d = {d}")
    return p, h


def _initial(state: Array | None, n: int, h: int, dtype: npt.DTypeLike, name: str) -> Array:
    if state is None:
        return np.zeros((n, h), dtype=dtype)
    state = np.asarray(state, dtype=dtype)
    if state.shape != (n, h):
        raise ValueError(f"{name} must be (n, h) = {(n, h)}, got {state.shape}")
    return state


def _init(names: tuple[str, ...], d: int, h: int, rng: np.random.Generator, dtype: npt.DTypeLike) -> Params:
    k = 1.0 / np.sqrt(h)
    shapes = {n: (d, h) if n.startswith("W_x") else (h, h) if n.startswith("W_h") else (h,) for n in names}
    return {n: rng.uniform(-k, k, size=s).astype(dtype) for n, s in shapes.items()}


def init_gru(d: int, h: int, *, rng: np.random.Generator, dtype: npt.DTypeLike = np.float64) -> Params:
    """Random GRU parameters, uniform in ``(-1/sqrt(h), 1/sqrt(h))`` like ``torch.nn.GRU``."""
    return _init(GRU_PARAMS, d, h, rng, dtype)


def init_lstm(d: int, h: int, *, rng: np.random.Generator, dtype: npt.DTypeLike = np.float64) -> Params:
    """Random LSTM parameters, uniform in ``(-1/sqrt(h), 1/sqrt(h))`` like ``torch.nn.LSTM``."""
    return _init(LSTM_PARAMS, d, h, rng, dtype)


# --------------------------------------------------------------------------- GRU
def gru_forward(
    X: Array, params: Mapping[str, Any], H0: Array | None = None, *, return_cache: bool = False
) -> Array | tuple[Array, dict[str, Any]]:
    """All hidden states ``(T, n, h)`` of a GRU (module docstring); ``H0`` ``(n, h)`` or zeros.

    With ``return_cache=True`` also returns what :func:`gru_backward` needs.
    """
    X = np.asarray(X)
    p, h = _check(params, GRU_PARAMS, X, "GRU")
    T, n, _ = X.shape
    dtype = np.result_type(X, *p.values(), np.float32)
    H_prev = _initial(H0, n, h, dtype, "H0")
    # hoisted input projections, (T, n, h) each
    Xr, Xz, Xn = (X @ p[f"W_x{g}"] for g in GRU_GATES)
    H, R, Z, N, M = (np.empty((T, n, h), dtype=dtype) for _ in range(5))
    for t in range(T):
        R[t] = _sigmoid(Xr[t] + H_prev @ p["W_hr"] + p["b_r"])
        Z[t] = _sigmoid(Xz[t] + H_prev @ p["W_hz"] + p["b_z"])
        M[t] = H_prev @ p["W_hn"] + p["b_hn"]  # the term the reset gate scales
        N[t] = np.tanh(Xn[t] + p["b_xn"] + R[t] * M[t])
        H[t] = H_prev = (1.0 - Z[t]) * N[t] + Z[t] * H_prev
    if not return_cache:
        return H
    return H, {"X": X, "params": p, "H0": _initial(H0, n, h, dtype, "H0"), "H": H, "R": R, "Z": Z, "N": N, "M": M}


def gru_backward(dH: Array, cache: Mapping[str, Any]) -> dict[str, Array]:
    """Gradients of a loss ``L`` through :func:`gru_forward`, given ``dH = dL/dH_t`` for every ``t``, ``(T, n, h)``.

    Returns a dict with one entry per name of :data:`GRU_PARAMS` and ``dX`` ``(T, n, d)``,
    ``dH0`` ``(n, h)``. Per step, with ``G`` the total gradient at ``H_t``::

        dN = G (1 - Z)        dZ = G (H_{t-1} - N)        dA_n = dN (1 - N^2)
        dA_z = dZ Z (1 - Z)   dA_r = dA_n M R (1 - R)      dM = dA_n R
        G_{t-1} = dH_{t-1} + G Z + dA_r W_hr^T + dA_z W_hz^T + dM W_hn^T
    """
    p, X, H, R, Z, N, M = (cache[k] for k in ("params", "X", "H", "R", "Z", "N", "M"))
    T, n, h = H.shape
    H_prev_all = np.concatenate((cache["H0"][None], H[:-1]))  # (T, n, h): H_{t-1}
    dA_r, dA_z, dA_n, dM = (np.empty_like(H) for _ in range(4))
    G_next = np.zeros((n, h), dtype=H.dtype)  # gradient arriving at H_t from step t+1
    for t in reversed(range(T)):
        G = dH[t] + G_next
        dA_n[t] = G * (1.0 - Z[t]) * (1.0 - N[t] ** 2)
        dA_z[t] = G * (H_prev_all[t] - N[t]) * Z[t] * (1.0 - Z[t])
        dA_r[t] = dA_n[t] * M[t] * R[t] * (1.0 - R[t])
        dM[t] = dA_n[t] * R[t]
        G_next = G * Z[t] + dA_r[t] @ p["W_hr"].T + dA_z[t] @ p["W_hz"].T + dM[t] @ p["W_hn"].T
    # weight gradients: one GEMM each over all T n rows
    d = X.shape[2]
    Xf, Hf = X.reshape(T * n, d), H_prev_all.reshape(T * n, h)
    grads: dict[str, Array] = {}
    for g, dA in (("r", dA_r), ("z", dA_z), ("n", dA_n)):
        grads[f"W_x{g}"] = Xf.T @ dA.reshape(T * n, h)
    for g, dA in (("r", dA_r), ("z", dA_z), ("n", dM)):
        grads[f"W_h{g}"] = Hf.T @ dA.reshape(T * n, h)
    grads["b_r"], grads["b_z"] = dA_r.sum(axis=(0, 1)), dA_z.sum(axis=(0, 1))
    grads["b_xn"], grads["b_hn"] = dA_n.sum(axis=(0, 1)), dM.sum(axis=(0, 1))
    grads["dX"] = dA_r @ p["W_xr"].T + dA_z @ p["W_xz"].T + dA_n @ p["W_xn"].T
    grads["dH0"] = G_next
    return grads


# --------------------------------------------------------------------------- LSTM
def lstm_forward(
    X: Array,
    params: Mapping[str, Any],
    H0: Array | None = None,
    C0: Array | None = None,
    *,
    return_cache: bool = False,
) -> tuple[Array, Array] | tuple[Array, Array, dict[str, Any]]:
    """All hidden states and cells ``(T, n, h)`` of an LSTM (module docstring); ``H0``, ``C0`` or zeros.

    Returns ``(H, C)``, and with ``return_cache=True`` also what :func:`lstm_backward` needs.
    """
    X = np.asarray(X)
    p, h = _check(params, LSTM_PARAMS, X, "LSTM")
    T, n, d = X.shape
    dtype = np.result_type(X, *p.values(), np.float32)
    H0, C0 = _initial(H0, n, h, dtype, "H0"), _initial(C0, n, h, dtype, "C0")
    W_x = np.concatenate([p[f"W_x{g}"] for g in LSTM_GATES], axis=1)  # (d, 4h), gate order i f g o
    W_h = np.concatenate([p[f"W_h{g}"] for g in LSTM_GATES], axis=1)  # (h, 4h)
    b = np.concatenate([p[f"b_{g}"] for g in LSTM_GATES])  # (4h,)
    XW = (X.reshape(T * n, d) @ W_x + b).reshape(T, n, 4 * h)  # hoisted input projection
    gates = np.empty((T, n, 4 * h), dtype=dtype)  # activated I, F, G, O side by side
    H, C = np.empty((T, n, h), dtype=dtype), np.empty((T, n, h), dtype=dtype)
    H_prev, C_prev = H0, C0
    for t in range(T):
        A = XW[t] + H_prev @ W_h
        gates[t, :, : 2 * h] = _sigmoid(A[:, : 2 * h])  # I, F
        gates[t, :, 2 * h : 3 * h] = np.tanh(A[:, 2 * h : 3 * h])  # G
        gates[t, :, 3 * h :] = _sigmoid(A[:, 3 * h :])  # O
        I_t, F_t, G_t, O_t = np.split(gates[t], 4, axis=1)
        C[t] = C_prev = F_t * C_prev + I_t * G_t
        H[t] = H_prev = O_t * np.tanh(C_prev)
    if not return_cache:
        return H, C
    cache = {"X": X, "W_x": W_x, "W_h": W_h, "H0": H0, "C0": C0, "H": H, "C": C, "gates": gates}
    return H, C, cache


def lstm_backward(dH: Array, cache: Mapping[str, Any], dC_T: Array | None = None) -> dict[str, Array]:
    """Gradients through :func:`lstm_forward`, given ``dH = dL/dH_t`` ``(T, n, h)`` (and ``dL/dC_T``, or zero).

    Returns one entry per name of :data:`LSTM_PARAMS` and ``dX``, ``dH0``, ``dC0``. Per step, with
    ``G`` the total gradient at ``H_t`` and ``K`` the one at ``C_t``::

        K = K_{t+1} F_{t+1} + G O (1 - tanh^2 C_t)     dO = G tanh C_t
        dI = K G_t    dF = K C_{t-1}    dG = K I_t     (then times each activation's derivative)
        G_{t-1} = dH_{t-1} + [dA_i dA_f dA_g dA_o] W_h^T
    """
    X, W_x, W_h, H, C, gates = (cache[k] for k in ("X", "W_x", "W_h", "H", "C", "gates"))
    T, n, h = H.shape
    d = X.shape[2]
    C_prev_all = np.concatenate((cache["C0"][None], C[:-1]))  # (T, n, h)
    H_prev_all = np.concatenate((cache["H0"][None], H[:-1]))
    dA = np.empty((T, n, 4 * h), dtype=H.dtype)  # gradients of the gate pre-activations
    G_next = np.zeros((n, h), dtype=H.dtype)
    K = np.zeros((n, h), dtype=H.dtype) if dC_T is None else np.asarray(dC_T, dtype=H.dtype)
    for t in reversed(range(T)):
        I_t, F_t, G_t, O_t = np.split(gates[t], 4, axis=1)
        G = dH[t] + G_next
        tanh_c = np.tanh(C[t])
        K = K + G * O_t * (1.0 - tanh_c**2)  # total gradient at C_t
        dA[t, :, :h] = K * G_t * I_t * (1.0 - I_t)
        dA[t, :, h : 2 * h] = K * C_prev_all[t] * F_t * (1.0 - F_t)
        dA[t, :, 2 * h : 3 * h] = K * I_t * (1.0 - G_t**2)
        dA[t, :, 3 * h :] = G * tanh_c * O_t * (1.0 - O_t)
        G_next = dA[t] @ W_h.T
        K = K * F_t  # what reaches C_{t-1}
    dA_f = dA.reshape(T * n, 4 * h)
    dW_x = X.reshape(T * n, d).T @ dA_f  # (d, 4h)
    dW_h = H_prev_all.reshape(T * n, h).T @ dA_f  # (h, 4h)
    db = dA_f.sum(axis=0)
    grads: dict[str, Array] = {}
    for k, g in enumerate(LSTM_GATES):
        cols = slice(k * h, (k + 1) * h)
        grads[f"W_x{g}"], grads[f"W_h{g}"], grads[f"b_{g}"] = dW_x[:, cols], dW_h[:, cols], db[cols]
    grads["dX"] = dA @ W_x.T
    grads["dH0"], grads["dC0"] = G_next, K
    return grads


# --------------------------------------------------------------------------- torch state dicts
def _to_numpy(value: Any) -> Array:
    if hasattr(value, "detach"):  # a torch.Tensor, without importing torch
        value = value.detach().cpu().numpy()
    out: Array = np.asarray(value)
    return out


def _from_torch(state: Mapping[str, Any], gates: tuple[str, ...], what: str) -> Params:
    needed = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    missing = [k for k in needed if k not in state]
    if missing:
        raise KeyError(f"a one-layer torch.nn.{what} state_dict with biases needs {missing}; got keys {sorted(state)}")
    W_ih, W_hh, b_ih, b_hh = (_to_numpy(state[k]) for k in needed)
    k = len(gates)
    if W_ih.shape[0] % k or W_hh.shape != (W_ih.shape[0], W_ih.shape[0] // k):
        raise ValueError(f"torch.nn.{what} weights must be ({k}h, d) and ({k}h, h), got {W_ih.shape} and {W_hh.shape}")
    return {
        **{f"W_x{g}": w.T.copy() for g, w in zip(gates, np.split(W_ih, k), strict=True)},
        **{f"W_h{g}": w.T.copy() for g, w in zip(gates, np.split(W_hh, k), strict=True)},
        **{f"b_i{g}": b for g, b in zip(gates, np.split(b_ih, k), strict=True)},
        **{f"b_h{g}": b for g, b in zip(gates, np.split(b_hh, k), strict=True)},
    }


def _to_torch(params: Mapping[str, Any], gates: tuple[str, ...], b_ih: list[Array], b_hh: list[Array],
              as_tensors: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "weight_ih_l0": np.concatenate([_to_numpy(params[f"W_x{g}"]).T for g in gates]),
        "weight_hh_l0": np.concatenate([_to_numpy(params[f"W_h{g}"]).T for g in gates]),
        "bias_ih_l0": np.concatenate([b.reshape(-1) for b in b_ih]),
        "bias_hh_l0": np.concatenate([b.reshape(-1) for b in b_hh]),
    }
    if as_tensors:
        import torch

        out = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in out.items()}
    return out


def gru_from_torch(state: Mapping[str, Any]) -> Params:
    """Book-notation GRU parameters from a one-layer ``torch.nn.GRU`` state_dict (gate order r, z, n)."""
    raw = _from_torch(state, GRU_GATES, "GRU")
    p = {k: v for k, v in raw.items() if k.startswith("W")}
    p["b_r"], p["b_z"] = raw["b_ir"] + raw["b_hr"], raw["b_iz"] + raw["b_hz"]
    p["b_xn"], p["b_hn"] = raw["b_in"], raw["b_hn"]  # kept apart: the reset gate scales b_hn only
    return p


def gru_to_torch(params: Mapping[str, Any], *, as_tensors: bool = False) -> dict[str, Any]:
    """A one-layer ``torch.nn.GRU`` state_dict from book-notation parameters (``b_r``, ``b_z`` go into ``bias_ih``)."""
    b = {k: _to_numpy(params[k]).reshape(-1) for k in ("b_r", "b_z", "b_xn", "b_hn")}
    zeros = np.zeros_like(b["b_r"])
    return _to_torch(params, GRU_GATES, [b["b_r"], b["b_z"], b["b_xn"]], [zeros, zeros, b["b_hn"]], as_tensors)


def lstm_from_torch(state: Mapping[str, Any]) -> Params:
    """Book-notation LSTM parameters from a one-layer ``torch.nn.LSTM`` state_dict (gate order i, f, g, o)."""
    raw = _from_torch(state, LSTM_GATES, "LSTM")
    p = {k: v for k, v in raw.items() if k.startswith("W")}
    for g in LSTM_GATES:
        p[f"b_{g}"] = raw[f"b_i{g}"] + raw[f"b_h{g}"]
    return p


def lstm_to_torch(params: Mapping[str, Any], *, as_tensors: bool = False) -> dict[str, Any]:
    """A one-layer ``torch.nn.LSTM`` state_dict from book-notation parameters (biases into ``bias_ih``)."""
    b = [_to_numpy(params[f"b_{g}"]).reshape(-1) for g in LSTM_GATES]
    return _to_torch(params, LSTM_GATES, b, [np.zeros_like(x) for x in b], as_tensors)
