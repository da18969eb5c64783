"""Data sets of Elman (1990) and a Jordan (1986)-style plan task, generated in code.

Shape conventions (stated once for this module): a stream of ``T`` time steps is an array
whose first axis is time, ``(T,)`` for bits and ``(T, d)`` for vectors (``d`` features per
step, one row per step, 0/1 values). Nothing is downloaded; every generator takes a
:class:`numpy.random.Generator` so that a seed fixes the data.

* :func:`temporal_xor`: Elman's Fig. 3 task, a stream of bit triplets ``(a, b, a XOR b)``.
* :func:`letter_sequence`: Elman's Table 1 letters, consonants expanded ``b -> ba``,
  ``d -> dii``, ``g -> guuu``.
* :func:`elman_sentences`: two- and three-word sentences from the 16 templates of Elman's
  Table 4, 29 words, one-hot over 31 bits (two spare bits, as in the paper).
* :func:`jordan_plan_task`: constant "plan" vectors, each mapped to a sequence of action
  vectors, for a Jordan network.
* :func:`delayed_recall`: a memory task for the BPTT chapter, as ``torch`` token tensors
  ``(T, B)`` (the one exception to the layout above: time-major batches, as in training).

The class memberships of the sentence lexicon are not published; the sentences use the named
lexicons of :mod:`rnn_companion.grammar` (see :func:`elman_sentences`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ._typing import FloatArray, IntArray
from .grammar import elman_grammar

if TYPE_CHECKING:
    from torch import Tensor

__all__ = [
    "temporal_xor",
    "LETTER_FEATURES",
    "LETTER_VECTORS",
    "CONSONANT_EXPANSION",
    "LetterSequence",
    "letter_sequence",
    "VOCABULARY",
    "N_WORD_BITS",
    "Sentences",
    "elman_sentences",
    "one_hot_words",
    "JordanTask",
    "JORDAN_ACTIONS",
    "JORDAN_SEQUENCES",
    "jordan_plan_task",
    "delayed_recall",
]


# --------------------------------------------------------------------------- temporal XOR
def temporal_xor(n_bits: int, rng: np.random.Generator) -> IntArray:
    """Elman's temporal XOR stream: random bit pairs, each followed by their XOR.

    Parameters
    ----------
    n_bits : int
        Length of the stream, a positive multiple of 3 (Elman used 3,000).
    rng : numpy.random.Generator
        Source of the random pairs.

    Returns
    -------
    ndarray
        ``(n_bits,)`` int64 array of 0/1 with ``x[3k+2] == x[3k] ^ x[3k+1]``.
    """
    if n_bits <= 0 or n_bits % 3:
        raise ValueError(f"n_bits must be a positive multiple of 3, got {n_bits}")
    pairs = rng.integers(0, 2, size=(n_bits // 3, 2))
    triplets = np.column_stack([pairs, pairs[:, 0] ^ pairs[:, 1]])
    return triplets.reshape(-1).astype(np.int64)


# --------------------------------------------------------------------------- letters
#: Column names of Table 1 (Elman 1990, p. 188), in order.
LETTER_FEATURES: tuple[str, ...] = ("Consonant", "Vowel", "Interrupted", "High", "Back", "Voiced")

#: Table 1 of Elman (1990), each letter's 6-bit articulatory feature vector.
LETTER_VECTORS: dict[str, tuple[int, ...]] = {
    "b": (1, 0, 1, 0, 0, 1),
    "d": (1, 0, 1, 1, 0, 1),
    "g": (1, 0, 1, 0, 1, 1),
    "a": (0, 1, 0, 0, 1, 1),
    "i": (0, 1, 0, 1, 0, 1),
    "u": (0, 1, 0, 1, 1, 1),
}

#: Elman's replacement rules, b -> ba, d -> dii, g -> guuu.
CONSONANT_EXPANSION: dict[str, str] = {"b": "ba", "d": "dii", "g": "guuu"}


class LetterSequence(NamedTuple):
    """A letter stream and its Table 1 coding."""

    consonants: str
    """The random consonant string before expansion, length ``n_consonants``."""
    letters: str
    """The expanded string, length ``T``."""
    vectors: FloatArray
    """``(T, 6)`` float64 array, row ``t`` is ``LETTER_VECTORS[letters[t]]``."""


def letter_sequence(n_consonants: int, rng: np.random.Generator) -> LetterSequence:
    """Elman's letter stream: random consonants, each expanded to its syllable.

    Parameters
    ----------
    n_consonants : int
        Number of random consonants (b, d, g with equal probability); Elman used 1,000.
    rng : numpy.random.Generator
        Source of the consonant order.

    Returns
    -------
    LetterSequence
        ``consonants``, the expanded ``letters`` (about ``3 * n_consonants`` of them) and
        their ``(T, 6)`` Table 1 ``vectors``.
    """
    if n_consonants <= 0:
        raise ValueError(f"n_consonants must be positive, got {n_consonants}")
    consonants = "".join(rng.choice(list("bdg"), size=n_consonants))
    letters = "".join(CONSONANT_EXPANSION[c] for c in consonants)
    table = np.array([LETTER_VECTORS[c] for c in "bdgaiu"], dtype=np.float64)
    index = np.array(["bdgaiu".index(c) for c in letters])
    return LetterSequence(consonants, letters, table[index])


# --------------------------------------------------------------------------- sentences
#: The 29 words in a fixed order (nouns, then verbs, as the leaves of Fig. 7 list them).
#: Word ``VOCABULARY[k]`` is bit ``k`` of the 31-bit code.
VOCABULARY: tuple[str, ...] = (
    "man", "woman", "boy", "girl", "cat", "mouse", "dog", "dragon", "monster", "lion",
    "book", "rock", "car", "glass", "plate", "cookie", "bread", "sandwich",
    "think", "sleep", "exist", "see", "chase", "like", "move", "break", "smell", "smash", "eat",
)  # fmt: skip

#: Width of the localist word code, 29 words plus two spare bits (Elman 1990, p. 195).
N_WORD_BITS = 31


class Sentences(NamedTuple):
    """A corpus of template sentences, concatenated into one word stream."""

    sentences: list[tuple[str, ...]]
    """The sentences, each a tuple of 2 or 3 words."""
    template_ids: IntArray
    """``(n,)`` index into :data:`rnn_companion.grammar.TEMPLATES` of each sentence."""
    words: list[str]
    """All words of all sentences, in order, without breaks (length ``T``)."""
    onehot: FloatArray
    """``(T, 31)`` float64 one-hot codes of ``words`` (bits 29 and 30 are spare, always 0)."""


def one_hot_words(words: list[str], vocabulary: tuple[str, ...] = VOCABULARY) -> FloatArray:
    """``(len(words), 31)`` one-hot codes, bit ``k`` for ``vocabulary[k]``."""
    index = {w: k for k, w in enumerate(vocabulary)}
    codes = np.zeros((len(words), N_WORD_BITS))
    codes[np.arange(len(words)), [index[w] for w in words]] = 1.0
    return codes


def elman_sentences(n: int, rng: np.random.Generator, lexicon: str = "nested") -> Sentences:
    """Elman's sentence corpus: ``n`` random template frames filled with random words.

    The sentences come from :func:`rnn_companion.grammar.elman_grammar` with the named
    ``lexicon`` (default ``"nested"``, the membership of public reproductions): each picks one
    of the 16 :data:`~rnn_companion.grammar.TEMPLATES` uniformly, then each slot a word of
    that class uniformly (:meth:`~rnn_companion.grammar.TemplateGrammar.fill`). Uniform templates give 2.75 words per
    sentence on average, which matches the paper's 27,534 words in 10,000 sentences.

    Parameters
    ----------
    n : int
        Number of sentences (Elman used 10,000).
    rng : numpy.random.Generator
        Source of the templates and words.
    lexicon : str
        A key of :data:`rnn_companion.grammar.LEXICONS`.

    Returns
    -------
    Sentences
        ``sentences``, ``template_ids``, the concatenated ``words`` and their ``(T, 31)``
        ``onehot`` codes.
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    grammar = elman_grammar(lexicon)
    template_ids = rng.integers(0, len(grammar.templates), size=n)  # all templates first, then the words
    sentences = [grammar.fill(int(k), rng) for k in template_ids]
    words = [w for s in sentences for w in s]
    return Sentences(sentences, template_ids, words, one_hot_words(words))


