"""Simple recurrent networks (SRN) trained by Elman's (1990) procedure or by windowed BPTT.

Shape conventions (stated once for this module). The book's row-vector notation
(:mod:`rnn_companion.reference`), with several independent networks stacked on a leading
*network* axis of size ``S`` (one seed each). One step of network ``s`` is

.. code-block:: text

    C_t = H_{t-1}                          (context: a copy, weight 1.0; C_1 = 0.5)
    H_t = sigmoid(X_t W_xh + C_t W_hh + b_h)
    O_t = sigmoid(H_t W_hq + b_q)          (target: the next input X_{t+1})

with parameters ``W_xh (S, d, h)``, ``W_hh (S, h, h)``, ``b_h (S, h)``, ``W_hq (S, h, q)`` and
``b_q (S, q)``. Streams are ``(T, d)`` (shared by all networks) or ``(S, T, d)`` (one per
network); hidden states and outputs come back as ``(S, T, h)`` and ``(S, T, q)``.

Both ways of training are plain gradient descent on the squared error
``E_t = 1/2 * sum_k (O_t,k - target_t,k)^2``:

* ``method="elman"``: Elman's procedure. After every step the weights change by
  ``-lr * dE_t/dW`` with the context treated as an extra *input* (its dependence on the
  weights is ignored: one-step backpropagation). :func:`srn_online_step` is that step, and
  :func:`train_srn` applies it step after step.
* ``method="bptt"``: backpropagation through time within windows of ``window`` steps, the
  recursion of :func:`rnn_companion.reference.elman_backward` (``G_t = dH_t + dZ_{t+1} W_hh^T``,
  ``dZ_t = H_t (1 - H_t) * G_t``): the error of a window is backpropagated to the window's
  start, then the weights change once (the context entering the window is held fixed).

The paper gives neither learning rate, weight-initialisation range, bias units nor error
function; :data:`ELMAN_ASSUMPTIONS` lists the choices made here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ._typing import FloatArray

__all__ = [
    "ELMAN_ASSUMPTIONS",
    "Params",
    "init_srn",
    "init_srn_stack",
    "srn_online_step",
    "srn_bptt_loss_and_grads",
    "run_srn",
    "train_srn",
]

#: Choices Elman (1990) does not report, made here and printed with every run.
ELMAN_ASSUMPTIONS: dict[str, str] = {
    "units": "logistic sigmoid hidden and output units (footnote 2: values between 0 and 1)",
    "context": "copy of the previous hidden state, 0.5 at the start, never reset (the stream wraps)",
    "bias": "a trainable bias on every hidden and output unit (not stated)",
    "init": "all weights and biases uniform in [-init_range, init_range] (not stated)",
    "loss": "squared error 1/2 * sum (y - target)^2 per step (text: 'sum squared error')",
    "update": "plain gradient descent after every step, no momentum (rate not stated)",
}

# SRN parameters by name: W_xh, W_hh, b_h, W_hq, b_q (see the module docstring)
Params = dict[str, FloatArray]
NAMES = ("W_xh", "W_hh", "b_h", "W_hq", "b_q")


def init_srn(
    n_in: int, n_hidden: int, n_out: int, *, n_nets: int = 1, init_range: float = 0.5, rng: np.random.Generator
) -> Params:
    """Random SRN parameters for ``n_nets`` networks, every entry from ``U(-init_range, init_range)``.

    Returns ``W_xh (S, d, h)``, ``W_hh (S, h, h)``, ``b_h (S, h)``, ``W_hq (S, h, q)``, ``b_q (S, q)``.
    """
    S, h, d, q = n_nets, n_hidden, n_in, n_out

    def draw(*shape: int) -> FloatArray:
        return rng.uniform(-init_range, init_range, size=shape)

    # drawn as (out, in) blocks and transposed, so a seed gives the weights of earlier versions
    return {
        "W_xh": draw(S, h, d).transpose(0, 2, 1).copy(),
        "W_hh": draw(S, h, h).transpose(0, 2, 1).copy(),
        "b_h": draw(S, h),
        "W_hq": draw(S, q, h).transpose(0, 2, 1).copy(),
        "b_q": draw(S, q),
    }


def init_srn_stack(
    n_in: int, n_hidden: int, n_out: int, init_range: float, rngs: Sequence[np.random.Generator]
) -> Params:
    """One network per generator (:func:`init_srn`), stacked on the network axis."""
    each = [init_srn(n_in, n_hidden, n_out, init_range=init_range, rng=r) for r in rngs]
    return {k: np.concatenate([p[k] for p in each]) for k in NAMES}


def _sigmoid(a: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-a))


def _rowmul(v: FloatArray, W: FloatArray) -> FloatArray:
    """``v (S, a) @ W (S, a, b) -> (S, b)``, one product per network."""
    out: FloatArray = np.matmul(v[:, None, :], W)[:, 0]
    return out


def _as_streams(x: FloatArray, S: int) -> FloatArray:
    """``(T, d)`` or ``(S, T, d)`` -> ``(S, T, d)`` float64 (a view when shared)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim == 2:
        return np.broadcast_to(x, (S, *x.shape))
    if x.ndim != 3 or x.shape[0] != S:
        raise ValueError(f"a stream must be (T, d) or ({S}, T, d) for {S} networks, got shape {x.shape}")
    return x


