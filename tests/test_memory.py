"""Tests of rnn_companion.memory (the ensemble of Elman RNNs for the memory horizon) and of
rnn_companion.plotting.spread, against torch.nn.RNN, autograd through truncated_forward and
torch's own gradient clipping."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from rnn_companion.memory import RNNEnsemble, Setting, _clip_per_model, memory_horizon  # noqa: E402
from rnn_companion.plotting.spread import plot_mean_and_range  # noqa: E402
from rnn_companion.training import truncated_forward  # noqa: E402

G, V, H, T, B = 3, 4, 6, 9, 5


def _single_model(ens: RNNEnsemble, g: int) -> tuple[torch.nn.RNN, torch.nn.Linear]:
    """Model ``g`` of the ensemble as torch.nn.RNN (column layout: transposed weights) + Linear."""
    rnn = torch.nn.RNN(V, H)
    head = torch.nn.Linear(H, V)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(ens.W_xh[g].T)
        rnn.weight_hh_l0.copy_(ens.W_hh[g].T)
        rnn.bias_ih_l0.copy_(ens.b_h[g, 0])
        rnn.bias_hh_l0.zero_()
        head.weight.copy_(ens.W_hq[g].T)
        head.bias.copy_(ens.b_q[g, 0])
    return rnn, head


def _ensemble() -> tuple[RNNEnsemble, torch.Tensor]:
    ens = RNNEnsemble(G, V, H, scales=[0.5, 1.0, 2.0], seeds=[0, 1, 2])
    with torch.no_grad():  # non-zero biases, so that they are tested too
        ens.b_h.normal_(generator=torch.Generator().manual_seed(5))
        ens.b_q.normal_(generator=torch.Generator().manual_seed(6))
    tokens = torch.randint(V, (G, T, B), generator=torch.Generator().manual_seed(7))
    return ens, tokens


def test_ensemble_forward_equals_torch_rnn_per_model():
    ens, tokens = _ensemble()
    logits = ens(tokens)
    assert logits.shape == (G, T, B, V)
    for g in range(G):
        rnn, head = _single_model(ens, g)
        out, _ = rnn(F.one_hot(tokens[g], V).float())
        torch.testing.assert_close(logits[g], head(out), rtol=1e-5, atol=1e-5)


def test_initial_w_hh_is_scaled_orthogonal_and_paired_by_seed():
    ens = RNNEnsemble(2, V, H, scales=[0.5, 2.0], seeds=[3, 3])
    for g, scale in enumerate((0.5, 2.0)):
        W = ens.W_hh[g].detach().double()
        torch.testing.assert_close(W @ W.T, scale**2 * torch.eye(H, dtype=torch.float64), rtol=0, atol=1e-5)
    torch.testing.assert_close(ens.W_hh[0] * 4, ens.W_hh[1])  # same seed: same matrix up to the scale
    torch.testing.assert_close(ens.W_xh[0], ens.W_xh[1])


@pytest.mark.parametrize("k", [None, 1, 2, 4])
def test_truncated_gradients_equal_truncated_forward(k):
    ens, tokens = _ensemble()
    ks = [k, None, 3]
    ens(tokens, ks)[:, -3:].sum().backward()  # a loss on the last three steps
    g = 0
    rnn, head = _single_model(ens, g)
    x = F.one_hot(tokens[g], V).float()
    out, _ = truncated_forward(rnn, x, k)
    head(out)[-3:].sum().backward()
    torch.testing.assert_close(ens.W_hh.grad[g], rnn.weight_hh_l0.grad.T, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(ens.W_xh.grad[g], rnn.weight_ih_l0.grad.T, rtol=1e-4, atol=1e-5)


def test_truncation_changes_the_gradient_only_of_its_model():
    ens, tokens = _ensemble()
    ens(tokens).sum().backward()
    full = ens.W_hh.grad.clone()
    ens.zero_grad()
    ens(tokens, [2, None, None]).sum().backward()
    assert not torch.allclose(ens.W_hh.grad[0], full[0])
    torch.testing.assert_close(ens.W_hh.grad[1:], full[1:])


def test_clip_per_model_matches_torch_clip_grad_norm():
    ens, tokens = _ensemble()
    (ens(tokens) ** 2).sum().backward()
    params = list(ens.parameters())
    before = [p.grad.clone() for p in params]
    norms = torch.sqrt(sum(g.pow(2).flatten(1).sum(1) for g in before))
    thresholds = torch.tensor([norms[0] / 2, float("inf"), norms[2] * 2])
    _clip_per_model(params, thresholds)
    for g in range(G):
        copies = [b[g].clone().requires_grad_() for b in before]
        for c, b in zip(copies, before, strict=True):
            c.grad = b[g].clone()
        torch.nn.utils.clip_grad_norm_(copies, float(thresholds[g]))
        for p, c in zip(params, copies, strict=True):
            torch.testing.assert_close(p.grad[g], c.grad)
    # model 0 was clipped to half its norm; models 1 and 2 were left alone
    after = torch.sqrt(sum(p.grad.pow(2).flatten(1).sum(1) for p in params))
    torch.testing.assert_close(after, torch.stack([norms[0] / 2, norms[1], norms[2]]), rtol=1e-5, atol=0)


def test_memory_horizon_rejects_bad_grids():
    with pytest.raises(ValueError, match="below length=10, got 10"):
        memory_horizon([Setting("a")], [2, 10], [0], length=10)
    with pytest.raises(ValueError, match="at least one setting"):
        memory_horizon([], [2], [0])


def test_memory_horizon_full_bptt_learns_what_truncation_cannot():
    settings = [Setting("full"), Setting("k = 2", tbptt=2)]
    acc = memory_horizon(settings, [3], [0, 1], length=12, steps=200)
    assert acc.shape == (2, 1, 2)
    assert acc[0].min() > 0.9  # full BPTT recalls 3 steps back
    assert acc[1].max() < 0.6  # k = 2 < 3: no gradient links an output to its input
    np.testing.assert_array_equal(acc, memory_horizon(settings, [3], [0, 1], length=12, steps=200))


def test_plot_mean_and_range_draws_mean_and_band():
    x = [1, 2, 4]
    a = np.array([[0.2, 0.4, 0.3], [0.5, 0.9, 0.7], [1.0, 1.0, 0.7]])
    fig = plot_mean_and_range(x, {"a": a, "b": 1 - a}, chance=0.25, xlabel="delay")
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.lines}
    np.testing.assert_allclose(lines["a"].get_ydata(), a.mean(axis=1))
    np.testing.assert_allclose(lines["b"].get_ydata(), (1 - a).mean(axis=1))
    assert "chance" in lines and ax.get_xlabel() == "delay"
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(a.min()) and band[:, 1].max() == pytest.approx(a.max())
    plt.close(fig)


def test_plot_mean_and_range_rejects_a_wrong_shape():
    with pytest.raises(ValueError, match=r"shape \(len\(x\), n_seeds\) = \(3, n_seeds\), got \(2, 2\)"):
        plot_mean_and_range([1, 2, 3], {"a": np.zeros((2, 2))})
    plt.close("all")
