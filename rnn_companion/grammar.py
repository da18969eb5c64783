"""A probabilistic sentence grammar whose next-word distributions are known exactly: Elman's (1990) generator.

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

Elman's generator is one grammar: the 16 :data:`TEMPLATES` of his Table 4 with one of the named
class memberships of :data:`LEXICONS` (:func:`elman_grammar`). Chapter 6 uses ``"disjoint"``;
the corpus of chapter 7 (:func:`rnn_companion.datasets.elman_sentences`) uses ``"nested"``.
The n-gram baselines are in :mod:`rnn_companion.ngram`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ._typing import FloatArray

__all__ = [
    "TemplateGrammar",
    "elman_grammar",
    "LEXICONS",
    "TEMPLATES",
    "split_sentences",
]

#: The 16 rows of Elman's (1990) Table 4 "Templates for Sentence Generator" (the text says 15).
TEMPLATES: tuple[tuple[str, ...], ...] = (
    ("NOUN-HUM", "VERB-EAT", "NOUN-FOOD"),
    ("NOUN-HUM", "VERB-PERCEPT", "NOUN-INANIM"),
    ("NOUN-HUM", "VERB-DESTROY", "NOUN-FRAG"),
    ("NOUN-HUM", "VERB-INTRAN"),
    ("NOUN-HUM", "VERB-TRAN", "NOUN-HUM"),
    ("NOUN-HUM", "VERB-AGPAT", "NOUN-INANIM"),
    ("NOUN-HUM", "VERB-AGPAT"),
    ("NOUN-ANIM", "VERB-EAT", "NOUN-FOOD"),
    ("NOUN-ANIM", "VERB-TRAN", "NOUN-ANIM"),
    ("NOUN-ANIM", "VERB-AGPAT", "NOUN-INANIM"),
    ("NOUN-ANIM", "VERB-AGPAT"),
    ("NOUN-INANIM", "VERB-AGPAT"),
    ("NOUN-AGRESS", "VERB-DESTROY", "NOUN-FRAG"),
    ("NOUN-AGRESS", "VERB-EAT", "NOUN-HUM"),
    ("NOUN-AGRESS", "VERB-EAT", "NOUN-ANIM"),
    ("NOUN-AGRESS", "VERB-EAT", "NOUN-FOOD"),
)

_VERBS: dict[str, tuple[str, ...]] = {
    "VERB-INTRAN": ("think", "sleep", "exist"),
    "VERB-TRAN": ("see", "chase", "like"),
    "VERB-AGPAT": ("move", "break"),
    "VERB-PERCEPT": ("smell", "see"),
    "VERB-DESTROY": ("break", "smash"),
    "VERB-EAT": ("eat",),
}

#: Named memberships of the word classes of Elman's Table 3 (the paper prints only examples),
#: both over the same 29 words and the same verb classes:
#:
#: * ``"disjoint"``: every noun class disjoint, following the hierarchy of Elman's Figure 7
#:   (humans, small and large animals, inanimates, breakables, food); chapter 6's grammar;
#: * ``"nested"``: the guess of public reproductions (brendenlake/CCM-site, ``_gen_elman.py``),
#:   where NOUN-ANIM includes the humans and aggressors and NOUN-INANIM the breakables and
#:   food; the corpus of chapter 7 (:func:`rnn_companion.datasets.elman_sentences`).
LEXICONS: dict[str, dict[str, tuple[str, ...]]] = {
    "disjoint": {
        "NOUN-HUM": ("man", "woman", "boy", "girl"),
        "NOUN-ANIM": ("cat", "mouse", "dog"),
        "NOUN-AGRESS": ("dragon", "monster", "lion"),
        "NOUN-INANIM": ("book", "rock", "car"),
        "NOUN-FRAG": ("glass", "plate"),
        "NOUN-FOOD": ("cookie", "bread", "sandwich"),
        **_VERBS,
    },
    "nested": {
        "NOUN-HUM": ("man", "woman", "boy", "girl"),
        "NOUN-AGRESS": ("dragon", "monster", "lion"),
        "NOUN-ANIM": ("man", "woman", "boy", "girl", "dragon", "monster", "lion", "cat", "mouse", "dog"),
        "NOUN-FRAG": ("glass", "plate"),
        "NOUN-FOOD": ("cookie", "bread", "sandwich"),
        "NOUN-INANIM": ("glass", "plate", "cookie", "bread", "sandwich", "book", "rock", "car"),
        **_VERBS,
    },
}


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
        all_words = sorted({word for ws in self.classes.values() for word in ws})
        self.vocab: tuple[str, ...] = (eos, *all_words)
        self.index: dict[str, int] = {word: i for i, word in enumerate(self.vocab)}
        self.max_length = max(len(t) for t in self.templates)
        # slot distributions: (template, position) -> array over vocab
        self._slot = [
            [self._uniform(self.classes[name]) for name in t] + [self._onehot(eos)] for t in self.templates
        ]

    def _uniform(self, words: Sequence[str]) -> FloatArray:
        p = np.zeros(len(self.vocab))
        p[[self.index[w] for w in words]] = 1.0 / len(words)
        return p

    def _onehot(self, word: str) -> FloatArray:
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
        return [*self.fill(int(rng.choice(len(self.templates), p=self.weights)), rng), self.eos]

    def fill(self, template: int, rng: np.random.Generator) -> tuple[str, ...]:
        """The words of template number ``template``, each drawn uniformly from its class (no ``eos``)."""
        classes = [self.classes[name] for name in self.templates[template]]
        return tuple(str(words[rng.integers(len(words))]) for words in classes)

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

    def _joint(self, prefix: Sequence[str]) -> FloatArray:
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
        out: FloatArray = joint
        return out

    def prefix_probability(self, prefix: Sequence[str]) -> float:
        """Probability that a sentence starts with the current sentence's ``prefix``."""
        return float(self._joint(prefix).sum())

    def template_posterior(self, prefix: Sequence[str]) -> FloatArray:
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
        posterior: FloatArray = joint / total
        return posterior

    def next_word_distribution(self, prefix: Sequence[str]) -> FloatArray:
        """Exact ``p(w | prefix)`` over :attr:`vocab`, shape ``(V,)``, summing to 1.

        ``prefix`` may contain earlier sentences; only the words after its last ``eos`` matter.
        """
        words = self._current(prefix)
        post = self.template_posterior(words)
        p = np.zeros(len(self.vocab))
        m = len(words)
        for i in range(len(self.templates)):
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

    def log_probs(self, text: Sequence[Sequence[str]]) -> FloatArray:
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


def elman_grammar(lexicon: str = "disjoint") -> TemplateGrammar:
    """Elman's (1990) 16 :data:`TEMPLATES` over 29 words, uniform template weights.

    ``lexicon`` names the class memberships, a key of :data:`LEXICONS`.
    """
    if lexicon not in LEXICONS:
        raise ValueError(f"lexicon must be one of {sorted(LEXICONS)}, got {lexicon!r}")
    return TemplateGrammar(LEXICONS[lexicon], TEMPLATES)