def _context(context: FloatArray | float, S: int, h: int) -> FloatArray:
    C: FloatArray = np.broadcast_to(np.asarray(context, dtype=np.float64), (S, h)).copy()
    return C


# --------------------------------------------------------------------------- one online step
def _online_step_(p: Params, x: FloatArray, c: FloatArray, target: FloatArray, lr: float) -> tuple[
    FloatArray, FloatArray, FloatArray
]:
    """Elman's step on ``p`` *in place*: ``x (S, d)``, ``c (S, h)``, ``target (S, q)`` -> ``H, O, sq``."""
    H = _sigmoid(_rowmul(x, p["W_xh"]) + _rowmul(c, p["W_hh"]) + p["b_h"])  # (S, h)
    O = _sigmoid(_rowmul(H, p["W_hq"]) + p["b_q"])  # (S, q)
    e = O - target
    dZ_o = e * O * (1.0 - O)  # (S, q): dE/d(output pre-activation)
    dZ_h = np.matmul(p["W_hq"], dZ_o[:, :, None])[..., 0] * H * (1.0 - H)  # (S, h), context held fixed
    p["W_hq"] -= lr * H[:, :, None] * dZ_o[:, None, :]
    p["b_q"] -= lr * dZ_o
    p["W_xh"] -= lr * x[:, :, None] * dZ_h[:, None, :]
    p["W_hh"] -= lr * c[:, :, None] * dZ_h[:, None, :]
    p["b_h"] -= lr * dZ_h
    return H, O, (e * e).sum(-1)


def srn_online_step(
    params: Params, x: FloatArray, context: FloatArray, target: FloatArray, lr: float
) -> tuple[Params, FloatArray, FloatArray, FloatArray]:
    """One step of Elman's procedure: forward, one-step backprop, weight update.

    Parameters
    ----------
    params
        SRN parameters (see the module docstring); not modified.
    x, context, target
        ``(S, d)`` input, ``(S, h)`` context units (the previous hidden state, or 0.5 at the
        start), ``(S, q)`` target output.
    lr
        Learning rate.

    Returns
    -------
    tuple
        ``(new_params, H, O, sq_err)``: ``params - lr * dE/dparams`` (``E = 1/2 sum (O - target)^2``,
        context held constant), the hidden state ``(S, h)`` (the next step's context), the output ``(S, q)`` before the
        update and ``(S,)`` ``sum (O - target)^2``.
    """
    new = {k: np.array(params[k], dtype=np.float64) for k in NAMES}
    H, O, sq = _online_step_(new, np.asarray(x, np.float64), np.asarray(context, np.float64),
                             np.asarray(target, np.float64), lr)
    return new, H, O, sq


