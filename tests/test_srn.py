"""Tests of rnn_companion.srn (Elman's procedure, windowed BPTT) against autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_companion import srn as ex

NAMES = ("W_xh", "W_hh", "b_h", "W_hq", "b_q")


def _torch_srn_loss(p: dict[str, torch.Tensor], X: torch.Tensor, Y: torch.Tensor, c0: torch.Tensor,
                    detach_context: bool) -> torch.Tensor:
    """Independent SRN in torch, book notation: X (S, T, d), Y (S, T, q); loss 1/2 sum of squared errors."""
    c, loss = c0, 0.0
    for t in range(X.shape[1]):
        if detach_context:
            c = c.detach()
        h = torch.sigmoid(torch.einsum("sd,sdh->sh", X[:, t], p["W_xh"])
                          + torch.einsum("sk,skh->sh", c, p["W_hh"]) + p["b_h"])
        y = torch.sigmoid(torch.einsum("sh,shq->sq", h, p["W_hq"]) + p["b_q"])
        loss = loss + 0.5 * ((y - Y[:, t]) ** 2).sum()
        c = h
    return loss


def _setup(seed: int, S: int = 3, D: int = 4, H: int = 5, O: int = 3, T: int = 7):
    rng = np.random.default_rng(seed)
    params = ex.init_srn(D, H, O, n_nets=S, init_range=1.0, rng=rng)
    X = rng.random((S, T, D))
    Y = rng.random((S, T, O))
    c0 = rng.random((S, H))
    return params, X, Y, c0


@pytest.mark.parametrize("seed", [0, 1])
def test_one_step_update_equals_autograd_with_detached_context(seed: int) -> None:
    params, X, Y, c0 = _setup(seed)
    lr = 0.37
    new, h, y, sq = ex.srn_online_step(params, X[:, 0], c0, Y[:, 0], lr)
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    loss = _torch_srn_loss(tp, torch.tensor(X[:, :1]), torch.tensor(Y[:, :1]), torch.tensor(c0), True)
    loss.backward()
    for k in NAMES:
        np.testing.assert_allclose(new[k], params[k] - lr * tp[k].grad.numpy(), rtol=1e-12, atol=1e-13)
    assert sq.shape == (3,) and h.shape == (3, 5) and y.shape == (3, 3)


def test_train_srn_elman_loop_equals_repeated_online_steps() -> None:
    """train_srn equals srn_online_step applied step by step, the hidden state copied into the context."""
    params, X, Y, _ = _setup(2)
    lr = 0.2
    trained, hist = ex.train_srn(params, X, Y, passes=2, lr=lr, method="elman", context=0.5)
    p, c = params, np.full((3, 5), 0.5)
    errs = []
    for _ in range(2):
        e = []
        for t in range(X.shape[1]):
            p, c, _, sq = ex.srn_online_step(p, X[:, t], c, Y[:, t], lr)
            e.append(sq)
        errs.append(np.mean(e, axis=0))
    for k in NAMES:
        np.testing.assert_allclose(trained[k], p[k], rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(hist, np.array(errs), rtol=1e-11)


def test_one_step_update_differs_from_full_gradient() -> None:
    """The context really is detached: over two steps the one-step gradient is not BPTT's."""
    params, X, Y, c0 = _setup(3)
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    _torch_srn_loss(tp, torch.tensor(X[:, :2]), torch.tensor(Y[:, :2]), torch.tensor(c0), False).backward()
    full = {k: tp[k].grad.clone() for k in NAMES}
    for k in NAMES:
        tp[k].grad = None
    _torch_srn_loss(tp, torch.tensor(X[:, :2]), torch.tensor(Y[:, :2]), torch.tensor(c0), True).backward()
    assert not np.allclose(full["W_hh"].numpy(), tp["W_hh"].grad.numpy())


@pytest.mark.parametrize("seed", [0, 4])
def test_bptt_gradients_match_autograd(seed: int) -> None:
    params, X, Y, c0 = _setup(seed, T=9)
    loss, grads = ex.srn_bptt_loss_and_grads(params, X, Y, c0)
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    tloss = _torch_srn_loss(tp, torch.tensor(X), torch.tensor(Y), torch.tensor(c0), False)
    tloss.backward()
    np.testing.assert_allclose(loss.sum(), tloss.item(), rtol=1e-12)
    for k in NAMES:
        np.testing.assert_allclose(grads[k], tp[k].grad.numpy(), rtol=1e-10, atol=1e-12)


def test_bptt_training_windows_update_with_window_gradients() -> None:
    """train_srn(method='bptt') takes one step of -lr * grad per window, carrying the context."""
    params, X, Y, _ = _setup(5, T=8)
    lr = 0.3
    trained, _ = ex.train_srn(params, X, Y, passes=1, lr=lr, method="bptt", window=4)
    p = params
    _, g = ex.srn_bptt_loss_and_grads(p, X[:, :4], Y[:, :4], 0.5)
    h, _ = ex.run_srn(p, X[:, :4], 0.5)
    p = {k: p[k] - lr * g[k] for k in NAMES}
    _, g = ex.srn_bptt_loss_and_grads(p, X[:, 4:], Y[:, 4:], h[:, -1])
    p = {k: p[k] - lr * g[k] for k in NAMES}
    for k in NAMES:
        np.testing.assert_allclose(trained[k], p[k], rtol=1e-11, atol=1e-12)


def test_run_srn_matches_torch_forward() -> None:
    params, X, _, c0 = _setup(6)
    h, y = ex.run_srn(params, X, c0)
    tp = {k: torch.tensor(v) for k, v in params.items()}
    c = torch.tensor(c0)
    for t in range(X.shape[1]):
        c = torch.sigmoid(torch.einsum("sd,sdh->sh", torch.tensor(X[:, t]), tp["W_xh"])
                          + torch.einsum("sk,skh->sh", c, tp["W_hh"]) + tp["b_h"])
        yt = torch.sigmoid(torch.einsum("sh,shq->sq", c, tp["W_hq"]) + tp["b_q"])
        np.testing.assert_allclose(h[:, t], c.numpy(), rtol=1e-12)
        np.testing.assert_allclose(y[:, t], yt.numpy(), rtol=1e-12)


def test_init_srn_shapes_and_range() -> None:
    rng = np.random.default_rng(0)
    p = ex.init_srn(4, 5, 3, n_nets=2, init_range=0.3, rng=rng)
    shapes = {"W_xh": (2, 4, 5), "W_hh": (2, 5, 5), "b_h": (2, 5), "W_hq": (2, 5, 3), "b_q": (2, 3)}
    assert {k: v.shape for k, v in p.items()} == shapes
    assert all(np.abs(v).max() <= 0.3 for v in p.values())


def test_train_srn_rejects_bad_arguments() -> None:
    params, X, Y, _ = _setup(0, T=7)
    with pytest.raises(ValueError, match="method must be 'elman' or 'bptt', got 'sgd'"):
        ex.train_srn(params, X, Y, passes=1, lr=0.1, method="sgd")
    with pytest.raises(ValueError, match="not a multiple of window=4"):
        ex.train_srn(params, X, Y, passes=1, lr=0.1, method="bptt", window=4)
    with pytest.raises(ValueError, match=r"\(3, T, d\) for 3 networks, got shape \(2, 7, 4\)"):
        ex.run_srn(params, X[:2])
