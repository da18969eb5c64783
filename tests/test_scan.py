"""linear_scan against the step-by-step loop, autograd and finite differences; log_space_scan's domain."""

from __future__ import annotations

import pytest
import torch

from rnn_companion.scan import METHODS, linear_scan, log_space_scan, scan_levels, sequential_scan

f64 = torch.float64


def _coefficients(T: int, *shape: int, seed: int = 0, signed: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(T, *shape, generator=g, dtype=f64)
    if signed:
        a = 2.2 * a - 1.1  # negative, positive, and |a| > 1 for some steps
    return a, torch.randn(T, *shape, generator=g, dtype=f64)


def _loop(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None) -> torch.Tensor:
    """An independent oracle: plain Python indexing, no shared code with the module."""
    h = torch.zeros_like(b[0]) if h0 is None else h0.clone()
    out = torch.empty_like(b)
    for t in range(b.shape[0]):
        h = a[t] * h + b[t]
        out[t] = h
    return out


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("T", [1, 2, 3, 5, 8, 13, 64, 100, 257])
def test_scan_equals_the_loop_for_any_length(method: str, T: int) -> None:
    a, b = _coefficients(T, 3, 4, seed=T)
    h0 = torch.randn(3, 4, dtype=f64)
    expected = _loop(a, b, h0)
    torch.testing.assert_close(linear_scan(a, b, h0, method=method), expected, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(sequential_scan(a, b, h0), expected, rtol=0, atol=0)


@pytest.mark.parametrize("method", METHODS)
def test_zero_coefficients_cut_the_history(method: str) -> None:
    a, b = _coefficients(40, 2, seed=1)
    a[17] = 0.0  # h_17 = b_17: nothing before step 17 can matter afterwards
    h = linear_scan(a, b, torch.full((2,), 5.0, dtype=f64), method=method)
    torch.testing.assert_close(h[17], b[17])
    torch.testing.assert_close(h, _loop(a, b, torch.full((2,), 5.0, dtype=f64)), rtol=1e-10, atol=1e-10)


def test_float32_agrees_with_the_loop_to_rounding() -> None:
    a, b = _coefficients(4096, 1, 32, seed=2, signed=False)
    a, b = a.float(), b.float()
    ref = _loop(a.double(), b.double(), None)
    err_scan = (linear_scan(a, b).double() - ref).abs().max()
    err_loop = (sequential_scan(a, b).double() - ref).abs().max()
    assert err_scan < 1e-4 * ref.abs().max()
    assert err_scan < 50 * max(float(err_loop), 1e-7)  # same order as the loop's own rounding


def test_broadcasting_of_a_and_h0() -> None:
    a = torch.rand(30, 1, 4, dtype=f64)  # one coefficient per (t, unit), shared by the batch
    b = torch.randn(30, 3, 4, dtype=f64)
    h0 = torch.randn(4, dtype=f64)
    expected = _loop(a.expand(30, 3, 4), b, h0.expand(3, 4))
    torch.testing.assert_close(linear_scan(a, b, h0), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("method", METHODS)
def test_gradients_match_autograd_through_the_loop(method: str) -> None:
    a, b = _coefficients(37, 2, 3, seed=3)
    h0 = torch.randn(2, 3, dtype=f64)
    w = torch.randn(37, 2, 3, dtype=f64)
    grads = []
    for fn in (lambda *x: linear_scan(*x, method=method), _loop):
        leaves = [x.clone().requires_grad_() for x in (a, b, h0)]
        (fn(*leaves) * w).sum().backward()
        grads.append([x.grad for x in leaves])
    for ours, ref in zip(*grads, strict=True):
        torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-10)


def test_gradcheck_and_second_derivatives() -> None:
    a, b = _coefficients(9, 2, seed=4)
    h0 = torch.randn(2, dtype=f64)
    args = tuple(x.clone().requires_grad_() for x in (a, b, h0))
    assert torch.autograd.gradcheck(linear_scan, args)
    assert torch.autograd.gradgradcheck(linear_scan, args)


def test_gradient_of_broadcast_a_is_summed() -> None:
    a = torch.rand(12, 1, 3, dtype=f64, requires_grad=True)
    b = torch.randn(12, 4, 3, dtype=f64)
    linear_scan(a, b).sum().backward()
    a_ref = a.detach().clone().requires_grad_()
    _loop(a_ref.expand(12, 4, 3), b, None).sum().backward()
    torch.testing.assert_close(a.grad, a_ref.grad, rtol=1e-10, atol=1e-10)


def test_scan_levels_are_the_powers_of_two_below_half_the_length() -> None:
    assert scan_levels(1) == []
    assert scan_levels(8) == [1, 2, 4]
    assert scan_levels(9) == [1, 2, 4]
    assert scan_levels(16) == [1, 2, 4, 8]


def test_empty_sequence() -> None:
    a, b = torch.zeros(0, 3, dtype=f64), torch.zeros(0, 3, dtype=f64)
    assert linear_scan(a, b).shape == (0, 3)
    assert sequential_scan(a, b).shape == (0, 3)


def test_bad_arguments_name_what_was_expected_and_received() -> None:
    with pytest.raises(ValueError, match=r"broadcast.*\(5, 3\).*\(4, 3\)"):
        linear_scan(torch.rand(5, 3), torch.rand(4, 3))
    with pytest.raises(ValueError, match=r"h0 must broadcast to one step \(3,\), got \(2,\)"):
        linear_scan(torch.rand(5, 3), torch.rand(5, 3), torch.rand(2))
    with pytest.raises(ValueError, match="method must be one of"):
        linear_scan(torch.rand(5, 3), torch.rand(5, 3), method="cumsum")
    with pytest.raises(TypeError, match="floating dtype"):
        linear_scan(torch.ones(5, 3, dtype=torch.long), torch.rand(5, 3))


def test_log_space_scan_equals_the_loop_for_positive_a() -> None:
    a, b = _coefficients(200, 3, seed=5, signed=False)
    a = a + 0.05
    h0 = torch.randn(3, dtype=f64)
    torch.testing.assert_close(log_space_scan(a, b, h0), _loop(a, b, h0), rtol=1e-9, atol=1e-9)


def test_log_space_scan_rejects_zero_and_negative_a() -> None:
    a, b = _coefficients(10, 2, seed=6, signed=False)
    a[3, 1] = -0.5
    with pytest.raises(ValueError, match=r"a > 0.*-0.5"):
        log_space_scan(a, b)
    a[3, 1] = 0.0
    with pytest.raises(ValueError, match="a > 0"):
        log_space_scan(a, b)


def test_log_space_scan_loses_precision_as_log_A_grows() -> None:
    # a = 0.5: |log A_T| = T log 2. In float32 the error of the log-space form grows with T,
    # while the parallel scan stays at rounding level.
    T = 2000
    a = torch.full((T, 1), 0.5)
    b = torch.ones(T, 1)
    ref = _loop(a.double(), b.double(), None)
    err_log = float((log_space_scan(a, b).double() - ref).abs().max())
    err_scan = float((linear_scan(a, b).double() - ref).abs().max())
    assert err_scan < 1e-6
    assert err_log > 100 * err_scan


@pytest.mark.parametrize("T", [1, 2, 7, 16, 37])
def test_the_rounds_drawn_in_the_chapter_compute_the_scan(T: int) -> None:
    # Replaying plotting.gated.blelloch_rounds with the operator (a2, b2) o (a1, b1) = (a2 a1, a2 b1 + b2)
    # must give every state: the diagram shows the algorithm that linear_scan runs.
    pytest.importorskip("matplotlib")
    from rnn_companion.plotting.gated import blelloch_rounds

    a, b = _coefficients(T, seed=T)
    A, B = a.clone(), b.clone()
    rounds = blelloch_rounds(T)
    for pairs in rounds:
        for src, dst in pairs:  # within a round the pairs are independent
            A[dst], B[dst] = A[dst] * A[src], A[dst] * B[src] + B[dst]
    torch.testing.assert_close(B, _loop(a, b, None), rtol=1e-12, atol=1e-12)
    depth = T.bit_length() - 1  # floor(log2 T)
    assert len(rounds) <= 2 * depth
    if T == 2**depth and T > 1:
        assert len(rounds) == 2 * depth - 1
