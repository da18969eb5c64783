"""Character-level language modelling on real text: the text, its alphabet, n-gram baselines, a torch model.

The text is ``stdlib_prose.txt``, English prose from the docstrings of Python's standard
library (PSF licence), shipped in the package (``rnn_companion/data/text/``, recipe and licence in
its README) so that every reader trains on the same characters. :func:`load_text` reads it
through ``importlib.resources``.

Shape convention (stated once for this module): a text is a 1-D sequence of character ids
``(N,)``; model batches are **time-major** like ``torch.nn.RNN`` and
:mod:`rnn_companion.training`: ids ``(T, B)``, logits ``(T, B, V)``, state ``(1, B, H)``.
Cross-entropies are in nats per character; :func:`bits` converts to bits.
The NumPy model lives in :mod:`rnn_companion.char_rnn`.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = [
    "TEXT_NAME",
    "TEXT_SHA256",
    "TEXT_CHARS",
    "load_text",
    "text_sha256",
    "Vocab",
    "split_paragraphs",
    "CharNGram",
    "fit_char_ngram",
    "bits",
    "CharRNN",
]

TEXT_NAME = "stdlib_prose.txt"
#: sha256 of the file's UTF-8 bytes and its length in characters (also in the data README).
TEXT_SHA256 = "059cfe9c8f56a3649f3b6cf8a4496707c01057c37346b80c33b538ef9c588307"
TEXT_CHARS = 80_685


def load_text(name: str = TEXT_NAME) -> str:
    """A text shipped in ``rnn_companion/data/text/``, read with ``importlib.resources``."""
    return (resources.files("rnn_companion") / "data" / "text" / name).read_text(encoding="utf-8")


def text_sha256(text: str) -> str:
    """Hex sha256 of the text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def bits(nats: float) -> float:
    """A cross-entropy in nats converted to bits (divided by ``ln 2``)."""
    return nats / math.log(2)


@dataclass(frozen=True)
class Vocab:
    """The characters of a text, sorted; ``encode`` maps a string to ids ``(N,)``, ``decode`` back."""

    chars: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> Vocab:
        return cls(tuple(sorted(set(text))))

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> NDArray[np.int64]:
        index = {c: i for i, c in enumerate(self.chars)}
        unknown = sorted(set(text) - set(index))
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {unknown!r}")
        return np.array([index[c] for c in text], dtype=np.int64)

    def decode(self, ids: Sequence[int] | NDArray[np.int64]) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def split_paragraphs(text: str, every: int = 10) -> tuple[str, str, str]:
    """Training, validation and test text: paragraph ``i`` (blank-line separated) goes to
    validation if ``i % every == every - 2``, to test if ``i % every == every - 1``, else to training.

    Interleaving keeps the three parts alike (every module of the source contributes to each);
    each part joins its paragraphs with a blank line, as in the text.
    """
    if every < 3:
        raise ValueError(f"every must be >= 3 (three parts), got {every}")
    paragraphs = text.strip("\n").split("\n\n")
    parts: tuple[list[str], list[str], list[str]] = ([], [], [])
    for i, paragraph in enumerate(paragraphs):
        r = i % every
        parts[1 if r == every - 2 else 2 if r == every - 1 else 0].append(paragraph)
    train, valid, test = ("\n\n".join(p) + "\n" for p in parts)
    return train, valid, test


_NO_COUNTS: Counter[int] = Counter()


class CharNGram:
    """A character n-gram model with add-k smoothing.

    ``p(c | context) = (count(context, c) + k) / (count(context) + k V)``, the context being the
    last ``n - 1`` characters. Every character of a text but the first is a target; the first
    ``n - 2`` targets have fewer than ``n - 1`` characters before them and use the context that
    exists (counted the same way when fitting), so every model scores the same targets
    ``ids[1:]``.
    """

    def __init__(self, n: int, vocab_size: int, k: float = 1.0) -> None:
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        self.n, self.vocab_size, self.k = n, vocab_size, float(k)
        self.counts: dict[tuple[int, ...], Counter[int]] = {}
        self.totals: dict[tuple[int, ...], int] = {}

    def _ids(self, ids: Sequence[int] | NDArray[np.int64]) -> list[int]:
        out = [int(i) for i in ids]
        if out and (min(out) < 0 or max(out) >= self.vocab_size):
            raise ValueError(f"character ids must lie in [0, {self.vocab_size}), got [{min(out)}, {max(out)}]")
        return out

    def _context(self, ids: Sequence[int], t: int) -> tuple[int, ...]:
        return tuple(ids[max(0, t - self.n + 1) : t])

    def fit(self, ids: Sequence[int] | NDArray[np.int64]) -> CharNGram:
        """Count the n-grams of ``ids``; returns ``self``."""
        ids = self._ids(ids)
        self.counts = {}
        for t in range(1, len(ids)):
            self.counts.setdefault(self._context(ids, t), Counter())[ids[t]] += 1
        self.totals = {context: sum(c.values()) for context, c in self.counts.items()}
        return self

    def distribution(self, context: Sequence[int]) -> NDArray[np.float64]:
        """``p(. | context)`` over the ``V`` characters (only the last ``n - 1`` of ``context`` count)."""
        key = tuple(int(i) for i in context)[max(0, len(context) - self.n + 1) :] if self.n > 1 else ()
        p = np.full(self.vocab_size, self.k)
        for c, count in self.counts.get(key, _NO_COUNTS).items():
            p[c] += count
        out: NDArray[np.float64] = p / p.sum()
        return out

    def log_probs(self, ids: Sequence[int] | NDArray[np.int64]) -> NDArray[np.float64]:
        """``log p(ids[t] | context)`` for ``t = 1 .. N - 1``."""
        ids = self._ids(ids)
        out = np.empty(max(0, len(ids) - 1))
        for t in range(1, len(ids)):
            context = self._context(ids, t)
            count = self.counts.get(context, _NO_COUNTS)[ids[t]]
            out[t - 1] = math.log((count + self.k) / (self.totals.get(context, 0) + self.k * self.vocab_size))
        return out

    def cross_entropy(self, ids: Sequence[int] | NDArray[np.int64]) -> float:
        """Mean ``-log p`` over the targets ``ids[1:]`` (nats per character)."""
        return -float(self.log_probs(ids).mean())


