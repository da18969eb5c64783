"""The reference Jordan network (forward pass), the oracle of :class:`~rnn_companion.jordan.JordanRNN`.

Shape conventions (stated once for this module): as :class:`~rnn_companion.jordan.JordanRNN`,
time-major input ``(L, N, I)`` (``(N, L, I)`` with ``batch_first``, unbatched ``(L, I)``),
outputs ``(L, N, O)``, hidden activations ``(L, N, H)``, state ``(N, O)``; weights in PyTorch's
column-vector notation, ``weight_ih (H, I)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .._typing import Array
from ..params import ArrayLike, as_numeric
from ._common import JORDAN_OUTPUT, SOURCE_NONLINEARITIES, activate, as_time_major, check_nonlinearity, float_dtype

__all__ = ["jordan_forward"]


def jordan_forward(
    x: ArrayLike,
    params: Mapping[str, ArrayLike | None],
    s0: ArrayLike | None = None,
    targets: ArrayLike | None = None,
    *,
    mu: float = 0.0,
    nonlinearity: str = "tanh",
    output_nonlinearity: str = "sigmoid",
    batch_first: bool = False,
) -> tuple[Array, Array, Array]:
    """Forward pass of a Jordan network, the oracle of :class:`~rnn_companion.jordan.JordanRNN`.

    For ``t = 1, ..., L`` (PyTorch notation)::

        h_t     = phi(W_ih x_t + W_sh s_t + b_h)
        y_t     = f(W_ho h_t + b_o)
        s_{t+1} = mu * s_t + y_t        (the target y*_t instead of y_t when teacher forcing)

    with ``s_1 = s0`` (zeros if ``None``). ``params`` holds ``weight_ih (H, I)``,
    ``weight_sh (H, O)``, ``weight_ho (O, H)`` and optionally ``bias_h (H,)``, ``bias_o (O,)``
    (``None`` or missing: zeros). ``s0`` is ``(N, O)`` (``(O,)`` unbatched); ``targets`` has the
    layout of the output. Returns ``y (L, N, O)``, ``h (L, N, H)`` (batch-major with
    ``batch_first``, no batch axis unbatched) and the next state ``s_{L+1}`` ``(N, O)``.

    Raises
    ------
    ValueError
        For unknown parameter names, wrong shapes of the input, a weight, ``s0`` or ``targets``
        (naming the expected and received shape), ``mu`` outside ``[0, 1)`` or an unknown
        nonlinearity.
    """
    check_nonlinearity(nonlinearity, SOURCE_NONLINEARITIES)
    check_nonlinearity(output_nonlinearity, JORDAN_OUTPUT, "output_nonlinearity")
    if not 0.0 <= mu < 1.0:
        raise ValueError(f"mu must be in [0, 1), got {mu}")
    known = {"weight_ih", "weight_sh", "weight_ho", "bias_h", "bias_o"}
    if not known >= set(params) or not {"weight_ih", "weight_sh", "weight_ho"} <= set(params):
        raise ValueError(f"params must hold weight_ih, weight_sh, weight_ho (and optionally bias_h, bias_o); "
                         f"got keys {sorted(params)}")
    w = {k: as_numeric(v, k) for k, v in params.items() if v is not None}
    Hd, O = w["weight_sh"].shape
    I = w["weight_ih"].shape[1]
    for name, shape in (("weight_ih", (Hd, I)), ("weight_ho", (O, Hd)), ("bias_h", (Hd,)), ("bias_o", (O,))):
        if name in w and w[name].shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {w[name].shape}")
    xt, unbatched = as_time_major(x, batch_first)
    L, N, _ = xt.shape
    if xt.shape[2] != I:
        raise ValueError(f"input.size(-1) must be equal to input_size. Expected {I}, got {xt.shape[2]}")
    dtype = float_dtype(xt, *w.values())
    W_ih, W_sh, W_ho = (w[k].astype(dtype) for k in ("weight_ih", "weight_sh", "weight_ho"))
    b_h = w["bias_h"].astype(dtype) if "bias_h" in w else np.zeros(Hd, dtype)
    b_o = w["bias_o"].astype(dtype) if "bias_o" in w else np.zeros(O, dtype)
    teacher: Array | None = None
    if targets is not None:
        teacher = as_time_major(targets, batch_first)[0].astype(dtype)
        if teacher.shape != (L, N, O):
            raise ValueError(f"targets must have the output's (time-major) shape {(L, N, O)}, got {teacher.shape}")
    s = np.zeros((N, O), dtype)
    if s0 is not None:
        s_in = as_numeric(s0, "s0")
        expected = (O,) if unbatched else (N, O)
        if s_in.shape != expected:
            raise ValueError(f"s0 must have shape {expected}, got {s_in.shape}")
        s = s_in.reshape(N, O).astype(dtype)
    y, h = np.empty((L, N, O), dtype), np.empty((L, N, Hd), dtype)
    for t in range(L):
        h[t] = activate(xt[t] @ W_ih.T + s @ W_sh.T + b_h, nonlinearity)  # (N, H)
        y[t] = activate(h[t] @ W_ho.T + b_o, output_nonlinearity)  # (N, O)
        s = mu * s + (teacher[t] if teacher is not None else y[t])  # (N, O)
    if unbatched:
        return y[:, 0], h[:, 0], s[0]
    if batch_first:
        return y.transpose(1, 0, 2).copy(), h.transpose(1, 0, 2).copy(), s
    return y, h, s
