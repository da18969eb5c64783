"""Tests for rnn_companion.elman.ElmanRNN; the oracle is torch.nn.RNN with the same weights."""

from __future__ import annotations

import itertools
import pickle
import warnings

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from rnn_companion import ElmanRNN
from rnn_companion.elman_ops import ElmanLayerFunction as _ElmanLayer
from rnn_companion.elman_ops import packed_indices as _packed_indices

TOL = {torch.float32: 1e-5, torch.float64: 1e-10}
INPUT_KINDS = ("batched", "unbatched", "packed_sorted", "packed_unsorted", "packed_equal")
Tensor = torch.Tensor


def assert_near(got: Tensor, expected: Tensor, tol: float, what: str = "") -> None:
    """max |got - expected| <= tol * max(1, max |expected|): absolute for values of order one,
    relative to the tensor's scale for larger ones (gradients summed over many steps)."""
    assert got.shape == expected.shape, (what, got.shape, expected.shape)
    got = got.detach().cpu().to(expected.dtype)
    scale = max(1.0, expected.abs().max().item()) if expected.numel() else 1.0
    err = (got - expected.detach()).abs().max().item() if expected.numel() else 0.0
    assert err <= tol * scale, f"{what}: max abs diff {err:.3g} > {tol:g} * {scale:.3g}"


def make_pair(*args, seed: int = 0, **kwargs) -> tuple[nn.RNN, ElmanRNN]:
    """torch.nn.RNN and ElmanRNN with identical weights (drawn from the same seed)."""
    torch.manual_seed(seed)
    ref = nn.RNN(*args, **kwargs)
    torch.manual_seed(seed)
    ours = ElmanRNN(*args, **kwargs)
    return ref, ours


def make_input(kind: str, steps: int, batch: int, size: int, batch_first: bool, dtype, gen):
    """A random padded input x (requires grad) and what to feed the RNN: x itself or x packed."""
    shape = (steps, size) if kind == "unbatched" else ((batch, steps, size) if batch_first else (steps, batch, size))
    x = torch.randn(shape, dtype=dtype, generator=gen).requires_grad_(True)
    if not kind.startswith("packed"):
        return x, x
    if kind == "packed_equal":
        lengths = [steps] * batch
    else:
        lengths = torch.randint(1, steps + 1, (batch,), generator=gen).tolist()
        lengths[0] = steps
    if kind == "packed_sorted":
        lengths = sorted(lengths, reverse=True)
    packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=kind != "packed_unsorted")
    return x, packed


def run_and_grad(module: nn.Module, x: Tensor, inp, h0, gen_seed: int):
    """Forward, then gradients of a fixed random linear loss w.r.t. input, h0 and all parameters."""
    out, h_n = module(inp, h0)
    out_t = out.data if isinstance(out, PackedSequence) else out
    g = torch.Generator().manual_seed(gen_seed)
    w_out = torch.randn(out_t.shape, dtype=torch.float64, generator=g).to(out_t.device, out_t.dtype)
    w_h = torch.randn(h_n.shape, dtype=torch.float64, generator=g).to(h_n.device, h_n.dtype)
    loss = (out_t * w_out).sum() + (h_n * w_h).sum()
    wrt = [x] + ([h0] if h0 is not None else []) + list(module.parameters())
    grads = torch.autograd.grad(loss, wrt, retain_graph=True)  # the packing graph is shared
    return [out_t, h_n, *grads]



def make_input_and_h0(ref, kind, layers, bidirectional, batch_first, dtype, with_hx, seed):
    """5 steps of a batch of 4 for ``ref``, and a random h0 when ``with_hx`` (else None), from ``seed``."""
    gen = torch.Generator().manual_seed(seed)
    x, inp = make_input(kind, 5, 4, ref.input_size, batch_first, dtype, gen)
    h0 = None
    if with_hx:
        d = 2 if bidirectional else 1
        h_shape = (d * layers, ref.hidden_size) if kind == "unbatched" else (d * layers, 4, ref.hidden_size)
        h0 = torch.randn(h_shape, dtype=dtype, generator=gen)
    return x, inp, h0


