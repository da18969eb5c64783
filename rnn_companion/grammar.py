"""A probabilistic sentence grammar whose next-word distributions are known exactly, and n-gram baselines.

Shape conventions (stated once for this module): a *sentence* is a list of words (strings) that
ends with the end-of-sentence token ``eos`` (``"."`` by default); a *text* is a list of
sentences; a *token stream* is the concatenation of the sentences of a text. Distributions over
the vocabulary are NumPy arrays of shape ``(V,)`` indexed as :attr:`TemplateGrammar.vocab`.
Cross-entropies are in nats per token, averaged over every token of the text, including each
sentence's ``eos``; the first word of a sentence is predicted from the empty prefix.

The grammar (:class:`TemplateGrammar`) generates a sentence in two steps, as in Elman's (1990)
sentence generator: draw a *template* (a sequence of word classes, e.g. ``NOUN-HUM VERB-EAT
NOUN-FOOD``) with probability ``pi_i``, then fill each slot with a word drawn uniformly from its
class, and append ``eos``. Because a word can belong to several classes (``"see"`` is both
``VERB-TRAN`` and ``VERB-PERCEPT``), the template is hidden; given a prefix ``w_1..w_m`` of the
current sentence the posterior over templates is

``P(i | w_1..w_m) ∝ pi_i * prod_j [w_j in C_ij] / |C_ij|``  (templates of length >= m),

and the exact next-word distribution is the posterior mixture of the templates' next slots (a
uniform distribution over the class ``C_{i,m+1}``, or ``eos`` when template ``i`` has length
``m``). Sentences are independent, so the words before the last ``eos`` do not matter. The mean
of ``-log p(w_t | prefix)`` over a text is the best cross-entropy any model can achieve on it
(:meth:`TemplateGrammar.cross_entropy`); its expectation is :meth:`TemplateGrammar.entropy_rate`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from .datasets import LEXICON, TEMPLATES

__all__ = [
    "TemplateGrammar",
    "elman_grammar",
    "ELMAN_CLASSES",
    "ELMAN_TEMPLATES",
    "split_sentences",
    "NGramLM",
    "fit_ngram",
]

#: Word classes of Elman's (1990) sentence generator (Table 3). The paper lists only two
#: examples per class; the full membership here follows the hierarchy of its Figure 7 (humans,
#: small and large animals, inanimates, breakables, food) and uses all 29 of its words.
ELMAN_CLASSES: dict[str, tuple[str, ...]] = {
    "NOUN-HUM": ("man", "woman", "boy", "girl"),
    "NOUN-ANIM": ("cat", "mouse", "dog"),
    "NOUN-AGRESS": ("dragon", "monster", "lion"),
    "NOUN-INANIM": ("book", "rock", "car"),
    "NOUN-FRAG": ("glass", "plate"),
    "NOUN-FOOD": ("cookie", "bread", "sandwich"),
    # the verb classes are those of datasets.LEXICON (only the noun classes differ)
    **{name: words for name, words in LEXICON.items() if name.startswith("VERB-")},
}

#: The 16 rows of Elman's (1990) Table 4 "Templates for Sentence Generator", shared with
#: the reproduction chapter (:data:`rnn_companion.datasets.TEMPLATES`). The class memberships
#: differ on purpose: :data:`rnn_companion.datasets.LEXICON` follows public reproductions,
#: where NOUN-ANIM and NOUN-INANIM include the humans, aggressors, breakables and food;
#: :data:`ELMAN_CLASSES` keeps every class disjoint.
ELMAN_TEMPLATES: tuple[tuple[str, ...], ...] = TEMPLATES


def _as_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def split_sentences(tokens: Iterable[str], eos: str = ".") -> list[list[str]]:
    """Split a token stream at ``eos`` into complete sentences (each keeps its ``eos``).

    A trailing fragment without ``eos`` is dropped.
    """
    sentences: list[list[str]] = []
    current: list[str] = []
    for token in tokens:
        current.append(token)
        if token == eos:
            sentences.append(current)
            current = []
    return sentences


class TemplateGrammar:
    """A template grammar: a hidden template, then one uniformly drawn word per slot.

    Parameters
    ----------
    classes
        Word classes: name -> words. A word may belong to several classes.
    templates
        Each template is a sequence of class names (at least one).
    weights
        Template probabilities ``pi`` (normalised here); uniform if ``None``.
    eos
        The end-of-sentence token (must not be a word of any class).

    Attributes
    ----------
    vocab : tuple of str
        ``eos`` first, then the words in sorted order.
    index : dict
        word -> position in :attr:`vocab`.
    """

    def __init__(
        self,
        classes: Mapping[str, Sequence[str]],
        templates: Sequence[Sequence[str]],
        weights: Sequence[float] | None = None,
        eos: str = ".",
    ) -> None:
        if not templates:
            raise ValueError("need at least one template")
        self.classes = {name: tuple(words) for name, words in classes.items()}
        for name, words in self.classes.items():
            if not words or len(set(words)) != len(words):
                raise ValueError(f"class {name!r} must list distinct words, got {words}")
            if eos in words:
                raise ValueError(f"class {name!r} contains the eos token {eos!r}")
        self.templates = tuple(tuple(t) for t in templates)
        for t in self.templates:
            if not t:
                raise ValueError("templates must not be empty")
            for name in t:
                if name not in self.classes:
                    raise ValueError(f"unknown class {name!r} in template {t}")
        w = np.ones(len(self.templates)) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (len(self.templates),) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("weights must be non-negative, one per template, not all zero")
        self.weights = w / w.sum()
        self.eos = eos
        words = sorted({word for ws in self.classes.values() for word in ws})
        self.vocab: tuple[str, ...] = (eos, *words)
        self.index: dict[str, int] = {word: i for i, word in enumerate(self.vocab)}
        self.max_length = max(len(t) for t in self.templates)
        # slot distributions: (template, position) -> array over vocab
        self._slot = [
            [self._uniform(self.classes[name]) for name in t] + [self._onehot(eos)] for t in self.templates
        ]

    def _uniform(self, words: Sequence[str]) -> np.ndarray:
        p = np.zeros(len(self.vocab))
        p[[self.index[w] for w in words]] = 1.0 / len(words)
        return p

    def _onehot(self, word: str) -> np.ndarray:
        p = np.zeros(len(self.vocab))
        p[self.index[word]] = 1.0
        return p

    # -- encoding -------------------------------------------------------------------------------
    def encode(self, words: Iterable[str]) -> list[int]:
        """Words -> vocabulary indices."""
        return [self.index[w] for w in words]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Vocabulary indices -> words."""
        return [self.vocab[int(i)] for i in ids]

    # -- sampling -------------------------------------------------------------------------------
    def sample_sentence(self, rng: int | np.random.Generator | None = None) -> list[str]:
        """One sentence (ending with ``eos``)."""
        rng = _as_rng(rng)
        t = self.templates[rng.choice(len(self.templates), p=self.weights)]
        return [self.classes[name][rng.integers(len(self.classes[name]))] for name in t] + [self.eos]

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> list[list[str]]:
        """A text of ``n`` independent sentences, reproducible from ``seed``."""
        rng = _as_rng(seed)
        return [self.sample_sentence(rng) for _ in range(n)]

    # -- exact probabilities --------------------------------------------------------------------
    def _current(self, prefix: Sequence[str]) -> list[str]:
        prefix = list(prefix)
        for j in range(len(prefix) - 1, -1, -1):
            if prefix[j] == self.eos:
                return prefix[j + 1 :]
        return prefix

    def _joint(self, prefix: Sequence[str]) -> np.ndarray:
        """``P(template i, w_1..w_m)`` for the current sentence's prefix."""
        words = self._current(prefix)
        joint = self.weights.copy()
        for i, t in enumerate(self.templates):
            if len(words) > len(t):
                joint[i] = 0.0
                continue
            for j, word in enumerate(words):
                if word not in self.index:
                    raise ValueError(f"unknown word {word!r}")
                joint[i] *= self._slot[i][j][self.index[word]]
        return joint

    def prefix_probability(self, prefix: Sequence[str]) -> float:
        """Probability that a sentence starts with the current sentence's ``prefix``."""
        return float(self._joint(prefix).sum())

    def template_posterior(self, prefix: Sequence[str]) -> np.ndarray:
        """``P(template | prefix)``, shape ``(len(templates),)``.

        Raises
        ------
        ValueError
            If the prefix has probability zero.
        """
        joint = self._joint(prefix)
        total = joint.sum()
        if total <= 0:
            raise ValueError(f"the prefix {list(prefix)} has probability zero under the grammar")
        return joint / total

    def next_word_distribution(self, prefix: Sequence[str]) -> np.ndarray:
        """Exact ``p(w | prefix)`` over :attr:`vocab`, shape ``(V,)``, summing to 1.

        ``prefix`` may contain earlier sentences; only the words after its last ``eos`` matter.
        """
        words = self._current(prefix)
        post = self.template_posterior(words)
        p = np.zeros(len(self.vocab))
        m = len(words)
        for i, t in enumerate(self.templates):
            if post[i] > 0:
                p += post[i] * self._slot[i][m]
        return p

    def next_word_probs(self, prefix: Sequence[str]) -> dict[str, float]:
        """:meth:`next_word_distribution` as a dict of the words with non-zero probability."""
        p = self.next_word_distribution(prefix)
        return {self.vocab[i]: float(p[i]) for i in np.flatnonzero(p)}

    def sentence_probability(self, sentence: Sequence[str]) -> float:
        """Probability of a complete sentence (with or without its trailing ``eos``)."""
        words = list(sentence)
        if words and words[-1] == self.eos:
            words = words[:-1]
        if self.eos in words or any(w not in self.index for w in words):
            return 0.0
        joint = self._joint(words)
        lengths = np.array([len(t) for t in self.templates])
        return float(joint[lengths == len(words)].sum())

    def accepts(self, sentence: Sequence[str]) -> bool:
        """Whether ``sentence`` (with or without trailing ``eos``) can be generated."""
        return self.sentence_probability(sentence) > 0.0

    is_grammatical = accepts

    def sentences(self) -> list[tuple[tuple[str, ...], float]]:
        """Every sentence the grammar generates with its probability, by brute-force enumeration.

        Each sentence ends with ``eos``; sentences reachable from several templates are merged.
        Probabilities sum to 1.
        """
        probs: dict[tuple[str, ...], float] = {}

        def expand(i: int, j: int, words: tuple[str, ...], p: float) -> None:
            t = self.templates[i]
            if j == len(t):
                key = (*words, self.eos)
                probs[key] = probs.get(key, 0.0) + p
                return
            members = self.classes[t[j]]
            for w in members:
                expand(i, j + 1, (*words, w), p / len(members))

        for i in range(len(self.templates)):
            expand(i, 0, (), float(self.weights[i]))
        return sorted(probs.items())

    def log_probs(self, text: Sequence[Sequence[str]]) -> np.ndarray:
        """``log p(w_t | prefix)`` for every token of ``text`` (a list of sentences), in order."""
        out: list[float] = []
        for sentence in text:
            for j, word in enumerate(sentence):
                p = self.next_word_distribution(sentence[:j])[self.index[word]]
                out.append(math.log(p) if p > 0 else -math.inf)
        return np.array(out)

    def cross_entropy(self, text: Sequence[Sequence[str]]) -> float:
        """The optimal cross-entropy of ``text``: mean ``-log p_true(w_t | prefix)`` in nats.

        No model can do better in expectation; ``exp`` of it is the optimal perplexity.
        """
        return float(-self.log_probs(text).mean())

    def entropy_rate(self) -> float:
        """The expected optimal cross-entropy per token, exactly: ``H(sentence) / E[tokens]``."""
        entropy, length = 0.0, 0.0
        for sentence, p in self.sentences():
            entropy -= p * math.log(p)
            length += p * len(sentence)
        return entropy / length


def elman_grammar() -> TemplateGrammar:
    """Elman's (1990) 16 templates over 29 words (:data:`ELMAN_CLASSES`), uniform template weights."""
    return TemplateGrammar(ELMAN_CLASSES, ELMAN_TEMPLATES)


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

    def distribution(self, context: Sequence[str]) -> np.ndarray:
        """``p(. | context)`` over the vocabulary; ``context`` is the last ``n - 1`` tokens."""
        context = tuple(context)[len(context) - (self.n - 1) :] if self.n > 1 else ()
        p = np.full(len(self.vocab), self.k)
        for word, c in self.counts.get(context, {}).items():
            p[self.index[word]] += c
        return p / p.sum()

    def log_probs(self, text: Sequence[Sequence[str]]) -> np.ndarray:
        """``log p(w_t | context)`` for every token of ``text``, in order."""
        V = len(self.vocab)
        out = []
        for sentence in text:
            for context, word in self._contexts(sentence):
                counter = self.counts.get(context, {})
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
