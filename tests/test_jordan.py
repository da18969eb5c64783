"""Tests for rnn_companion.JordanRNN against the NumPy reference and autograd."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from rnn_companion import JordanRNN
from rnn_companion.reference import jordan_forward

I, Hd, O, L, N = 3, 5, 2, 6, 4  # output size != hidden size


def _np_params(net: JordanRNN) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy() for k, v in net.state_dict().items()}


CASES = list(itertools.product([0.0, 0.6], [False, True], ["tanh", "relu", "sigmoid"], ["sigmoid", "tanh", "identity"]))


@pytest.mark.parametrize("mu,teacher,nl,out_nl", CASES)
def test_matches_numpy_reference(mu: float, teacher: bool, nl: str, out_nl: str) -> None:
    torch.manual_seed(0)
    net = JordanRNN(I, Hd, O, mu=mu, nonlinearity=nl, output_nonlinearity=out_nl, dtype=torch.float64)
    x = torch.randn(L, N, I, dtype=torch.float64)
    s0 = torch.randn(N, O, dtype=torch.float64)
    targets = torch.rand(L, N, O, dtype=torch.float64) if teacher else None
    y, h, s = net(x, targets=targets, s0=s0)
    ry, rh, rs = jordan_forward(
        x.numpy(), _np_params(net), s0.numpy(), None if targets is None else targets.numpy(),
        mu=mu, nonlinearity=nl, output_nonlinearity=out_nl,
    )
    assert y.shape == (L, N, O) and h.shape == (L, N, Hd) and s.shape == (N, O)
    np.testing.assert_allclose(y.detach().numpy(), ry, rtol=0, atol=1e-12)
    np.testing.assert_allclose(h.detach().numpy(), rh, rtol=0, atol=1e-12)
    np.testing.assert_allclose(s.detach().numpy(), rs, rtol=0, atol=1e-12)


def test_equations_by_hand() -> None:
    """The documented recurrence, written out step by step with explicit state updates."""
    torch.manual_seed(1)
    mu = 0.5
    net = JordanRNN(I, Hd, O, mu=mu, dtype=torch.float64)
    x = torch.randn(L, N, I, dtype=torch.float64)
    y, h, s_n = net(x)
    s = torch.zeros(N, O, dtype=torch.float64)  # s_1 = 0
    trace = torch.zeros(N, O, dtype=torch.float64)
    for t in range(L):
        torch.testing.assert_close(s, trace)  # s_t = sum_k mu^(k-1) y_{t-k}
        h_t = torch.tanh(x[t] @ net.weight_ih.T + s @ net.weight_sh.T + net.bias_h)
        y_t = torch.sigmoid(h_t @ net.weight_ho.T + net.bias_o)
        torch.testing.assert_close(h[t], h_t)
        torch.testing.assert_close(y[t], y_t)
        s = mu * s + y_t
        trace = sum(mu ** (k - 1) * y[t + 1 - k] for k in range(1, t + 2))
    torch.testing.assert_close(s_n, s)


def test_mu_zero_feeds_back_previous_output_and_teacher_forcing_uses_targets() -> None:
    torch.manual_seed(2)
    net = JordanRNN(I, Hd, O, dtype=torch.float64)
    x = torch.randn(L, N, I, dtype=torch.float64)
    y, _, s = net(x)
    torch.testing.assert_close(s, y[-1])
    targets = torch.rand(L, N, O, dtype=torch.float64)
    y_tf, _, s_tf = net(x, targets=targets)
    torch.testing.assert_close(s_tf, targets[-1])
    # step t (t >= 1) of the teacher-forced run equals a one-step run started from s0 = target_{t-1}
    for t in range(1, L):
        y_one, _, _ = net(x[t : t + 1], s0=targets[t - 1])
        torch.testing.assert_close(y_tf[t], y_one[0])


@pytest.mark.parametrize("teacher", [False, True])
def test_chunks_continue_exactly(teacher: bool) -> None:
    torch.manual_seed(3)
    net = JordanRNN(I, Hd, O, mu=0.7, dtype=torch.float64)
    x = torch.randn(L, N, I, dtype=torch.float64)
    tg = torch.rand(L, N, O, dtype=torch.float64) if teacher else None
    y, h, s = net(x, targets=tg)
    y1, h1, s1 = net(x[:2], targets=None if tg is None else tg[:2])
    y2, h2, s2 = net(x[2:], targets=None if tg is None else tg[2:], s0=s1)
    torch.testing.assert_close(torch.cat([y1, y2]), y)
    torch.testing.assert_close(s2, s)


def test_batch_first_and_unbatched() -> None:
    torch.manual_seed(4)
    net = JordanRNN(I, Hd, O, mu=0.3, dtype=torch.float64)
    net_bf = JordanRNN(I, Hd, O, mu=0.3, batch_first=True, dtype=torch.float64)
    net_bf.load_state_dict(net.state_dict())
    x = torch.randn(L, N, I, dtype=torch.float64)
    tg = torch.rand(L, N, O, dtype=torch.float64)
    for targets in (None, tg):
        y, h, s = net(x, targets=targets)
        y_bf, h_bf, s_bf = net_bf(x.transpose(0, 1), targets=None if targets is None else targets.transpose(0, 1))
        torch.testing.assert_close(y_bf, y.transpose(0, 1))
        torch.testing.assert_close(h_bf, h.transpose(0, 1))
        torch.testing.assert_close(s_bf, s)
        y_u, h_u, s_u = net(x[:, 1], targets=None if targets is None else targets[:, 1],
                            s0=torch.zeros(O, dtype=torch.float64))
        torch.testing.assert_close(y_u, y[:, 1])
        torch.testing.assert_close(h_u, h[:, 1])
        torch.testing.assert_close(s_u, s[1])
        ry, rh, rs = jordan_forward(x[:, 1].numpy(), _np_params(net), None,
                                    None if targets is None else targets[:, 1].numpy(), mu=0.3)
        np.testing.assert_allclose(ry, y_u.detach().numpy(), rtol=0, atol=1e-12)
        ry, _, _ = jordan_forward(x.transpose(0, 1).numpy(), _np_params(net), mu=0.3, batch_first=True)
        if targets is None:
            np.testing.assert_allclose(ry, y_bf.detach().numpy(), rtol=0, atol=1e-12)


def test_no_bias() -> None:
    torch.manual_seed(5)
    net = JordanRNN(I, Hd, O, bias=False, mu=0.2, output_nonlinearity="identity", dtype=torch.float64)
    assert net.bias_h is None and net.bias_o is None
    assert sum(p.numel() for p in net.parameters()) == Hd * I + Hd * O + O * Hd
    x = torch.randn(L, N, I, dtype=torch.float64)
    y, _, _ = net(x)
    ry, _, _ = jordan_forward(x.numpy(), _np_params(net), mu=0.2, output_nonlinearity="identity")
    np.testing.assert_allclose(y.detach().numpy(), ry, rtol=0, atol=1e-12)
    # an odd function with no bias maps zero input, zero state to zero output
    assert torch.all(net(torch.zeros(L, N, I, dtype=torch.float64))[0] == 0)


@pytest.mark.parametrize("mu,teacher", [(0.0, False), (0.5, False), (0.5, True)])
def test_gradcheck(mu: float, teacher: bool) -> None:
    torch.manual_seed(6)
    net = JordanRNN(I, Hd, O, mu=mu, dtype=torch.float64)
    names = [n for n, _ in net.named_parameters()]
    x = torch.randn(4, 2, I, dtype=torch.float64, requires_grad=True)
    s0 = torch.randn(2, O, dtype=torch.float64, requires_grad=True)
    tg = torch.rand(4, 2, O, dtype=torch.float64) if teacher else None
    params = tuple(p.detach().clone().requires_grad_(True) for p in net.parameters())

    def fn(x, s0, *ps):
        y, h, s = torch.func.functional_call(net, dict(zip(names, ps, strict=True)), (x,), {"targets": tg, "s0": s0})
        return y, h, s

    assert torch.autograd.gradcheck(fn, (x, s0, *params))


def test_initialisation_bounds_and_repr() -> None:
    torch.manual_seed(7)
    net = JordanRNN(2, 16, 3, mu=0.25)
    flat = torch.cat([p.detach().reshape(-1) for p in net.parameters()])
    assert flat.abs().max() <= 0.25  # 1 / sqrt(16)
    assert flat.abs().max() > 0.24 and flat.min() < -0.2  # and the whole range is used
    assert net.weight_sh.shape == (16, 3) and net.weight_ho.shape == (3, 16) and net.weight_ih.shape == (16, 2)
    assert "mu=0.25" in repr(net)


def test_errors() -> None:
    with pytest.raises(ValueError, match="hidden_size must be greater than zero, got 0"):
        JordanRNN(2, 0, 3)
    with pytest.raises(ValueError, match="output_size"):
        JordanRNN(2, 3, -1)
    with pytest.raises(TypeError, match="input_size"):
        JordanRNN(2.0, 3, 1)
    for mu in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match=r"mu must be a number in \[0, 1\)"):
            JordanRNN(2, 3, 1, mu=mu)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        JordanRNN(2, 3, 1, nonlinearity="gelu")
    with pytest.raises(ValueError, match="Unknown output_nonlinearity"):
        JordanRNN(2, 3, 1, output_nonlinearity="softmax")
    net = JordanRNN(I, Hd, O)
    with pytest.raises(ValueError, match="Expected 3, got 4"):
        net(torch.zeros(L, N, 4))
    with pytest.raises(ValueError, match="2D or 3D, got 4D"):
        net(torch.zeros(1, L, N, I))
    with pytest.raises(ValueError, match=r"targets must have shape \(6, 4, 2\), got \(6, 4, 3\)"):
        net(torch.zeros(L, N, I), targets=torch.zeros(L, N, 3))
    with pytest.raises(ValueError, match=r"s0 must have shape \(4, 2\), got \(2,\)"):
        net(torch.zeros(L, N, I), s0=torch.zeros(O))
    with pytest.raises(ValueError, match="mu"):
        jordan_forward(np.zeros((L, N, I)), _np_params(net), mu=1.0)
    with pytest.raises(ValueError, match="Expected 3, got 4"):
        jordan_forward(np.zeros((L, N, 4)), _np_params(net))
    with pytest.raises(ValueError, match="targets"):
        jordan_forward(np.zeros((L, N, I)), _np_params(net), targets=np.zeros((L, N, 3)))


def test_clear_errors_for_empty_sequences_bias_flags_and_dtypes() -> None:
    """Issue 10: each of these used to fail late, with torch's internal message, or not at all."""
    net = JordanRNN(I, Hd, O)
    for x in (torch.zeros(0, N, I), torch.zeros(0, I)):
        with pytest.raises(ValueError, match="length at least 1, got length 0"):
            net(x)
    with pytest.raises(ValueError, match="length at least 1, got length 0"):
        JordanRNN(I, Hd, O, batch_first=True)(torch.zeros(N, 0, I))
    for bad in ("yes", 1, None):
        with pytest.raises(TypeError, match=f"bias must be a bool .*got {bad!r}"):
            JordanRNN(I, Hd, O, bias=bad)
    with pytest.raises(TypeError, match="batch_first must be a bool"):
        JordanRNN(I, Hd, O, batch_first="no")
    net64 = JordanRNN(I, Hd, O, dtype=torch.float64)
    with pytest.raises(TypeError, match="input has dtype torch.float32 but the parameters have dtype torch.float64"):
        net64(torch.zeros(L, N, I))
    with pytest.raises(TypeError, match="s0 has dtype torch.float32 but the parameters have dtype torch.float64"):
        net64(torch.zeros(L, N, I, dtype=torch.float64), s0=torch.zeros(N, O))
    with pytest.raises(TypeError, match="targets has dtype torch.float32"):
        net64(torch.zeros(L, N, I, dtype=torch.float64), targets=torch.zeros(L, N, O))


def test_reference_checks_s0_and_parameter_names() -> None:
    """Issue 10: jordan_forward reshaped a wrong-shaped s0 silently and checked no names."""
    net = JordanRNN(I, Hd, O)
    p = _np_params(net)
    x = np.zeros((L, N, I))
    # (N * O,) has the right number of entries: reshaping it would hide the mistake
    with pytest.raises(ValueError, match=r"s0 must have shape \(4, 2\), got \(8,\)"):
        jordan_forward(x, p, s0=np.zeros(N * O))
    with pytest.raises(ValueError, match=r"s0 must have shape \(2,\), got \(4, 2\)"):
        jordan_forward(x[:, 0], p, s0=np.zeros((N, O)))
    with pytest.raises(ValueError, match="weight_sh.*got keys"):
        jordan_forward(x, {k: v for k, v in p.items() if k != "weight_sh"})
    with pytest.raises(ValueError, match="got keys .*weight_xx"):
        jordan_forward(x, {**p, "weight_xx": p["weight_ih"]})
    with pytest.raises(ValueError, match=r"weight_ho must have shape \(2, 5\), got \(5, 2\)"):
        jordan_forward(x, {**p, "weight_ho": p["weight_ho"].T})
