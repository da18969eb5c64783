"""ElmanRNN goes wherever torch.nn.RNN goes (issue 10, items 1-11): the oracle is torch.nn.RNN
with the same state_dict, on random inputs; each test names the item whose defect it catches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from rnn_companion import ElmanRNN

Tensor = torch.Tensor
has_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def pair(*args, seed: int = 0, dtype=torch.float32, **kwargs) -> tuple[nn.RNN, ElmanRNN]:
    """torch.nn.RNN and ElmanRNN with the same state_dict."""
    torch.manual_seed(seed)
    ref = nn.RNN(*args, **kwargs).to(dtype)
    ours = ElmanRNN(*args, **kwargs).to(dtype)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def max_diff(a: Tensor, b: Tensor) -> float:
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    return (a.double() - b.double()).abs().max().item() if a.numel() else 0.0


def grads(module: nn.Module, extra: list[Tensor] = ()) -> list[Tensor]:
    return [t.grad.clone() for t in [*extra, *module.parameters()]]


def clear(module: nn.Module, extra: list[Tensor] = ()) -> None:
    for t in [*extra, *module.parameters()]:
        t.grad = None


# ----------------------------------------------------------------------------- 1. in-place use of the output

def _use_in_place(out: Tensor, how: str) -> Tensor:
    if how == "relu":
        return nn.ReLU(inplace=True)(out)
    if how == "dropout":
        torch.manual_seed(7)
        return nn.Dropout(0.5, inplace=True)(out)
    out += 1.5  # a residual added in place
    return out


@pytest.mark.parametrize("how", ["relu", "dropout", "add"])
@pytest.mark.parametrize("kind", ["batched", "packed", "unbatched"])
def test_item1_in_place_ops_on_the_output_keep_backward_right(kind, how):
    ref, ours = pair(3, 5, 2, seed=1)
    gen = torch.Generator().manual_seed(2)
    results = []
    for module in (ref, ours):
        x = torch.randn(6, 3, 3, generator=torch.Generator().manual_seed(3), requires_grad=True)
        inp = {"batched": x, "unbatched": x[:, 0], "packed": pack_padded_sequence(x, [6, 4, 2])}[kind]
        out, h_n = module(inp)
        data = _use_in_place(out.data if isinstance(out, PackedSequence) else out, how)
        w = torch.randn(data.shape, generator=gen.manual_seed(4))
        ((data * w).sum() + h_n.sum()).backward()
        results.append([data.detach(), x.grad, *grads(module)])
    for e, g in zip(*results, strict=True):
        assert max_diff(g, e) <= 1e-5


# ----------------------------------------------------------------------------- 2. autocast

@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("packed", [False, True])
def test_item2_cpu_autocast_runs_in_the_autocast_dtype_like_torch(dtype, packed):
    ref, ours = pair(4, 6, 2, bidirectional=True, seed=2)
    results = []
    for module in (ref, ours):
        x = torch.randn(5, 3, 4, generator=torch.Generator().manual_seed(5), requires_grad=True)
        inp = pack_padded_sequence(x, [5, 3, 2]) if packed else x
        with torch.autocast("cpu", dtype=dtype):
            out, h_n = module(inp)
        data = out.data if packed else out
        (data.float().sum() + h_n.float().pow(2).sum()).backward()
        results.append([data, h_n, x.grad, *grads(module)])
    assert results[1][0].dtype == dtype and results[1][1].dtype == dtype
    for e, g in zip(*results, strict=True):
        assert max_diff(g, e) <= 1e-6


@has_cuda
def test_item2_cuda_autocast_like_torch():
    ref, ours = pair(4, 6, 2, seed=2)
    ref, ours = ref.cuda(), ours.cuda()
    x = torch.randn(5, 3, 4, device="cuda")
    with torch.autocast("cuda", dtype=torch.float16):
        e, g = ref(x)[0], ours(x)[0]
    assert g.dtype == e.dtype == torch.float16
    assert max_diff(g, e) <= 1e-2


# ----------------------------------------------------------------------------- 3. precision (and 6. overflow)

def _oracle(ref: nn.RNN, x: np.ndarray) -> np.ndarray:
    """The RNN in NumPy long double (an 80-bit float on x86: 11 more bits than float64)."""
    ld = np.longdouble
    h_seq = x.astype(ld)
    for layer in range(ref.num_layers):
        w_ih, w_hh, b_ih, b_hh = (getattr(ref, f"{n}_l{layer}").detach().double().numpy().astype(ld)
                                  for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        h = np.zeros((x.shape[1], w_hh.shape[0]), dtype=ld)
        outs = []
        for x_t in h_seq:
            h = np.tanh(x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
            outs.append(h)
        h_seq = np.stack(outs)
    return h_seq


def _rel_error(y: Tensor, oracle: np.ndarray) -> float:
    diff = y.detach().double().numpy().astype(np.longdouble) - oracle
    return float(np.sqrt((diff**2).sum()) / np.sqrt((oracle**2).sum()))


SCALES = [1e-6, 1e-4, 1e-2, 1.0, 1e1, 1e2]


@pytest.mark.parametrize("steps,batch,hidden,layers", [(12, 32, 64, 2), (4, 64, 128, 1)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_item3_relative_error_at_most_4x_torch_over_weight_scales(dtype, steps, batch, hidden, layers):
    """Relative (Frobenius) error against a long-double oracle, weights scaled by 1e-6 .. 1e2.

    32 x 64 per step runs torch.tanh_, 64 x 128 in float32 the expm1 form of tanh (EXPM1_MIN_STEP_ELEMENTS)."""
    report = []
    for scale in SCALES:
        ref64, _ = pair(8, hidden, layers, seed=3, dtype=torch.float64)
        with torch.no_grad():
            for p in ref64.parameters():
                p.mul_(scale)
        x = torch.randn(steps, batch, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
        x_d = x.to(dtype)
        oracle = _oracle(ref64, x_d.double().numpy())
        ref = nn.RNN(8, hidden, layers).to(dtype)
        ours = ElmanRNN(8, hidden, layers).to(dtype)
        ref.load_state_dict(ref64.state_dict())
        ours.load_state_dict(ref64.state_dict())
        with torch.no_grad():
            y_ref, y_ours = ref(x_d)[0], ours(x_d)[0]
        err_ref, err_ours = _rel_error(y_ref, oracle), _rel_error(y_ours, oracle)
        report.append((scale, err_ref, err_ours))
        floor = torch.finfo(dtype).eps / 8  # below this both are exact up to the oracle's own rounding
        if np.isfinite(err_ref):
            assert err_ours <= 4 * max(err_ref, floor), report
        assert bool(torch.isfinite(y_ours).all()) or not bool(torch.isfinite(y_ref).all()), report


@pytest.mark.parametrize("input_size,scale,used", [(64, 1.0, True), (64, 1e-3, False), (4, 1.0, False),
                                                  (64, 4.0, False)])
def test_item3_sigmoid_form_only_where_it_is_as_precise(input_size, scale, used, monkeypatch):
    """32 x 128 per step in float32 (size A): the sigmoid form of tanh serves torch's initialisation
    with inputs of 64 features, with an error against the long-double oracle at most 4x nn.RNN's;
    small outputs (small weights, or 4 input features) and large recurrent weights keep tanh_."""
    from rnn_companion import elman_ops

    ref64, _ = pair(input_size, 128, 1, seed=11, dtype=torch.float64)
    x = torch.randn(40, 32, input_size, dtype=torch.float64, generator=torch.Generator().manual_seed(12))
    ref = nn.RNN(input_size, 128)
    ref.load_state_dict({k: v * scale for k, v in ref64.state_dict().items()})
    w_ih, w_hh, b_ih, b_hh = (p.detach() for p in ref.parameters())
    x32, h0 = x.float().reshape(-1, input_size), torch.zeros(32, 128)
    got = elman_ops.scan(x32, h0, w_ih, w_hh, b_ih, b_hh, [32] * 40, relu=False)
    monkeypatch.setattr(elman_ops, "SIGMOID_FORM_MIN_STEP_ELEMENTS", 10**9)  # tanh_ throughout
    plain = elman_ops.scan(x32, h0, w_ih, w_hh, b_ih, b_hh, [32] * 40, relu=False)
    assert (not torch.equal(got, plain)) == used  # the form changes the rounding where it runs
    scaled = nn.RNN(input_size, 128).double()
    scaled.load_state_dict(ref.state_dict())
    oracle = _oracle(scaled, x.float().double().numpy())
    with torch.no_grad():
        err_ref = _rel_error(ref(x.float())[0], oracle)
    err_ours = _rel_error(got.reshape(40, 32, 128), oracle)
    assert err_ours <= 4 * max(err_ref, torch.finfo(torch.float32).eps / 8), (err_ours, err_ref)


@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-5), (torch.float64, 1e-12)])
def test_item3_large_steps_outputs_and_gradients_match_torch(dtype, tol):
    """64 x 160 elements per step (in float32 the expm1 form of tanh on CPU): outputs and every gradient."""
    ref, ours = pair(8, 160, 2, seed=20, dtype=dtype)
    results = []
    for module in (ref, ours):
        x = torch.randn(6, 64, 8, dtype=dtype, generator=torch.Generator().manual_seed(21), requires_grad=True)
        out, h_n = module(x)
        w = torch.randn(out.shape, dtype=dtype, generator=torch.Generator().manual_seed(22))
        ((out * w).sum() + h_n.pow(2).sum()).backward()
        results.append([out, h_n, x.grad, *grads(module)])
    for e, g in zip(*results, strict=True):
        assert max_diff(g, e) <= tol * max(1.0, e.abs().max().item())


@pytest.mark.parametrize("batch,hidden", [(3, 16), (64, 128)])  # torch.tanh_ and the expm1 form
@pytest.mark.parametrize("dtype,scales", [(torch.float32, [1e3, 1e10, 1e30, 1e37, 1e38]),
                                          (torch.float64, [1e10, 1e100, 1e300]),
                                          (torch.float16, [1e2, 1.6e4, 6e4])])
def test_item6_no_nan_where_torch_stays_finite(dtype, scales, batch, hidden):
    for scale in scales:
        ref, ours = pair(4, hidden, 2, seed=4, dtype=dtype)
        with torch.no_grad():
            for p in ref.parameters():
                p.mul_(scale)
        ours.load_state_dict(ref.state_dict())
        x = torch.randn(10, batch, 4, generator=torch.Generator().manual_seed(8)).to(dtype)
        with torch.no_grad():
            (e, e_h), (g, g_h) = ref(x), ours(x)
        assert torch.equal(torch.isfinite(g), torch.isfinite(e)), scale
        assert torch.equal(torch.isfinite(g_h), torch.isfinite(e_h)), scale
        # (the values themselves are chaotic at these scales: rounding decides; test_item3 bounds the error)
        assert bool((g[torch.isfinite(g)].abs() <= 1).all()), scale


# ----------------------------------------------------------------------------- 4. torch.func

def _func_results(module: nn.Module, x: Tensor) -> dict[str, object]:
    from torch.func import functional_call, grad, jacrev, jvp, vmap

    params = {k: v.detach() for k, v in module.named_parameters()}
    out: dict[str, object] = {}

    def loss(p, x):
        y, h = functional_call(module, p, (x,))
        return y.pow(2).sum() + h.sum()

    t = torch.randn(x.shape, generator=torch.Generator().manual_seed(9))
    for name, run in {
        "grad": lambda: grad(loss)(params, x),
        "jacrev": lambda: jacrev(lambda x: module(x)[0])(x),
        "jvp": lambda: jvp(lambda x: module(x)[0], (x,), (t,)),
        "vmap_batched": lambda: vmap(lambda x: module(x)[0])(x.unsqueeze(0).expand(2, -1, -1, -1)),
        "vmap_params": lambda: vmap(lambda s: functional_call(module, {k: v * s for k, v in params.items()},
                                                              (x,))[0])(torch.tensor([0.5, 1.0])),
    }.items():
        try:
            out[name] = run()
        except Exception as err:  # noqa: BLE001 - compared with torch.nn.RNN's exception below
            out[name] = type(err)
    return out


def test_item4_torch_func_transforms_like_torch():
    ref, ours = pair(3, 4, 2, seed=5)
    x = torch.randn(5, 2, 3, generator=torch.Generator().manual_seed(10))
    expected, got = _func_results(ref, x), _func_results(ours, x)
    assert expected["grad"] is not None and not isinstance(expected["grad"], type)  # torch supports grad
    for name, e in expected.items():
        g = got[name]
        if isinstance(e, type):
            assert g is e, name  # the same exception class as torch
            continue
        flat_e = torch.utils._pytree.tree_leaves(e)
        flat_g = torch.utils._pytree.tree_leaves(g)
        assert len(flat_e) == len(flat_g), name
        for a, b in zip(flat_e, flat_g, strict=True):
            assert max_diff(b, a) <= 1e-5, name


# ----------------------------------------------------------------------------- 5. tracing and export

def test_item5_jit_trace_with_gradients_and_another_length():
    ref, ours = pair(3, 4, 2, seed=6)
    traced = torch.jit.trace(ours, (torch.randn(4, 2, 3, requires_grad=True),))
    results = []
    for module in (ref, traced):
        x = torch.randn(9, 2, 3, generator=torch.Generator().manual_seed(11), requires_grad=True)
        out, h_n = module(x)
        (out.pow(2).sum() + h_n.sum()).backward()
        results.append([out, h_n, x.grad])
    for e, g in zip(*results, strict=True):
        assert max_diff(g, e) <= 1e-5


def test_item5_jit_script_has_torch_outcome():
    outcomes = []
    for cls in (nn.RNN, ElmanRNN):
        torch.manual_seed(0)
        module = cls(3, 4, 2)
        x = torch.randn(5, 2, 3, generator=torch.Generator().manual_seed(1))
        try:
            outcomes.append(torch.jit.script(module)(x)[0].detach())
        except Exception as err:  # noqa: BLE001 - compared with torch's below
            outcomes.append((type(err), str(err).splitlines()[-1]))
    e, g = outcomes
    if isinstance(e, tuple):
        assert g == e
    else:
        assert max_diff(g, e) == 0.0


def test_item5_export_is_one_operator_per_layer_and_runs_with_gradients_at_any_length():
    from torch.export import Dim

    ref, ours = pair(3, 4, 2, bidirectional=True, seed=7)
    dims = ({0: Dim("T", min=2, max=64), 1: Dim("N", min=2, max=16)},)
    program = torch.export.export(ours, (torch.randn(6, 2, 3),), dynamic_shapes=dims)
    targets = [str(n.target) for n in program.graph.nodes if n.op == "call_function"]
    assert targets.count("rnn_companion.elman_layer.default") == 4, targets  # 2 layers x 2 directions
    for shape in [(6, 2, 3), (11, 5, 3)]:
        x = torch.randn(shape, generator=torch.Generator().manual_seed(shape[0]))
        results = []
        for module in (ref, program.module()):  # outside no_grad
            x_g = x.clone().requires_grad_(True)
            out, h_n = module(x_g)
            (out.pow(2).sum() + h_n.sum()).backward()
            results.append([out, h_n, x_g.grad])
        for e, g in zip(*results, strict=True):
            assert max_diff(g, e) <= 1e-5


# ----------------------------------------------------------------------------- 7. higher order

def test_item7_create_graph_for_a_penalty_on_other_parameters():
    """create_graph=True where no second derivative flows through the RNN (a gradient penalty on a head)."""
    results = []
    for cls in (nn.RNN, ElmanRNN):
        torch.manual_seed(8)
        rnn, head = cls(3, 5), nn.Linear(5, 1)
        torch.manual_seed(9)
        x, y = torch.randn(6, 4, 3), torch.randn(6, 4, 1)
        loss = (head(rnn(x)[0]) - y).pow(2).mean()
        (g_w,) = torch.autograd.grad(loss, [head.weight], create_graph=True)
        (loss + g_w.pow(2).sum()).backward()
        results.append([*grads(rnn), *grads(head)])
    for e, g in zip(*results, strict=True):
        assert max_diff(g, e) <= 1e-5


@pytest.mark.parametrize("packed", [False, True])
def test_item7_double_backward_through_the_rnn_matches_torch(packed):
    ref, ours = pair(2, 3, 2, bidirectional=True, seed=10, dtype=torch.float64)
    results = []
    for module in (ref, ours):
        x = torch.randn(5, 3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(12), requires_grad=True)
        inp = pack_padded_sequence(x, [5, 4, 2]) if packed else x
        out, h_n = module(inp)
        data = out.data if packed else out
        (g,) = torch.autograd.grad(data.pow(2).sum() + h_n.sum(), x, create_graph=True)
        g.pow(2).sum().backward()
        results.append([g, x.grad, *grads(module)])
    for e, g in zip(*results, strict=True):
        assert max_diff(g, e) <= 1e-10


# ----------------------------------------------------------------------------- 8. constructor

@pytest.mark.parametrize("args,kwargs", [
    ((np.int64(3), 5), {}), ((3, np.int64(5)), {}), ((3, 5, np.int64(2)), {}), ((3, 5), dict(num_layers=np.int32(2))),
    ((3, 5), dict(proj_size=0)), ((3, 5), dict(dropout=None)), ((3, 5), dict(dropout=np.float64(0.5), num_layers=2)),
])
def test_item8_constructor_accepts_and_refuses_what_torch_does(args, kwargs):
    outcomes = []
    for cls in (nn.RNN, ElmanRNN):
        torch.manual_seed(0)
        try:
            outcomes.append(cls(*args, **kwargs).state_dict())
        except Exception as err:  # noqa: BLE001 - compared with torch's below
            outcomes.append((type(err), str(err)))
    e, g = outcomes
    if isinstance(e, tuple):
        assert g == e
    else:
        assert list(g) == list(e) and all(torch.equal(g[k], e[k]) for k in e)


# ----------------------------------------------------------------------------- 9. module protocol

def test_item9_is_an_rnn_module_with_torch_flat_weights():
    ref, ours = pair(3, 4, 2, bidirectional=True, seed=11)
    assert isinstance(ours, nn.RNNBase) and isinstance(ours, nn.RNN)
    assert [id(w) for w in ours._flat_weights] == [id(getattr(ours, n)) for n in ours._flat_weights_names]
    assert ours._flat_weights_names == ref._flat_weights_names
    ours.double()  # torch re-initialises _flat_weights on .to()
    assert all(w.dtype == torch.float64 for w in ours._flat_weights)
    x = torch.randn(4, 2, 3, dtype=torch.float64)
    assert max_diff(ours(x)[0], ref.double()(x)[0]) <= 1e-12


@pytest.mark.parametrize("change", ["mode_relu", "mode_tanh_after_relu", "nonlinearity", "bad_mode",
                                    "bias_none", "bias_hh_none", "weight_replaced"])
def test_item9_changes_after_construction_behave_as_torch(change):
    outcomes = []
    for cls in (nn.RNN, ElmanRNN):
        torch.manual_seed(12)
        m = cls(3, 4, 2, nonlinearity="relu" if change == "mode_tanh_after_relu" else "tanh")
        if change == "mode_relu":
            m.mode = "RNN_RELU"
        elif change == "mode_tanh_after_relu":
            m.mode = "RNN_TANH"
        elif change == "nonlinearity":
            m.nonlinearity = "relu"  # torch keeps using mode
        elif change == "bad_mode":
            m.mode = "LSTM"
        elif change == "bias_none":
            m.register_parameter("bias_ih_l0", None)
        elif change == "bias_hh_none":
            m.register_parameter("bias_hh_l1", None)
            m.float()  # .to() re-reads the parameters into _flat_weights
        else:
            m.weight_hh_l1 = nn.Parameter(torch.randn(4, 4))
        x = torch.randn(5, 2, 3, generator=torch.Generator().manual_seed(13))
        try:
            out, h_n = m(x)
            outcomes.append((out.detach(), h_n.detach()))
        except Exception as err:  # noqa: BLE001 - compared with torch's below
            outcomes.append((type(err), str(err)))
    e, g = outcomes
    if isinstance(e[0], type):
        assert g == e
    else:
        assert max_diff(g[0], e[0]) <= 1e-6 and max_diff(g[1], e[1]) <= 1e-6


def test_item9_state_dict_round_trip_with_torch_and_repr():
    ref, ours = pair(3, 4, 3, bidirectional=True, seed=14)
    other = nn.RNN(3, 4, 3, bidirectional=True)
    other.load_state_dict(ours.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(other.state_dict().values(), ref.state_dict().values(), strict=True))
    assert repr(ours) == repr(ref).replace("RNN(", "ElmanRNN(", 1)


# ----------------------------------------------------------------------------- 10. one-step calls

@pytest.mark.parametrize("layers", [1, 2])
def test_item10_one_step_calls_match_torch_and_h_n_is_not_the_output(layers):
    ref, ours = pair(6, 8, layers, seed=15)
    h_ref = h_ours = torch.randn(layers, 1, 8, generator=torch.Generator().manual_seed(16))
    with torch.no_grad():
        for step in range(5):  # a sampling loop
            x = torch.randn(1, 1, 6, generator=torch.Generator().manual_seed(step))
            out_ref, h_ref = ref(x, h_ref)
            out_ours, h_ours = ours(x, h_ours)
            assert max_diff(out_ours, out_ref) <= 1e-6 and max_diff(h_ours, h_ref) <= 1e-6
    before = h_ours.clone()
    out_ours.add_(1.0)  # the caller's output is its own: h_n must not change with it
    assert torch.equal(h_ours, before)


# ----------------------------------------------------------------------------- 11. torch.compile

def _captured_nodes(module: nn.Module, steps: int, allow_rnn: bool) -> tuple[int, Tensor]:
    """Number of FX nodes dynamo captures for one forward+backward of ``module`` on ``steps`` steps."""
    torch._dynamo.reset()
    nodes = []

    def backend(gm, example_inputs):
        nodes.append(len(gm.graph.nodes))
        return gm

    with torch._dynamo.config.patch(allow_rnn=allow_rnn):
        compiled = torch.compile(module, backend=backend)
        x = torch.randn(steps, 2, 3, generator=torch.Generator().manual_seed(17))
        out, h_n = compiled(x)
        (out.sum() + h_n.sum()).backward()
    torch._dynamo.reset()
    return sum(nodes), out.detach()


@pytest.mark.parametrize("allow_rnn", [False, True])
def test_item11_compile_captures_the_same_graph_whatever_the_length(allow_rnn):
    """The time loop is never unrolled: what dynamo captures does not grow with T, and results are torch's."""
    ref, ours = pair(3, 5, 2, bidirectional=True, seed=18)
    counts = []
    for steps in (3, 12):
        n, out = _captured_nodes(ours, steps, allow_rnn)
        counts.append(n)
        x = torch.randn(steps, 2, 3, generator=torch.Generator().manual_seed(17))
        assert max_diff(out, ref(x)[0].detach()) <= 1e-5
    assert counts[0] == counts[1], counts
    if allow_rnn:  # dynamo traces forward: each layer and direction is one custom operator
        assert counts[0] > 0


