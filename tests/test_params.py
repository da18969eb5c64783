"""Tests for rnn_companion.params: notation conversion and the parameter-count formula."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch import nn

from rnn_companion import rnn_param_count, source_to_torch, torch_to_source
from rnn_companion.params import elman_param_count, unshared_rnn_param_count, window_mlp_param_count
from rnn_companion.reference import elman_forward


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_torch_to_source_matches_definition(bias: bool, bidirectional: bool) -> None:
    torch.manual_seed(0)
    rnn = torch.nn.RNN(3, 5, num_layers=2, bias=bias, bidirectional=bidirectional)
    sd = rnn.state_dict()
    for layer in range(2):
        for direction in range(2 if bidirectional else 1):
            sfx = f"_l{layer}" + ("_reverse" if direction else "")
            src = torch_to_source(rnn, layer=layer, direction=direction)
            assert set(src) == {"W_xh", "W_hh", "b_h"}
            np.testing.assert_array_equal(src["W_xh"], sd["weight_ih" + sfx].numpy().T)
            np.testing.assert_array_equal(src["W_hh"], sd["weight_hh" + sfx].numpy().T)
            assert src["b_h"].shape == (1, 5)
            expected_b = (sd["bias_ih" + sfx] + sd["bias_hh" + sfx]).numpy() if bias else np.zeros(5)
            np.testing.assert_allclose(src["b_h"][0], expected_b, rtol=0, atol=1e-7)
            # the state dict (not only the module) is accepted too
            src2 = torch_to_source(sd, layer=layer, direction=direction)
            np.testing.assert_array_equal(src2["W_xh"], src["W_xh"])


def test_torch_to_source_dtype_and_errors() -> None:
    rnn = torch.nn.RNN(2, 3)
    assert torch_to_source(rnn, dtype=np.float64)["W_hh"].dtype == np.float64
    with pytest.raises(KeyError, match="weight_ih_l1"):
        torch_to_source(rnn, layer=1)
    with pytest.raises(KeyError, match="_reverse"):
        torch_to_source(rnn, direction=1)
    with pytest.raises(ValueError, match="direction"):
        torch_to_source(rnn, direction=2)


def test_source_notation_reproduces_torch_outputs() -> None:
    """elman_forward with torch_to_source's weights equals torch.nn.RNN (float64)."""
    torch.manual_seed(1)
    rnn = torch.nn.RNN(4, 6).double()
    x = torch.randn(7, 3, 4, dtype=torch.float64)
    src = torch_to_source(rnn)
    H = elman_forward(x.numpy(), src["W_xh"], src["W_hh"], src["b_h"])
    out, _ = rnn(x)
    np.testing.assert_allclose(H, out.detach().numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("split", ["ih", "hh", "half"])
def test_round_trip_through_torch(split: str) -> None:
    torch.manual_seed(2)
    rnn = torch.nn.RNN(4, 6).double()
    src = torch_to_source(rnn)
    sd = source_to_torch(src["W_xh"], src["W_hh"], src["b_h"], split=split, as_tensors=True)
    assert set(sd) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}
    b = src["b_h"][0]
    expected = {"ih": (b, 0 * b), "hh": (0 * b, b), "half": (b / 2, b / 2)}[split]
    np.testing.assert_allclose(sd["bias_ih_l0"].numpy(), expected[0], atol=1e-15)
    np.testing.assert_allclose(sd["bias_hh_l0"].numpy(), expected[1], atol=1e-15)
    rnn2 = torch.nn.RNN(4, 6).double()
    rnn2.load_state_dict(sd)  # strict: exactly the names torch expects
    x = torch.randn(5, 2, 4, dtype=torch.float64)
    torch.testing.assert_close(rnn2(x)[0], rnn(x)[0], rtol=0, atol=1e-12)
    back = torch_to_source(rnn2)
    for k in src:
        np.testing.assert_allclose(back[k], src[k], rtol=0, atol=1e-15)


def test_source_to_torch_layer_suffix_and_numpy() -> None:
    rng = np.random.default_rng(0)
    W_xh, W_hh, b_h = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), rng.normal(size=(4,))
    sd = source_to_torch(W_xh, W_hh, b_h, layer=1, suffix="_reverse")
    assert set(sd) == {"weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"}
    assert isinstance(sd["weight_ih_l1_reverse"], np.ndarray)
    assert sd["weight_ih_l1_reverse"].shape == (4, 3)
    no_bias = source_to_torch(W_xh, W_hh, None)
    assert set(no_bias) == {"weight_ih_l0", "weight_hh_l0"}
    rnn = torch.nn.RNN(3, 4, bias=False).double()
    rnn.load_state_dict({k: torch.from_numpy(v) for k, v in no_bias.items()})