def compare(ref, ours, kind, layers, bidirectional, batch_first, dtype, with_hx, seed):
    """Outputs, h_n and all gradients of ours against torch.nn.RNN, on CPU."""
    x, inp, h0 = make_input_and_h0(ref, kind, layers, bidirectional, batch_first, dtype, with_hx, seed)
    if h0 is not None:
        h0.requires_grad_(True)
    expected = run_and_grad(ref, x, inp, h0, seed)
    got = run_and_grad(ours, x, inp, h0, seed)
    names = ["output", "h_n", "d_input"] + (["d_h0"] if with_hx else []) + [n for n, _ in ref.named_parameters()]
    for name, e, g in zip(names, expected, got, strict=True):
        assert g.dtype == e.dtype, name
        assert_near(g, e, TOL[dtype], f"{kind} {name}")


# ----------------------------------------------------------------------------- construction

CONFIGS = list(itertools.product((1, 2, 3), ("tanh", "relu"), (True, False), (False, True), (False, True)))


@pytest.mark.parametrize("layers,nonlinearity,bias,batch_first,bidirectional", CONFIGS)
def test_same_parameters_and_initial_weights(layers, nonlinearity, bias, batch_first, bidirectional):
    args = (3, 5, layers, nonlinearity, bias, batch_first, 0.0, bidirectional)
    ref, ours = make_pair(*args, seed=layers * 7 + bias)
    ref_params, our_params = list(ref.named_parameters()), list(ours.named_parameters())
    assert [n for n, _ in our_params] == [n for n, _ in ref_params]  # names and registration order
    for (name, p), (_, q) in zip(ref_params, our_params, strict=False):
        assert q.shape == p.shape and q.dtype == p.dtype, name
        assert torch.equal(q, p), name  # same draws under the same seed
    assert list(ours.state_dict()) == list(ref.state_dict())
    shapes = [[tuple(w.shape) for w in ws] for ws in ours.all_weights]
    assert shapes == [[tuple(w.shape) for w in ws] for ws in ref.all_weights]
    assert repr(ours).replace("ElmanRNN", "RNN") == repr(ref)
    for attr in ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout",
                 "bidirectional", "mode"):
        assert getattr(ours, attr) == getattr(ref, attr), attr


def test_state_dict_round_trips_both_ways():
    ref, _ = make_pair(4, 6, 2, bidirectional=True, seed=1)
    _, ours = make_pair(4, 6, 2, bidirectional=True, seed=2)
    assert not torch.equal(ref.weight_hh_l1_reverse, ours.weight_hh_l1_reverse)
    ours.load_state_dict(ref.state_dict())  # strict
    assert all(torch.equal(p, q) for p, q in zip(ref.parameters(), ours.parameters(), strict=False))
    other = nn.RNN(4, 6, 2, bidirectional=True)
    _, ours2 = make_pair(4, 6, 2, bidirectional=True, seed=3)
    other.load_state_dict(ours2.state_dict())  # strict, the other way
    assert all(torch.equal(p, q) for p, q in zip(other.parameters(), ours2.parameters(), strict=False))
    x = torch.randn(3, 2, 4)
    with torch.no_grad():
        assert_near(ours2(x)[0], other(x)[0], 1e-5)


def test_dtype_device_factory_kwargs_and_module_methods():
    ref, ours = make_pair(3, 4, 2, dtype=torch.float64, device="cpu")
    assert all(p.dtype == torch.float64 for p in ours.parameters())
    ours.flatten_parameters()  # a no-op, as on CPU in torch
    ours = ours.float()
    ref = ref.float()
    x = torch.randn(6, 2, 3)
    with torch.no_grad():
        assert_near(ours(x)[0], ref(x)[0], 1e-5)
    clone = pickle.loads(pickle.dumps(ours))
    with torch.no_grad():
        assert torch.equal(clone(x)[0], ours(x)[0])
    layer0 = [ours.weight_ih_l0, ours.weight_hh_l0, ours.bias_ih_l0, ours.bias_hh_l0]
    assert all(p is q for p, q in zip(ours.all_weights[0], layer0, strict=True))


