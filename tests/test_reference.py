"""Tests for rnn_companion.reference against torch.nn.RNN, autograd and finite differences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from rnn_companion.reference import (
    elman_backward,
    elman_forward,
    elman_step,
    output_layer,
    output_layer_backward,
    rnn_backward,
    rnn_forward,
)

I, H, N, L = 3, 4, 2, 5


def _numpy_params(rnn: torch.nn.RNN) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in rnn.state_dict().items()}


def _make(layers: int, nl: str, bias: bool, bf: bool, bidi: bool, unbatched: bool, dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    rnn = torch.nn.RNN(I, H, layers, nonlinearity=nl, bias=bias, batch_first=bf, bidirectional=bidi).to(dtype)
    D = 2 if bidi else 1
    if unbatched:
        x = torch.randn(L, I, dtype=dtype)
        h0 = torch.randn(D * layers, H, dtype=dtype)
    else:
        x = torch.randn((N, L, I) if bf else (L, N, I), dtype=dtype)
        h0 = torch.randn(D * layers, N, H, dtype=dtype)
    kw = dict(num_layers=layers, nonlinearity=nl, bias=bias, batch_first=bf, bidirectional=bidi)
    return rnn, x, h0, kw


SWEEP = list(itertools.product([1, 2, 3], ["tanh", "relu"], [True, False], [False, True], [False, True], [False, True]))


@pytest.mark.parametrize("layers,nl,bias,bf,bidi,unbatched", SWEEP)
def test_forward_backward_match_torch_float64(layers, nl, bias, bf, bidi, unbatched) -> None:
    rnn, x, h0, kw = _make(layers, nl, bias, bf, bidi, unbatched)
    p = _numpy_params(rnn)
    for give_h0 in (True, False):
        xr = x.clone().requires_grad_(True)
        hr = h0.clone().requires_grad_(True)
        rnn.zero_grad()
        out, hn = rnn(xr, hr) if give_h0 else rnn(xr)
        o, h, cache = rnn_forward(x.numpy(), p, h0.numpy() if give_h0 else None, return_cache=True, **kw)
        assert o.shape == tuple(out.shape) and h.shape == tuple(hn.shape)
        np.testing.assert_allclose(o, out.detach().numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(h, hn.detach().numpy(), rtol=0, atol=1e-10)
        # a loss that touches both outputs
        gen = torch.Generator().manual_seed(1)
        go = torch.randn(out.shape, generator=gen, dtype=out.dtype)
        gh = torch.randn(hn.shape, generator=gen, dtype=hn.dtype)
        torch.autograd.backward([out, hn], [go, gh])
        g = rnn_backward(go.numpy(), gh.numpy(), cache)
        assert list(g)[: len(p)] == list(p)
        for name in p:
            np.testing.assert_allclose(g[name], getattr(rnn, name).grad.numpy(), rtol=0, atol=1e-10, err_msg=name)
        np.testing.assert_allclose(g["input"], xr.grad.numpy(), rtol=0, atol=1e-10)
        if give_h0:
            np.testing.assert_allclose(g["h0"], hr.grad.numpy(), rtol=0, atol=1e-10)
        else:
            assert g["h0"].shape == tuple(h0.shape)


@pytest.mark.parametrize("layers,bidi", [(1, False), (2, True)])
def test_float32_matches_torch(layers: int, bidi: bool) -> None:
    rnn, x, h0, kw = _make(layers, "tanh", True, False, bidi, False, dtype=torch.float32)
    x = torch.randn(20, 8, I)
    o, h, cache = rnn_forward(x.numpy(), _numpy_params(rnn), return_cache=True, **kw)
    out, hn = rnn(x)
    assert o.dtype == np.float32
    np.testing.assert_allclose(o, out.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(h, hn.detach().numpy(), rtol=1e-5, atol=1e-5)
    go = torch.randn(out.shape)
    out.backward(go)
    g = rnn_backward(go.numpy(), None, cache)
    for name, p in rnn.named_parameters():
        assert g[name].dtype == np.float32
        scale = float(p.grad.abs().max())
        np.testing.assert_allclose(g[name], p.grad.numpy(), rtol=0, atol=1e-5 * scale, err_msg=name)


def test_accepts_torch_tensors_as_params() -> None:
    rnn, x, h0, kw = _make(2, "tanh", True, False, True, False)
    o1, _ = rnn_forward(x, dict(rnn.state_dict()), h0, **kw)
    o2, _ = rnn_forward(x.numpy(), _numpy_params(rnn), h0.numpy(), **kw)
    np.testing.assert_array_equal(o1, o2)


@pytest.mark.parametrize("layers,nl,bidi", [(2, "tanh", True), (1, "relu", False)])
def test_backward_matches_central_differences(layers: int, nl: str, bidi: bool) -> None:
    rng = np.random.default_rng(3)
    rnn, x, h0, kw = _make(layers, nl, True, False, bidi, False)
    p = _numpy_params(rnn)
    x, h0 = x.numpy(), h0.numpy()
    out, hn = rnn_forward(x, p, h0, **kw)
    go, gh = rng.normal(size=out.shape), rng.normal(size=hn.shape)

    def loss(p_: dict, x_: np.ndarray, h0_: np.ndarray) -> float:
        o, h = rnn_forward(x_, p_, h0_, **kw)
        return float((o * go).sum() + (h * gh).sum())

    _, _, cache = rnn_forward(x, p, h0, return_cache=True, **kw)
    g = rnn_backward(go, gh, cache)
    eps = 1e-6
    targets = [(name, p[name]) for name in p] + [("input", x), ("h0", h0)]
    for name, arr in targets:
        flat = arr.reshape(-1)
        for j in rng.choice(flat.size, size=min(6, flat.size), replace=False):
            old = flat[j]
            flat[j] = old + eps
            up = loss(p, x, h0)
            flat[j] = old - eps
            down = loss(p, x, h0)
            flat[j] = old
            num = (up - down) / (2 * eps)
            assert abs(g[name].reshape(-1)[j] - num) < 1e-6 * max(1.0, abs(num)), (name, j)


def test_backward_none_gradients_and_no_input_grad() -> None:
    rnn, x, h0, kw = _make(2, "tanh", True, True, False, False)
    p = _numpy_params(rnn)
    out, hn, cache = rnn_forward(x.numpy(), p, h0.numpy(), return_cache=True, **kw)
    go = np.ones_like(out)
    g_full = rnn_backward(go, np.zeros_like(hn), cache)
    g_none = rnn_backward(go, None, cache, need_input_grad=False)
    assert g_none["input"] is None
    for name in p:
        np.testing.assert_array_equal(g_none[name], g_full[name])
    g_zero = rnn_backward(None, None, cache)
    assert all(np.all(v == 0) for v in g_zero.values())
    with pytest.raises(ValueError, match="grad_output"):
        rnn_backward(go[:-1], None, cache)


def test_forward_errors() -> None:
    rnn = torch.nn.RNN(I, H, 2)
    p = _numpy_params(rnn)
    x = np.zeros((L, N, I), np.float32)
    with pytest.raises(ValueError, match=r"Expected 3, got 5"):
        rnn_forward(np.zeros((L, N, 5)), p, num_layers=2)
    with pytest.raises(ValueError, match="2D or 3D, got 4D"):
        rnn_forward(np.zeros((1, L, N, I)), p, num_layers=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        rnn_forward(x, p, num_layers=2, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="missing.*weight_ih_l1"):
        rnn_forward(x, {k: v for k, v in p.items() if k != "weight_ih_l1"}, num_layers=2)
    with pytest.raises(ValueError, match="unexpected keys.*_l1"):
        rnn_forward(x, p, num_layers=1)
    with pytest.raises(ValueError, match="unexpected keys.*bias"):
        rnn_forward(x, p, num_layers=2, bias=False)
    with pytest.raises(ValueError, match="missing.*_reverse"):
        rnn_forward(x, p, num_layers=2, bidirectional=True)
    bad = dict(p, weight_hh_l1=np.zeros((H, H + 1)))
    with pytest.raises(ValueError, match=r"weight_hh_l1 must have shape \(4, 4\), got \(4, 5\)"):
        rnn_forward(x, bad, num_layers=2)
    bad = dict(p, bias_ih_l0=np.zeros(H + 1))
    with pytest.raises(ValueError, match=r"bias_ih_l0 must have shape \(4,\), got \(5,\)"):
        rnn_forward(x, bad, num_layers=2)
    with pytest.raises(ValueError, match=r"Expected hidden size \(2, 2, 4\), got \(2, 3, 4\)"):
        rnn_forward(x, p, np.zeros((2, 3, H)), num_layers=2)
    with pytest.raises(ValueError, match="batched 3-D input, h0 should be 3-D"):
        rnn_forward(x, p, np.zeros((2, H)), num_layers=2)
    with pytest.raises(ValueError, match="unbatched 2-D input, h0 should be 2-D"):
        rnn_forward(x[:, 0], p, np.zeros((2, 1, H)), num_layers=2)
    with pytest.raises(TypeError, match="params must be a dict"):
        rnn_forward(x, [p], num_layers=2)
    with pytest.raises(TypeError, match="numeric"):
        rnn_forward(np.array([["a"]]), p, num_layers=2)
    with pytest.raises(ValueError, match="length 0"):
        rnn_forward(np.zeros((0, N, I)), p, num_layers=2)


# ------------------------------------------------------------------ source notation
def _source_params(rng: np.random.Generator, d=3, h=4):
    return rng.normal(size=(d, h)) * 0.5, rng.normal(size=(h, h)) * 0.5, rng.normal(size=(1, h)) * 0.1


@pytest.mark.parametrize("nl", ["tanh", "relu", "sigmoid"])
def test_elman_forward_equals_repeated_steps(nl: str) -> None:
    rng = np.random.default_rng(0)
    W_xh, W_hh, b_h = _source_params(rng)
    X, H0 = rng.normal(size=(6, 2, 3)), rng.normal(size=(2, 4))
    H = elman_forward(X, W_xh, W_hh, b_h[0], H0, nonlinearity=nl)
    h = H0
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[nl]
    for t in range(6):
        h_step = elman_step(X[t], h, W_xh, W_hh, b_h, nonlinearity=nl)
        np.testing.assert_allclose(h_step, act(X[t] @ W_xh + h @ W_hh + b_h), rtol=0, atol=1e-14)
        np.testing.assert_allclose(H[t], h_step, rtol=0, atol=1e-14)
        h = h_step


def _torch_source_loss(X, W_xh, W_hh, b_h, H0, dH, nl, untied=False):
    """Autograd oracle: the source recurrence written with torch ops; W_hh may be one copy per step."""
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[nl]
    h, loss = H0, 0.0
    for t in range(X.shape[0]):
        Whh = W_hh[t] if untied else W_hh
        Wxh = W_xh[t] if untied else W_xh
        h = act(X[t] @ Wxh + h @ Whh + b_h)
        loss = loss + (h * dH[t]).sum()
    return loss


@pytest.mark.parametrize("nl", ["tanh", "relu", "sigmoid"])
def test_elman_backward_matches_autograd(nl: str) -> None:
    rng = np.random.default_rng(1)
    T, n, d, h = 7, 3, 3, 4
    W_xh, W_hh, b_h = _source_params(rng, d, h)
    X, H0, dH = rng.normal(size=(T, n, d)), rng.normal(size=(n, h)), rng.normal(size=(T, n, h))
    H = elman_forward(X, W_xh, W_hh, b_h, H0, nonlinearity=nl)
    g = elman_backward(dH, X, H, W_xh, W_hh, H0, nonlinearity=nl, return_per_step=True)
    ts = [torch.tensor(a, requires_grad=True) for a in (X, W_xh, W_hh, b_h, H0)]
    _torch_source_loss(*ts, torch.tensor(dH), nl).backward()
    for key, t in zip(["dX", "dW_xh", "dW_hh", "db_h", "dH0"], ts, strict=True):
        assert g[key].shape == tuple(t.shape), key
        np.testing.assert_allclose(g[key], t.grad.numpy(), rtol=0, atol=1e-12, err_msg=key)
    # per-step contributions = gradients w.r.t. untied per-step copies of the shared weights
    Wxh_t = torch.tensor(np.repeat(W_xh[None], T, 0), requires_grad=True)
    Whh_t = torch.tensor(np.repeat(W_hh[None], T, 0), requires_grad=True)
    _torch_source_loss(torch.tensor(X), Wxh_t, Whh_t, torch.tensor(b_h), torch.tensor(H0), torch.tensor(dH), nl,
                       untied=True).backward()
    np.testing.assert_allclose(g["dW_hh_per_step"], Whh_t.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(g["dW_xh_per_step"], Wxh_t.grad.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(g["dW_hh_per_step"].sum(0), g["dW_hh"], rtol=0, atol=1e-12)
    assert g["dZ"].shape == (T, n, h)


def test_elman_backward_central_differences_and_default_h0() -> None:
    rng = np.random.default_rng(2)
    W_xh, W_hh, b_h = _source_params(rng)
    X, dH = rng.normal(size=(5, 2, 3)), rng.normal(size=(5, 2, 4))

    def loss() -> float:
        return float((elman_forward(X, W_xh, W_hh, b_h) * dH).sum())

    g = elman_backward(dH, X, elman_forward(X, W_xh, W_hh, b_h), W_xh, W_hh)
    eps = 1e-6
    for key, arr in (("dW_xh", W_xh), ("dW_hh", W_hh), ("db_h", b_h), ("dX", X)):
        flat = arr.reshape(-1)
        for j in range(0, flat.size, max(1, flat.size // 5)):
            old = flat[j]
            flat[j] = old + eps
            up = loss()
            flat[j] = old - eps
            down = loss()
            flat[j] = old
            assert abs(g[key].reshape(-1)[j] - (up - down) / (2 * eps)) < 1e-7, (key, j)


def test_output_layer_and_backward() -> None:
    rng = np.random.default_rng(4)
    Hs, W_hq = rng.normal(size=(5, 2, 4)), rng.normal(size=(4, 3))
    b_q, dO = rng.normal(size=(1, 3)), rng.normal(size=(5, 2, 3))
    O = output_layer(Hs, W_hq, b_q)
    np.testing.assert_allclose(O[2], Hs[2] @ W_hq + b_q, rtol=0, atol=1e-14)
    ts = [torch.tensor(a, requires_grad=True) for a in (Hs, W_hq, b_q)]
    ((ts[0] @ ts[1] + ts[2]) * torch.tensor(dO)).sum().backward()
    g = output_layer_backward(dO, Hs, W_hq)
    for key, t in zip(["dH", "dW_hq", "db_q"], ts, strict=True):
        np.testing.assert_allclose(g[key], t.grad.numpy(), rtol=0, atol=1e-12, err_msg=key)
    with pytest.raises(ValueError, match="W_hq"):
        output_layer(Hs, W_hq.T, b_q)


def test_source_errors() -> None:
    rng = np.random.default_rng(5)
    W_xh, W_hh, b_h = _source_params(rng)
    X = rng.normal(size=(5, 2, 3))
    with pytest.raises(ValueError, match=r"X must have shape \(T, n, d\)"):
        elman_forward(X[0], W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match=r"W_xh must have shape \(2, h\)"):
        elman_forward(X[..., :2], W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match="W_hh"):
        elman_forward(X, W_xh, W_hh[:3, :3], b_h)
    with pytest.raises(ValueError, match="b_h"):
        elman_forward(X, W_xh, W_hh, np.zeros(5))
    with pytest.raises(ValueError, match="H0"):
        elman_forward(X, W_xh, W_hh, b_h, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        elman_step(X[0], np.zeros((2, 4)), W_xh, W_hh, b_h, nonlinearity="gelu")
    with pytest.raises(ValueError, match="features"):
        elman_step(X[0, :, :2], np.zeros((2, 4)), W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match="dH"):
        elman_backward(np.zeros((4, 2, 4)), X, np.zeros((5, 2, 4)), W_xh, W_hh)


@pytest.mark.parametrize("layers, bidi, bf", [(1, False, False), (2, True, False), (2, False, True)])
def test_empty_batch_matches_torch(layers: int, bidi: bool, bf: bool) -> None:
    """Issue 10: a batch of 0 sequences crashed; torch.nn.RNN returns empty outputs of the right shapes."""
    torch.manual_seed(0)
    rnn = torch.nn.RNN(I, H, layers, batch_first=bf, bidirectional=bidi).double()
    x = torch.zeros((0, L, I) if bf else (L, 0, I), dtype=torch.float64)
    out_t, hn_t = rnn(x)
    out, hn, cache = rnn_forward(x.numpy(), _numpy_params(rnn), num_layers=layers, batch_first=bf,
                                 bidirectional=bidi, return_cache=True)
    assert out.shape == tuple(out_t.shape) and hn.shape == tuple(hn_t.shape)
    grads = rnn_backward(np.zeros(out.shape), None, cache)
    assert grads["input"] is not None and grads["input"].shape == x.shape
    assert all(np.all(grads[k] == 0) for k in _numpy_params(rnn))  # no sequence, no gradient
