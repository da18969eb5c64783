"""Tests of rnn_companion.analysis: gradient norms against autograd, Elman's measures on constructed data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_companion import analysis as ex
from rnn_companion import datasets as ds
from rnn_companion.analysis import hidden_grad_norms


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_hidden_grad_norms_match_autograd(nonlinearity: str) -> None:
    rng = np.random.default_rng(0)
    T, n, d, h = 7, 3, 2, 4
    X, W_xh, W_hh = rng.normal(size=(T, n, d)), rng.normal(size=(d, h)), rng.normal(size=(h, h)) * 0.8
    b_h, dH_T = rng.normal(size=(1, h)), rng.normal(size=(n, h))
    norms = hidden_grad_norms(X, W_xh, W_hh, b_h, dH_T, nonlinearity)
    # autograd oracle
    phi = torch.tanh if nonlinearity == "tanh" else torch.relu
    tX, tW_xh, tW_hh, tb = (torch.tensor(a, requires_grad=True) for a in (X, W_xh, W_hh, b_h))
    Hs = []
    Hprev = torch.zeros(n, h, dtype=torch.float64)
    for t in range(T):
        Hprev = phi(tX[t] @ tW_xh + Hprev @ tW_hh + tb)
        Hprev.retain_grad()
        Hs.append(Hprev)
    (Hs[-1] * torch.tensor(dH_T)).sum().backward()
    expected = np.stack([Hs[T - 1 - dist].grad.norm(dim=-1).numpy() for dist in range(T)])
    np.testing.assert_allclose(norms, expected, rtol=1e-10, atol=1e-14)


def test_xor_position_error_bins() -> None:
    sq = np.tile(np.arange(12.0), (2, 5))  # (2, 60)
    np.testing.assert_allclose(ex.xor_position_error(sq, 12), np.tile(np.arange(12.0), (2, 1)))
    np.testing.assert_allclose(ex.xor_position_error(sq, 3)[0], [4.5, 5.5, 6.5])
    np.testing.assert_allclose(ex.dip_gap(np.array([[0.3, 0.1, 0.2]])), [0.15])


def test_letter_errors_by_letter_and_bit() -> None:
    letters = "baguuu"
    vectors = np.array([ds.LETTER_VECTORS[c] for c in letters], dtype=float)
    outputs = np.zeros((1, 6, 6))
    e = ex.letter_errors(letters, vectors, outputs)
    # zero output: squared error = number of 1 bits of the target
    assert e["targets"] == "aguuu"
    np.testing.assert_allclose(e["by_letter"][0, 3], sum(ds.LETTER_VECTORS["a"]))
    np.testing.assert_allclose(e["by_letter_bit"][0, 5], ds.LETTER_VECTORS["u"])


def test_word_mean_hidden_matches_a_loop() -> None:
    rng = np.random.default_rng(0)
    vocab = ("a", "b", "c")
    words = [vocab[i] for i in rng.integers(0, 2, size=20)]  # "c" never occurs
    hidden = rng.random((2, 20, 4))
    means = ex.word_mean_hidden(words, hidden, vocab)
    for s in range(2):
        for k, w in enumerate(vocab[:2]):
            rows = [hidden[s, t] for t in range(20) if words[t] == w]
            np.testing.assert_allclose(means[s, k], np.mean(rows, axis=0))
    assert np.isnan(means[:, 2]).all()


def test_clade_table_on_a_constructed_tree() -> None:
    vocab = ds.VOCABULARY
    rng = np.random.default_rng(1)
    # nouns near 0, verbs near 10; inside the nouns, humans far from the rest
    vec = rng.normal(scale=0.01, size=(29, 3))
    vec[18:, 0] += 10.0
    vec[:4, 1] += 3.0
    tab = ex.clade_table(ex.cluster_words(vec), vocab)
    assert tab["top split nouns|verbs"] and tab["nouns"] and tab["verbs"] and tab["humans"]
    # swap one noun into the verb cloud: the split and both clades disappear
    vec[10, 0] += 10.0
    tab = ex.clade_table(ex.cluster_words(vec), vocab)
    assert not tab["top split nouns|verbs"] and not tab["nouns"] and not tab["verbs"]
