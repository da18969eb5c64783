"""Elman (1990) and Jordan (1986) experiments: Elman's own training, BPTT, and the analyses.

Shape conventions (stated once for this module). Several independent networks are trained
at once, stacked on a leading *network* axis of size ``S`` (one seed each); the column-vector
step of a simple recurrent network (SRN) is

.. code-block:: text

    c_t = h_{t-1}                      (copy, weight 1.0; c_1 = 0.5)
    h_t = sigmoid(W_xh x_t + W_ch c_t + b_h)
    y_t = sigmoid(W_hy h_t + b_y)      (target: the next input x_{t+1})

with parameters ``W_xh (S, H, D)``, ``W_ch (S, H, H)``, ``b_h (S, H)``, ``W_hy (S, O, H)``,
``b_y (S, O)``. Streams are ``(T, D)`` (shared by all networks) or ``(S, T, D)`` (one per
network); hidden states and outputs come back as ``(S, T, H)`` and ``(S, T, O)``.

Two ways of training, both plain online/windowed gradient descent on the squared error
``E_t = 1/2 * sum_k (y_t,k - target_t,k)^2``:

* ``method="elman"``: Elman's procedure. After every step the weights change by
  ``-lr * dE_t/dW`` with the context treated as an extra *input* (its dependence on the
  weights is ignored: one-step backpropagation, no BPTT).
* ``method="bptt"``: backpropagation through time within windows of ``window`` steps: the
  error of a window is backpropagated through the copied context to the window's start,
  then the weights change once (the context entering the window is held fixed).

The paper gives neither learning rate, weight-initialisation range, bias units nor error
function (Elman 1990, by absence); :data:`ELMAN_ASSUMPTIONS` lists the choices made here.

For Jordan (1986), :func:`train_jordan`, :func:`jordan_generate` and :func:`jordan_rollout`
train and run a :class:`~rnn_companion.jordan.JordanRNN` on a
:func:`~rnn_companion.datasets.jordan_plan_task` (time-major tensors ``(T, P, features)``, one
sequence per plan), with or without teacher forcing.
The CLI ``python -m rnn_companion.experiments {xor,letters,lexical} --out FILE.json`` runs
the longer multi-seed experiments whose results the book loads; the stored runs ship with
the package (``rnn_companion/data/experiments/``) and :func:`load_stored` reads them, so
the chapter also runs where only the package is installed (Colab).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import datasets

__all__ = [
    "ELMAN_ASSUMPTIONS",
    "XOR_FIG3",
    "NOUNS",
    "VERBS",
    "LINKAGES",
    "init_srn",
    "srn_online_step",
    "srn_bptt_loss_and_grads",
    "run_srn",
    "train_srn",
    "xor_position_error",
    "dip_gap",
    "run_xor",
    "run_letters",
    "letter_errors",
    "letter_floor",
    "word_mean_hidden",
    "cluster_words",
    "clade_table",
    "WORD_GROUPS",
    "run_lexical",
    "jordan_generate",
    "jordan_correct",
    "train_jordan",
    "load_stored",
    "STORED",
    "jordan_rollout",
    "main",
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

Params = dict[str, np.ndarray]


# --------------------------------------------------------------------------- parameters
def init_srn(
    n_in: int,
    n_hidden: int,
    n_out: int,
    *,
    n_nets: int = 1,
    init_range: float = 0.5,
    rng: np.random.Generator,
) -> Params:
    """Random SRN parameters for ``n_nets`` independent networks.

    Parameters
    ----------
    n_in, n_hidden, n_out : int
        Input, hidden (= context) and output units.
    n_nets : int
        Number of networks ``S`` stacked on the leading axis.
    init_range : float
        Every weight and bias is drawn from ``U(-init_range, init_range)`` (an assumption).
    rng : numpy.random.Generator
        Source of the weights.

    Returns
    -------
    dict
        ``W_xh (S, H, D)``, ``W_ch (S, H, H)``, ``b_h (S, H)``, ``W_hy (S, O, H)``, ``b_y (S, O)``.
    """
    S, H, D, O = n_nets, n_hidden, n_in, n_out
    u = lambda *shape: rng.uniform(-init_range, init_range, size=shape)  # noqa: E731
    return {"W_xh": u(S, H, D), "W_ch": u(S, H, H), "b_h": u(S, H), "W_hy": u(S, O, H), "b_y": u(S, O)}


def _init_stack(
    n_in: int, n_hidden: int, n_out: int, init_range: float, rngs: Sequence[np.random.Generator]
) -> Params:
    """One network per generator (:func:`init_srn`), stacked on the leading axis."""
    each = [init_srn(n_in, n_hidden, n_out, init_range=init_range, rng=r) for r in rngs]
    return {k: np.concatenate([p[k] for p in each]) for k in each[0]}


def _pack(p: Params) -> tuple[np.ndarray, np.ndarray]:
    """``W1 = [W_xh | W_ch | b_h]`` ``(S, H, D+H+1)`` and ``W2 = [W_hy | b_y]`` ``(S, O, H+1)``."""
    W1 = np.concatenate([p["W_xh"], p["W_ch"], p["b_h"][..., None]], axis=2)
    W2 = np.concatenate([p["W_hy"], p["b_y"][..., None]], axis=2)
    return W1.astype(np.float64), W2.astype(np.float64)


def _unpack(W1: np.ndarray, W2: np.ndarray, D: int) -> Params:
    H = W1.shape[1]
    return {
        "W_xh": W1[:, :, :D].copy(),
        "W_ch": W1[:, :, D : D + H].copy(),
        "b_h": W1[:, :, -1].copy(),
        "W_hy": W2[:, :, :H].copy(),
        "b_y": W2[:, :, -1].copy(),
    }


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def _as_streams(x: np.ndarray, S: int) -> np.ndarray:
    """``(T, D)`` or ``(S, T, D)`` -> ``(S, T, D)`` float64 (a view when shared)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim == 2:
        return np.broadcast_to(x, (S, *x.shape))
    if x.shape[0] != S:
        raise ValueError(f"stream has {x.shape[0]} networks, parameters have {S}")
    return x


