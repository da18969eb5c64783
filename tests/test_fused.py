"""Tests for rnn_companion.fused: the Triton kernels of one Elman layer, their autograd
Function, the dispatch hook and the CUDA-graph wrapper.

The oracle is torch.nn.RNN on the CPU with the same weights (in the same dtype, and in float64
for the 16-bit types). Without a CUDA device the kernels run under Triton's interpreter on CPU
tensors. Triton reads TRITON_INTERPRET twice: when it is first imported (its library functions,
tl.sum and others, are decorated then) and when a kernel is jitted. So this module imports
triton at collection with TRITON_INTERPRET=1 (then restores the variable, so that other test
modules in the process are not affected), and every test here runs with it set. With a CUDA
device, the real compiler runs the kernels on the GPU (unless TRITON_INTERPRET is set already).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import torch
from torch import nn

from rnn_companion.fused import dispatch

ON_GPU = torch.cuda.is_available() and not dispatch.interpreter_active()


def _import_triton_interpreted() -> bool:
    """Import triton with TRITON_INTERPRET=1 unless it is imported already; True if its library
    functions are interpreted (the interpreter tests can run in this process)."""
    if not dispatch.triton_available():
        return False
    if "triton" not in sys.modules:
        before = os.environ.get("TRITON_INTERPRET")
        os.environ["TRITON_INTERPRET"] = "1"
        try:
            import triton.language  # noqa: F401
        finally:
            if before is None:
                del os.environ["TRITON_INTERPRET"]
            else:
                os.environ["TRITON_INTERPRET"] = before
    import triton.language as tl
    from triton.runtime.interpreter import InterpretedFunction

    return isinstance(tl.sum, InterpretedFunction)


INTERPRETER_READY = ON_GPU or _import_triton_interpreted()

DEVICE = torch.device("cuda" if ON_GPU else "cpu")
needs_triton = pytest.mark.skipif(
    not dispatch.triton_available() or not INTERPRETER_READY,
    reason="triton is not installed (pip install rnn-companion[gpu], or triton==3.9.0)"
    if not dispatch.triton_available()
    else "triton was imported before this module without TRITON_INTERPRET=1: run tests/test_fused.py on its own",
)
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _interpreter_without_gpu(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if not ON_GPU:
        monkeypatch.setenv("TRITON_INTERPRET", "1")  # read when a kernel is jitted and by dispatch
    yield


# max |got - expected| <= TOL * max(1, max |expected|), per dtype of the fused run
TOL = {torch.float32: 1e-5, torch.float64: 1e-12, torch.bfloat16: 5e-2, torch.float16: 5e-3}
Tensor = torch.Tensor


def assert_near(got: Tensor | None, expected: Tensor | None, tol: float, what: str) -> None:
    assert got is not None and expected is not None, what
    assert got.shape == expected.shape, (what, got.shape, expected.shape)
    got = got.detach().cpu().to(expected.dtype)
    scale = max(1.0, expected.abs().max().item())
    err = (got - expected.detach()).abs().max().item()
    assert err <= tol * scale, f"{what}: max abs diff {err:.3g} > {tol:g} * {scale:.3g}"


def run_both(
    dtype: torch.dtype, seed: int, *, steps: int, batch: int, inputs: int, hidden: int, **kwargs: object
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Outputs and every gradient of nn.RNN (CPU; float64 oracle for 16-bit dtypes) and of the
    fused path (DEVICE, ``dtype``), same weights, inputs and upstream gradients."""
    from rnn_companion.fused import rnn_forward

    ref_dtype = torch.float64 if dtype in (torch.bfloat16, torch.float16) else dtype
    torch.manual_seed(seed)
    ref = nn.RNN(inputs, hidden, **kwargs).to(ref_dtype)  # type: ignore[arg-type]
    ours = nn.RNN(inputs, hidden, **kwargs).to(DEVICE, dtype)  # type: ignore[arg-type]
    ours.load_state_dict({k: v.to(dtype) for k, v in ref.state_dict().items()})
    ref.load_state_dict({k: v.to(dtype).to(ref_dtype) for k, v in ref.state_dict().items()})  # same rounding
    batch_first = bool(kwargs.get("batch_first", False))
    directions = 2 if kwargs.get("bidirectional", False) else 1
    layers = int(kwargs.get("num_layers", 1))  # type: ignore[call-overload]
    x = torch.randn((batch, steps, inputs) if batch_first else (steps, batch, inputs)).to(dtype)
    h0 = (0.5 * torch.randn(layers * directions, batch, hidden)).to(dtype)
    g_out = torch.randn(*x.shape[:2], directions * hidden).to(dtype)
    g_final = torch.randn(h0.shape).to(dtype)
    results = []
    for module, fn, device, dt in ((ref, ref, "cpu", ref_dtype), (ours, None, DEVICE, dtype)):
        xs = x.to(device, dt).requires_grad_()
        hs = h0.to(device, dt).requires_grad_()
        out, h_n = fn(xs, hs) if fn is not None else rnn_forward(module, xs, hs)
        (out * g_out.to(device, dt)).sum().add_((h_n * g_final.to(device, dt)).sum()).backward()
        found = {"out": out, "h_n": h_n, "dx": xs.grad, "dh0": hs.grad}
        found |= {f"d{name}": p.grad for name, p in module.named_parameters()}
        results.append(found)
    return results[0], results[1]


