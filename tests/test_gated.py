"""The NumPy GRU and LSTM against torch.nn.GRU / torch.nn.LSTM (through state dicts) and finite differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from rnn_companion.gated import (
    GRU_PARAMS,
    LSTM_PARAMS,
    gru_backward,
    gru_forward,
    gru_from_torch,
    gru_to_torch,
    init_gru,
    init_lstm,
    lstm_backward,
    lstm_forward,
    lstm_from_torch,
    lstm_to_torch,
)

T, n, d, h = 6, 3, 4, 5


def _torch_run(module: torch.nn.Module, X: np.ndarray, state: Any, g: np.ndarray) -> tuple[np.ndarray, Any]:
    x = torch.tensor(X, requires_grad=True)
    out, _ = module(x, state)
    out.backward(torch.tensor(g))
    return out.detach().numpy(), x.grad.numpy()


def test_gru_forward_and_backward_match_torch_nn_gru() -> None:
    torch.manual_seed(0)
    gru = torch.nn.GRU(d, h, dtype=torch.float64)
    with torch.no_grad():  # make the bias placement matter: b_hn sits inside the reset gate
        for p in gru.parameters():
            p.uniform_(-0.8, 0.8)
    rng = np.random.default_rng(0)
    X, H0, g = rng.normal(size=(T, n, d)), rng.normal(size=(n, h)), rng.normal(size=(T, n, h))
    h0 = torch.tensor(H0[None], requires_grad=True)
    out, dX = _torch_run(gru, X, h0, g)

    params = gru_from_torch(gru.state_dict())
    H, cache = gru_forward(X, params, H0, return_cache=True)
    np.testing.assert_allclose(H, out, rtol=1e-12, atol=1e-12)
    grads = gru_backward(g, cache)
    torch_grads = gru_from_torch({k: v.grad for k, v in gru.named_parameters()})
    for name in GRU_PARAMS:
        if name.startswith("W") or name in ("b_xn", "b_hn"):
            np.testing.assert_allclose(grads[name], torch_grads[name], rtol=1e-10, atol=1e-12, err_msg=name)
    # a summed bias b_r = b_ir + b_hr receives the gradient of either torch bias
    np.testing.assert_allclose(grads["b_r"], gru.bias_ih_l0.grad[:h].numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["b_z"], gru.bias_hh_l0.grad[h : 2 * h].numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["dX"], dX, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["dH0"], h0.grad[0].numpy(), rtol=1e-10, atol=1e-12)


def test_gru_reset_gate_multiplies_the_recurrent_bias() -> None:
    # Moving b_hn into b_xn changes the function (unless R = 1): the placement is not a convention.
    rng = np.random.default_rng(1)
    p = init_gru(d, h, rng=rng)
    p["b_hn"] = rng.normal(size=h)
    moved = {**p, "b_xn": p["b_xn"] + p["b_hn"], "b_hn": np.zeros(h)}
    X = rng.normal(size=(T, n, d))
    assert np.abs(gru_forward(X, p) - gru_forward(X, moved)).max() > 1e-3


def test_lstm_forward_and_backward_match_torch_nn_lstm() -> None:
    torch.manual_seed(1)
    lstm = torch.nn.LSTM(d, h, dtype=torch.float64)
    rng = np.random.default_rng(2)
    X, H0, C0, g = (rng.normal(size=s) for s in ((T, n, d), (n, h), (n, h), (T, n, h)))
    h0 = torch.tensor(H0[None], requires_grad=True)
    c0 = torch.tensor(C0[None], requires_grad=True)
    out, dX = _torch_run(lstm, X, (h0, c0), g)

    params = lstm_from_torch(lstm.state_dict())
    H, C, cache = lstm_forward(X, params, H0, C0, return_cache=True)
    np.testing.assert_allclose(H, out, rtol=1e-12, atol=1e-12)
    grads = lstm_backward(g, cache)
    torch_grads = lstm_from_torch({k: v.grad for k, v in lstm.named_parameters()})
    for name in LSTM_PARAMS:
        if name.startswith("W"):
            np.testing.assert_allclose(grads[name], torch_grads[name], rtol=1e-10, atol=1e-12, err_msg=name)
    for k, gate in enumerate("ifgo"):
        np.testing.assert_allclose(grads[f"b_{gate}"], lstm.bias_ih_l0.grad[k * h : (k + 1) * h].numpy(),
                                   rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["dX"], dX, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["dH0"], h0.grad[0].numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["dC0"], c0.grad[0].numpy(), rtol=1e-10, atol=1e-12)


def _numeric_grad(loss: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        plus = loss()
        x[idx] = old - eps
        minus = loss()
        x[idx] = old
        out[idx] = (plus - minus) / (2 * eps)
    return out


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_backward_matches_finite_differences(kind: str) -> None:
    rng = np.random.default_rng(3)
    X, w = rng.normal(size=(4, 2, 3)), rng.normal(size=(4, 2, 2))
    p = init_gru(3, 2, rng=rng) if kind == "gru" else init_lstm(3, 2, rng=rng)
    H0 = rng.normal(size=(2, 2))

    def loss() -> float:
        H = gru_forward(X, p, H0) if kind == "gru" else lstm_forward(X, p, H0)[0]
        return float((w * H).sum())

    if kind == "gru":
        grads = gru_backward(w, gru_forward(X, p, H0, return_cache=True)[1])
    else:
        grads = lstm_backward(w, lstm_forward(X, p, H0, return_cache=True)[2])
    for name, value in p.items():
        np.testing.assert_allclose(grads[name], _numeric_grad(loss, value), rtol=1e-6, atol=1e-8, err_msg=name)
    np.testing.assert_allclose(grads["dX"], _numeric_grad(loss, X), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grads["dH0"], _numeric_grad(loss, H0), rtol=1e-6, atol=1e-8)


def test_lstm_final_cell_gradient() -> None:
    rng = np.random.default_rng(4)
    X, p = rng.normal(size=(5, 2, 3)), init_lstm(3, 2, rng=rng)
    v = rng.normal(size=(2, 2))
    _, _, cache = lstm_forward(X, p, return_cache=True)
    grads = lstm_backward(np.zeros((5, 2, 2)), cache, dC_T=v)
    np.testing.assert_allclose(
        grads["W_xf"], _numeric_grad(lambda: float((v * lstm_forward(X, p)[1][-1]).sum()), p["W_xf"]),
        rtol=1e-6, atol=1e-8,
    )


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_round_trip_through_torch_state_dicts(kind: str) -> None:
    rng = np.random.default_rng(5)
    p = init_gru(d, h, rng=rng) if kind == "gru" else init_lstm(d, h, rng=rng)
    module = torch.nn.GRU(d, h, dtype=torch.float64) if kind == "gru" else torch.nn.LSTM(d, h, dtype=torch.float64)
    module.load_state_dict(gru_to_torch(p, as_tensors=True) if kind == "gru" else lstm_to_torch(p, as_tensors=True))
    X = rng.normal(size=(T, n, d))
    ours = gru_forward(X, p) if kind == "gru" else lstm_forward(X, p)[0]
    np.testing.assert_allclose(module(torch.tensor(X))[0].detach().numpy(), ours, rtol=1e-12, atol=1e-12)
    back = gru_from_torch(module.state_dict()) if kind == "gru" else lstm_from_torch(module.state_dict())
    for name in p:
        np.testing.assert_allclose(back[name], p[name], rtol=0, atol=0, err_msg=name)


def test_gate_order_is_torchs() -> None:
    # Only the forget-gate block of torch's weights is non-zero: our W_xf must receive it.
    lstm = torch.nn.LSTM(2, 3, dtype=torch.float64)
    with torch.no_grad():
        lstm.weight_ih_l0.zero_()
        lstm.weight_ih_l0[3:6] = 1.0
    p = lstm_from_torch(lstm.state_dict())
    assert np.all(p["W_xf"] == 1.0) and not np.any(p["W_xi"]) and not np.any(p["W_xg"]) and not np.any(p["W_xo"])


def test_bad_shapes_and_names_are_reported() -> None:
    rng = np.random.default_rng(6)
    p = init_gru(d, h, rng=rng)
    with pytest.raises(ValueError, match=r"X has 3 features, the weights expect d = 4"):
        gru_forward(np.zeros((T, n, 3)), p)
    with pytest.raises(KeyError, match="missing"):
        gru_forward(np.zeros((T, n, d)), {k: v for k, v in p.items() if k != "W_hz"})
    with pytest.raises(ValueError, match=r"H0 must be \(n, h\) = \(3, 5\), got \(2, 5\)"):
        gru_forward(np.zeros((T, n, d)), p, np.zeros((2, h)))
    with pytest.raises(KeyError, match="weight_hh_l0"):
        lstm_from_torch({"weight_ih_l0": np.zeros((8, 2))})