def test_item10_calls_without_hx_share_no_visible_state():
    """Eager calls without hx share one zero initial state: nothing a caller does to the results
    of one call may change the next call's."""
    ref, ours = pair(4, 8, 2, seed=30)
    x = torch.randn(5, 3, 4, generator=torch.Generator().manual_seed(31))
    with torch.no_grad():
        out, h_n = ours(x)
        out.mul_(7.0)
        h_n.add_(3.0)
        again, h_again = ours(x)
        expected, expected_h = ref(x)
    assert max_diff(again, expected) <= 1e-6 and max_diff(h_again, expected_h) <= 1e-6


def test_item3_sigmoid_form_switch_restores_tanh_and_itself():
    """sigmoid_form(False) (the benchmark's elman_tanh ablation) runs tanh_ throughout, bit for bit
    what the path without the form computes; leaving the block turns the form back on."""
    from rnn_companion import elman_ops

    torch.manual_seed(40)
    rnn = nn.RNN(64, 128)
    x = torch.randn(40, 32, 64).reshape(-1, 64)
    w_ih, w_hh, b_ih, b_hh = (p.detach() for p in rnn.parameters())
    args = (x, torch.zeros(32, 128), w_ih, w_hh, b_ih, b_hh, [32] * 40)
    with_form = elman_ops.scan(*args, relu=False)
    with elman_ops.sigmoid_form(False):
        without = elman_ops.scan(*args, relu=False)
    again = elman_ops.scan(*args, relu=False)
    out = torch.mm(x, w_ih.t()).add_(b_ih + b_hh)
    elman_ops._recur(out, torch.zeros(32, 128), w_hh.t(), [32] * 40, torch.Tensor.tanh_)
    assert torch.equal(without, out) and not torch.equal(with_form, without) and torch.equal(again, with_form)