CASES = [  # (steps, batch, inputs, hidden): hidden sizes below, at and between powers of two
    (8, 4, 3, 32),
    (5, 3, 7, 20),
    (1, 1, 4, 5),
    (7, 2, 16, 16),
]


@pytest.fixture(params=["dot", "reduce"])
def kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each way of forming the per-step product (tl.dot, or broadcast products and tl.sum)."""
    monkeypatch.setenv("RNN_COMPANION_FUSED_KERNEL", request.param)
    return str(request.param)


@needs_triton
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("seed", range(len(CASES)))
def test_one_layer_outputs_and_gradients_match_nn_rnn(
    dtype: torch.dtype, nonlinearity: str, seed: int, kernel: str
) -> None:
    from rnn_companion.fused.triton_elman import launch_config, shared_budget

    steps, batch, inputs, hidden = CASES[seed]
    assert launch_config(batch, hidden, dtype, shared_budget(DEVICE)).use_dot == (kernel == "dot")
    expected, got = run_both(
        dtype, seed, steps=steps, batch=batch, inputs=inputs, hidden=hidden, nonlinearity=nonlinearity
    )
    assert set(got) == set(expected) == {
        "out", "h_n", "dx", "dh0", "dweight_ih_l0", "dweight_hh_l0", "dbias_ih_l0", "dbias_hh_l0"
    }
    for name in expected:
        assert_near(got[name], expected[name], TOL[dtype], f"{nonlinearity} {dtype} {name}")


@needs_triton
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_two_layers_bidirectional_batch_first_without_bias(dtype: torch.dtype) -> None:
    expected, got = run_both(
        dtype, 7, steps=6, batch=3, inputs=5, hidden=12,
        num_layers=2, bidirectional=True, batch_first=True, bias=False,
    )
    assert len(expected) == 4 + 8  # out, h_n, dx, dh0 and 2 weights x 2 directions x 2 layers
    for name in expected:
        assert_near(got[name], expected[name], TOL[dtype], f"{dtype} {name}")


@needs_triton
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bfloat16", "float16"])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_16_bit_types_accumulate_in_float32(dtype: torch.dtype, nonlinearity: str, kernel: str) -> None:
    """Against a float64 oracle with the same (rounded) weights and inputs; the results stay in
    the 16-bit type, and the tolerance covers rounding the states to it at every step."""
    expected, got = run_both(dtype, 3, steps=6, batch=2, inputs=8, hidden=32, nonlinearity=nonlinearity)
    for name in expected:
        assert got[name].dtype == dtype, name
        assert_near(got[name], expected[name], TOL[dtype], f"{nonlinearity} {dtype} {name}")


@needs_triton
@pytest.mark.parametrize(("steps", "batch", "hidden", "relu"), [(6, 3, 24, False), (3, 20, 130, True)])
def test_kernels_compute_the_recurrence_and_its_backward(
    steps: int, batch: int, hidden: int, relu: bool, kernel: str
) -> None:
    """The two launchers alone, against the recurrence written out in float64; the second case
    has several batch blocks (several programs) and a hidden size padded to 256."""
    from rnn_companion.fused import fused_layer_backward, fused_layer_forward
    from rnn_companion.fused.triton_elman import dot_shared_bytes, launch_config, shared_budget

    budget = shared_budget(DEVICE)
    if kernel == "dot" and budget is not None and dot_shared_bytes(16, 256, torch.float64) > budget and hidden > 128:
        pytest.skip(f"the tl.dot path does not fit in this GPU's shared memory at hidden {hidden} in float64")
    torch.manual_seed(11)
    config = launch_config(batch, hidden, torch.float64, budget)
    assert config.use_dot == (kernel == "dot") and (batch > config.block_b) == (batch == 20)
    xw = torch.randn(steps, batch, hidden, dtype=torch.float64)
    h0 = torch.randn(batch, hidden, dtype=torch.float64)
    w_hh = 0.3 * torch.randn(hidden, hidden, dtype=torch.float64)
    grad = torch.randn(steps, batch, hidden, dtype=torch.float64)
    out = fused_layer_forward(xw.to(DEVICE), h0.to(DEVICE), w_hh.to(DEVICE), relu=relu)
    dz = fused_layer_backward(grad.to(DEVICE), out, w_hh.to(DEVICE), relu=relu)
    h, states = h0, []
    for t in range(steps):
        z = xw[t] + h @ w_hh.t()
        h = torch.relu(z) if relu else torch.tanh(z)
        states.append(h)
    d_next, dzs = torch.zeros(batch, hidden, dtype=torch.float64), []
    for t in reversed(range(steps)):
        slope = (states[t] > 0).double() if relu else 1 - states[t] ** 2
        d_next = (grad[t] + d_next @ w_hh) * slope
        dzs.insert(0, d_next)
    assert_near(out, torch.stack(states), 1e-12, "states")
    assert_near(dz, torch.stack(dzs), 1e-12, "dz")


@needs_triton
def test_launchers_reject_mismatched_shapes() -> None:
    from rnn_companion.fused import fused_layer_forward

    xw = torch.zeros(3, 2, 8, device=DEVICE)
    with pytest.raises(ValueError, match=r"h0 must be \(2, 8\).*got \(2, 7\)"):
        fused_layer_forward(xw, torch.zeros(2, 7, device=DEVICE), torch.zeros(8, 8, device=DEVICE), relu=False)
    with pytest.raises(ValueError, match="hidden size must be in 1..256"):
        big = torch.zeros(1, 1, 257, device=DEVICE)
        fused_layer_forward(big, torch.zeros(1, 257, device=DEVICE), torch.zeros(257, 257, device=DEVICE), relu=False)


def test_is_supported_says_why_not(monkeypatch: pytest.MonkeyPatch) -> None:
    x = torch.zeros(2, 3, 4)
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    if dispatch.triton_available():
        assert dispatch.is_supported(x, 256)
        assert dispatch.unsupported_reason(x, 257) == "hidden size must be at most 256 for the fused kernels, got 257"
        assert "got torch.int64" in str(dispatch.unsupported_reason(x.long(), 8))
        assert "packed sequences" in str(dispatch.unsupported_reason(x, 8, packed=True))
        huge = torch.zeros(1, 1, 1).expand(2**24, 1, 1)  # 2**24 rows x 128 = 2**31 states: too many
        assert "fewer than 2**31 state elements" in str(dispatch.unsupported_reason(huge, 128))
        monkeypatch.setenv("TRITON_INTERPRET", "0")
        assert "need a CUDA tensor" in str(dispatch.unsupported_reason(x, 8))
    else:
        assert "triton is not installed" in str(dispatch.unsupported_reason(x, 8))


@needs_triton
def test_maybe_fused_forward_takes_elman_rows_and_declines_what_it_does_not_cover(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    torch.manual_seed(5)
    ref = nn.RNN(4, 10).double()
    steps, batch = 5, 3
    x = torch.randn(steps, batch, 4, dtype=torch.float64)
    h0 = torch.randn(1, batch, 10, dtype=torch.float64)
    expected, expected_h = ref(x, h0)
    params = [p.detach().to(DEVICE) for p in ref.parameters()]  # w_ih, w_hh, b_ih, b_hh
    rows, first = x.reshape(steps * batch, 4).to(DEVICE), h0[0].to(DEVICE)
    got = dispatch.maybe_fused_forward(rows, first, *params, [batch] * steps, relu=False)
    assert got is not None
    assert_near(got[0], expected.reshape(steps * batch, 10), 1e-12, "rows")
    assert_near(got[1], expected_h[0], 1e-12, "final")
    assert dispatch.maybe_fused_forward(rows[:-1], first, *params, [3, 3, 3, 3, 2], relu=False) is None  # packed
    monkeypatch.setenv("RNN_COMPANION_FUSED", "0")
    assert dispatch.maybe_fused_forward(rows, first, *params, [batch] * steps, relu=False) is None


@needs_triton
def test_elman_rnn_takes_the_fused_path_where_it_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    """ElmanRNN's layers go through the hook: on the fused path (interpreter here, a GPU there)
    its graph holds the fused Function, and outputs and gradients still match nn.RNN."""
    from rnn_companion import ElmanRNN

    torch.manual_seed(6)
    ref = nn.RNN(3, 8, num_layers=2, bidirectional=True).double()
    rnn = ElmanRNN(3, 8, num_layers=2, bidirectional=True).double().to(DEVICE)
    rnn.load_state_dict(ref.state_dict())
    x = torch.randn(4, 2, 3, dtype=torch.float64)
    out, h_n = rnn(x.to(DEVICE))
    expected, expected_h = ref(x)
    assert out.grad_fn is not None
    names, seen, stack = set(), set(), [out.grad_fn]
    while stack:  # every node of the backward graph
        node = stack.pop()
        if node is not None and id(node) not in seen:
            seen.add(id(node))
            names.add(node.name())
            stack.extend(n for n, _ in node.next_functions)
    assert any("Fused" in n for n in names), sorted(names)
    assert_near(out, expected, 1e-12, "output")
    assert_near(h_n, expected_h, 1e-12, "h_n")
    out.sum().backward()
    expected.sum().backward()
    for (name, p), q in zip(rnn.named_parameters(), ref.parameters(), strict=True):
        assert_near(p.grad, q.grad, 1e-12, name)
    monkeypatch.setenv("RNN_COMPANION_FUSED", "0")  # the switch: back to the loop
    out_loop, _ = rnn(x.to(DEVICE))
    assert_near(out_loop, expected, 1e-12, "loop output")


@needs_triton
def test_double_backward_is_refused() -> None:
    from rnn_companion.fused import fused_layer

    torch.manual_seed(2)
    w_ih = torch.randn(6, 3, device=DEVICE, requires_grad=True)
    w_hh = (0.2 * torch.randn(6, 6, device=DEVICE)).requires_grad_()
    x, h0 = torch.randn(4, 2, 3, device=DEVICE), torch.zeros(2, 6, device=DEVICE)
    out, _ = fused_layer(x, h0, w_ih, w_hh, None, None, relu=False)
    with pytest.raises(RuntimeError, match="does not support double backward"):
        torch.autograd.grad(out.sum(), w_hh, create_graph=True)


def test_importing_the_package_does_not_import_triton() -> None:
    code = (
        "import sys, torch, rnn_companion, rnn_companion.fused as f\n"
        "f.is_supported(torch.zeros(2, 3), 8)\n"
        "assert 'triton' not in sys.modules, 'triton was imported'\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


@needs_triton
def test_interpreter_set_after_importing_triton_fails_with_a_clear_message() -> None:
    code = (
        "import os, torch, triton\n"
        "os.environ['TRITON_INTERPRET'] = '1'\n"
        "from rnn_companion.fused import fused_layer_forward\n"
        "try:\n"
        "    fused_layer_forward(torch.zeros(2, 1, 4), torch.zeros(1, 4), torch.zeros(4, 4), relu=False)\n"
        "except RuntimeError as error:\n"
        "    print(error)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert "must be set before triton is first imported" in done.stdout, done.stdout + done.stderr


@needs_cuda
@pytest.mark.parametrize("train", [False, True], ids=["forward", "forward_backward"])
def test_cuda_graph_replays_the_elman_loop(train: bool) -> None:
    from rnn_companion import ElmanRNN
    from rnn_companion.fused import GraphedRNN

    torch.manual_seed(4)
    eager = ElmanRNN(5, 16, num_layers=2).cuda()
    graphed = GraphedRNN(eager, torch.zeros(7, 3, 5, device="cuda"), train=train)
    for trial in range(2):  # a second replay with new values: nothing is baked into the graph
        x = torch.randn(7, 3, 5, device="cuda")
        hx = torch.randn(2, 3, 16, device="cuda")
        g_out = torch.randn(7, 3, 16, device="cuda")
        eager.zero_grad()
        with torch.set_grad_enabled(train):
            expected, expected_h = eager(x, hx)
            if train:
                (expected * g_out).sum().backward()
        expected_grads = [p.grad.clone() for p in eager.parameters()] if train else []
        eager.zero_grad()
        with torch.set_grad_enabled(train):
            out, h_n = graphed(x, hx)
            if train:
                (out * g_out).sum().backward()
        assert_near(out, expected.cpu(), 1e-6, f"output, replay {trial}")
        assert_near(h_n, expected_h.cpu(), 1e-6, f"h_n, replay {trial}")
        if train:
            for p, g in zip(eager.parameters(), expected_grads, strict=True):
                assert_near(p.grad, g.cpu(), 1e-5, f"gradient, replay {trial}")
    with pytest.raises(ValueError, match=r"input must be \(7, 3, 5\)"):
        graphed(torch.zeros(6, 3, 5, device="cuda"))


@needs_triton
def test_kernel_precision_follows_torch_matmul_tf32_setting() -> None:
    from rnn_companion.fused.triton_elman import input_precision

    before = torch.get_float32_matmul_precision()
    assert before == "highest"  # torch's default: no TF32
    assert input_precision(torch.float32) == "ieee"
    try:
        torch.set_float32_matmul_precision("high")  # TF32 allowed for float32 matmuls
        assert [input_precision(d) for d in (torch.float32, torch.float64, torch.bfloat16)] == ["tf32", "ieee", "ieee"]
    finally:
        torch.set_float32_matmul_precision(before)
    assert input_precision(torch.float32) == "ieee"


@needs_triton
def test_rnn_forward_refuses_dropout_in_training_and_non_rnn_modules() -> None:
    from rnn_companion.fused import rnn_forward

    module = nn.RNN(3, 4, num_layers=2, dropout=0.5).to(DEVICE)
    x = torch.randn(2, 1, 3, device=DEVICE)
    with pytest.raises(ValueError, match="applies no dropout; got dropout=0.5"):
        rnn_forward(module, x)
    out, h_n = rnn_forward(module.eval(), x)  # dropout does not apply in eval mode
    expected, expected_h = module.cpu()(x.cpu())
    assert_near(out, expected, TOL[torch.float32], "out")
    assert_near(h_n, expected_h, TOL[torch.float32], "h_n")
    with pytest.raises(TypeError, match="'num_layers' is of type int, got None on Linear"):
        rnn_forward(nn.Linear(3, 4), x)


AOT_COMPILE = """
import json, sys, warnings
warnings.simplefilter("ignore")
import torch, triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource
from rnn_companion.fused import triton_elman as te

