"""Property-based tests (hypothesis): ElmanRNN behaves as torch.nn.RNN with the same state_dict.

Categories: layouts, dtypes and autocast, value ranges, gradient modes and transforms, module
protocol, bad input. Each property draws a configuration and random data (from a drawn seed)
and compares ElmanRNN with torch.nn.RNN."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from rnn_companion import ElmanRNN

Tensor = torch.Tensor
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = {torch.float32: 2e-5, torch.float64: 1e-11, torch.float16: 0.0, torch.bfloat16: 0.0}  # half: torch's own path


@st.composite
def configs(draw: st.DrawFn) -> dict[str, object]:
    return dict(
        input_size=draw(st.integers(1, 5)), hidden_size=draw(st.integers(1, 6)), num_layers=draw(st.integers(1, 3)),
        nonlinearity=draw(st.sampled_from(["tanh", "relu"])), bias=draw(st.booleans()),
        batch_first=draw(st.booleans()), bidirectional=draw(st.booleans()),
    )


@st.composite
def cases(draw: st.DrawFn) -> dict[str, object]:
    """A module configuration, an input layout, the data's sizes and a seed."""
    return dict(
        config=draw(configs()),
        kind=draw(st.sampled_from(["batched", "unbatched", "packed_sorted", "packed_unsorted"])),
        steps=draw(st.integers(1, 6)), batch=draw(st.integers(1, 4)), with_hx=draw(st.booleans()),
        seed=draw(st.integers(0, 2**31 - 1)),
    )


def build(case: dict, dtype: torch.dtype = torch.float32, scale: float = 1.0):
    """torch.nn.RNN and ElmanRNN with one state_dict, x (requires grad), what to feed, and h0."""
    config = case["config"]
    gen = torch.Generator().manual_seed(case["seed"])
    torch.manual_seed(case["seed"])
    ref = nn.RNN(**config).to(dtype)
    with torch.no_grad():
        for p in ref.parameters():
            p.mul_(scale)
    ours = ElmanRNN(**config).to(dtype)
    ours.load_state_dict(ref.state_dict())
    steps, batch, size = case["steps"], case["batch"], config["input_size"]
    kind = case["kind"]
    if kind == "unbatched":
        shape = (steps, size)
    else:
        shape = (batch, steps, size) if config["batch_first"] else (steps, batch, size)
    x = torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype).requires_grad_(True)
    inp: Tensor | PackedSequence = x
    if kind.startswith("packed"):
        lengths = torch.randint(1, steps + 1, (batch,), generator=gen).tolist()
        lengths[0] = steps
        if kind == "packed_sorted":
            lengths.sort(reverse=True)
        inp = pack_padded_sequence(x, lengths, batch_first=config["batch_first"],
                                   enforce_sorted=kind == "packed_sorted")
    h0 = None
    if case["with_hx"]:
        d = (2 if config["bidirectional"] else 1) * config["num_layers"]
        h_shape = (d, config["hidden_size"]) if kind == "unbatched" else (d, batch, config["hidden_size"])
        h0 = torch.randn(h_shape, generator=gen, dtype=torch.float64).to(dtype).requires_grad_(True)
    return ref, ours, x, inp, h0


def forward_backward(module: nn.Module, x: Tensor, inp, h0: Tensor | None, seed: int) -> list[Tensor]:
    """Output, h_n, and the gradients of a random linear loss w.r.t. x, h0 and every parameter."""
    for t in [x, h0, *module.parameters()]:
        if t is not None:
            t.grad = None
    out, h_n = module(inp, h0)
    data = out.data if isinstance(out, PackedSequence) else out
    gen = torch.Generator().manual_seed(seed)
    loss = (data.double() * torch.randn(data.shape, generator=gen, dtype=torch.float64)).sum()
    loss = loss + (h_n.double() * torch.randn(h_n.shape, generator=gen, dtype=torch.float64)).sum()
    loss.backward(retain_graph=isinstance(inp, PackedSequence))
    wrt = [x] + ([h0] if h0 is not None else []) + list(module.parameters())
    return [data.detach(), h_n.detach()] + [t.grad for t in wrt]


def assert_close(got: list[Tensor], expected: list[Tensor], tol: float) -> None:
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g.shape == e.shape and g.dtype == e.dtype, (i, g.shape, e.shape, g.dtype, e.dtype)
        scale = max(1.0, e.abs().max().item()) if e.numel() else 1.0
        err = (g.double() - e.double()).abs().max().item() if e.numel() else 0.0
        assert err <= tol * scale, (i, err, tol * scale)


