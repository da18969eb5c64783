"""MinGRU: the parallel (scan) mode against the step-by-step mode, autograd and the formula of Feng et al."""

from __future__ import annotations

import pytest
import torch

from rnn_companion.mingru import MODES, MinGRU

f64 = torch.float64


def _model(seed: int = 0, d: int = 3, h: int = 5) -> MinGRU:
    torch.manual_seed(seed)
    return MinGRU(d, h, dtype=f64)


def test_parallel_and_log_space_modes_equal_the_sequential_mode() -> None:
    model = _model()
    x = torch.randn(40, 2, 3, dtype=f64)
    h0 = torch.randn(1, 2, 5, dtype=f64)
    H_seq, last_seq = model(x, h0, mode="sequential")
    for mode in ("parallel", "log_space"):
        H, last = model(x, h0, mode=mode)
        torch.testing.assert_close(H, H_seq, rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(last, last_seq, rtol=1e-10, atol=1e-10)
    assert last_seq.shape == (1, 2, 5)


def test_the_update_is_the_minGRU_formula() -> None:
    # h_t = (1 - z_t) h_{t-1} + z_t htilde_t with z_t = sigmoid(x_t W_z + b_z), htilde_t = x_t W_h + b_h
    model = _model(1)
    x = torch.randn(3, 1, 3, dtype=f64)
    H, _ = model(x)
    W_z, b_z = model.linear_z.weight.T, model.linear_z.bias
    W_h, b_h = model.linear_h.weight.T, model.linear_h.bias
    h = torch.zeros(1, 5, dtype=f64)
    for t in range(3):
        z = torch.sigmoid(x[t] @ W_z + b_z)
        h = (1 - z) * h + z * (x[t] @ W_h + b_h)
        torch.testing.assert_close(H[t], h, rtol=1e-12, atol=1e-12)


def test_gradients_of_both_modes_agree() -> None:
    x = torch.randn(25, 2, 3, dtype=f64)
    w = torch.randn(25, 2, 5, dtype=f64)
    grads = {}
    for mode in ("parallel", "sequential"):
        model = _model(2)
        xm = x.clone().requires_grad_()
        (model(xm, mode=mode)[0] * w).sum().backward()
        grads[mode] = [p.grad for p in model.parameters()] + [xm.grad]
    for a, b in zip(grads["parallel"], grads["sequential"], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_state_can_be_carried_between_chunks() -> None:
    model = _model(3)
    x = torch.randn(30, 2, 3, dtype=f64)
    H_all, _ = model(x)
    H1, last = model(x[:13])
    H2, _ = model(x[13:], last)
    torch.testing.assert_close(torch.cat((H1, H2)), H_all, rtol=1e-12, atol=1e-12)


def test_bad_input_is_reported() -> None:
    model = _model()
    with pytest.raises(ValueError, match=r"x must be \(T, B, 3\), got shape \(4, 2, 5\)"):
        model(torch.randn(4, 2, 5, dtype=f64))
    with pytest.raises(ValueError, match=r"h0 must be \(B, h\).*got \(3, 5\)"):
        model(torch.randn(4, 2, 3, dtype=f64), torch.zeros(3, 5, dtype=f64))
    with pytest.raises(ValueError, match="mode must be one of"):
        model(torch.randn(4, 2, 3, dtype=f64), mode="fast")
    assert set(MODES) == {"parallel", "sequential", "log_space"}
