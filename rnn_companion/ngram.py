"""n-gram language models with add-k smoothing: the baselines an RNN language model must beat.

Shape conventions (stated once for this module): as in :mod:`rnn_companion.grammar`, a
*sentence* is a list of words ending with the end-of-sentence token ``eos`` and a *text* is a
list of sentences; distributions are arrays ``(V,)`` indexed like the model's ``vocab``;
cross-entropies are in nats per token, every token of the text (each ``eos`` included) scored.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ._typing import FloatArray

__all__ = ["NGramLM", "fit_ngram"]


class NGramLM:
    """An n-gram language model with add-k smoothing, fitted on a text.

    Each sentence is padded on the left with ``n - 1`` copies of ``eos`` (the sentence start),
    so the first word is predicted from ``(eos, ..., eos)``; every token of the sentence,
    including its final ``eos``, is a prediction target. With counts ``c``,
    ``p(w | context) = (c(context, w) + k) / (c(context) + k V)``.

    Parameters
    ----------
    n
        Order: 1 (unigram), 2 (bigram), 3 (trigram), ...
    vocab
        The vocabulary (must contain ``eos``).
    k
        Add-k smoothing constant (> 0).
    eos
        End-of-sentence token.
    """

    def __init__(self, n: int, vocab: Sequence[str], k: float = 1.0, eos: str = ".") -> None:
        if n < 1:
            raise ValueError("n must be >= 1")
        if k <= 0:
            raise ValueError("k must be > 0")
        if eos not in vocab:
            raise ValueError("vocab must contain eos")
        self.n, self.k, self.eos = n, float(k), eos
        self.vocab = tuple(vocab)
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.counts: dict[tuple[str, ...], Counter[str]] = {}

    def _contexts(self, sentence: Sequence[str]) -> Iterable[tuple[tuple[str, ...], str]]:
        padded = [self.eos] * (self.n - 1) + list(sentence)
        for j in range(self.n - 1, len(padded)):
            yield tuple(padded[j - self.n + 1 : j]), padded[j]

    def fit(self, text: Sequence[Sequence[str]]) -> NGramLM:
        """Count the n-grams of ``text``; returns ``self``."""
        self.counts = {}
        for sentence in text:
            for context, word in self._contexts(sentence):
                self.counts.setdefault(context, Counter())[word] += 1
        return self

    def distribution(self, context: Sequence[str]) -> FloatArray:
        """``p(. | context)`` over the vocabulary; ``context`` is the last ``n - 1`` tokens."""
        context = tuple(context)[len(context) - (self.n - 1) :] if self.n > 1 else ()
        p = np.full(len(self.vocab), self.k)
        for word, c in self.counts.get(context, {}).items():
            p[self.index[word]] += c
        probs: FloatArray = p / p.sum()
        return probs

    def log_probs(self, text: Sequence[Sequence[str]]) -> FloatArray:
        """``log p(w_t | context)`` for every token of ``text``, in order."""
        V = len(self.vocab)
        out = []
        for sentence in text:
            for context, word in self._contexts(sentence):
                counter: Mapping[str, int] = self.counts.get(context, {})
                total = sum(counter.values())
                out.append(math.log((counter.get(word, 0) + self.k) / (total + self.k * V)))
        return np.array(out)

    def cross_entropy(self, text: Sequence[Sequence[str]]) -> float:
        """Mean negative log-likelihood per token (nats)."""
        return float(-self.log_probs(text).mean())

    def perplexity(self, text: Sequence[Sequence[str]]) -> float:
        """``exp`` of :meth:`cross_entropy`."""
        return math.exp(self.cross_entropy(text))


def fit_ngram(
    n: int,
    text: Sequence[Sequence[str]],
    vocab: Sequence[str],
    ks: Sequence[float] = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001),
    dev_fraction: float = 0.1,
    eos: str = ".",
) -> NGramLM:
    """An add-k n-gram fitted on ``text`` only, with ``k`` chosen on a held-back part of it.

    The last ``dev_fraction`` of the sentences is held back, ``k`` is the value of ``ks`` with
    the lowest cross-entropy there, and the returned model is refitted on all of ``text``.
    """
    n_dev = max(1, int(round(dev_fraction * len(text))))
    fit_part, dev = text[:-n_dev], text[-n_dev:]
    best = min(ks, key=lambda k: NGramLM(n, vocab, k, eos).fit(fit_part).cross_entropy(dev))
    return NGramLM(n, vocab, best, eos).fit(text)