budget = int(sys.argv[1])
kernels = {"fwd": (triton.jit(te._forward_kernel), ["xw_ptr", "h0_ptr", "w_ptr", "out_ptr"]),
           "bwd": (triton.jit(te._backward_kernel), ["grad_ptr", "out_ptr", "w_ptr", "dz_ptr"])}
names = {torch.float32: "fp32", torch.float64: "fp64", torch.bfloat16: "bf16"}
found = []
for dtype, batch, hidden in [(torch.float32, 1, 32), (torch.float32, 32, 128), (torch.float32, 4, 256),
                             (torch.float64, 16, 64), (torch.bfloat16, 2, 256)]:
    cfg = te.launch_config(batch, hidden, dtype, budget)
    for name, (kernel, pointers) in kernels.items():
        signature = {p: "*" + names[dtype] for p in pointers} | {"T": "i32", "B": "i32", "H": "i32"}
        constants = {"BLOCK_B": cfg.block_b, "BLOCK_H": cfg.block_h, "RELU": False, "PRECISION": "ieee",
                     "UPCAST": dtype == torch.bfloat16 and not cfg.use_dot, "USE_DOT": cfg.use_dot}
        signature |= {k: "constexpr" for k in constants}
        compiled = triton.compile(ASTSource(fn=kernel, signature=signature, constexprs=constants),
                                  target=GPUTarget("cuda", 90, 32), options={"num_warps": cfg.num_warps})
        found.append([str(dtype), batch, hidden, cfg.use_dot, name, compiled.metadata.shared,
                      te.dot_shared_bytes(cfg.block_b, cfg.block_h, dtype)])
