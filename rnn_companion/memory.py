"""The memory horizon of an Elman RNN: how far back it learns to recall, on delayed recall.

Many small, independent Elman RNNs are trained at once as one *ensemble*: every parameter has
a leading model axis ``G``, each model reads its own stream, and the loss is the sum of the
models' losses, so every model gets exactly the gradient it would get alone (and Adam, being
element-wise, updates each one as if alone). That makes a grid of settings x delays x seeds
cheap enough for one CPU core.

Shape convention (stated once for this module): the model axis comes first, then time, then
the batch, in the source notation of the book: tokens ``(G, T, B)``, hidden states
``(G, B, h)``, logits ``(G, T, B, V)``; ``W_xh`` is ``(G, V, h)`` (one-hot inputs, so a row
lookup), ``W_hh`` ``(G, h, h)``, ``b_h`` ``(G, 1, h)``, ``W_hq`` ``(G, h, V)``, ``b_q``
``(G, 1, V)``; ``H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)`` and ``O_t = H_t W_hq + b_q``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .datasets import delayed_recall
from .training import IGNORE_INDEX

__all__ = ["Setting", "RNNEnsemble", "memory_horizon"]


@dataclass(frozen=True)
class Setting:
    """One training setting of the memory-horizon experiment.

    Attributes
    ----------
    label
        Name shown in tables and figures.
    scale
        ``W_hh`` starts as a random orthogonal matrix times ``scale`` (its spectral radius and
        all its singular values equal ``scale``).
    tbptt
        Truncation length ``k`` (the state is detached every ``k`` steps); ``None``: full BPTT.
    clip
        Global-norm clipping threshold per model; ``None``: no clipping.
    """

    label: str
    scale: float = 1.0
    tbptt: int | None = None
    clip: float | None = None


class RNNEnsemble(nn.Module):
    """``G`` independent Elman RNNs (one-hot inputs, tanh, linear readout) in stacked tensors.

    Parameters
    ----------
    n_models, n_symbols, hidden_size
        ``G``, the vocabulary ``V`` and ``h``.
    scales
        ``(G,)`` the scale of each model's orthogonal ``W_hh``.
    seeds
        ``(G,)`` each model's initialisation seed: models with the same seed start from the
        same weights, up to the scale of ``W_hh``.
    """

    def __init__(self, n_models: int, n_symbols: int, hidden_size: int,
                 scales: Sequence[float], seeds: Sequence[int]) -> None:
        super().__init__()
        if len(scales) != n_models or len(seeds) != n_models:
            raise ValueError(f"need one scale and one seed per model: n_models={n_models}, "
                             f"got {len(scales)} scales and {len(seeds)} seeds")
        V, h = n_symbols, hidden_size
        bound = 1.0 / np.sqrt(h)  # torch.nn.RNN's and nn.Linear's uniform range for fan-in h
        inits: dict[str, list[Tensor]] = {"W_xh": [], "W_hh": [], "W_hq": []}
        for scale, seed in zip(scales, seeds, strict=True):
            g = torch.Generator().manual_seed(int(seed))
            inits["W_xh"].append((torch.rand(V, h, generator=g) * 2 - 1) * bound)
            Q, R = torch.linalg.qr(torch.randn(h, h, generator=g))
            inits["W_hh"].append(float(scale) * Q * torch.sign(torch.diagonal(R)))  # Haar orthogonal
            inits["W_hq"].append((torch.rand(h, V, generator=g) * 2 - 1) * bound)
        self.W_xh = nn.Parameter(torch.stack(inits["W_xh"]))  # (G, V, h)
        self.W_hh = nn.Parameter(torch.stack(inits["W_hh"]))  # (G, h, h)
        self.b_h = nn.Parameter(torch.zeros(n_models, 1, h))  # (G, 1, h)
        self.W_hq = nn.Parameter(torch.stack(inits["W_hq"]))  # (G, h, V)
        self.b_q = nn.Parameter(torch.zeros(n_models, 1, V))  # (G, 1, V)

    def forward(self, tokens: Tensor, tbptt: Sequence[int | None] | None = None) -> Tensor:
        """Logits ``(G, T, B, V)`` for tokens ``(G, T, B)``, from zero states.

        ``tbptt[g] = k`` detaches model ``g``'s state before steps ``k, 2k, ...`` (0-based), as
        :func:`rnn_companion.training.truncated_forward` does; the forward values do not change.
        """
        G, T, B = tokens.shape
        if G != self.W_hh.shape[0]:
            raise ValueError(f"tokens must have {self.W_hh.shape[0]} models on axis 0, got shape {tuple(tokens.shape)}")
        ks = list(tbptt) if tbptt is not None else [None] * G
        if len(ks) != G:
            raise ValueError(f"need one truncation length per model ({G}), got {len(ks)}")
        models = torch.arange(G)[:, None, None]
        XW = self.W_xh[models, tokens]  # (G, T, B, h): the one-hot products X_t W_xh
        H = torch.zeros(G, B, self.W_hh.shape[-1])
        states = []
        for t in range(T):
            cut = [k is not None and t > 0 and t % k == 0 for k in ks]
            if any(cut):
                mask = torch.tensor(cut)[:, None, None]
                H = torch.where(mask, H.detach(), H)
            H = torch.tanh(XW[:, t] + torch.bmm(H, self.W_hh) + self.b_h)  # (G, B, h)
            states.append(H)
        Hs = torch.stack(states, dim=1)  # (G, T, B, h)
        return torch.matmul(Hs, self.W_hq[:, None]) + self.b_q[:, None]


def _clip_per_model(params: Sequence[Tensor], thresholds: Tensor) -> None:
    """Scale model ``g``'s gradients by ``min(1, thresholds[g] / ||g_g||)`` (global norm per model)."""
    sq = sum(p.grad.pow(2).flatten(1).sum(1) for p in params if p.grad is not None)
    norms = torch.sqrt(torch.as_tensor(sq))  # (G,)
    scale = torch.clamp(thresholds / (norms + 1e-6), max=1.0)
    for p in params:
        if p.grad is not None:
            p.grad.mul_(scale.view(-1, *([1] * (p.grad.dim() - 1))))


