"""Analyses of trained networks: gradient norms through time and the measures of Elman (1990).

Shape conventions (stated once for this module): results of several networks are stacked on a
leading *network* axis ``S`` (one seed each), so a stream of per-step squared errors is
``(S, T)`` and hidden states are ``(S, T, h)``; the source-notation sequences of
:func:`hidden_grad_norms` are ``(T, n, d)`` as in :mod:`rnn_companion.reference`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypedDict

import numpy as np

from ._typing import Array, FloatArray
from .datasets import LETTER_VECTORS, VOCABULARY
from .reference import elman_backward, elman_forward

__all__ = [
    "hidden_grad_norms",
    "xor_position_error",
    "dip_gap",
    "LetterErrors",
    "letter_errors",
    "letter_floor",
    "NOUNS",
    "VERBS",
    "WORD_GROUPS",
    "word_mean_hidden",
    "cluster_words",
    "clade_table",
]


# --------------------------------------------------------------------------- gradients through time
def hidden_grad_norms(
    X: Array,
    W_xh: Array,
    W_hh: Array,
    b_h: Array,
    dH_T: Array,
    nonlinearity: str = "tanh",
    H0: Array | None = None,
) -> FloatArray:
    """``||dL/dH_t||`` for a loss that depends on the last state only, by the hand-written BPTT.

    Runs :func:`rnn_companion.reference.elman_forward` (``X`` of shape ``(T, n, d)``),
    back-propagates ``dL/dH_T = dH_T`` (``(n, h)``) with
    :func:`rnn_companion.reference.elman_backward` and recovers the total gradient at each state,
    ``dL/dH_t = dZ_{t+1} W_hh^T`` for ``t < T``.

    Returns
    -------
    numpy.ndarray
        ``(T, n)``: entry ``[k, i]`` is the norm of example ``i``'s gradient at distance
        ``k = T - t`` from the loss (``k = 0`` is ``||dH_T||``).
    """
    X = np.asarray(X)
    H = elman_forward(X, W_xh, W_hh, b_h, H0=H0, nonlinearity=nonlinearity)
    dH = np.zeros_like(H)
    dH[-1] = dH_T
    dZ = elman_backward(dH, X, H, W_xh, W_hh, H0=H0, nonlinearity=nonlinearity, return_per_step=True)["dZ"]
    G = np.empty_like(H)
    G[-1] = dH_T
    G[:-1] = dZ[1:] @ np.asarray(W_hh).T
    norms: FloatArray = np.linalg.norm(G, axis=-1)[::-1].astype(np.float64)
    return norms


# --------------------------------------------------------------------------- temporal XOR
def xor_position_error(sq_err: FloatArray, period: int = 12) -> FloatArray:
    """Average squared error by position in a ``period``-step cycle.

    ``sq_err`` is ``(S, T)``; returns ``(S, period)``: entry ``k`` is the mean over cycles of the
    error after input ``k + 1`` of the cycle (Elman's "cycle" axis).
    """
    S, T = sq_err.shape
    n = T // period
    out: FloatArray = sq_err[:, : n * period].reshape(S, n, period).mean(1)
    return out


def dip_gap(pos3: FloatArray) -> FloatArray:
    """``(S,)`` mean error at positions 1 and 3 minus the error at position 2 (``pos3 (S, 3)``)."""
    out: FloatArray = 0.5 * (pos3[:, 0] + pos3[:, 2]) - pos3[:, 1]
    return out


# --------------------------------------------------------------------------- letters
class LetterErrors(TypedDict):
    """Errors of the letter task (see :func:`letter_errors`)."""

    sq: FloatArray  #: ``(S, T-1, 6)`` squared error per bit
    targets: str  #: the letters to be predicted, length ``T-1``
    by_letter: FloatArray  #: ``(S, 6)`` summed-over-bits MSE for targets b, d, g, a, i, u
    by_letter_bit: FloatArray  #: ``(S, 6, 6)`` [target letter, bit] MSE, NaN for a letter never a target


def letter_errors(letters: str, vectors: FloatArray, outputs: FloatArray) -> LetterErrors:
    """Prediction error of the letter task, by target letter and by bit.

    Parameters
    ----------
    letters
        The test letters, length ``T``.
    vectors
        ``(T, 6)`` their Table 1 codes.
    outputs
        ``(S, T, 6)`` network outputs; ``outputs[:, t]`` predicts letter ``t + 1``.

    Returns
    -------
    LetterErrors
    """
    sq = (outputs[:, :-1] - vectors[None, 1:]) ** 2
    targets = letters[1:]
    tarr = np.array(list(targets))
    by_letter_bit = np.full((sq.shape[0], 6, sq.shape[2]), np.nan)
    for k, c in enumerate("bdgaiu"):
        if (tarr == c).any():
            by_letter_bit[:, k] = sq[:, tarr == c].mean(1)
    return LetterErrors(sq=sq, targets=targets, by_letter=by_letter_bit.sum(-1), by_letter_bit=by_letter_bit)


def letter_floor() -> tuple[FloatArray, FloatArray]:
    """Error of the ideal predictor of the letter stream, by target letter (b, d, g, a, i, u).

    It knows the rules, so it predicts every vowel exactly, but the next consonant is a fair
    three-way draw: its best guess is the mean of the b, d, g vectors. Returns the summed
    squared error ``(6,)`` and the per-bit squared error ``(6, 6)`` [target letter, bit].
    """
    table = np.array([LETTER_VECTORS[c] for c in "bdgaiu"], dtype=np.float64)
    guess = table[:3].mean(0)
    per_bit = np.zeros((6, 6))
    per_bit[:3] = (table[:3] - guess) ** 2
    return per_bit.sum(1), per_bit


# --------------------------------------------------------------------------- lexical classes
#: The 18 nouns of :data:`rnn_companion.datasets.VOCABULARY`.
NOUNS = VOCABULARY[:18]
#: The 11 verbs of :data:`rnn_companion.datasets.VOCABULARY`.
VERBS = VOCABULARY[18:]

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


def word_mean_hidden(words: Sequence[str], hidden: FloatArray, vocabulary: Sequence[str]) -> FloatArray:
    """Average the hidden states of every occurrence of each word.

    ``hidden`` is ``(S, T, h)`` (``hidden[:, t]`` produced by input ``words[t]``); returns
    ``(S, len(vocabulary), h)`` (NaN rows for absent words).
    """
    index = {w: k for k, w in enumerate(vocabulary)}
    ids = np.array([index[w] for w in words])
    S, _, h = hidden.shape
    V = len(vocabulary)
    sums = np.zeros((S, V, h))
    for s in range(S):
        np.add.at(sums[s], ids, hidden[s, : len(ids)])
    counts = np.bincount(ids, minlength=V).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        means: FloatArray = sums / counts[None, :, None]
    return means


def cluster_words(vectors: FloatArray, *, method: str = "average", metric: str = "euclidean") -> FloatArray:
    """SciPy linkage matrix ``(V - 1, 4)`` of ``(V, h)`` word vectors (needs ``scipy``)."""
    from scipy.cluster.hierarchy import linkage

    Z: FloatArray = linkage(vectors, method=method, metric=metric)
    return Z


def _clades(Z: FloatArray, n: int) -> list[frozenset[int]]:
    members: list[frozenset[int]] = [frozenset([i]) for i in range(n)]
    for a, b, _, _ in Z:
        members.append(members[int(a)] | members[int(b)])
    return members


def clade_table(
    Z: FloatArray, vocabulary: Sequence[str], groups: Mapping[str, Sequence[str]] = WORD_GROUPS
) -> dict[str, bool]:
    """Which word groups are clades of the tree (a subtree with exactly those leaves).

    Also ``"top split nouns|verbs"``: the root's two branches are exactly nouns and verbs.
    """
    members = _clades(Z, len(vocabulary))
    clades = set(members)
    idx = {w: k for k, w in enumerate(vocabulary)}
    out = {name: frozenset(idx[w] for w in g) in clades for name, g in groups.items()}
    root = Z[-1]
    top = {members[int(root[0])], members[int(root[1])]}
    out["top split nouns|verbs"] = top == {frozenset(idx[w] for w in NOUNS), frozenset(idx[w] for w in VERBS)}
    return out