# ----------------------------------------------------------------------------- layouts

@FAST
@given(case=cases(), dtype=st.sampled_from([torch.float32, torch.float64]))
def test_layouts_outputs_and_gradients_match_torch(case, dtype):
    ref, ours, x, inp, h0 = build(case, dtype)
    expected = forward_backward(ref, x, inp, h0, case["seed"])
    assert_close(forward_backward(ours, x, inp, h0, case["seed"]), expected, TOL[dtype])


@FAST
@given(case=cases())
def test_inference_equals_training_forward(case):
    _, ours, x, inp, h0 = build(case)
    with torch.no_grad():
        out0, h_n0 = ours(inp, h0)
    out1, h_n1 = ours(inp, h0)
    d0 = out0.data if isinstance(out0, PackedSequence) else out0
    d1 = out1.data if isinstance(out1, PackedSequence) else out1
    assert torch.equal(d0, d1) and torch.equal(h_n0, h_n1)


# ----------------------------------------------------------------------------- dtypes and autocast

@FAST
@given(case=cases(), dtype=st.sampled_from([torch.float16, torch.bfloat16]))
def test_half_precision_weights_match_torch(case, dtype):
    ref, ours, x, inp, h0 = build(case, dtype)
    expected = forward_backward(ref, x, inp, h0, case["seed"])
    assert_close(forward_backward(ours, x, inp, h0, case["seed"]), expected, TOL[dtype])


@FAST
@given(case=cases(), dtype=st.sampled_from([torch.bfloat16, torch.float16]))
def test_cpu_autocast_matches_torch(case, dtype):
    ref, ours, x, inp, h0 = build(case)
    results = []
    for module in (ref, ours):
        with torch.autocast("cpu", dtype=dtype):
            results.append(forward_backward(module, x, inp, h0, case["seed"]))
    assert results[1][0].dtype == dtype
    assert_close(results[1], results[0], 0.0)


# ----------------------------------------------------------------------------- value ranges

@FAST
@given(case=cases(), log_scale=st.floats(-6, 2), dtype=st.sampled_from([torch.float32, torch.float64]))
def test_weight_scales_match_torch_relative_to_the_output(case, log_scale, dtype):
    """Outputs scaled by the weights (1e-6 .. 1e2): the error is relative to the output's size."""
    ref, ours, x, inp, h0 = build(case, dtype, scale=10.0**log_scale)
    with torch.no_grad():
        (e, e_h), (g, g_h) = ref(inp, h0), ours(inp, h0)
    for a, b in ((g, e), (g_h, e_h)):
        a = a.data if isinstance(a, PackedSequence) else a
        b = b.data if isinstance(b, PackedSequence) else b
        assert torch.equal(torch.isfinite(a), torch.isfinite(b))
        if log_scale < 0.5:  # below ~3x the default scale the recurrence is not chaotic
            size = b.abs().max().item()
            err = (a - b).abs().max().item()
            assert err <= 64 * torch.finfo(dtype).eps * max(size, torch.finfo(dtype).tiny), (err, size)


# ----------------------------------------------------------------------------- gradient modes and transforms

@FAST
@given(case=cases())
def test_double_backward_matches_torch(case):
    ref, ours, x, inp, h0 = build(case, torch.float64)
    results = []
    for module in (ref, ours):
        x.grad = None
        out, h_n = module(inp, h0)
        data = out.data if isinstance(out, PackedSequence) else out
        (g,) = torch.autograd.grad(data.pow(2).sum() + h_n.sum(), x, create_graph=True)
        (gg,) = torch.autograd.grad(g.pow(2).sum(), x, retain_graph=True)  # the packing graph is shared
        results.append([g.detach(), gg])
    assert_close(results[1], results[0], 1e-10)


def _transformed(module: nn.Module, transform: str, x: Tensor, h0: Tensor | None) -> list[Tensor] | str:
    """The leaves of a torch.func transform of ``module``, or torch's error message."""
    from torch.func import functional_call, grad, jacrev, jvp, vmap

    params = {k: v.detach() for k, v in module.named_parameters()}
    try:
        if transform == "grad":
            r = grad(lambda p: functional_call(module, p, (x, h0))[0].pow(2).sum())(params)
        elif transform == "jacrev":
            r = jacrev(lambda x: module(x, h0)[0])(x)
        elif transform == "jvp":
            r = jvp(lambda x: module(x, h0)[0], (x,), (torch.ones_like(x),))
        else:
            scales = torch.tensor([0.5, 2.0])
            r = vmap(lambda s: functional_call(module, {k: v * s for k, v in params.items()}, (x, h0))[0])(scales)
    except RuntimeError as err:  # torch has no batching rule for rnn_tanh/rnn_relu
        return str(err)
    return torch.utils._pytree.tree_leaves(r)


