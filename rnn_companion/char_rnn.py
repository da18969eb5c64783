r"""A character-level RNN language model in NumPy, in the spirit of Karpathy's min-char-rnn.

One-hot input, an Elman recurrence, a softmax output, backpropagation through time written
by hand, global-norm gradient clipping and Adam. Unlike min-char-rnn it trains ``B`` streams
of text at once (a batch), which is what makes it fast enough for the book.

Shape convention (stated once for this module): row vectors and **time-major** batches, as in
the book's source notation. Token ids are integer arrays ``(T, B)``: ``T`` steps of ``B``
parallel streams. The parameters (a dict, ``Params``) are

* ``W_xh (V, H)``, ``W_hh (H, H)``, ``b_h (H,)``: the recurrence over ``V`` characters and
  ``H`` hidden units;
* ``W_hq (H, V)``, ``b_q (V,)``: the output layer.

.. math::

    H_t = \tanh(X_t W_{xh} + H_{t-1} W_{hh} + b_h), \qquad
    O_t = H_t W_{hq} + b_q, \qquad P_t = \operatorname{softmax}(O_t),

where ``X_t (B, V)`` is one-hot, so ``X_t W_xh`` is the row lookup ``W_xh[x_t]``. The loss is
the mean over the ``T * B`` targets of ``-log P_t[y_t]``, in nats per character.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Params",
    "init_params",
    "forward",
    "loss_and_grads",
    "clip_global_norm",
    "Adam",
    "stream_batches",
    "train_char_rnn",
    "CharRNNHistory",
    "evaluate",
    "softmax_with_temperature",
    "sample",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Params = dict[str, FloatArray]
PARAM_NAMES = ("W_xh", "W_hh", "b_h", "W_hq", "b_q")


def init_params(vocab_size: int, hidden_size: int, rng: np.random.Generator) -> Params:
    """Uniform ``(-1/sqrt(H), 1/sqrt(H))`` weights (as ``torch.nn.RNN`` and ``nn.Linear``), zero biases."""
    if vocab_size < 2 or hidden_size < 1:
        raise ValueError(f"need vocab_size >= 2 and hidden_size >= 1, got {vocab_size} and {hidden_size}")
    bound = 1.0 / np.sqrt(hidden_size)
    return {
        "W_xh": rng.uniform(-bound, bound, (vocab_size, hidden_size)),
        "W_hh": rng.uniform(-bound, bound, (hidden_size, hidden_size)),
        "b_h": np.zeros(hidden_size),
        "W_hq": rng.uniform(-bound, bound, (hidden_size, vocab_size)),
        "b_q": np.zeros(vocab_size),
    }


def _check_ids(ids: IntArray, vocab_size: int) -> None:
    if ids.ndim != 2:
        raise ValueError(f"token ids must have shape (T, B), got shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"token ids must lie in [0, {vocab_size}), got [{ids.min()}, {ids.max()}]")


def forward(params: Params, inputs: IntArray, h0: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
    """Logits ``(T, B, V)`` and hidden states ``hs (T + 1, B, H)``; ``hs[0]`` is ``h0 (B, H)``, zeros by default."""
    inputs = np.asarray(inputs)
    _check_ids(inputs, params["W_xh"].shape[0])
    T, B = inputs.shape
    hidden = params["W_hh"].shape[0]
    hs = np.empty((T + 1, B, hidden))
    hs[0] = 0.0 if h0 is None else h0
    XW = params["W_xh"][inputs] + params["b_h"]  # (T, B, H): one-hot rows times W_xh, plus the bias
    for t in range(T):
        hs[t + 1] = np.tanh(XW[t] + hs[t] @ params["W_hh"])  # (B, H)
    logits = hs[1:] @ params["W_hq"] + params["b_q"]  # (T, B, V)
    return logits, hs


def _log_softmax(logits: FloatArray) -> FloatArray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    out: FloatArray = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return out


def loss_and_grads(
    params: Params, inputs: IntArray, targets: IntArray, h0: FloatArray | None = None
) -> tuple[float, Params, FloatArray]:
    """Mean cross-entropy (nats per character), its gradients and the last hidden state ``(B, H)``.

    The backward pass is backpropagation through time: the output layer's gradient for all
    steps at once, then one step back at a time for the recurrence.
    """
    targets = np.asarray(targets)
    if targets.shape != np.shape(inputs):
        raise ValueError(f"targets must have the shape of inputs {np.shape(inputs)}, got {targets.shape}")
    _check_ids(targets, params["W_hq"].shape[1])
    logits, hs = forward(params, inputs, h0)
    T, B = targets.shape
    log_p = _log_softmax(logits)  # (T, B, V)
    steps, streams = np.meshgrid(np.arange(T), np.arange(B), indexing="ij")
    loss = -float(log_p[steps, streams, targets].mean())

    dO = np.exp(log_p)  # (T, B, V): softmax minus one-hot, divided by the number of targets
    dO[steps, streams, targets] -= 1.0
    dO /= T * B
    grads: Params = {name: np.zeros_like(p) for name, p in params.items()}
    hidden = hs.shape[-1]
    grads["W_hq"] = hs[1:].reshape(-1, hidden).T @ dO.reshape(T * B, -1)  # (H, V): summed over steps and streams
    grads["b_q"] = dO.sum(axis=(0, 1))  # (V,)
    dH = dO @ params["W_hq"].T  # (T, B, H): gradient reaching each H_t from its own output
    dA = np.empty_like(dH)  # (T, B, H): gradient at the pre-activation of each step
    dH_next = np.zeros((B, hidden))  # (B, H): from step t + 1 through W_hh
    for t in reversed(range(T)):
        dA[t] = (dH[t] + dH_next) * (1.0 - hs[t + 1] ** 2)  # tanh' = 1 - tanh^2
        dH_next = dA[t] @ params["W_hh"].T
    grads["W_hh"] = hs[:-1].reshape(-1, hidden).T @ dA.reshape(-1, hidden)  # (H, H)
    grads["b_h"] = dA.sum(axis=(0, 1))  # (H,)
    np.add.at(grads["W_xh"], inputs, dA)  # (V, H): each one-hot input selects a row
    return loss, grads, hs[-1]


def clip_global_norm(grads: Params, max_norm: float) -> float:
    """If the global norm of all gradients exceeds ``max_norm``, scale them in place by
    ``max_norm / (norm + 1e-6)`` (the rule of ``torch.nn.utils.clip_grad_norm_``); returns the norm."""
    norm = float(np.sqrt(sum(float((g**2).sum()) for g in grads.values())))
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / (norm + 1e-6)
    return norm


@dataclass
class Adam:
    """Adam (Kingma and Ba), the default of :func:`torch.optim.Adam`, applied in place to a ``Params``."""

    lr: float = 3e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    steps: int = 0
    m: Params = field(default_factory=dict)
    v: Params = field(default_factory=dict)

    def step(self, params: Params, grads: Params) -> None:
        self.steps += 1
        for name, g in grads.items():
            m = self.m.setdefault(name, np.zeros_like(g))
            v = self.v.setdefault(name, np.zeros_like(g))
            m[...] = self.beta1 * m + (1 - self.beta1) * g
            v[...] = self.beta2 * v + (1 - self.beta2) * g**2
            m_hat = m / (1 - self.beta1**self.steps)
            v_hat = v / (1 - self.beta2**self.steps)
            params[name] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def stream_batches(ids: Sequence[int] | IntArray, batch_size: int, seq_len: int) -> list[tuple[IntArray, IntArray]]:
    """Cut a text into ``batch_size`` consecutive streams and those into chunks of ``seq_len`` steps.

    Stream ``b`` is the ``b``-th of ``batch_size`` equal, consecutive pieces of ``ids`` (the rest
    is dropped) and becomes column ``b``. Each pair ``(inputs, targets)`` has shape
    ``(seq_len, batch_size)`` (the last may be shorter), with ``targets`` the next characters, so a
    hidden state carried from one chunk to the next continues the same stream.
    """
    ids = np.asarray(ids, dtype=np.int64)
    length = len(ids) // batch_size
    if length < 2:
        raise ValueError(f"need at least 2 * batch_size = {2 * batch_size} characters, got {len(ids)}")
    columns = ids[: length * batch_size].reshape(batch_size, length).T  # (length, B)
    starts = range(0, length - 1, seq_len)
    return [(columns[i : min(i + seq_len, length - 1)], columns[i + 1 : i + 1 + seq_len]) for i in starts]


@dataclass
class CharRNNHistory:
    """What :func:`train_char_rnn` records: the loss of each step (nats/char) and ``eval_fn`` after each epoch."""

    step_loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    evals: list[float] = field(default_factory=list)


def train_char_rnn(
    params: Params,
    batches: Sequence[tuple[IntArray, IntArray]],
    *,
    epochs: int,
    lr: float = 3e-3,
    lr_decay: float = 1.0,
    clip: float = 5.0,
    eval_fn: Callable[[Params], float] | None = None,
) -> CharRNNHistory:
    """Adam on :func:`loss_and_grads`, one step per batch, the hidden state carried across batches.

    The state is carried from one chunk to the next (truncated BPTT: no gradient flows back
    past the chunk's start) and reset to zeros at the start of each epoch. The gradients are
    clipped to the global norm ``clip`` and the learning rate is multiplied by ``lr_decay`` after
    each epoch (as ``lr_decay`` in :func:`rnn_companion.training.train`).
    """
    optimizer = Adam(lr=lr)
    history = CharRNNHistory()
    for _ in range(epochs):
        h: FloatArray | None = None
        for inputs, targets in batches:
            loss, grads, h = loss_and_grads(params, inputs, targets, h)
            history.grad_norm.append(clip_global_norm(grads, clip))
            optimizer.step(params, grads)
            history.step_loss.append(loss)
        optimizer.lr *= lr_decay
        if eval_fn is not None:
            history.evals.append(eval_fn(params))
    return history


def evaluate(params: Params, ids: Sequence[int] | IntArray) -> float:
    """Cross-entropy (nats per character) of ``ids[1:]``, read as one stream from a zero state."""
    ids = np.asarray(ids, dtype=np.int64)
    logits, _ = forward(params, ids[:-1, None])  # (N - 1, 1, V)
    log_p = _log_softmax(logits[:, 0])  # (N - 1, V)
    return -float(log_p[np.arange(len(ids) - 1), ids[1:]].mean())


def softmax_with_temperature(logits: FloatArray, temperature: float) -> FloatArray:
    """``softmax(logits / temperature)`` over the last axis; ``temperature = 0`` gives the one-hot arg-max."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        one_hot: FloatArray = np.eye(logits.shape[-1])[logits.argmax(axis=-1)]
        return one_hot
    return np.exp(_log_softmax(logits / temperature))


def sample(
    params: Params, start: Sequence[int], n: int, *, temperature: float = 1.0, rng: np.random.Generator
) -> list[int]:
    """Generate ``n`` characters after the prompt ``start``, each fed back as the next input.

    Each is drawn from :func:`softmax_with_temperature` of the logits (the arg-max when
    ``temperature = 0``) with ``rng``, so the same seed gives the same text.
    """
    if not start:
        raise ValueError("start must contain at least one character id")
    logits, hs = forward(params, np.asarray(start, dtype=np.int64)[:, None])
    last, h = logits[-1, 0], hs[-1]  # (V,), (1, H)
    out: list[int] = []
    for _ in range(n):
        probs = softmax_with_temperature(last, temperature)
        token = int(probs.argmax()) if temperature == 0 else int(rng.choice(len(probs), p=probs))
        out.append(token)
        logits, hs = forward(params, np.array([[token]]), h)
        last, h = logits[-1, 0], hs[-1]
    return out
