"""Why parameter sharing helps: find a short motif at positions never seen in training.

A sequence of random symbols either contains a fixed motif (e.g. ``0 1 2``) exactly once, at
a chosen start position, or does not contain it at all. A detector says at every step ``t``
whether the motif has just ended there. It is trained on sequences whose motif starts only
at early positions and tested with the motif at every position. An Elman RNN applies the same
weights at every step, so what it learns at one position it can use at any other; a
fixed-window MLP has separate weights for every position of its window, and the weights of
the positions where it never saw a motif are never trained to find one.

Shape convention (stated once for this module): sequences are time-major like
``torch.nn.RNN``: tokens ``(T, n)`` (``LongTensor``, symbols ``0..n_symbols-1``), labels
``(n,)`` (float, 1 = the motif is present), per-step targets and a detector's logits
``(T, n)`` (entry ``[t, i]``: the motif ends at step ``t`` of sequence ``i``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .elman import ElmanRNN

__all__ = ["motif_sequences", "count_motif", "motif_ends", "MotifRNN", "WindowMLP", "train_detector",
           "accuracy_by_position"]


def count_motif(tokens: Tensor, motif: Sequence[int]) -> Tensor:
    """How many times ``motif`` occurs in each sequence of ``tokens`` ``(T, n)``: ``(n,)``."""
    m = torch.as_tensor(list(motif), dtype=tokens.dtype)
    windows = tokens.T.unfold(1, len(m), 1)  # (n, T - len(m) + 1, len(m))
    return (windows == m).all(dim=-1).sum(dim=1)


def motif_ends(tokens: Tensor, motif: Sequence[int]) -> Tensor:
    """Per-step targets ``(T, n)``: 1.0 where ``motif`` ends at step ``t``, else 0.0."""
    m = torch.as_tensor(list(motif), dtype=tokens.dtype)
    ends = torch.zeros(tokens.shape, dtype=torch.float32)
    ends[len(m) - 1:] = (tokens.T.unfold(1, len(m), 1) == m).all(dim=-1).T.float()
    return ends


def motif_sequences(n: int, length: int, motif: Sequence[int], positions: Sequence[int], *,
                    n_symbols: int = 4, seed: int = 0) -> tuple[Tensor, Tensor]:
    """``n`` random sequences, the even-numbered ones with ``motif`` exactly once, the others without it.

    The motif of a positive sequence starts at a position drawn uniformly from ``positions``
    (0-based); the background symbols are uniform and redrawn until the motif occurs exactly
    once (positives) or never (negatives).

    Returns
    -------
    (Tensor, Tensor)
        tokens ``(length, n)`` and labels ``(n,)`` (1.0 for a motif, 0.0 without).

    Raises
    ------
    ValueError
        If a position does not leave room for the motif, or the motif uses a symbol outside
        ``0..n_symbols-1``.
    """
    k = len(motif)
    if not positions or min(positions) < 0 or max(positions) + k > length:
        raise ValueError(f"positions must lie in 0..{length - k} for a motif of {k} symbols in "
                         f"sequences of {length}, got {list(positions)}")
    if not motif or min(motif) < 0 or max(motif) >= n_symbols:
        raise ValueError(f"motif symbols must lie in 0..{n_symbols - 1}, got {list(motif)}")
    g = torch.Generator().manual_seed(seed)
    labels = (torch.arange(n) % 2 == 0).float()
    starts = torch.tensor(list(positions))[torch.randint(len(positions), (n,), generator=g)]
    tokens = torch.empty(length, n, dtype=torch.long)
    redo = torch.ones(n, dtype=torch.bool)
    motif_t = torch.tensor(list(motif))
    while redo.any():
        idx = redo.nonzero().flatten()
        tokens[:, idx] = torch.randint(n_symbols, (length, len(idx)), generator=g)
        for i in idx[labels[idx] == 1].tolist():
            tokens[starts[i]: starts[i] + k, i] = motif_t
        redo = count_motif(tokens, motif) != labels.long()
    return tokens, labels


class MotifRNN(nn.Module):
    """An Elman RNN reading one-hot symbols, with a linear readout of every hidden state:
    :math:`O_t = H_t W_{hq} + b_q`, one logit per step."""

    def __init__(self, n_symbols: int, hidden_size: int) -> None:
        super().__init__()
        self.n_symbols = n_symbols
        self.rnn = ElmanRNN(n_symbols, hidden_size)
        self.readout = nn.Linear(hidden_size, 1)

    def forward(self, tokens: Tensor) -> Tensor:
        H, _ = self.rnn(F.one_hot(tokens, self.n_symbols).float())  # (T, n, h)
        logits: Tensor = self.readout(H).squeeze(-1)  # (T, n): O_t at every step
        return logits


class WindowMLP(nn.Module):
    """A one-hidden-layer MLP on the whole window (the ``length`` one-hot symbols concatenated)
    with one output per step of the window."""

    def __init__(self, n_symbols: int, length: int, hidden_size: int) -> None:
        super().__init__()
        self.n_symbols, self.length = n_symbols, length
        self.net = nn.Sequential(nn.Linear(length * n_symbols, hidden_size), nn.Tanh(),
                                 nn.Linear(hidden_size, length))

    def forward(self, tokens: Tensor) -> Tensor:
        if tokens.shape[0] != self.length:
            raise ValueError(f"this window MLP reads sequences of {self.length} steps, got {tokens.shape[0]}")
        onehot = F.one_hot(tokens, self.n_symbols).float()  # (T, n, V)
        logits: Tensor = self.net(onehot.permute(1, 0, 2).reshape(tokens.shape[1], -1)).T  # (T, n)
        return logits


def train_detector(model: nn.Module, tokens: Tensor, targets: Tensor, *, steps: int = 300,
                   batch: int = 64, lr: float = 0.01, seed: int = 0) -> list[float]:
    """Adam on the binary cross-entropy of the per-step logits against ``targets`` ``(T, N)``
    (:func:`motif_ends`), minibatches of ``batch`` sequences drawn from ``tokens`` ``(T, N)``.

    Returns the training loss of every step.
    """
    g = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        idx = torch.randint(tokens.shape[1], (batch,), generator=g)
        loss = F.binary_cross_entropy_with_logits(model(tokens[:, idx]), targets[:, idx])
        optimizer.zero_grad()
        torch.autograd.backward(loss)
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


@torch.no_grad()
def accuracy_by_position(model: nn.Module, length: int, motif: Sequence[int], positions: Sequence[int], *,
                         n: int = 400, n_symbols: int = 4, seed: int = 1) -> np.ndarray:
    """Test accuracy for the motif at each start position in turn: ``(len(positions),)``.

    Each test set holds ``n`` fresh sequences, half of them with the motif at start position
    ``p`` and half without it; the detector's answer is its logit at the step where the motif
    ends (``p + len(motif) - 1``). 0.5 is chance.
    """
    accuracies = []
    for j, p in enumerate(positions):
        tokens, labels = motif_sequences(n, length, motif, [p], n_symbols=n_symbols, seed=seed + 7919 * j)
        predictions = (model(tokens)[p + len(motif) - 1] > 0).float()
        accuracies.append(float((predictions == labels).float().mean()))
    return np.array(accuracies)
