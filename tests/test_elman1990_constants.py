"""The cited constants of Elman (1990) in ``rnn_companion.elman1990``, checked against what the
paper's own setup implies and against the stored reproduction."""

from __future__ import annotations

import numpy as np

from rnn_companion import datasets, elman1990
from rnn_companion.stored import load_stored


def test_fig3_dips_are_the_predictable_cycles() -> None:
    # Fig. 3: every value at a dip cycle lies below every other cycle's value, and the dips are
    # exactly the cycles whose next bit is the XOR (the 3rd bit of a triplet).
    fig3 = np.array(elman1990.XOR_FIG3)
    assert fig3.shape == (12,)
    dips = np.array(elman1990.XOR_FIG3_DIPS) - 1
    assert ((dips + 1) % 3 == 2).all()  # input is the 2nd bit of a triplet at 1-based cycles 2, 5, 8, 11
    others = np.setdiff1d(np.arange(12), dips)
    assert fig3[dips].max() < fig3[others].min()


def test_fig3_is_a_mean_squared_error() -> None:
    # An unpredictable bit costs at least 0.25 in squared error; as RMS the floor would be 0.5.
    fig3 = np.array(elman1990.XOR_FIG3)
    others = np.setdiff1d(np.arange(12), np.array(elman1990.XOR_FIG3_DIPS) - 1)
    assert fig3[others].min() >= 0.25
    assert fig3.max() < 0.5


def test_all_outputs_off_costs_one_per_word() -> None:
    # With one bit on in each 31-bit target, outputs all 0 give a summed squared error of exactly
    # 1 per word and its root is 1 too: the paper's "1.0" under either reading.
    corpus = datasets.elman_sentences(50, np.random.default_rng(0))
    targets = corpus.onehot[1:]
    sse = ((np.zeros_like(targets) - targets) ** 2).sum(-1)
    np.testing.assert_allclose(sse, elman1990.LEXICAL_ERROR_ALL_OFF)
    np.testing.assert_allclose(np.sqrt(sse), elman1990.LEXICAL_ERROR_ALL_OFF)
    # outputs near 0.5 (random weights) give a summed absolute error of about 15.5
    assert abs(31 * 0.5 - elman1990.LEXICAL_ERROR_INITIAL) < 1e-12


def test_stored_runs_quote_the_constants() -> None:
    xor = load_stored("xor")["results"]
    np.testing.assert_allclose(xor["fig3"], elman1990.XOR_FIG3)
    lexical = load_stored("lexical")["results"]
    final = np.array(lexical["elman"]["final_error"])
    # the trained error lies between the trained figure's neighbourhood and the all-off level
    assert (final < elman1990.LEXICAL_ERROR_ALL_OFF).all()
    assert abs(final.mean() - elman1990.LEXICAL_ERROR_TRAINED) < 0.1