def _n_nets(p: Params) -> int:
    return p["W_xh"].shape[0]


# --------------------------------------------------------------------------- one step, BPTT
def srn_online_step(
    params: Params, x: np.ndarray, context: np.ndarray, target: np.ndarray, lr: float
) -> tuple[Params, np.ndarray, np.ndarray, np.ndarray]:
    """One step of Elman's procedure: forward, one-step backprop, weight update.

    Parameters
    ----------
    params : dict
        SRN parameters (see the module docstring); not modified.
    x : ndarray
        ``(S, D)`` input.
    context : ndarray
        ``(S, H)`` context units (the previous hidden state, or 0.5 at the start).
    target : ndarray
        ``(S, O)`` target output.
    lr : float
        Learning rate.

    Returns
    -------
    new_params : dict
        ``params - lr * dE/dparams`` with ``E = 1/2 * sum (y - target)^2`` and the context
        held constant.
    h : ndarray
        ``(S, H)`` hidden state, the next step's context.
    y : ndarray
        ``(S, O)`` output before the update.
    sq_err : ndarray
        ``(S,)`` ``sum (y - target)^2``.
    """
    D = params["W_xh"].shape[2]
    W1, W2 = _pack(params)
    z = np.concatenate([x, context, np.ones((x.shape[0], 1))], axis=1)
    h = _sigmoid(np.matmul(W1, z[:, :, None])[..., 0])
    hz = np.concatenate([h, np.ones((h.shape[0], 1))], axis=1)
    y = _sigmoid(np.matmul(W2, hz[:, :, None])[..., 0])
    e = y - target
    do = e * y * (1 - y)
    dh = np.matmul(do[:, None, :], W2[:, :, :-1])[:, 0] * h * (1 - h)
    W2 = W2 - lr * do[:, :, None] * hz[:, None, :]
    W1 = W1 - lr * dh[:, :, None] * z[:, None, :]
    return _unpack(W1, W2, D), h, y, (e * e).sum(-1)


