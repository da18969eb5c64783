"""Like-for-like GPU benchmark of the Elman RNN paths (needs CUDA; not part of the test suite).

    python -m rnn_companion.fused.bench_gpu --json PATH [--tf32 off|on] [--quick] [--budget-s 180]

Shape convention (stated once for this module): a size is ``(T, batch, input, hidden)``; every
contender runs one layer on time-major float32 input ``x`` of shape ``(T, batch, input)`` with
the same weights and returns the output ``(T, batch, hidden)``.

Contenders: ``cudnn`` (``torch.nn.RNN``, the baseline of every ratio), ``nocudnn``
(``torch.nn.RNN`` with cuDNN disabled), ``elman_loop`` (:class:`~rnn_companion.elman.ElmanRNN`,
its per-step loop: the fused hook is switched off with ``RNN_COMPANION_FUSED=0``),
``cuda_graph`` (that loop captured in CUDA graphs, :class:`~rnn_companion.fused.cuda_graph.GraphedRNN`)
and ``fused`` (the Triton kernels, :func:`~rnn_companion.fused.layer.rnn_forward`; hidden sizes up
to 256), plus ``fused_dot`` where ``fused`` takes the broadcast path for a small batch (the same
kernels forced to use ``tl.dot``: data for tuning ``launch_config``). Passes: ``fwd`` under
``torch.no_grad()``, ``fwd_bwd`` the forward then ``output.backward(grad_output)`` (every
parameter gradient; the input does not require grad).

TF32 is set the same way for every contender before anything runs (``--tf32 off``, the default,
clears ``torch.backends.cuda.matmul.allow_tf32`` and ``torch.backends.cudnn.allow_tf32``; ``on``
sets both) and recorded. Timing: CUDA events around ``number`` back-to-back calls (a sample
lasts at least ``min_time_s``); ``repeats`` rounds, each running every contender once in a
shuffled order. ``ratio`` is the median over rounds of the contender's time divided by cuDNN's
time in the same round. ``per_step_s`` is the median time divided by T, and ``vs_floor`` divides
it by the floor: the measured time per step of a Triton kernel that does nothing but one
dependent ``H x H`` matrix-vector product per step with ``W_hh`` held on chip (in registers;
``floor_step_s``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
import triton
import triton.language as tl
from torch import Tensor, nn

from ..bench.timing import timer_for
from .cuda_graph import GraphedRNN
from .dispatch import MAX_HIDDEN
from .layer import rnn_forward
from .triton_elman import dot_shared_bytes, launch_config, matmul_allows_tf32, shared_budget

__all__ = ["SIZES", "SWEEP", "main", "run"]

SCHEMA = "rnn_companion.fused.bench_gpu/1"
#: The named sizes ``(T, batch, input, hidden)``: A and B are the fused kernel's goals, C as in rnn_companion.bench.
SIZES: dict[str, tuple[int, int, int, int]] = {"A": (100, 32, 64, 128), "B": (1000, 1, 8, 32), "C": (50, 256, 256, 512)}
#: The batch sweep: T = 100, input = hidden, batch 1/4/16/64 at hidden 32..512; small batches
#: first (the goal sizes), so that a run cut short by its time budget loses the large ones.
SWEEP: list[tuple[int, int, int, int]] = [(100, n, h, h) for n in (1, 4, 16, 64) for h in (32, 64, 128, 256, 512)]
CONTENDERS = ("cudnn", "nocudnn", "elman_loop", "cuda_graph", "fused", "fused_dot")
PASSES = ("fwd", "fwd_bwd")


def _floor_kernel(w_ptr: tl.tensor, out_ptr: tl.tensor, T: int, H: int, BLOCK_H: tl.constexpr) -> None:
    cols = tl.arange(0, BLOCK_H)
    ok = cols < H
    w = tl.load(w_ptr + cols[:, None] * H + cols[None, :], mask=ok[:, None] & ok[None, :], other=0.0)  # on chip
    h = tl.full((BLOCK_H,), 0.01, dtype=tl.float32)
    for _ in range(T):  # one dependent matrix-vector product per step, nothing else
        h = tl.sum(w * h[None, :], axis=1)
    tl.store(out_ptr + cols, h)


def _time(fn: Callable[[], object], number: int, device: str = "cuda") -> float:
    """Seconds per call of ``number`` back-to-back calls: CUDA events on a GPU, the wall clock on
    ``cpu`` (the smoke test's device); the benchmark's own timers (:mod:`rnn_companion.bench.timing`)."""
    return timer_for(torch.device(device), "wall").measure(fn, number)


def measure_floor(hidden: int, steps: int = 1000) -> float:
    """Seconds per step of :func:`_floor_kernel`, the dependent-product floor at this hidden size."""
    kernel = triton.jit(_floor_kernel)
    block_h = max(16, triton.next_power_of_2(hidden))
    w = torch.randn(hidden, hidden, device="cuda") * (0.5 / math.sqrt(hidden))
    out = torch.empty(block_h, device="cuda")
    warps = launch_config(1, hidden).num_warps

    def launch() -> None:
        kernel[(1,)](w, out, steps, hidden, BLOCK_H=block_h, num_warps=warps)

    launch()
    return statistics.median(_time(launch, 5) for _ in range(5)) / steps


def _contenders(ref: nn.RNN, elman: nn.Module, x: Tensor, gout: Tensor, pass_: str) -> dict[str, Callable[[], Tensor]]:
    """One callable per contender that runs one pass and returns the output."""
    modules = {"cudnn": ref, "nocudnn": ref, "elman_loop": elman, "cuda_graph": elman, "fused": ref}
    calls: dict[str, Callable[[], tuple[Tensor, Tensor]]] = {
        "cudnn": lambda: ref(x),
        "elman_loop": lambda: elman(x),
    }

    def nocudnn() -> tuple[Tensor, Tensor]:
        with torch.backends.cudnn.flags(enabled=False):
            out, h_n = ref(x)
            return out, h_n

    calls["nocudnn"] = nocudnn
    if x.is_cuda:
        graph = GraphedRNN(elman, x, train=pass_ == "fwd_bwd")
        calls["cuda_graph"] = lambda: graph(x)
    if ref.hidden_size <= MAX_HIDDEN:
        calls["fused"] = lambda: rnn_forward(ref, x)
    fns: dict[str, Callable[[], Tensor]] = {}
    for name, call in calls.items():
        fns[name] = _one_pass(call, modules[name], gout, pass_)
    if "fused" in calls:
        budget = shared_budget(x.device)
        chosen = launch_config(x.shape[1], ref.hidden_size, x.dtype, budget)
        if not chosen.use_dot and dot_shared_bytes(16, chosen.block_h, x.dtype) <= (budget or 0):
            fns["fused_dot"] = _forcing_dot(fns["fused"])  # also time the tl.dot way where it fits
    return fns


def _forcing_dot(fn: Callable[[], Tensor]) -> Callable[[], Tensor]:
    """``fn`` with the fused kernels forced to form the per-step product with tl.dot."""

    def forced() -> Tensor:
        os.environ["RNN_COMPANION_FUSED_KERNEL"] = "dot"
        try:
            return fn()
        finally:
            del os.environ["RNN_COMPANION_FUSED_KERNEL"]

    return forced


def _one_pass(
    call: Callable[[], tuple[Tensor, Tensor]], module: nn.Module, gout: Tensor, pass_: str,
) -> Callable[[], Tensor]:
    if pass_ == "fwd":

        def fwd() -> Tensor:
            with torch.no_grad():
                return call()[0]

        return fwd

    def fwd_bwd() -> Tensor:
        for p in module.parameters():
            p.grad = None
        out = call()[0]
        torch.autograd.backward(out, gout)
        return out

    return fwd_bwd


def _kernel_label(contender: str, batch: int, hidden: int, x: Tensor) -> str | None:
    """How a fused contender forms its per-step product ("dot" or "reduce"); None for the others."""
    if contender == "fused_dot":
        return "dot"
    if contender != "fused":
        return None
    return "dot" if launch_config(batch, hidden, x.dtype, shared_budget(x.device)).use_dot else "reduce"


def run_case(
    dims: tuple[int, int, int, int], pass_: str, *, repeats: int, warmup: int, min_time: float, seed: int,
    floor_step: float | None, device: str = "cuda",
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Time every contender on one size and pass; return records and skips."""
    from rnn_companion.elman import ElmanRNN

    steps, batch, inputs, hidden = dims
    torch.manual_seed(seed)
    ref = nn.RNN(inputs, hidden).to(device)
    elman = ElmanRNN(inputs, hidden).to(device)
    elman.load_state_dict(ref.state_dict())
    x = torch.randn(steps, batch, inputs, device=device)
    gout = torch.randn(steps, batch, hidden, device=device)
    fns = _contenders(ref, elman, x, gout, pass_)
    skipped = [] if "fused" in fns else [{"contender": "fused", "reason": f"hidden {hidden} > {MAX_HIDDEN}"}]
    if "cuda_graph" not in fns:
        skipped.append({"contender": "cuda_graph", "reason": f"CUDA graphs need CUDA, got {device}"})
    with torch.no_grad():
        expected = ref(x)[0].clone()
    outputs = {name: fn().detach().clone() for name, fn in fns.items()}  # also the first warm-up (compiles Triton)
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    number = {name: max(1, min(1000, math.ceil(min_time / max(_time(fn, 1, device), 1e-7))))
              for name, fn in fns.items()}
    times: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns)
    rng = random.Random(seed)
    for _ in range(repeats):
        rng.shuffle(order)
        for name in order:
            times[name].append(_time(fns[name], number[name], device))
    records = []
    for name, samples in times.items():
        median = statistics.median(samples)
        ratios = [a / b for a, b in zip(samples, times["cudnn"], strict=True)]
        per_step = median / steps
        records.append({
            "T": steps, "batch": batch, "input": inputs, "hidden": hidden, "layers": 1, "pass": pass_,
            "contender": name, "number": number[name], "times_s": samples, "median_s": median,
            "ratio": statistics.median(ratios), "ratio_of_medians": median / statistics.median(times["cudnn"]),
            "per_step_s": per_step, "vs_floor": None if floor_step is None else per_step / floor_step,
            "max_abs_diff": float((outputs[name] - expected).abs().max()),
            "kernel": _kernel_label(name, batch, hidden, x),
        })
    return records, skipped