# --------------------------------------------------------------------------- Jordan plan task
class JordanTask(NamedTuple):
    """Plans and the action sequences they should produce."""

    plans: FloatArray
    """``(P, n_plan)`` one-hot plan vectors, held constant over a sequence."""
    targets: FloatArray
    """``(T, P, n_action)`` 0/1 action vectors, ``targets[t, p]`` is plan ``p``'s action at step ``t``."""
    names: tuple[str, ...]
    """A name for each plan's sequence, the actions written as letters."""
    actions: dict[str, tuple[int, ...]]
    """The action alphabet, letter -> 0/1 vector."""


#: Four 4-bit actions, written as letters A to D.
JORDAN_ACTIONS: dict[str, tuple[int, ...]] = {
    "A": (1, 0, 0, 0),
    "B": (0, 1, 0, 0),
    "C": (0, 0, 1, 0),
    "D": (0, 0, 0, 1),
}

#: Default sequences. They share actions and prefixes, so the next action depends on the
#: plan *and* on where the sequence is, which the state units must carry.
JORDAN_SEQUENCES: tuple[str, ...] = ("ABCDAB", "ABDCBA", "DCBADC", "ACACAC")


def jordan_plan_task(sequences: tuple[str, ...] = JORDAN_SEQUENCES) -> JordanTask:
    """A plan -> action-sequence task for a Jordan network (all sequences the same length).

    Plan ``p`` is the one-hot vector ``e_p``; its target sequence is ``sequences[p]``
    written with the 4-bit :data:`JORDAN_ACTIONS`. The task is deterministic; Jordan's own
    simulation sizes are not reproduced (the primary text was not available).

    Parameters
    ----------
    sequences : tuple of str
        One string of action letters per plan, all of the same length ``T``.

    Returns
    -------
    JordanTask
        ``plans`` ``(P, P)``, ``targets`` ``(T, P, 4)``, ``names`` and ``actions``.
    """
    lengths = {len(s) for s in sequences}
    if len(lengths) != 1:
        raise ValueError("all sequences must have the same length")
    plans = np.eye(len(sequences))
    targets = np.array([[JORDAN_ACTIONS[a] for a in s] for s in sequences], dtype=np.float64)
    return JordanTask(plans, targets.transpose(1, 0, 2).copy(), tuple(sequences), JORDAN_ACTIONS)


# --------------------------------------------------------------------------- delayed recall
def delayed_recall(
    n_batches: int,
    batch_size: int,
    length: int,
    delay: int,
    n_symbols: int = 4,
    *,
    seed: int = 0,
) -> list[tuple[Tensor, Tensor]]:
    """The delayed-recall task: output at step ``t`` the input symbol of step ``t - delay``.

    Inputs are uniform random symbols ``0..n_symbols-1``; the first ``delay`` targets are
    ``-100`` (not scored). A model can do better than chance (``1 / n_symbols``) only if it
    carries each symbol for ``delay`` steps.

    Returns
    -------
    list
        ``n_batches`` pairs ``(inputs, targets)`` of ``LongTensor`` ``(length, batch_size)``,
        time-major like :mod:`rnn_companion.training`.
    """
    import torch

    if not 0 < delay < length:
        raise ValueError(f"need 0 < delay < length, got delay={delay}, length={length}")
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n_batches):
        x = torch.randint(n_symbols, (length, batch_size), generator=g)
        y = torch.full_like(x, -100)  # training.IGNORE_INDEX: not scored
        y[delay:] = x[:-delay]
        out.append((x, y))
    return out