print(json.dumps(found))
"""


@needs_triton
@pytest.mark.skipif(ON_GPU, reason="on a GPU the kernels are compiled and run by the other tests")
def test_kernels_compile_for_hopper_within_its_shared_memory() -> None:
    """Triton compiles for sm_90 without a GPU (its own ptxas): every way of launching fits the
    227 KB of shared memory one H100/H200 program may use, and the tl.dot estimate is not low."""
    import json

    budget = 232448 - 4096  # cudaDevAttrMaxSharedMemoryPerBlockOptin on sm_90, less shared_budget's margin
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    done = subprocess.run([sys.executable, "-c", AOT_COMPILE, str(budget)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(found) == 10
    assert {use_dot for _, _, _, use_dot, *_ in found} == {True, False}  # both ways compiled
    for dtype, batch, hidden, use_dot, kernel, shared, estimate in found:
        assert shared <= budget, (dtype, batch, hidden, kernel, shared)
        if use_dot:
            assert shared <= estimate, (dtype, batch, hidden, kernel, shared, estimate)


@needs_triton
@pytest.mark.skipif(ON_GPU, reason="on a GPU, .ci/gpu-fused-check runs the benchmark itself")
def test_gpu_benchmark_code_runs_on_cpu_and_records_every_contender(monkeypatch: pytest.MonkeyPatch) -> None:
    """A smoke test of bench_gpu's own code (no timing is checked): the interpreter stands in
    for the GPU; a size above the kernels' limit records the fused contender as skipped."""
    from rnn_companion.fused import bench_gpu

    monkeypatch.setenv("RNN_COMPANION_FUSED", "1")  # run() turns the hook off; monkeypatch restores it
    monkeypatch.delenv("RNN_COMPANION_FUSED_KERNEL", raising=False)
    before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    saved: list[int] = []
    try:
        result = bench_gpu.run([("tiny", (3, 2, 3, 8)), ("big", (2, 1, 2, 260))], tf32=False, repeats=2, warmup=0,
                               min_time=0.0, budget_s=600, device="cpu", log=lambda line: None,
                               checkpoint=lambda r: saved.append(len(r["results"])))
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before
    assert result["complete"] and saved[-1] == len(result["results"])
    assert result["settings"]["tf32"]["cuda_matmul_allow_tf32"] is False
    found = {(r["size"], r["pass"], r["contender"]) for r in result["results"]}
    for pass_ in ("fwd", "fwd_bwd"):
        assert {c for s, p, c in found if (s, p) == ("tiny", pass_)} == {"cudnn", "nocudnn", "elman_loop", "fused"}
        assert {c for s, p, c in found if (s, p) == ("big", pass_)} == {"cudnn", "nocudnn", "elman_loop"}
    for r in result["results"]:
        assert r["max_abs_diff"] < 1e-5, r  # every contender computes the same forward
        assert len(r["times_s"]) == 2 and r["ratio"] > 0
        assert r["kernel"] == ("reduce" if r["contender"] == "fused" else None)
    reasons = {(s["size"], s["contender"]): s["reason"] for s in result["skipped"]}
    assert reasons[("big", "fused")] == "hidden 260 > 256"
    assert reasons[("tiny", "cuda_graph")] == "CUDA graphs need CUDA, got cpu"