# ----------------------------------------------------------------------------- numbers

@pytest.mark.parametrize("layers,nonlinearity,bias,batch_first,bidirectional", CONFIGS)
def test_matches_torch_every_argument(layers, nonlinearity, bias, batch_first, bidirectional):
    ref, ours = make_pair(3, 4, layers, nonlinearity, bias, batch_first, 0.0, bidirectional, seed=layers)
    offset = CONFIGS.index((layers, nonlinearity, bias, batch_first, bidirectional))
    for i, (kind, dtype) in enumerate(itertools.product(INPUT_KINDS, (torch.float32, torch.float64))):
        with_hx = (i // 2 + offset) % 2 == 1  # each config and kind sees hx given and None across the sweep
        compare(ref.to(dtype), ours.to(dtype), kind, layers, bidirectional, batch_first, dtype, with_hx, seed=i)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_matches_torch_long_sequences_and_larger_sizes(dtype, nonlinearity):
    """Longer sequences and wider layers, where rounding could accumulate."""
    ref, ours = make_pair(16, 48, 2, nonlinearity, dtype=dtype, seed=5)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(120, 8, 16, dtype=dtype, generator=gen, requires_grad=True)
    h0 = torch.randn(2, 8, 48, dtype=dtype, generator=gen, requires_grad=True)
    expected = run_and_grad(ref, x, x, h0, 1)
    got = run_and_grad(ours, x, x, h0, 1)
    for e, g in zip(expected, got, strict=False):
        assert_near(g, e, TOL[dtype])


@pytest.mark.parametrize("dtype,scale", [(torch.float64, 4.0), (torch.float32, 2.0)])
def test_saturated_and_large_weights(dtype, scale):
    """Weights several times the default scale (saturating tanh) still agree with torch.

    (At 4x the recurrence is chaotic and float32 itself, torch included, drifts by ~1e-4.)"""
    ref, ours = make_pair(8, 32, 1, dtype=dtype, seed=3)
    with torch.no_grad():
        for p in ref.parameters():
            p.mul_(scale)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(60, 4, 8, dtype=dtype, requires_grad=True)
    for e, g in zip(run_and_grad(ref, x, x, None, 0), run_and_grad(ours, x, x, None, 0), strict=False):
        assert_near(g, e, TOL[dtype])


def test_training_uses_the_custom_function():
    _, ours = make_pair(3, 5, 2, bidirectional=True)
    out, _ = ours(torch.randn(4, 2, 3))
    seen, todo = set(), [out.grad_fn]
    while todo:
        fn = todo.pop()
        if fn is not None and fn not in seen:
            seen.add(fn)
            todo.extend(f for f, _ in fn.next_functions)
    assert sum(type(fn).__name__ == "ElmanLayerFunctionBackward" for fn in seen) == 4  # 2 layers x 2 directions


def test_no_grad_equals_grad_path_and_only_h_n_used():
    ref, ours = make_pair(3, 5, 2, bidirectional=True)
    x = torch.randn(7, 2, 3)
    with torch.no_grad():
        out0, h0 = ours(x)
    out1, h1 = ours(x)
    assert out1.requires_grad and torch.equal(out0, out1) and torch.equal(h0, h1)
    # loss on h_n only (the output's gradient is None inside the Function)
    h1.sum().backward()
    ref(x)[1].sum().backward()
    for p, q in zip(ref.parameters(), ours.parameters(), strict=False):
        assert_near(q.grad, p.grad, 1e-5)


def test_zero_batch_and_one_step():
    ref, ours = make_pair(3, 4, 2)
    for shape in [(5, 0, 3), (1, 2, 3), (1, 3)]:
        x = torch.randn(shape)
        o1, h1 = ref(x)
        o2, h2 = ours(x)
        assert o1.shape == o2.shape and h1.shape == h2.shape
        assert_near(o2, o1, 1e-5)
        assert_near(h2, h1, 1e-5)


def test_packed_output_structure():
    ref, ours = make_pair(3, 4, 2, bidirectional=True)
    x = torch.randn(6, 4, 3)
    packed = pack_padded_sequence(x, [2, 6, 3, 6], enforce_sorted=False)
    out, h_n = ours(packed)
    out_ref, h_ref = ref(packed)
    assert isinstance(out, PackedSequence)
    assert torch.equal(out.batch_sizes, out_ref.batch_sizes)
    assert torch.equal(out.sorted_indices, out_ref.sorted_indices)
    assert torch.equal(out.unsorted_indices, out_ref.unsorted_indices)
    # h_n is each sequence's state at its own last step, in the caller's order
    assert_near(h_n, h_ref, 1e-5)
    single = ours(x[:2, 0])[1]  # sequence 0 alone, length 2, unbatched
    assert_near(h_n[:, 0], single, 1e-5)


# ----------------------------------------------------------------------------- dropout

@pytest.mark.parametrize("bidirectional,packed", [(False, False), (True, False), (False, True), (True, True)])
def test_dropout_masks_match_torch_under_the_same_seed(bidirectional, packed):
    ref, ours = make_pair(4, 6, 3, dropout=0.4, bidirectional=bidirectional, dtype=torch.float64)
    x = torch.randn(7, 5, 4, dtype=torch.float64, requires_grad=True)
    inp = pack_padded_sequence(x, [7, 6, 6, 3, 1]) if packed else x
    torch.manual_seed(3)
    expected = run_and_grad(ref, x, inp, None, 0)
    torch.manual_seed(3)
    got = run_and_grad(ours, x, inp, None, 0)
    for e, g in zip(expected, got, strict=False):
        assert_near(g, e, 1e-10)


def test_dropout_only_in_training_and_only_between_layers():
    ref, ours = make_pair(4, 6, 2, dropout=0.5)
    _, ours_p0 = make_pair(4, 6, 2, dropout=0.0)
    x = torch.randn(9, 3, 4)
    with torch.no_grad():
        ours.eval()
        eval_out, eval_h = ours(x)
        assert torch.equal(ours(x)[0], eval_out)  # deterministic in eval mode
        ref.eval()
        assert_near(eval_out, ref(x)[0], 1e-5)
        ours_p0.train()
        assert_near(ours_p0(x)[0], eval_out, 0)  # p = 0 in training == eval
        ours.train()
        train_out, train_h = ours(x)
        assert not torch.allclose(train_out, eval_out)  # the second layer's input changed
        assert_near(train_h[0], eval_h[0], 0)  # first layer untouched
        ours_p1 = ElmanRNN(4, 6, 2, dropout=1.0)
        ours_p1.load_state_dict(ours.state_dict())
        # p = 1: the second layer sees zeros, so its output is the zero-input response
        zero_response = ElmanRNN(4, 6, 1)
        zero_response.weight_ih_l0.data.copy_(ours.weight_ih_l1[:, :4])
        zero_response.weight_hh_l0.data.copy_(ours.weight_hh_l1)
        zero_response.bias_ih_l0.data.copy_(ours.bias_ih_l1)
        zero_response.bias_hh_l0.data.copy_(ours.bias_hh_l1)
        assert_near(ours_p1(x)[0], zero_response(torch.zeros(9, 3, 4))[0], 1e-6)


def test_dropout_statistics():
    """Inverted dropout: zeros with probability p, survivors scaled by 1/(1-p)."""
    _, ours = make_pair(2, 400, 2, dropout=0.3, dtype=torch.float64)
    with torch.no_grad():  # layer 2: identity-like readout of its input, no recurrence
        ours.weight_hh_l1.zero_()
        ours.bias_ih_l1.zero_()
        ours.bias_hh_l1.zero_()
        ours.weight_ih_l1.copy_(torch.eye(400) * 1e-3)
        ours.train()
        torch.manual_seed(0)
        x = torch.randn(20, 5, 2, dtype=torch.float64)
        out = ours(x)[0]  # tanh(1e-3 * dropout(h1)) ~ 1e-3 * dropout(h1)
        ours.eval()
        base = ours(x)[0]
    ratio = out / base
    zero = ratio.abs() < 1e-6
    assert abs(zero.double().mean().item() - 0.3) < 0.02
    assert_near(ratio[~zero], torch.full_like(ratio[~zero], 1 / 0.7), 1e-4)


# ----------------------------------------------------------------------------- gradients of the custom Function

@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("sizes", [[3, 3, 3, 3], [3, 3, 2, 1]])
def test_gradcheck_custom_function(relu, sizes):
    gen = torch.Generator().manual_seed(1)

    def rnd(*shape):
        return (torch.randn(*shape, dtype=torch.float64, generator=gen) * 0.5).requires_grad_(True)

    x, h0 = rnd(sum(sizes), 2), rnd(3, 4)
    w_ih, w_hh, b_ih, b_hh = rnd(4, 2), rnd(4, 4), rnd(4), rnd(4)
    if sizes[-1] == sizes[0]:
        last = prev = None
    else:  # rows: step 0 -> 0 1 2, step 1 -> 3 4 5, step 2 -> 6 7, step 3 -> 8
        last, prev, rev = _packed_indices(torch.tensor(sizes), torch.device("cpu"))
        assert last.tolist() == [8, 7, 5]  # each sequence's last row
        assert prev.tolist() == [0, 1, 2, 3, 4, 6]  # the previous step's row of rows 3..8
        assert rev.tolist() == [8, 7, 5, 6, 4, 2, 3, 1, 0]  # each sequence reversed in time
    fn = lambda *a: _ElmanLayer.apply(*a, sizes, last, prev, relu)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x, h0, w_ih, w_hh, b_ih, b_hh))
    fn_nobias = lambda x, h0, w_ih, w_hh: _ElmanLayer.apply(x, h0, w_ih, w_hh, None, None, sizes, last, prev, relu)  # noqa: E731
    assert torch.autograd.gradcheck(fn_nobias, (x, h0, w_ih, w_hh))