def test_source_to_torch_errors() -> None:
    W_xh, W_hh = np.zeros((3, 4)), np.zeros((4, 4))
    with pytest.raises(ValueError, match=r"W_hh must have shape \(4, 4\)"):
        source_to_torch(W_xh, np.zeros((3, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="b_h"):
        source_to_torch(W_xh, W_hh, np.zeros(5))
    with pytest.raises(ValueError, match="split"):
        source_to_torch(W_xh, W_hh, np.zeros(4), split="both")
    with pytest.raises(ValueError, match="W_xh"):
        source_to_torch(np.zeros(3), W_hh, np.zeros(4))


def test_param_count_matches_torch_sweep() -> None:
    for i, h, layers, bias, bidi in itertools.product([1, 3, 10], [1, 2, 7], [1, 2, 3], [True, False], [False, True]):
        rnn = torch.nn.RNN(i, h, num_layers=layers, bias=bias, bidirectional=bidi)
        expected = sum(p.numel() for p in rnn.parameters())
        assert rnn_param_count(i, h, layers, bias, bidi) == expected, (i, h, layers, bias, bidi)


def test_param_count_known_value() -> None:
    # one layer, 10 inputs, 20 hidden: 10*20 + 20*20 + 2*20
    assert rnn_param_count(10, 20) == 640


@pytest.mark.parametrize("args", [(0, 4), (4, 0), (3, 4, 0), (-1, 4)])
def test_param_count_rejects_non_positive(args: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        torch.nn.RNN(*args)  # torch rejects these too
    with pytest.raises(ValueError, match="positive"):
        rnn_param_count(*args)


def test_param_count_rejects_non_integers() -> None:
    with pytest.raises(TypeError):
        rnn_param_count(2.5, 4)


# ------------------------------------------------------------------ counts in the book's notation
SIZES = [(1, 1, 1), (3, 5, 2), (10, 32, 7), (28, 64, 10)]


def numel(*modules: nn.Module) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


class SourceElman(nn.Module):
    """The source notation's parameters as real tensors: W_xh, W_hh, b_h, W_hq, b_q."""

    def __init__(self, d: int, h: int, q: int) -> None:
        super().__init__()
        self.W_xh = nn.Parameter(torch.zeros(d, h))
        self.W_hh = nn.Parameter(torch.zeros(h, h))
        self.b_h = nn.Parameter(torch.zeros(1, h))
        self.W_hq = nn.Parameter(torch.zeros(h, q))
        self.b_q = nn.Parameter(torch.zeros(1, q))


@pytest.mark.parametrize("d,h,q", SIZES)
def test_elman_count_matches_modules(d: int, h: int, q: int) -> None:
    assert elman_param_count(d, h, q) == numel(SourceElman(d, h, q))
    # torch.nn.RNN stores two hidden biases, so its count is one h larger
    assert elman_param_count(d, h, q, torch_biases=True) == numel(nn.RNN(d, h), nn.Linear(h, q))
    assert elman_param_count(d, h, q) == numel(nn.RNN(d, h, bias=False), nn.Linear(h, q)) + h


@pytest.mark.parametrize("d,h,q", SIZES)
@pytest.mark.parametrize("steps", [1, 2, 7, 50])
def test_window_and_unshared_counts_match_modules(d: int, h: int, q: int, steps: int) -> None:
    mlp = nn.Sequential(nn.Linear(steps * d, h), nn.Tanh(), nn.Linear(h, q))
    assert window_mlp_param_count(d, h, q, steps) == numel(mlp)
    per_step = [SourceElman(d, h, 1) for _ in range(steps)]
    unshared = sum(p.numel() for m in per_step for p in (m.W_xh, m.W_hh, m.b_h)) + numel(nn.Linear(h, q))
    assert unshared_rnn_param_count(d, h, q, steps) == unshared
    # a window MLP over one step has h*h fewer parameters than the RNN (no W_hh)
    if steps == 1:
        assert elman_param_count(d, h, q) - window_mlp_param_count(d, h, q, 1) == h * h


def test_rnn_count_does_not_depend_on_steps() -> None:
    # the same module processes sequences of any length with the same parameters
    rnn, head = nn.RNN(3, 5), nn.Linear(5, 2)
    before = numel(rnn, head)
    for steps in (1, 4, 30):
        out, _ = rnn(torch.randn(steps, 2, 3))
        assert head(out).shape == (steps, 2, 2)
        assert numel(rnn, head) == before == elman_param_count(3, 5, 2, torch_biases=True)


@pytest.mark.parametrize(
    "call",
    [
        lambda: elman_param_count(0, 3, 2),
        lambda: elman_param_count(3, -1, 2),
        lambda: elman_param_count(3, 2.5, 2),
        lambda: elman_param_count(3, True, 2),
        lambda: window_mlp_param_count(3, 4, 2, 0),
        lambda: unshared_rnn_param_count(3, 4, 2, "5"),
    ],
)
def test_bad_sizes_raise(call) -> None:
    with pytest.raises(ValueError, match="expected an int >= 1, received"):
        call()