# --------------------------------------------------------------------------- windows, BPTT
def _forward(p: Params, X: FloatArray, C: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``X (S, L, d)`` from context ``C (S, h)``: hidden ``H (L, S, h)`` and outputs ``O (L, S, q)``."""
    L = X.shape[1]
    drive = np.einsum("sld,sdh->lsh", X, p["W_xh"]) + p["b_h"][None]  # (L, S, h): the input part, at once
    H = np.empty((L, *C.shape))
    for t in range(L):
        C = H[t] = _sigmoid(drive[t] + _rowmul(C, p["W_hh"]))
    O = _sigmoid(np.einsum("lsh,shq->lsq", H, p["W_hq"]) + p["b_q"][None])
    return H, O


def _bptt_window(p: Params, X: FloatArray, Y: FloatArray, C: FloatArray) -> tuple[FloatArray, Params, FloatArray]:
    """Squared errors ``(L, S)``, gradients of ``1/2 sum (O - Y)^2`` and the last hidden state ``(S, h)``."""
    H, O = _forward(p, X, C)
    e = O - Y.transpose(1, 0, 2)  # (L, S, q)
    dZ_o = e * O * (1.0 - O)
    dH = np.einsum("lsq,shq->lsh", dZ_o, p["W_hq"])  # dE/dH_t from the output at t
    dZ = np.empty_like(H)
    carry = np.zeros_like(C)  # dZ_{t+1} W_hh^T
    for t in range(H.shape[0] - 1, -1, -1):
        dZ[t] = (dH[t] + carry) * H[t] * (1.0 - H[t])
        carry = np.matmul(p["W_hh"], dZ[t][:, :, None])[..., 0]
    H_prev = np.concatenate([C[None], H[:-1]])  # (L, S, h): the context each step saw
    grads = {
        "W_xh": np.einsum("lsd,lsh->sdh", X.transpose(1, 0, 2), dZ),
        "W_hh": np.einsum("lsk,lsh->skh", H_prev, dZ),
        "b_h": dZ.sum(0),
        "W_hq": np.einsum("lsh,lsq->shq", H, dZ_o),
        "b_q": dZ_o.sum(0),
    }
    return (e * e).sum(-1), grads, H[-1]


def srn_bptt_loss_and_grads(
    params: Params, inputs: FloatArray, targets: FloatArray, context: FloatArray | float = 0.5
) -> tuple[FloatArray, Params]:
    """Loss ``(S,)`` (``1/2 sum_t sum_k (O - target)^2``) and its exact gradients over a window.

    ``inputs`` and ``targets`` are ``(T, d)``/``(T, q)`` or ``(S, T, d)``/``(S, T, q)``;
    ``context`` ``(S, h)`` (or a constant) is the context before the first step.
    """
    S, h = params["W_hh"].shape[:2]
    X, Y = _as_streams(inputs, S), _as_streams(targets, S)
    sq, grads, _ = _bptt_window(params, X, Y, _context(context, S, h))
    return 0.5 * sq.sum(0), grads


def run_srn(params: Params, inputs: FloatArray, context: FloatArray | float = 0.5) -> tuple[FloatArray, FloatArray]:
    """Run without learning: hidden states ``(S, T, h)`` and outputs ``(S, T, q)``."""
    S, h = params["W_hh"].shape[:2]
    H, O = _forward(params, _as_streams(inputs, S), _context(context, S, h))
    return H.transpose(1, 0, 2).copy(), O.transpose(1, 0, 2).copy()


# --------------------------------------------------------------------------- training
def train_srn(
    params: Params,
    inputs: FloatArray,
    targets: FloatArray | None = None,
    *,
    passes: int,
    lr: float,
    method: str = "elman",
    window: int = 12,
    context: float = 0.5,
    callback: Callable[[int, Params], None] | None = None,
) -> tuple[Params, FloatArray]:
    """Train SRNs on a wrapped stream, ``passes`` times through it.

    Parameters
    ----------
    params
        Initial parameters (not modified).
    inputs
        ``(T, d)`` shared stream or ``(S, T, d)`` one stream per network.
    targets
        Same layout with ``q`` features; default: the next input, wrapping around
        (``np.roll(inputs, -1)`` along time), i.e. Elman's prediction task.
    passes
        Passes through the stream; the context carries over from pass to pass.
    lr
        Learning rate (per step for ``"elman"``, per window for ``"bptt"``).
    method
        ``"elman"`` (:func:`srn_online_step` at every step) or ``"bptt"`` (windows).
    window
        Window length for ``"bptt"``; ``T`` must be a multiple of it.
    context
        Initial context activation (0.5 in the paper).
    callback
        Called as ``callback(pass_index, params)`` after every pass.

    Returns
    -------
    tuple
        ``(params, history)``: the trained parameters and ``(passes, S)``: the mean over steps of
        ``sum_k (O - target)^2`` during each pass.
    """
    if method not in ("elman", "bptt"):
        raise ValueError(f"method must be 'elman' or 'bptt', got {method!r}")
    p = {k: np.array(params[k], dtype=np.float64) for k in NAMES}
    S, h = p["W_hh"].shape[:2]
    X = _as_streams(inputs, S)
    Y = _as_streams(np.roll(X, -1, axis=1) if targets is None else targets, S)
    T = X.shape[1]
    if method == "bptt" and T % window:
        raise ValueError(f"stream length {T} is not a multiple of window={window}")
    C = _context(context, S, h)
    history = np.empty((passes, S))
    XT, YT = np.ascontiguousarray(X.transpose(1, 0, 2)), np.ascontiguousarray(Y.transpose(1, 0, 2))
    for pass_ in range(passes):
        total = np.zeros(S)
        if method == "elman":
            for t in range(T):
                C, _, sq = _online_step_(p, XT[t], C, YT[t], lr)
                total += sq
        else:
            for start in range(0, T, window):
                sl = slice(start, start + window)
                sq_w, grads, C = _bptt_window(p, X[:, sl], Y[:, sl], C)
                for k in NAMES:
                    p[k] -= lr * grads[k]
                total += sq_w.sum(0)
        history[pass_] = total / T
        if callback is not None:
            callback(pass_, {k: v.copy() for k, v in p.items()})
    return p, history