def _recall_data(delays: Sequence[int], seeds: Sequence[int], n_batches: int, batch: int,
                 length: int, n_symbols: int, offset: int) -> dict[tuple[int, int], tuple[Tensor, Tensor]]:
    """``(delay, seed) -> (inputs (n_batches, T, B), targets (n_batches, T, B))`` from ``delayed_recall``."""
    data = {}
    for D in delays:
        for s in seeds:
            pairs = delayed_recall(n_batches, batch, length, D, n_symbols, seed=offset + 1000 * s)
            data[D, s] = (torch.stack([x for x, _ in pairs]).to(torch.int8),
                          torch.stack([y for _, y in pairs]).to(torch.int8))
    return data


def memory_horizon(
    settings: Sequence[Setting],
    delays: Sequence[int],
    seeds: Sequence[int],
    *,
    length: int = 24,
    hidden_size: int = 16,
    n_symbols: int = 4,
    steps: int = 300,
    batch: int = 32,
    lr: float = 0.01,
    test_size: int = 500,
) -> np.ndarray:
    """Train one Elman RNN per (setting, delay, seed) on delayed recall and measure test accuracy.

    Every model is trained with Adam (learning rate ``lr``) for ``steps`` minibatches of
    ``batch`` sequences of ``length`` steps from :func:`rnn_companion.datasets.delayed_recall`
    (the same stream for every setting with the same delay and seed), with its setting's
    initial scale, truncation and clipping. Accuracy is measured on ``test_size`` fresh
    sequences, on every step whose target exists (``t > delay``).

    Returns
    -------
    numpy.ndarray
        ``(len(settings), len(delays), len(seeds))`` test accuracies (chance: ``1 / n_symbols``).
    """
    if not settings or not delays or not seeds:
        raise ValueError("need at least one setting, one delay and one seed")
    if max(delays) >= length:
        raise ValueError(f"every delay must be below length={length}, got {max(delays)}")
    grid = [(i, j, r) for i in range(len(settings)) for j in range(len(delays)) for r in range(len(seeds))]
    model = RNNEnsemble(len(grid), n_symbols, hidden_size, [settings[i].scale for i, _, _ in grid],
                        [seeds[r] for _, _, r in grid])
    ks = [settings[i].tbptt for i, _, _ in grid]
    thresholds = torch.tensor([settings[i].clip or float("inf") for i, _, _ in grid])
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=lr)
    train_data = _recall_data(delays, seeds, steps, batch, length, n_symbols, offset=0)
    for step in range(steps):
        x = torch.stack([train_data[delays[j], seeds[r]][0][step] for _, j, r in grid]).long()
        y = torch.stack([train_data[delays[j], seeds[r]][1][step] for _, j, r in grid]).long()
        logits = model(x, ks)  # (G, T, B, V)
        per_token = F.cross_entropy(logits.reshape(-1, n_symbols), y.reshape(-1),
                                    ignore_index=IGNORE_INDEX, reduction="none").view(y.shape)
        scored = (y != IGNORE_INDEX).flatten(1).sum(1)  # (G,)
        loss = (per_token.flatten(1).sum(1) / scored).sum()  # the sum of the models' mean losses
        optimizer.zero_grad()
        torch.autograd.backward(loss)
        if torch.isfinite(thresholds).any():
            _clip_per_model(params, thresholds)
        optimizer.step()
    test_data = _recall_data(delays, seeds[:1], 1, test_size, length, n_symbols, offset=10_000_000)
    x = torch.stack([test_data[delays[j], seeds[0]][0][0] for _, j, _ in grid]).long()
    y = torch.stack([test_data[delays[j], seeds[0]][1][0] for _, j, _ in grid]).long()
    with torch.no_grad():
        correct = (model(x).argmax(-1) == y).flatten(1).sum(1)
    accuracy = (correct / (y != IGNORE_INDEX).flatten(1).sum(1)).numpy()
    result: np.ndarray = accuracy.reshape(len(settings), len(delays), len(seeds)).astype(float)
    return result
