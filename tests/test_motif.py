"""Tests of rnn_companion.motif: the data have the motif exactly where they say, the detectors
have the shapes and the dependence on the input that they claim, and the per-position
accuracy scores what it says."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from rnn_companion.motif import (
    MotifRNN,
    WindowMLP,
    accuracy_by_position,
    count_motif,
    motif_ends,
    motif_sequences,
    train_detector,
)

MOTIF = (0, 1, 2)


def _brute_force_ends(tokens: torch.Tensor, motif) -> torch.Tensor:
    T, n = tokens.shape
    ends = torch.zeros(T, n)
    for i in range(n):
        seq = tokens[:, i].tolist()
        for t in range(len(motif) - 1, T):
            if tuple(seq[t - len(motif) + 1: t + 1]) == tuple(motif):
                ends[t, i] = 1.0
    return ends


@pytest.mark.parametrize("positions", [[0, 1, 2, 3], [9], [4, 7]])
def test_motif_sequences_plant_the_motif_once_where_asked(positions):
    tokens, labels = motif_sequences(200, 12, MOTIF, positions, seed=3)
    assert tokens.shape == (12, 200) and labels.shape == (200,)
    assert labels.sum() == 100
    ends = _brute_force_ends(tokens, MOTIF)
    torch.testing.assert_close(motif_ends(tokens, MOTIF), ends)
    torch.testing.assert_close(count_motif(tokens, MOTIF).float(), ends.sum(0))
    torch.testing.assert_close(ends.sum(0), labels)  # once in positives, never in negatives
    starts = ends[:, labels == 1].argmax(0) - (len(MOTIF) - 1)
    assert set(starts.tolist()) <= set(positions)
    assert set(starts.tolist()) == set(positions)  # 100 draws hit every allowed position here


def test_motif_sequences_reject_bad_positions_and_symbols():
    with pytest.raises(ValueError, match=r"positions must lie in 0..9 .* got \[10\]"):
        motif_sequences(4, 12, MOTIF, [10])
    with pytest.raises(ValueError, match=r"motif symbols must lie in 0..3, got \[0, 4\]"):
        motif_sequences(4, 12, (0, 4), [0])


def test_parameter_counts_of_the_two_detectors():
    rnn, mlp = MotifRNN(4, 24), WindowMLP(4, 12, 12)
    # W_ih, W_hh, two biases, readout; window weights, bias, one output per step
    assert sum(p.numel() for p in rnn.parameters()) == 4 * 24 + 24 * 24 + 2 * 24 + 24 + 1
    assert sum(p.numel() for p in mlp.parameters()) == 12 * 4 * 12 + 12 + 12 * 12 + 12


def test_rnn_detector_is_causal_and_shares_weights_over_steps():
    torch.manual_seed(0)
    rnn = MotifRNN(4, 8)
    tokens = torch.randint(4, (10, 5))
    changed = tokens.clone()
    changed[6:] = (changed[6:] + 1) % 4
    with torch.no_grad():
        a, b = rnn(tokens), rnn(changed)
        longer = rnn(torch.cat([tokens, tokens]))  # any length: the same weights at every step
    assert a.shape == (10, 5) and longer.shape == (20, 5)
    torch.testing.assert_close(a[:6], b[:6])  # steps before the change cannot see it
    assert not torch.allclose(a[6:], b[6:])


def test_window_mlp_reads_exactly_its_window():
    mlp = WindowMLP(4, 12, 6)
    assert mlp(torch.randint(4, (12, 3))).shape == (12, 3)
    with pytest.raises(ValueError, match="sequences of 12 steps, got 13"):
        mlp(torch.randint(4, (13, 3)))


class _Constant(nn.Module):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return torch.full(tokens.shape, self.value)


def test_accuracy_by_position_scores_the_step_where_the_motif_ends():
    # a detector that never fires is right on the negatives only: exactly one half
    np.testing.assert_array_equal(accuracy_by_position(_Constant(-1.0), 12, MOTIF, [0, 5, 9], n=40), [0.5] * 3)

    class Oracle(nn.Module):
        def forward(self, tokens):
            return motif_ends(tokens, MOTIF) * 2 - 1

    class Late(nn.Module):  # fires one step after the motif ends: wrong at the scored step
        def forward(self, tokens):
            return torch.roll(motif_ends(tokens, MOTIF), 1, dims=0) * 2 - 1

    np.testing.assert_array_equal(accuracy_by_position(Oracle(), 12, MOTIF, [0, 5, 9], n=40), [1.0] * 3)
    np.testing.assert_array_equal(accuracy_by_position(Late(), 12, MOTIF, [0, 5], n=40), [0.5] * 2)


def test_training_lowers_the_loss():
    tokens, _ = motif_sequences(256, 8, MOTIF, [0, 1], seed=0)
    torch.manual_seed(0)
    losses = train_detector(MotifRNN(4, 8), tokens, motif_ends(tokens, MOTIF), steps=60, batch=32)
    assert len(losses) == 60 and np.mean(losses[-10:]) < 0.5 * np.mean(losses[:5])