@settings(max_examples=12, deadline=None)
@given(case=cases(), transform=st.sampled_from(["grad", "jacrev", "jvp", "vmap_params"]))
def test_torch_func_transforms_match_torch(case, transform):
    case = dict(case, kind="batched")  # torch.func cannot take a PackedSequence
    ref, ours, x, _, h0 = build(case)
    x, h0 = x.detach(), None if h0 is None else h0.detach()
    expected, got = _transformed(ref, transform, x, h0), _transformed(ours, transform, x, h0)
    if isinstance(expected, str):
        assert got == expected  # the same error as torch
    else:
        assert not isinstance(got, str), got
        assert_close(got, expected, 1e-5)


# ----------------------------------------------------------------------------- module protocol

@FAST
@given(config=configs(), mode=st.sampled_from(["RNN_TANH", "RNN_RELU"]), seed=st.integers(0, 2**31 - 1))
def test_module_protocol_mode_changes_and_state_dicts(config, mode, seed):
    torch.manual_seed(seed)
    ref = nn.RNN(**config)
    ours = ElmanRNN(**config)
    assert isinstance(ours, nn.RNNBase)
    ours.load_state_dict(ref.state_dict())
    back = nn.RNN(**config)
    back.load_state_dict(ours.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(back.state_dict().values(), ref.state_dict().values(), strict=True))
    assert [w is getattr(ours, n) for w, n in zip(ours._flat_weights, ours._flat_weights_names, strict=True)]
    ref.mode = ours.mode = mode  # torch uses mode, not nonlinearity, in forward
    shape = (2, 3, config["input_size"]) if config["batch_first"] else (3, 2, config["input_size"])
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        (e, e_h), (g, g_h) = ref(x), ours(x)
    assert_close([g, g_h], [e, e_h], 1e-5)


# ----------------------------------------------------------------------------- bad input

BAD_INPUTS = {
    "feature size": lambda c: (torch.randn(3, 2, c["input_size"] + 1), None),
    "1-D input": lambda c: (torch.randn(c["input_size"]), None),
    "4-D input": lambda c: (torch.randn(1, 3, 2, c["input_size"]), None),
    "hx batch": lambda c: (torch.randn(3, 2, c["input_size"]), torch.randn(c["num_layers"] * 2, 5, c["hidden_size"])),
    "hx 2-D for batched": lambda c: (torch.randn(3, 2, c["input_size"]), torch.randn(2, c["hidden_size"])),
    "hx dtype": lambda c: (torch.randn(3, 2, c["input_size"]),
                           torch.zeros(c["num_layers"] * (2 if c["bidirectional"] else 1), 2, c["hidden_size"],
                                       dtype=torch.float64)),
    "integer input": lambda c: (torch.ones(3, 2, c["input_size"], dtype=torch.long), None),
    "empty sequence": lambda c: (torch.randn(0, 2, c["input_size"]), None),
    "list input": lambda c: ([1.0, 2.0], None),
}


@settings(max_examples=40, deadline=None)
@given(config=configs(), bad=st.sampled_from(sorted(BAD_INPUTS)))
def test_bad_input_raises_what_torch_raises(config, bad):
    torch.manual_seed(0)
    ref = nn.RNN(**config)
    ours = ElmanRNN(**config)
    ours.load_state_dict(ref.state_dict())
    inp, hx = BAD_INPUTS[bad](config)
    outcomes = []
    for module in (ref, ours):
        try:
            out = module(inp, hx)
            outcomes.append(("ok", tuple(out[0].shape), tuple(out[1].shape)))
        except Exception as err:  # noqa: BLE001 - compared with torch's below
            outcomes.append((type(err), str(err)))
    assert outcomes[1] == outcomes[0]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_zero_batch_like_torch(dtype):
    torch.manual_seed(0)
    ref, ours = nn.RNN(3, 4, 2).to(dtype), ElmanRNN(3, 4, 2).to(dtype)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(5, 0, 3, dtype=dtype)
    (e, e_h), (g, g_h) = ref(x), ours(x)
    assert g.shape == e.shape and g_h.shape == e_h.shape and g.dtype == e.dtype