def _tf32_settings() -> dict[str, object]:
    """Every TF32 flag that decides a contender's float32 arithmetic, old and new API."""
    found: dict[str, object] = {
        "cuda_matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
        "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
        "fused_kernel_tf32": matmul_allows_tf32(),
    }
    for name, where in (("cuda_matmul_fp32_precision", torch.backends.cuda.matmul),
                        ("cudnn_rnn_fp32_precision", getattr(torch.backends.cudnn, "rnn", None))):
        found[name] = getattr(where, "fp32_precision", None)
    return found


def run(
    cases: Sequence[tuple[str, tuple[int, int, int, int]]], *, tf32: bool, repeats: int, warmup: int,
    min_time: float, budget_s: float, seed: int = 0, log: Callable[[str], None] = print,
    checkpoint: Callable[[dict[str, Any]], None] | None = None, device: str = "cuda",
) -> dict[str, Any]:
    """Run every case and pass (until ``budget_s`` seconds have passed) and return the JSON object.

    ``checkpoint`` receives the object so far after the floors and after every case (so that a
    run stopped from outside still leaves its finished cases). ``device="cpu"`` is for a smoke
    test of this code only (under ``TRITON_INTERPRET=1``): wall-clock times, no CUDA graph, no floor.
    """
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("bench_gpu needs a CUDA device; torch.cuda.is_available() is False")
    os.environ["RNN_COMPANION_FUSED"] = "0"  # ElmanRNN runs its own loop; the fused contender is called directly
    os.environ.pop("RNN_COMPANION_FUSED_KERNEL", None)  # "fused" takes launch_config's choice
    torch.backends.cuda.matmul.allow_tf32 = tf32  # the legacy API only: it and the new one must not be mixed
    torch.backends.cudnn.allow_tf32 = tf32
    log(f"TF32: {_tf32_settings()}")
    start = time.perf_counter()
    gpu = torch.cuda.get_device_properties(0) if device == "cuda" else None
    floors: dict[int, float] = {}
    results: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "machine": {"gpu": gpu.name if gpu else None, "sm": f"{gpu.major}.{gpu.minor}" if gpu else None,
                    "sm_count": gpu.multi_processor_count if gpu else None, "platform": platform.platform()},
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
                     "cudnn": torch.backends.cudnn.version(),
                     "triton": triton.__version__},
        "settings": {"device": device, "tf32": _tf32_settings(), "dtype": "float32", "layers": 1, "repeats": repeats,
                     "warmup": warmup, "min_time_s": min_time, "seed": seed, "budget_s": budget_s,
                     "contenders": list(CONTENDERS), "passes": list(PASSES)},
        "floor_step_s": {},
        "complete": False,
        "elapsed_s": 0.0,
        "results": results,
        "skipped": skipped,
    }

    def save() -> None:
        result["floor_step_s"] = {str(h): s for h, s in floors.items()}
        result["elapsed_s"] = time.perf_counter() - start
        if checkpoint is not None:
            checkpoint(result)

    for hidden in sorted({d[3] for _, d in cases if d[3] <= MAX_HIDDEN and device == "cuda"}):
        try:
            floors[hidden] = measure_floor(hidden)
        except Exception as error:  # recorded and printed: the cases still run, without vs_floor
            skipped.append({"floor": hidden, "reason": f"{type(error).__name__}: {error}"})
            log(f"floor H={hidden}: FAILED {type(error).__name__}: {error}")
            continue
        log(f"floor H={hidden}: {floors[hidden] * 1e6:.3f} us/step")
    save()
    for name, dims in cases:
        for pass_ in PASSES:
            where = {"size": name, "dims": list(dims), "pass": pass_}
            if time.perf_counter() - start > budget_s:
                skipped.append({**where, "contender": "*", "reason": f"time budget of {budget_s:.0f} s spent"})
                continue
            try:
                records, skips = run_case(dims, pass_, repeats=repeats, warmup=warmup, min_time=min_time,
                                          seed=seed, floor_step=floors.get(dims[3]), device=device)
            except Exception as error:  # recorded and printed, never hidden: one failing case must not end the run
                skipped.append({**where, "contender": "*", "reason": f"{type(error).__name__}: {error}"})
                log(f"{name} {dims} {pass_}: FAILED {type(error).__name__}: {error}")
                continue
            for r in records:
                r["size"] = name
            results += records
            skipped += [{**where, **s} for s in skips]
            log(f"{name} {dims} {pass_}: " + "  ".join(
                f"{r['contender']} {r['median_s'] * 1e6:.1f}us ({r['ratio']:.2f}x)" for r in records))
            save()
    result["complete"] = True
    save()
    return result


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rnn_companion.fused.bench_gpu", description=__doc__.split("\n")[0])
    p.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    p.add_argument("--tf32", choices=("off", "on"), default="off", help="TF32 for every contender (default off)")
    p.add_argument("--repeats", type=int, default=5, help="interleaved rounds per case (default 5)")
    p.add_argument("--warmup", type=int, default=2, help="untimed calls per contender (default 2)")
    p.add_argument("--min-time", type=float, default=0.005, help="seconds per sample at least (default 0.005)")
    p.add_argument("--budget-s", type=float, default=180.0, help="skip the cases left after this many seconds")
    p.add_argument("--quick", action="store_true", help="sizes A and B only, 3 rounds: a smoke test")
    args = p.parse_args(argv)
    cases = [(k, SIZES[k]) for k in (("A", "B") if args.quick else ("A", "B", "C"))]
    if not args.quick:
        cases += [(f"sweep b{d[1]} h{d[3]}", d) for d in SWEEP]

    def write(result: dict[str, Any]) -> None:
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(result, f, indent=1)

    run(cases, tf32=args.tf32 == "on", repeats=3 if args.quick else args.repeats, warmup=args.warmup,
        min_time=args.min_time, budget_s=args.budget_s, checkpoint=write)
    if args.json:
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