def test_gradcheck_whole_module_bidirectional_packed():
    _, ours = make_pair(2, 3, 2, bidirectional=True, dtype=torch.float64)
    x = torch.randn(4, 3, 2, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(4, 3, 3, dtype=torch.float64, requires_grad=True)

    def fn(x, h0):
        out, h_n = ours(pack_padded_sequence(x, [2, 4, 3], enforce_sorted=False), h0)
        return out.data, h_n

    assert torch.autograd.gradcheck(fn, (x, h0))


def test_double_backward_matches_torch():
    """create_graph=True through the RNN (a gradient penalty on the input): second derivatives as torch's."""
    ref, ours = make_pair(2, 3, 2, dtype=torch.float64, seed=4)
    x = torch.randn(4, 2, 2, dtype=torch.float64, requires_grad=True)
    results = []
    for module in (ref, ours):
        (g,) = torch.autograd.grad(module(x)[0].pow(2).sum(), x, create_graph=True)
        penalty = g.pow(2).sum()
        results.append([g, *torch.autograd.grad(penalty, [x, *module.parameters()])])
    for e, got in zip(*results, strict=True):
        assert_near(got, e, 1e-10)


# ----------------------------------------------------------------------------- errors

CTOR_ERRORS = [  # (args, kwargs, substrings our message must contain)
    ((8, 16), dict(nonlinearity="sigmoid"), ["sigmoid", "tanh", "relu"]),
    ((8, 16), dict(dropout=-0.1), ["[0, 1]", "-0.1"]),
    ((8, 16), dict(dropout=1.5), ["[0, 1]", "1.5"]),
    ((8, 16), dict(dropout=True), ["[0, 1]", "True"]),
    ((8, 16), dict(dropout="0.5"), ["[0, 1]", "0.5"]),
    ((8, 16), dict(bias="yes"), ["bool", "str"]),
    ((8, 16), dict(batch_first=1), ["bool", "int"]),
    ((8.0, 16), {}, ["int", "float"]),
    ((0, 16), {}, ["greater than zero", "0"]),
    ((8, 16.0), {}, ["int", "float"]),
    ((8, -1), {}, ["greater than zero", "-1"]),
    ((8, True), {}, ["int", "bool"]),
    ((8, 16), dict(num_layers=0), ["greater than zero", "0"]),
    ((8, 16), dict(num_layers=1.5), ["int", "float"]),
    ((8, 16), dict(num_layers="2"), ["int", "str"]),
]


@pytest.mark.parametrize("args,kwargs,needles", CTOR_ERRORS)
def test_constructor_errors_match_torch(args, kwargs, needles):
    with pytest.raises(Exception) as expected:
        nn.RNN(*args, **kwargs)
    with pytest.raises(Exception) as got:
        ElmanRNN(*args, **kwargs)
    assert got.type is expected.type
    assert str(got.value) == str(expected.value)  # torch's own checks (ElmanRNN subclasses nn.RNN)
    for needle in needles[:1]:
        assert needle in str(got.value), (needle, str(got.value))


def test_dropout_with_one_layer_warns_like_torch():
    for cls in (nn.RNN, ElmanRNN):
        with pytest.warns(UserWarning, match="num_layers greater than 1"):
            cls(3, 4, dropout=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ElmanRNN(3, 4, 2, dropout=0.5)


def _forward_error_cases():
    x = torch.randn(5, 3, 8)
    packed = pack_padded_sequence(torch.randn(5, 3, 8), [5, 3, 2])
    return [  # (input, hx, substrings)
        ("feature size", torch.randn(5, 3, 5), None, ["input_size", "Expected 8, got 5"]),
        ("1-D input", torch.randn(8), None, ["2D or 3D", "1D"]),
        ("4-D input", torch.randn(2, 5, 3, 8), None, ["2D or 3D", "4D"]),
        ("0-D input", torch.tensor(1.0), None, ["2D or 3D", "0D"]),
        ("2-D hx, batched", x, torch.randn(3, 16), ["3-D", "2-D"]),
        ("3-D hx, unbatched", torch.randn(5, 8), torch.randn(1, 1, 16), ["2-D", "3-D"]),
        ("hx batch", x, torch.randn(1, 4, 16), ["(1, 3, 16)", "[1, 4, 16]"]),
        ("hx layers", x, torch.randn(2, 3, 16), ["(1, 3, 16)", "[2, 3, 16]"]),
        ("hx hidden", x, torch.randn(1, 3, 15), ["(1, 3, 16)", "[1, 3, 15]"]),
        ("hx unbatched", torch.randn(5, 8), torch.randn(1, 15), ["(1, 1, 16)", "[1, 1, 15]"]),
        ("integer input", torch.ones(5, 3, 8, dtype=torch.long), None, ["torch.int64", "torch.float32"]),
        ("float64 input", x.double(), None, ["torch.float64", "torch.float32"]),
        ("float64 hx", x, torch.zeros(1, 3, 16, dtype=torch.float64), ["torch.float64", "torch.float32"]),
        ("empty sequence", torch.randn(0, 3, 8), None, ["larger than 0", "0"]),
        ("packed feature size", pack_padded_sequence(torch.randn(5, 3, 5), [5, 3, 2]), None, ["Expected 8, got 5"]),
        ("packed hx", packed, torch.randn(1, 2, 16), ["(1, 3, 16)", "[1, 2, 16]"]),
        ("packed 3-D data", PackedSequence(torch.randn(10, 2, 8), packed.batch_sizes), None, ["2 dimensions", "3"]),
        ("list input", [1.0, 2.0], None, ["list"]),
    ]


@pytest.mark.parametrize("case", _forward_error_cases(), ids=lambda c: c[0])
def test_forward_errors_match_torch(case):
    _, inp, hx, needles = case
    ref, ours = make_pair(8, 16)
    with pytest.raises(Exception) as expected:
        ref(inp, hx)
    with pytest.raises(Exception) as got:
        ours(inp, hx)
    assert got.type is expected.type, (got.value, expected.value)
    assert str(got.value) == str(expected.value)
