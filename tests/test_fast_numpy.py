"""Tests of rnn_companion.fast_numpy, the benchmark's NumPy contender, against the readable reference."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from rnn_companion import fast_numpy, reference

I, H, N, L = 3, 4, 2, 5


def _params(layers: int, nl: str, bias: bool, bidi: bool) -> dict[str, np.ndarray]:
    torch.manual_seed(layers + 2 * bias + 4 * bidi)
    rnn = torch.nn.RNN(I, H, layers, nonlinearity=nl, bias=bias, bidirectional=bidi).double()
    return {k: v.detach().numpy().copy() for k, v in rnn.state_dict().items()}


@pytest.mark.parametrize(
    "layers, nl, bias, bf, bidi, unbatched",
    [c for c in itertools.product([1, 2], ["tanh", "relu"], [True, False], [False, True], [False, True], [False, True])
     if not (c[5] and c[3])],
)
def test_forward_and_backward_equal_the_reference(layers, nl, bias, bf, bidi, unbatched) -> None:
    rng = np.random.default_rng(7)
    p = _params(layers, nl, bias, bidi)
    D = 2 if bidi else 1
    x = rng.normal(size=(L, I) if unbatched else ((N, L, I) if bf else (L, N, I)))
    h0 = rng.normal(size=(D * layers, H) if unbatched else (D * layers, N, H))
    kw = dict(num_layers=layers, nonlinearity=nl, bias=bias, batch_first=bf, bidirectional=bidi, return_cache=True)
    o_ref, h_ref, c_ref = reference.rnn_forward(x, p, h0, **kw)
    o, h, c = fast_numpy.rnn_forward(x, p, h0, **kw)
    np.testing.assert_allclose(o, o_ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(h, h_ref, rtol=1e-12, atol=1e-13)
    go, gh = rng.normal(size=o.shape), rng.normal(size=h.shape)
    g_ref = reference.rnn_backward(go, gh, c_ref)
    g = fast_numpy.rnn_backward(go, gh, c)
    assert list(g) == list(g_ref)
    for name in g:
        np.testing.assert_allclose(g[name], g_ref[name], rtol=1e-11, atol=1e-12, err_msg=name)


def test_float32_and_no_input_grad() -> None:
    p = {k: v.astype(np.float32) for k, v in _params(2, "tanh", True, False).items()}
    x = np.random.default_rng(0).normal(size=(L, N, I)).astype(np.float32)
    o, _, c = fast_numpy.rnn_forward(x, p, num_layers=2, return_cache=True)
    o_ref, _ = reference.rnn_forward(x, p, num_layers=2)
    assert o.dtype == np.float32
    np.testing.assert_allclose(o, o_ref, rtol=1e-5, atol=1e-6)
    g = fast_numpy.rnn_backward(np.ones_like(o), None, c, need_input_grad=False)
    assert g["input"] is None and g["weight_ih_l0"] is not None


def test_empty_batch_and_errors_like_the_reference() -> None:
    p = _params(1, "tanh", True, False)
    out, hn = fast_numpy.rnn_forward(np.zeros((L, 0, I)), p)
    assert out.shape == (L, 0, H) and hn.shape == (1, 0, H)
    with pytest.raises(ValueError, match="Expected 3, got 5"):
        fast_numpy.rnn_forward(np.zeros((L, N, 5)), p)
    with pytest.raises(ValueError, match="length 0"):
        fast_numpy.rnn_forward(np.zeros((0, N, I)), p)