def fit_char_ngram(
    n: int,
    train_ids: Sequence[int] | NDArray[np.int64],
    valid_ids: Sequence[int] | NDArray[np.int64],
    vocab_size: int,
    ks: Sequence[float] = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001),
) -> CharNGram:
    """An add-k n-gram counted on ``train_ids``, with the ``k`` of ``ks`` that scores best on ``valid_ids``."""
    fitted = CharNGram(n, vocab_size).fit(train_ids)
    scores = {}
    for k in ks:
        fitted.k = float(k)
        scores[k] = fitted.cross_entropy(valid_ids)
    fitted.k = float(min(ks, key=lambda k: scores[k]))
    return fitted


class CharRNN(nn.Module):
    """The model of :mod:`rnn_companion.char_rnn` in torch: one-hot input -> ElmanRNN -> Linear.

    ``forward(ids (T, B), state (1, B, H) or None) -> (logits (T, B, V), state (1, B, H))``, the
    interface of :func:`rnn_companion.training.train`. The recurrent layer has two biases
    (``bias_ih``, ``bias_hh``) where the NumPy model has one, ``b_h``. Only their sum matters to
    the output, but trained side by side they would move ``b_h`` twice as fast under Adam, so
    ``bias_hh`` is kept at zero and frozen: the two models have the same parameters and, from
    the same weights on the same batches, take the same optimizer steps.
    """

    def __init__(self, vocab_size: int, hidden_size: int, *, rnn_cls: type[torch.nn.Module] | None = None) -> None:
        super().__init__()
        if rnn_cls is None:
            from .elman import ElmanRNN

            rnn_cls = ElmanRNN
        self.vocab_size = vocab_size
        self.rnn = rnn_cls(vocab_size, hidden_size)
        self.output = nn.Linear(hidden_size, vocab_size)
        bias_hh = dict(self.rnn.named_parameters())["bias_hh_l0"]
        with torch.no_grad():
            bias_hh.zero_()
        bias_hh.requires_grad_(False)

    def forward(self, ids: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if ids.dim() != 2:
            raise ValueError(f"ids must have shape (T, B), got shape {tuple(ids.shape)}")
        one_hot = F.one_hot(ids, self.vocab_size).to(self.output.weight.dtype)  # (T, B, V)
        H, state = self.rnn(one_hot, state)  # (T, B, H), (1, B, H)
        return self.output(H), state

    @torch.no_grad()
    def load_numpy(self, params: dict[str, NDArray[np.float64]]) -> CharRNN:
        """Copy the parameters of a :mod:`rnn_companion.char_rnn` model (row-vector notation) into this one."""
        dtype = self.output.weight.dtype
        expected = (self.vocab_size, self.output.in_features)
        if params["W_xh"].shape != expected:
            raise ValueError(f"W_xh must have shape (V, H) = {expected}, got {params['W_xh'].shape}")
        rnn = dict(self.rnn.named_parameters())
        pairs = [
            (rnn["weight_ih_l0"], params["W_xh"].T),
            (rnn["weight_hh_l0"], params["W_hh"].T),
            (rnn["bias_ih_l0"], params["b_h"]),
            (rnn["bias_hh_l0"], np.zeros_like(params["b_h"])),
            (self.output.weight, params["W_hq"].T),
            (self.output.bias, params["b_q"]),
        ]
        for target, value in pairs:
            target.copy_(torch.as_tensor(np.ascontiguousarray(value), dtype=dtype))
        return self