def _forward_window(
    W1: np.ndarray, W2: np.ndarray, X: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forward over ``X (S, L, D)`` from context ``c``: inputs ``z (L,S,D+H+1)``, ``h (L,S,H)``, ``y (L,S,O)``."""
    S, L, D = X.shape
    H = W1.shape[1]
    z = np.empty((L, S, D + H + 1))
    z[:, :, :D] = X.transpose(1, 0, 2)
    z[:, :, -1] = 1.0
    h = np.empty((L, S, H))
    Wx = W1[:, :, :D]
    # the input and bias parts of every step at once, the recurrence step by step
    drive = np.einsum("shd,lsd->lsh", Wx, z[:, :, :D]) + W1[:, :, -1][None]
    Wc = W1[:, :, D : D + H]
    for t in range(L):
        z[t, :, D : D + H] = c
        c = h[t] = _sigmoid(drive[t] + np.matmul(Wc, c[:, :, None])[..., 0])
    y = _sigmoid(np.einsum("soh,lsh->lso", W2[:, :, :H], h) + W2[:, :, -1][None])
    return z, h, y


def _bptt_window(
    W1: np.ndarray, W2: np.ndarray, X: np.ndarray, Y: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Squared errors ``(L, S)``, grads of ``1/2 sum (y-Y)^2`` w.r.t. ``W1, W2``, last hidden."""
    S, L, D = X.shape
    H = W1.shape[1]
    z, h, y = _forward_window(W1, W2, X, c)
    e = y - Y.transpose(1, 0, 2)
    do = e * y * (1 - y)  # (L, S, O)
    back = np.einsum("lso,soh->lsh", do, W2[:, :, :H])  # dE/dh_t from the output at t
    dh_gate = h * (1 - h)
    da = np.empty_like(h)
    WcT = np.swapaxes(W1[:, :, D : D + H], 1, 2)
    carry = np.zeros((S, H))
    for t in range(L - 1, -1, -1):
        da[t] = (back[t] + carry) * dh_gate[t]
        carry = np.matmul(WcT, da[t][:, :, None])[..., 0]  # dE/dh_{t-1} through the context
    hz = np.concatenate([h, np.ones((L, S, 1))], axis=2)
    g2 = np.einsum("lso,lsk->sok", do, hz)
    g1 = np.einsum("lsh,lsk->shk", da, z)
    return (e * e).sum(-1), g1, g2, h[-1]


def srn_bptt_loss_and_grads(
    params: Params, inputs: np.ndarray, targets: np.ndarray, context: np.ndarray | float = 0.5
) -> tuple[np.ndarray, Params]:
    """Loss and exact gradients of a whole window by backpropagation through time.

    Parameters
    ----------
    params : dict
        SRN parameters.
    inputs : ndarray
        ``(T, D)`` or ``(S, T, D)``.
    targets : ndarray
        ``(T, O)`` or ``(S, T, O)``.
    context : ndarray or float
        ``(S, H)`` context before the first step (a constant), default 0.5.

    Returns
    -------
    loss : ndarray
        ``(S,)`` ``1/2 * sum_t sum_k (y - target)^2``.
    grads : dict
        Gradients of ``loss`` with the same names and shapes as ``params``.
    """
    S, H = _n_nets(params), params["W_ch"].shape[1]
    X, Y = _as_streams(inputs, S), _as_streams(targets, S)
    c = np.broadcast_to(np.asarray(context, dtype=np.float64), (S, H)).copy()
    W1, W2 = _pack(params)
    sq, g1, g2, _ = _bptt_window(W1, W2, X, Y, c)
    return 0.5 * sq.sum(0), _unpack(g1, g2, X.shape[2])


# --------------------------------------------------------------------------- run, train
def run_srn(
    params: Params, inputs: np.ndarray, context: np.ndarray | float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Run without learning: hidden states ``(S, T, H)`` and outputs ``(S, T, O)``."""
    S, H = _n_nets(params), params["W_ch"].shape[1]
    X = _as_streams(inputs, S)
    c = np.broadcast_to(np.asarray(context, dtype=np.float64), (S, H)).copy()
    W1, W2 = _pack(params)
    _, h, y = _forward_window(W1, W2, X, c)
    return h.transpose(1, 0, 2).copy(), y.transpose(1, 0, 2).copy()


def train_srn(
    params: Params,
    inputs: np.ndarray,
    targets: np.ndarray | None = None,
    *,
    passes: int,
    lr: float,
    method: str = "elman",
    window: int = 12,
    context: float = 0.5,
    callback: Callable[[int, Params], None] | None = None,
) -> tuple[Params, np.ndarray]:
    """Train SRNs on a wrapped stream, ``passes`` times through it.

    Parameters
    ----------
    params : dict
        Initial parameters (not modified).
    inputs : ndarray
        ``(T, D)`` shared stream or ``(S, T, D)`` one stream per network.
    targets : ndarray, optional
        Same layout with ``O`` features; default: the next input, wrapping around
        (``np.roll(inputs, -1)`` along time), i.e. Elman's prediction task.
    passes : int
        Passes through the stream; the context carries over from pass to pass.
    lr : float
        Learning rate (per step for ``"elman"``, per window for ``"bptt"``).
    method : str
        ``"elman"`` (Elman's one-step procedure) or ``"bptt"`` (BPTT within windows, see the
        module docstring).
    window : int
        Window length for ``"bptt"``; ``T`` must be a multiple of it.
    context : float
        Initial context activation (0.5 in the paper).
    callback : callable, optional
        Called as ``callback(pass_index, params)`` after every pass.

    Returns
    -------
    params : dict
        Trained parameters.
    history : ndarray
        ``(passes, S)`` mean over steps of ``sum_k (y - target)^2`` during each pass.
    """
    S, D, H = _n_nets(params), params["W_xh"].shape[2], params["W_ch"].shape[1]
    X = _as_streams(inputs, S)
    Y = _as_streams(np.roll(X, -1, axis=1) if targets is None else targets, S)
    T = X.shape[1]
    W1, W2 = _pack(params)
    history = np.empty((passes, S))
    c = np.full((S, H), float(context))
    if method == "elman":
        XT = np.ascontiguousarray(X.transpose(1, 0, 2))
        YT = np.ascontiguousarray(Y.transpose(1, 0, 2))
        z = np.ones((S, D + H + 1))
        z[:, D : D + H] = c
        hz = np.ones((S, H + 1))
        err = np.empty((T, S))
        matmul, exp = np.matmul, np.exp
        for p in range(passes):
            for t in range(T):
                z[:, :D] = XT[t]
                h = 1.0 / (1.0 + exp(-matmul(W1, z[:, :, None])[..., 0]))
                hz[:, :H] = h
                y = 1.0 / (1.0 + exp(-matmul(W2, hz[:, :, None])[..., 0]))
                e = y - YT[t]
                err[t] = (e * e).sum(-1)
                do = e * y * (1.0 - y)
                dh = matmul(do[:, None, :], W2[:, :, :H])[:, 0] * h * (1.0 - h)
                W2 -= lr * do[:, :, None] * hz[:, None, :]
                W1 -= lr * dh[:, :, None] * z[:, None, :]
                z[:, D : D + H] = h
            history[p] = err.mean(0)
            if callback is not None:
                callback(p, _unpack(W1, W2, D))
    elif method == "bptt":
        if T % window:
            raise ValueError(f"stream length {T} is not a multiple of window={window}")
        for p in range(passes):
            total = np.zeros(S)
            for start in range(0, T, window):
                sl = slice(start, start + window)
                sq, g1, g2, c = _bptt_window(W1, W2, X[:, sl], Y[:, sl], c)
                W1 -= lr * g1
                W2 -= lr * g2
                total += sq.sum(0)
            history[p] = total / T
            if callback is not None:
                callback(p, _unpack(W1, W2, D))
    else:
        raise ValueError(f"method must be 'elman' or 'bptt', got {method!r}")
    return _unpack(W1, W2, D), history


# --------------------------------------------------------------------------- XOR
#: Fig. 3 of Elman (1990), the error at cycles 1 to 12 read off the page image (about ±0.01).
XOR_FIG3 = (0.33, 0.16, 0.30, 0.28, 0.18, 0.34, 0.32, 0.17, 0.32, 0.32, 0.16, 0.28)


def xor_position_error(sq_err: np.ndarray, period: int = 12) -> np.ndarray:
    """Average squared error by position in a ``period``-step cycle.

    ``sq_err`` is ``(S, T)``, step ``t`` being the prediction made after input ``t``; the
    stream starts at a triplet boundary. Returns ``(S, period)``: entry ``k`` is the mean
    over cycles of the error after input ``k + 1`` of the cycle (Elman's "cycle" axis).
    """
    S, T = sq_err.shape
    n = T // period
    return sq_err[:, : n * period].reshape(S, n, period).mean(1)


def dip_gap(pos3: np.ndarray) -> np.ndarray:
    """``(S,)`` mean error at positions 1 and 3 minus the error at position 2 (``pos3 (S, 3)``)."""
    return 0.5 * (pos3[:, 0] + pos3[:, 2]) - pos3[:, 1]


def run_xor(
    seeds: Sequence[int],
    *,
    passes: int = 600,
    n_bits: int = 3000,
    n_test_cycles: int = 1200,
    lr: float = 0.5,
    init_range: float = 0.5,
    method: str = "elman",
    window: int = 12,
    n_hidden: int = 2,
) -> dict[str, Any]:
    """Elman's temporal XOR, one network per seed, each trained on its own stream.

    Each seed ``s`` draws its stream, weights and test stream from
    ``np.random.default_rng(s)``. Testing runs a fresh stream of ``12 * n_test_cycles``
    bits with no learning, from context 0.5.

    Returns
    -------
    dict
        ``"cycle12"`` ``(S, 12)`` and ``"pos3"`` ``(S, 3)`` test MSE by position (input =
        1st, 2nd, 3rd bit of a triplet), ``"gap"`` ``(S,)`` (see :func:`dip_gap`),
        ``"history"`` ``(passes, S)``, ``"params"``, ``"hidden"`` ``(S, T_test, H)``,
        ``"test_bits"`` ``(S, T_test)``.
    """
    S = len(seeds)
    rngs = [np.random.default_rng(s) for s in seeds]
    train = np.stack([datasets.temporal_xor(n_bits, r) for r in rngs])[..., None]
    params = _init_stack(1, n_hidden, 1, init_range, rngs)
    test = np.stack([datasets.temporal_xor(12 * n_test_cycles, r) for r in rngs])
    params, history = train_srn(
        params, train, passes=passes, lr=lr, method=method, window=window
    )
    hidden, y = run_srn(params, test[..., None].astype(float))
    sq = (y[..., 0] - np.roll(test, -1, axis=1)) ** 2
    sq = sq[:, :-12]  # drop the last cycle, whose final target wraps around
    cycle12 = xor_position_error(sq, 12)
    pos3 = xor_position_error(sq, 3)
    return {
        "cycle12": cycle12,
        "pos3": pos3,
        "gap": dip_gap(pos3),
        "history": history,
        "params": params,
        "hidden": hidden,
        "test_bits": test,
    }


# --------------------------------------------------------------------------- letters
def letter_errors(letters: str, vectors: np.ndarray, outputs: np.ndarray) -> dict[str, np.ndarray]:
    """Prediction error of the letter task, by target letter and by bit.

    Parameters
    ----------
    letters : str
        The test letters, length ``T``.
    vectors : ndarray
        ``(T, 6)`` their Table 1 codes.
    outputs : ndarray
        ``(S, T, 6)`` network outputs; ``outputs[:, t]`` predicts letter ``t + 1``.

    Returns
    -------
    dict
        ``"sq"`` ``(S, T-1, 6)`` squared error per bit, ``"targets"`` the target letters (str,
        length ``T-1``), ``"by_letter"`` ``(S, 6)`` summed-over-bits MSE for targets
        b, d, g, a, i, u, ``"by_letter_bit"`` ``(S, 6, 6)`` [target letter, bit] MSE (NaN
        for a letter that never is a target).
    """
    sq = (outputs[:, :-1] - vectors[None, 1:]) ** 2
    targets = letters[1:]
    tarr = np.array(list(targets))
    by_letter_bit = np.full((sq.shape[0], 6, sq.shape[2]), np.nan)
    for k, c in enumerate("bdgaiu"):
        if (tarr == c).any():
            by_letter_bit[:, k] = sq[:, tarr == c].mean(1)
    return {
        "sq": sq,
        "targets": targets,
        "by_letter": by_letter_bit.sum(-1),
        "by_letter_bit": by_letter_bit,
    }


def letter_floor() -> tuple[np.ndarray, np.ndarray]:
    """Error of the ideal predictor of the letter stream, by target letter (b, d, g, a, i, u).

    It knows the rules, so it predicts every vowel exactly, but the next consonant is a fair
    three-way draw: its best guess is the mean of the b, d, g vectors. Returns the summed
    squared error ``(6,)`` and the per-bit squared error ``(6, 6)`` [target letter, bit].
    """
    table = np.array([datasets.LETTER_VECTORS[c] for c in "bdgaiu"], dtype=np.float64)
    guess = table[:3].mean(0)
    per_bit = np.zeros((6, 6))
    per_bit[:3] = (table[:3] - guess) ** 2
    return per_bit.sum(1), per_bit


def run_letters(
    seeds: Sequence[int],
    *,
    passes: int = 200,
    n_consonants: int = 1000,
    lr: float = 0.1,
    init_range: float = 0.5,
    n_hidden: int = 20,
    method: str = "elman",
    window: int = 12,
) -> dict[str, Any]:
    """Elman's letter task (6-20-6), one network per seed, each on its own sequence.

    Each seed draws its training sequence, weights and a fresh test sequence (from another
    randomisation, 1,000 consonants) from ``np.random.default_rng(seed)``.

    Returns
    -------
    dict
        ``"errors"`` (see :func:`letter_errors`, on the test sequence of the *first* seed
        for ``"sq"``/``"targets"``, per-seed tables for all), ``"history"``, ``"params"``,
        ``"test_letters"`` (first seed).
    """
    rngs = [np.random.default_rng(s) for s in seeds]
    seqs = [datasets.letter_sequence(n_consonants, r) for r in rngs]
    T = min(len(s.letters) for s in seqs)
    if method == "bptt":
        T -= T % window
    train = np.stack([s.vectors[:T] for s in seqs])
    params = _init_stack(6, n_hidden, 6, init_range, rngs)
    params, history = train_srn(params, train, passes=passes, lr=lr, method=method, window=window)
    tests = [datasets.letter_sequence(1000, r) for r in rngs]
    Tt = min(len(s.letters) for s in tests)
    _, y = run_srn(params, np.stack([s.vectors[:Tt] for s in tests]))
    per_seed = [letter_errors(s.letters[:Tt], s.vectors[:Tt], y[i : i + 1]) for i, s in enumerate(tests)]
    errors = {
        "sq": per_seed[0]["sq"][0],
        "targets": per_seed[0]["targets"],
        "by_letter": np.concatenate([e["by_letter"] for e in per_seed]),
        "by_letter_bit": np.concatenate([e["by_letter_bit"] for e in per_seed]),
    }
    return {"errors": errors, "history": history, "params": params, "test_letters": tests[0].letters[:Tt]}


# --------------------------------------------------------------------------- lexical classes
#: The 18 nouns of :data:`rnn_companion.datasets.VOCABULARY`.
NOUNS = datasets.VOCABULARY[:18]
#: The 11 verbs of :data:`rnn_companion.datasets.VOCABULARY`.
VERBS = datasets.VOCABULARY[18:]

#: Groupings of Fig. 7 (and a few finer ones) to look for as clades of the tree.
WORD_GROUPS: dict[str, tuple[str, ...]] = {
    "nouns": NOUNS,
    "verbs": VERBS,
    "animates": ("man", "woman", "boy", "girl", "cat", "mouse", "dog", "dragon", "monster", "lion"),
    "inanimates": ("book", "rock", "car", "glass", "plate", "cookie", "bread", "sandwich"),
    "humans": ("man", "woman", "boy", "girl"),
    "animals": ("cat", "mouse", "dog", "dragon", "monster", "lion"),
    "large animals": ("dragon", "monster", "lion"),
    "small animals": ("cat", "mouse", "dog"),
    "food": ("cookie", "bread", "sandwich"),
    "breakables": ("glass", "plate"),
    "intransitive verbs": ("think", "sleep", "exist"),
}


def word_mean_hidden(words: Sequence[str], hidden: np.ndarray, vocabulary: Sequence[str]) -> np.ndarray:
    """Average the hidden states of every occurrence of each word.

    ``hidden`` is ``(S, T, H)`` (``hidden[:, t]`` produced by input ``words[t]``); returns
    ``(S, len(vocabulary), H)`` (NaN rows for absent words).
    """
    index = {w: k for k, w in enumerate(vocabulary)}
    ids = np.array([index[w] for w in words])
    S, _, H = hidden.shape
    V = len(vocabulary)
    sums = np.zeros((S, V, H))
    for s in range(S):
        np.add.at(sums[s], ids, hidden[s, : len(ids)])
    counts = np.bincount(ids, minlength=V).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts[None, :, None]


def cluster_words(vectors: np.ndarray, *, method: str = "average", metric: str = "euclidean") -> np.ndarray:
    """SciPy linkage matrix of ``(V, H)`` word vectors (needs ``scipy``)."""
    from scipy.cluster.hierarchy import linkage

    return linkage(vectors, method=method, metric=metric)


def _clades(Z: np.ndarray, n: int) -> list[frozenset[int]]:
    members: list[frozenset[int]] = [frozenset([i]) for i in range(n)]
    for a, b, _, _ in Z:
        members.append(members[int(a)] | members[int(b)])
    return members


def clade_table(
    Z: np.ndarray, vocabulary: Sequence[str], groups: dict[str, tuple[str, ...]] = WORD_GROUPS
) -> dict[str, bool]:
    """Which word groups are clades of the tree (a subtree with exactly those leaves).

    Also ``"top split nouns|verbs"``: the root's two branches are exactly nouns and verbs.
    """
    n = len(vocabulary)
    members = _clades(Z, n)
    clades = set(members)
    idx = {w: k for k, w in enumerate(vocabulary)}
    out = {name: frozenset(idx[w] for w in g) in clades for name, g in groups.items()}
    root = Z[-1]
    top = {members[int(root[0])], members[int(root[1])]}
    out["top split nouns|verbs"] = top == {
        frozenset(idx[w] for w in NOUNS),
        frozenset(idx[w] for w in VERBS),
    }
    return out


def run_lexical(
    seeds: Sequence[int],
    *,
    n_sentences: int = 10_000,
    passes: int = 6,
    lr: float = 0.1,
    init_range: float = 0.5,
    n_hidden: int = 150,
    method: str = "elman",
    window: int = 12,
) -> dict[str, Any]:
    """Elman's lexical-class simulation (31-150-31), one network and corpus per seed.

    After training, the corpus is passed through once more without learning and the
    hidden states are averaged per word.

    Returns
    -------
    dict
        ``"history"`` ``(passes, S)`` summed squared error per word, ``"means"``
        ``(S, 29, H)`` word-averaged hidden states (order :data:`rnn_companion.datasets.VOCABULARY`),
        ``"final_error"`` ``(S,)`` summed squared error per word in the frozen pass,
        ``"n_words"`` ``(S,)``, ``"params"``, ``"corpora"``, ``"hidden"`` ``(S, T, H)``.
    """
    rngs = [np.random.default_rng(s) for s in seeds]
    corpora = [datasets.elman_sentences(n_sentences, r) for r in rngs]
    T = min(len(c.words) for c in corpora)
    if method == "bptt":
        T -= T % window
    X = np.stack([c.onehot[:T] for c in corpora])
    params = _init_stack(31, n_hidden, 31, init_range, rngs)
    params, history = train_srn(params, X, passes=passes, lr=lr, method=method, window=window)
    hidden, y = run_srn(params, X)
    final = ((y[:, :-1] - X[:, 1:]) ** 2).sum(-1).mean(1)
    means = np.concatenate(
        [word_mean_hidden(c.words[:T], hidden[i : i + 1], datasets.VOCABULARY) for i, c in enumerate(corpora)]
    )
    return {
        "history": history,
        "means": means,
        "final_error": final,
        "n_words": np.array([T] * len(seeds)),
        "params": params,
        "corpora": corpora,
        "hidden": hidden,
    }


# --------------------------------------------------------------------------- Jordan (1986)
def _jordan_tensors(task: datasets.JordanTask, dtype: Any = None) -> tuple[Any, Any]:
    """Plan inputs ``(T, P, n_plan)`` (the plan repeated at every step) and targets ``(T, P, O)``."""
    import torch

    dtype = dtype or torch.get_default_dtype()
    T = task.targets.shape[0]
    x = torch.tensor(task.plans, dtype=dtype).expand(T, -1, -1).contiguous()
    return x, torch.tensor(task.targets, dtype=dtype)


def jordan_generate(net: Any, task: datasets.JordanTask) -> np.ndarray:
    """Free-running outputs ``(T, P, O)`` of a Jordan network for every plan (no teacher)."""
    import torch

    x, _ = _jordan_tensors(task, next(net.parameters()).dtype)
    with torch.no_grad():
        y, _, _ = net(x)
    return y.numpy().astype(np.float64)


def jordan_correct(outputs: np.ndarray, task: datasets.JordanTask) -> np.ndarray:
    """``(T, P)`` bool: every output unit on the right side of 0.5 at that step."""
    return ((outputs > 0.5) == (task.targets > 0.5)).all(-1)


def train_jordan(
    net: Any,
    task: datasets.JordanTask,
    *,
    epochs: int,
    lr: float = 0.03,
    teacher_forcing: bool = True,
    eval_every: int = 10,
) -> dict[str, np.ndarray]:
    """Train a :class:`~rnn_companion.jordan.JordanRNN` on a plan -> sequence task (full batch, Adam).

    With ``teacher_forcing=True`` the state units are fed the *target* actions
    (``net(x, targets=...)``), so each step is a separate supervised pattern and no gradient
    flows through the state; otherwise the network is trained free-running, on its own fed-back
    outputs, and the gradient flows back through them (backpropagation through time). The loss
    is the mean squared error over steps, plans and output units.

    Returns
    -------
    dict
        ``"loss"`` ``(epochs,)`` training loss, ``"eval_epochs"`` ``(E,)`` and
        ``"free_accuracy"`` ``(E,)`` the fraction of steps generated correctly when the
        network runs on its own outputs (see :func:`jordan_correct`) after those epochs.
    """
    import torch

    x, Y = _jordan_tensors(task, next(net.parameters()).dtype)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    losses = np.empty(epochs)
    eval_epochs, accs = [], []
    for ep in range(epochs):
        y, _, _ = net(x, targets=Y) if teacher_forcing else net(x)
        loss = ((y - Y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[ep] = loss.item()
        if (ep + 1) % eval_every == 0 or ep == epochs - 1:
            eval_epochs.append(ep + 1)
            accs.append(jordan_correct(jordan_generate(net, task), task).mean())
    return {"loss": losses, "eval_epochs": np.array(eval_epochs), "free_accuracy": np.array(accs)}


def jordan_rollout(
    net: Any,
    plan: np.ndarray,
    steps: int,
    *,
    perturb_at: int | None = None,
    perturbation: np.ndarray | None = None,
    s0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run a Jordan network freely for ``steps`` steps under one plan, optionally kicking its state.

    Parameters
    ----------
    net : JordanRNN
        A trained network.
    plan : ndarray
        ``(n_plan,)`` plan vector, held constant.
    steps : int
        Number of steps.
    perturb_at : int, optional
        Step at whose start the state is *replaced* by ``perturbation`` ``(O,)``.
    perturbation : ndarray, optional
        The replacement state.
    s0 : ndarray, optional
        Initial state ``(O,)``, zeros by default.

    Returns
    -------
    outputs : ndarray
        ``(steps, O)``.
    states : ndarray
        ``(steps, O)`` the state each step saw.
    """
    import torch

    dtype = next(net.parameters()).dtype
    O = net.output_size
    s = torch.zeros(O, dtype=dtype) if s0 is None else torch.tensor(s0, dtype=dtype)
    xp = torch.tensor(np.asarray(plan), dtype=dtype)[None]
    outs, states = [], []
    with torch.no_grad():
        for t in range(steps):
            if perturb_at is not None and t == perturb_at:
                s = torch.tensor(np.asarray(perturbation), dtype=dtype)
            states.append(s.numpy().copy())
            y, _, s = net(xp, s0=s)
            outs.append(y[0].numpy().copy())
    return np.array(outs, dtype=np.float64), np.array(states, dtype=np.float64)


# --------------------------------------------------------------------------- stored results (CLI)
def _versions() -> dict[str, str]:
    import rnn_companion

    out = {"python": platform.python_version(), "numpy": np.__version__, "rnn_companion": rnn_companion.__version__}
    try:
        import scipy

        out["scipy"] = scipy.__version__
    except ImportError:  # pragma: no cover
        pass
    return out


def _r(a: Any, nd: int = 4) -> Any:
    """Round an array (or scalar) for JSON."""
    return np.round(np.asarray(a, dtype=float), nd).tolist()


def _cli_xor(args: argparse.Namespace) -> dict[str, Any]:
    seeds = list(range(args.seeds))
    out: dict[str, Any] = {}
    for method in ("elman", "bptt"):
        cfg = dict(passes=args.passes, n_bits=3000, n_test_cycles=1200, lr=args.lr, init_range=args.init_range,
                   method=method, window=12, n_hidden=2)
        start = time.perf_counter()
        r = run_xor(seeds, **cfg)
        out[method] = {
            "config": cfg,
            "seconds": round(time.perf_counter() - start, 1),
            "cycle12": _r(r["cycle12"]),
            "pos3": _r(r["pos3"]),
            "gap": _r(r["gap"]),
            "history_every_10": _r(r["history"][::10].T),
        }
        print(f"xor {method}: mean MSE by position {np.round(r['pos3'].mean(0), 3)}, "
              f"dip > 0.05 in {(r['gap'] > 0.05).sum()}/{len(seeds)}", flush=True)
    out["fig3"] = list(XOR_FIG3)
    return out


def _cli_letters(args: argparse.Namespace) -> dict[str, Any]:
    seeds = list(range(args.seeds))
    out: dict[str, Any] = {}
    for method in ("elman", "bptt"):
        cfg = dict(passes=args.passes, n_consonants=1000, lr=args.lr, init_range=args.init_range,
                   n_hidden=20, method=method, window=12)
        start = time.perf_counter()
        r = run_letters(seeds, **cfg)
        e = r["errors"]
        out[method] = {
            "config": cfg,
            "seconds": round(time.perf_counter() - start, 1),
            "letters": "bdgaiu",
            "by_letter": _r(e["by_letter"]),
            "by_letter_bit": _r(e["by_letter_bit"]),
            "history_every_10": _r(r["history"][::10].T),
            "seed0_targets": e["targets"][:60],
            "seed0_sq": _r(e["sq"][:60]),
        }
        print(f"letters {method}: summed MSE by target letter (b d g a i u) "
              f"{np.round(e['by_letter'].mean(0), 3)}", flush=True)
    return out


#: The (linkage, distance) pairs the stored lexical run compares.
LINKAGES: tuple[tuple[str, str], ...] = (
    ("average", "euclidean"),
    ("complete", "euclidean"),
    ("single", "euclidean"),
    ("ward", "euclidean"),
    ("average", "cosine"),
    ("average", "correlation"),
)


def _cli_lexical(args: argparse.Namespace) -> dict[str, Any]:
    seeds = list(range(args.seeds))
    out: dict[str, Any] = {"vocabulary": list(datasets.VOCABULARY), "groups": {k: list(v) for k, v in WORD_GROUPS.items()}}
    for method in args.methods:
        cfg = dict(n_sentences=10_000, passes=args.passes, lr=args.lr, init_range=args.init_range,
                   n_hidden=150, method=method, window=12)
        start = time.perf_counter()
        r = run_lexical(seeds, **cfg)
        tables = {}
        for link, metric in LINKAGES:
            rows = []
            for s in range(len(seeds)):
                Z = cluster_words(r["means"][s], method=link, metric=metric)
                rows.append(clade_table(Z, datasets.VOCABULARY))
            tables[f"{link}/{metric}"] = {k: [row[k] for row in rows] for k in rows[0]}
        out[method] = {
            "config": cfg,
            "seconds": round(time.perf_counter() - start, 1),
            "n_words": r["n_words"].tolist(),
            "history": _r(r["history"].T),
            "final_error": _r(r["final_error"]),
            "clades": tables,
        }
        t = tables["average/euclidean"]
        print(f"lexical {method}: final summed squared error per word {np.round(r['final_error'], 3)}; "
              f"nouns|verbs top split in {sum(t['top split nouns|verbs'])}/{len(seeds)} (average/euclidean)", flush=True)
    return out


STORED = ("xor", "letters", "lexical")


def load_stored(name: str) -> dict:
    """The stored multi-seed run ``name`` (one of ``STORED``) shipped with the package.

    Returns the whole record: ``results``, plus the ``command`` that regenerates it, its
    ``date``, ``versions`` and ``assumptions``.
    """
    if name not in STORED:
        raise ValueError(f"stored experiment must be one of {STORED}, got {name!r}")
    from importlib.resources import files

    text = files("rnn_companion").joinpath("data", "experiments", f"{name}.json").read_text()
    return json.loads(text)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rnn_companion.experiments {xor,letters,lexical} --out FILE.json``.

    Runs a multi-seed experiment and writes its results, the command, the date and the
    versions used to a small JSON file (the book loads these).
    """
    parser = argparse.ArgumentParser(prog="python -m rnn_companion.experiments", description=main.__doc__)
    sub = parser.add_subparsers(dest="name", required=True)
    defaults = {"xor": (20, 600, 0.5), "letters": (10, 200, 0.1), "lexical": (10, 6, 0.1)}
    for name, (seeds, passes, lr) in defaults.items():
        p = sub.add_parser(name)
        p.add_argument("--out", required=True, help="output JSON file")
        p.add_argument("--seeds", type=int, default=seeds, help="networks (seeds 0..N-1)")
        p.add_argument("--passes", type=int, default=passes)
        p.add_argument("--lr", type=float, default=lr)
        p.add_argument("--init-range", type=float, default=0.5)
        if name == "lexical":
            p.add_argument("--methods", nargs="+", default=["elman", "bptt"], choices=["elman", "bptt"])
    args = parser.parse_args(argv)
    print("assumptions (not stated in Elman 1990):", flush=True)
    for k, v in ELMAN_ASSUMPTIONS.items():
        print(f"  {k}: {v}", flush=True)
    print(f"  lr = {args.lr}, init_range = {args.init_range}", flush=True)
    start = time.perf_counter()
    results = {"xor": _cli_xor, "letters": _cli_letters, "lexical": _cli_lexical}[args.name](args)
    record = {
        "experiment": args.name,
        "command": "python -m rnn_companion.experiments " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d"),
        "versions": _versions(),
        "assumptions": ELMAN_ASSUMPTIONS,
        "seconds": round(time.perf_counter() - start, 1),
        "results": results,
    }
    with open(args.out, "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out} in {record['seconds']} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
