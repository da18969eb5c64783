"""Benchmark: the NumPy reference, :class:`~rnn_companion.elman.ElmanRNN` and ``torch.nn.RNN``.

Run it as ``python -m rnn_companion.bench`` or with the console script ``rnn-companion-bench``::

    rnn-companion-bench                              # sizes A, B, C; 1 and 2 layers; every device
    rnn-companion-bench --size A --layers 1 --pass fwd
    rnn-companion-bench --size 100,32,64,128 --size 50,8,16,16 --layers 1 2 --json out.json
    rnn-companion-bench --quick                      # a tiny size, one repeat: a smoke test
    rnn-companion-bench --sweep                      # 12 sizes, 1 layer, forward: for a roofline plot

Shape convention (stated once for this module): a size is ``(T, batch, input, hidden)``; every
contender runs time-major input ``x`` of shape ``(T, batch, input)`` in float32 and returns the
output ``(T, batch, hidden)`` of the last layer.

What is timed, per size, number of layers, device and pass:

* ``fwd``: inference, under ``torch.no_grad()`` for the PyTorch contenders;
* ``fwd_bwd``: the forward pass, then ``output.backward(grad_output)`` with a fixed random
  ``grad_output`` that computes every parameter gradient (the input does not require grad); the
  NumPy reference runs :func:`~rnn_companion.reference.rnn_forward` with ``return_cache=True`` and
  its hand-written :func:`~rnn_companion.reference.rnn_backward`.

Contenders: ``torch`` (``torch.nn.RNN``, the baseline of every ratio; on CUDA it runs cuDNN),
``elman`` (:class:`~rnn_companion.elman.ElmanRNN` with the same weights), ``numpy`` (the NumPy reference,
CPU only) and, on CUDA, ``torch_nocudnn`` (``torch.nn.RNN`` with cuDNN disabled). The contenders
of one case are interleaved: each of ``repeats`` rounds runs every contender once, in a shuffled
order, and one sample is the mean time of ``number`` back-to-back calls (``number`` is chosen per
contender so that a sample lasts at least ``min_time`` seconds). CUDA samples are measured with
CUDA events after a synchronisation. The ratio of a contender is its median time divided by the
baseline's median time in the same run (below 1: faster than ``torch.nn.RNN``). CPU samples use
wall-clock time, or with ``--clock cpu`` the process's CPU time (``time.process_time``), which
leaves out the time a busy, shared machine gives to other processes (use it with one thread).
On CUDA PyTorch's defaults apply: cuDNN may use TF32 arithmetic for float32 RNNs, so its outputs
differ from the others by about 1e-3 (``settings["cuda_allow_tf32"]`` records the flags).

The run also measures two numbers of the machine's "floor": the float32 GEMM rate of a large
square product (``peak_gflops``) and the fixed cost of one time step of a Python loop of two
tiny operations (``step_overhead_s``).

JSON output (``--json PATH``), one object::

    {"schema": "rnn_companion.bench/1", "tag": str, "date": ISO-8601 UTC, "command": str,
     "machine": {"cpu", "cpu_count", "platform", "gpu", "loadavg_start", "loadavg_end"},
     "versions": {"python", "torch", "numpy", "rnn_companion", "cuda", "cudnn"},
     "settings": {"threads", "blas_threads_env", "repeats", "warmup", "min_time_s", "clock",
                  "cuda_allow_tf32", "dtype", "seed", "devices", "passes", "layers", "sizes"},
     "floor": {device: {"peak_gflops", "step_overhead_s"}},
     "results": [record, ...], "skipped": [{"contender", "device", "reason"}, ...]}

with one ``record`` per case and contender::

    {"size", "T", "batch", "input", "hidden", "layers", "device", "pass", "contender", "label",
     "baseline", "number", "times_s", "median_s", "q1_s", "q3_s", "min_s", "max_s", "ratio",
     "target", "meets_target", "flops", "max_abs_diff"}

``ratio`` is ``median_s / median_s(baseline)``; ``target`` is the ratio the project aims for
(``None`` if none: CUDA, the baseline, or a size without one) and ``meets_target`` is
``ratio <= target``; ``flops`` is the arithmetic of one call (multiply-adds count 2: ``2*T*batch*
hidden*(input + hidden)`` per layer forward, three times that for ``fwd_bwd``); ``max_abs_diff``
is the largest absolute difference of the contender's forward output from the baseline's.
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
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "SIZES",
    "QUICK_SIZE",
    "SWEEP_SIZES",
    "TARGETS",
    "Case",
    "parse_size",
    "target_for",
    "summarize",
    "case_flops",
    "run",
    "format_table",
    "load_runs",
    "build_parser",
    "main",
]

SCHEMA = "rnn_companion.bench/1"

#: The named sizes ``(T, batch, input, hidden)`` of the default run.
SIZES: dict[str, tuple[int, int, int, int]] = {
    "A": (100, 32, 64, 128),
    "B": (1000, 1, 8, 32),
    "C": (50, 256, 256, 512),
}
#: The size of ``--quick``.
QUICK_SIZE: tuple[int, int, int, int] = (5, 2, 3, 4)
#: The sizes of ``--sweep`` (one layer, forward only): ``T = 50``, batch 1, 16 and 256, ``input = hidden``.
SWEEP_SIZES: list[tuple[int, int, int, int]] = [
    (50, n, h, h) for n in (1, 16, 256) for h in ((16, 64, 256, 512) if n == 256 else (16, 64, 256, 1024))
]

#: Target ratios (time / time of ``torch.nn.RNN``) on the CPU, by contender, pass and size name;
#: the key ``None`` applies to any size that is not one of :data:`SIZES`.
TARGETS: dict[str, dict[str, dict[str | None, float]]] = {
    "elman": {
        "fwd": {"A": 1.0, "B": 1.0, "C": 1.0, None: 1.0},
        "fwd_bwd": {"A": 0.75, "B": 0.3, "C": 1.05},
    },
    "numpy": {
        "fwd": {"A": 1.0, "B": 1.0, "C": 1.0, None: 1.0},
        "fwd_bwd": {"A": 1.0, "B": 1.0, "C": 1.0, None: 1.0},
    },
}

PASSES = ("fwd", "fwd_bwd")
BASELINE = "torch"
CONTENDERS = ("torch", "elman", "numpy", "torch_nocudnn")
LABELS = {
    ("torch", "cpu"): "torch.nn.RNN",
    ("torch", "cuda"): "torch.nn.RNN (cuDNN)",
    ("torch_nocudnn", "cuda"): "torch.nn.RNN (no cuDNN)",
    ("elman", "cpu"): "ElmanRNN",
    ("elman", "cuda"): "ElmanRNN",
    ("numpy", "cpu"): "NumPy reference",
}


class Case:
    """One benchmark case: a size, a number of layers, a device and a pass."""

    def __init__(self, size: str, dims: tuple[int, int, int, int], layers: int, device: str, pass_: str) -> None:
        self.size, self.dims, self.layers, self.device, self.pass_ = size, dims, layers, device, pass_

    def __repr__(self) -> str:
        T, B, I, H = self.dims
        return f"{self.size} (T={T}, batch={B}, input={I}, hidden={H}) L={self.layers} {self.device} {self.pass_}"


# --------------------------------------------------------------------------- pure helpers
def parse_size(text: str) -> tuple[str, tuple[int, int, int, int]]:
    """Parse ``"A"``/``"B"``/``"C"`` or ``"T,batch,input,hidden"`` into ``(name, dims)``.

    A tuple equal to a named size gets that name; any other is named ``"T,batch,input,hidden"``.

    Raises
    ------
    ValueError
        If the text is neither a size name nor four positive integers.
    """
    key = text.strip().upper()
    if key in SIZES:
        return key, SIZES[key]
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise ValueError(
            f"a size is one of {', '.join(SIZES)} or four positive integers T,batch,input,hidden; got {text!r}"
        )
    dims = tuple(int(p) for p in parts)
    if min(dims) < 1:
        raise ValueError(f"every entry of a size must be at least 1; got {text!r}")
    dims4: tuple[int, int, int, int] = (dims[0], dims[1], dims[2], dims[3])
    for name, named in SIZES.items():
        if named == dims4:
            return name, dims4
    return ",".join(parts), dims4


def target_for(contender: str, pass_: str, size: str, device: str) -> float | None:
    """The target ratio of ``contender`` for a case, or ``None`` if the project sets none.

    Targets exist on the CPU only, for ``elman`` and ``numpy`` (see :data:`TARGETS`).
    """
    if device != "cpu":
        return None
    by_size = TARGETS.get(contender, {}).get(pass_, {})
    return by_size.get(size, by_size.get(None))


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default method) of already sorted values."""
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def summarize(times: Mapping[str, Sequence[float]], baseline: str = BASELINE) -> dict[str, dict[str, float]]:
    """Summarise per-call sample times (seconds) of several contenders measured in one run.

    Parameters
    ----------
    times
        Contender name -> its samples (each the mean time of one call, seconds).
    baseline
        The contender every ratio is relative to.

    Returns
    -------
    dict
        Contender -> ``{"median_s", "q1_s", "q3_s", "min_s", "max_s", "ratio"}`` where the
        quartiles use linear interpolation and ``ratio = median_s / median_s[baseline]``.

    Raises
    ------
    ValueError
        If the baseline is missing, a contender has no samples, or the baseline's median is not
        positive.
    """
    if baseline not in times:
        raise ValueError(f"the baseline {baseline!r} has no timings")
    out: dict[str, dict[str, float]] = {}
    for name, samples in times.items():
        if len(samples) == 0:
            raise ValueError(f"{name!r} has no timings")
        s = sorted(float(v) for v in samples)
        out[name] = {
            "median_s": statistics.median(s),
            "q1_s": _quantile(s, 0.25),
            "q3_s": _quantile(s, 0.75),
            "min_s": s[0],
            "max_s": s[-1],
        }
    ref = out[baseline]["median_s"]
    if not ref > 0:
        raise ValueError(f"the baseline's median time must be positive, got {ref}")
    for stats in out.values():
        stats["ratio"] = stats["median_s"] / ref
    return out


def case_flops(dims: tuple[int, int, int, int], layers: int, pass_: str) -> int:
    """Floating-point operations of one call (a multiply-add counts 2).

    Forward: ``2*T*batch*hidden*(input_l + hidden)`` per layer, ``input_l`` being ``input`` for the
    first layer and ``hidden`` above it; ``fwd_bwd`` counts three times the forward (the backward
    does two GEMMs for every GEMM of the forward; elementwise work is not counted).
    """
    T, B, I, H = dims
    fwd = sum(2 * T * B * H * ((I if k == 0 else H) + H) for k in range(layers))
    return fwd if pass_ == "fwd" else 3 * fwd


# --------------------------------------------------------------------------- timing
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}


class _CpuTimer:
    def __init__(self, clock: str = "wall") -> None:
        self.clock = CLOCKS[clock]

    def sync(self) -> None:
        pass

    def measure(self, fn: Callable[[], Any], number: int) -> float:
        clock = self.clock
        start = clock()
        for _ in range(number):
            fn()
        return (clock() - start) / number


class _CudaTimer:
    def __init__(self, torch: Any, device: Any) -> None:
        self.torch, self.device = torch, device

    def sync(self) -> None:
        self.torch.cuda.synchronize(self.device)

    def measure(self, fn: Callable[[], Any], number: int) -> float:
        cuda = self.torch.cuda
        cuda.synchronize(self.device)
        start, end = cuda.Event(enable_timing=True), cuda.Event(enable_timing=True)
        start.record()
        for _ in range(number):
            fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1e3 / number


def _time_interleaved(
    fns: Mapping[str, Callable[[], Any]], timer: Any, *, repeats: int, warmup: int, min_time: float,
    rng: random.Random,
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Warm up every contender, choose each one's ``number`` of calls per sample so that a sample
    lasts at least ``min_time``, then time ``repeats`` rounds in a shuffled order."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    timer.sync()
    number = {}
    for name, fn in fns.items():
        one = timer.measure(fn, 1)
        number[name] = max(1, math.ceil(min_time / max(one, 1e-7))) if min_time > 0 else 1
    times: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns)
    for _ in range(repeats):
        rng.shuffle(order)
        for name in order:
            times[name].append(timer.measure(fns[name], number[name]))
    return times, number


# --------------------------------------------------------------------------- contenders
def _zero_grad(module: Any) -> None:
    for p in module.parameters():
        p.grad = None


def _torch_fns(torch: Any, module: Any, x: Any, gout: Any, pass_: str, cudnn: bool = True) -> Callable[[], Any]:
    def guard() -> Any:
        return torch.backends.cudnn.flags(enabled=cudnn)

    if pass_ == "fwd":

        def fwd() -> Any:
            with torch.no_grad(), guard():
                return module(x)

        return fwd

    def fwd_bwd() -> Any:
        _zero_grad(module)
        with guard():
            out, _ = module(x)
            out.backward(gout)
        return out

    return fwd_bwd


def _numpy_fns(reference: Any, params: dict[str, Any], x: Any, gout: Any, layers: int, pass_: str) -> Callable[[], Any]:
    if pass_ == "fwd":
        return lambda: reference.rnn_forward(x, params, num_layers=layers)

    def fwd_bwd() -> Any:
        out, _, cache = reference.rnn_forward(x, params, num_layers=layers, return_cache=True)
        reference.rnn_backward(gout, None, cache, need_input_grad=False)
        return out

    return fwd_bwd


def _max_abs_diff(a: Any, b: Any) -> float:
    import numpy as np

    a = a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().cpu().numpy() if hasattr(b, "detach") else np.asarray(b)
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


def _load_elman() -> tuple[Any, str | None]:
    try:
        from rnn_companion.elman import ElmanRNN
    except Exception as exc:  # noqa: BLE001 - any failure means "skip this contender"
        return None, f"cannot import rnn_companion.elman.ElmanRNN: {type(exc).__name__}: {exc}"
    return ElmanRNN, None


def _load_reference() -> tuple[Any, str | None]:
    try:
        from rnn_companion import reference
    except Exception as exc:  # noqa: BLE001
        return None, f"cannot import rnn_companion.reference: {type(exc).__name__}: {exc}"
    if not (hasattr(reference, "rnn_forward") and hasattr(reference, "rnn_backward")):
        return None, "rnn_companion.reference lacks rnn_forward/rnn_backward"
    return reference, None


# --------------------------------------------------------------------------- machine
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _loadavg() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def _measure_floor(torch: Any, device: str, quick: bool, clock: str = "wall") -> dict[str, float]:
    """Peak float32 GEMM rate and the fixed cost of one step of a tiny Python loop."""
    dev = torch.device(device)
    timer: Any = _CudaTimer(torch, dev) if dev.type == "cuda" else _CpuTimer(clock)
    n = 128 if quick else (1024 if dev.type == "cpu" else 8192)
    a = torch.randn(n, n, device=dev)
    b = torch.randn(n, n, device=dev)
    c = torch.empty(n, n, device=dev)
    with torch.no_grad():
        torch.mm(a, b, out=c)
        timer.sync()
        best = min(timer.measure(lambda: torch.mm(a, b, out=c), 1 if quick else 3) for _ in range(3 if quick else 5))
        peak = 2 * n**3 / best / 1e9
        steps = 10 if quick else 1000
        w = torch.randn(32, 32, device=dev) / 32
        buf = torch.zeros(steps, 1, 32, device=dev)
        rows = buf.unbind(0)
        h0 = torch.zeros(1, 32, device=dev)

        def loop() -> None:
            h = h0
            for row in rows:
                row.addmm_(h, w)
                row.tanh_()
                h = row

        loop()
        timer.sync()
        per_step = min(timer.measure(loop, 1) for _ in range(3 if quick else 7)) / steps
    return {"peak_gflops": peak, "step_overhead_s": per_step, "gemm_n": n}


# --------------------------------------------------------------------------- the run
def run(
    sizes: Sequence[tuple[str, tuple[int, int, int, int]]],
    layers: Sequence[int],
    devices: Sequence[str],
    passes: Sequence[str] = PASSES,
    *,
    contenders: Sequence[str] = CONTENDERS,
    repeats: int = 7,
    warmup: int = 2,
    min_time: float = 0.05,
    threads: int = 1,
    seed: int = 0,
    tag: str = "main",
    floor: bool = True,
    quick: bool = False,
    clock: str = "wall",
    progress: Callable[[int, int, str], None] | None = None,
    command: str = "",
) -> dict[str, Any]:
    """Time every case and return the JSON-ready result (see the module docstring)."""
    import numpy as np
    import torch

    import rnn_companion

    torch.set_num_threads(threads)
    rng = random.Random(seed)
    loadavg_start = _loadavg()
    skipped: list[dict[str, str]] = []
    ElmanRNN, why = _load_elman() if "elman" in contenders else (None, None)
    if why:
        skipped += [{"contender": "elman", "device": d, "reason": why} for d in devices]
    reference, why = _load_reference() if "numpy" in contenders else (None, None)
    if why and "cpu" in devices:
        skipped.append({"contender": "numpy", "device": "cpu", "reason": why})

    cases = [
        Case(name, dims, nl, dev, p) for name, dims in sizes for nl in layers for dev in devices for p in passes
    ]
    results: list[dict[str, Any]] = []
    broken: set[tuple[str, str]] = set()  # (contender, device) that raised once: not retried
    for i, case in enumerate(cases):
        if progress is not None:
            progress(i, len(cases), repr(case))
        T, B, I, H = case.dims
        dev = torch.device(case.device)
        torch.manual_seed(seed)
        base = torch.nn.RNN(I, H, num_layers=case.layers).to(dev)
        x = torch.randn(T, B, I, device=dev)
        gout = torch.randn(T, B, H, device=dev)
        fns: dict[str, Callable[[], Any]] = {"torch": _torch_fns(torch, base, x, gout, case.pass_)}
        if "elman" in contenders and ElmanRNN is not None and ("elman", case.device) not in broken:
            try:
                model = ElmanRNN(I, H, num_layers=case.layers).to(dev)
                model.load_state_dict(base.state_dict())
                fns["elman"] = _torch_fns(torch, model, x, gout, case.pass_)
            except Exception as exc:  # noqa: BLE001
                broken.add(("elman", case.device))
                skipped.append({"contender": "elman", "device": case.device, "reason": f"{type(exc).__name__}: {exc}"})
        if "numpy" in contenders and reference is not None and dev.type == "cpu":
            params = {k: v.detach().cpu().numpy().copy() for k, v in base.state_dict().items()}
            fns["numpy"] = _numpy_fns(reference, params, x.cpu().numpy(), gout.cpu().numpy(), case.layers, case.pass_)
        if "torch_nocudnn" in contenders and dev.type == "cuda":
            fns["torch_nocudnn"] = _torch_fns(torch, base, x, gout, case.pass_, cudnn=False)

        # correctness of the forward output, and a first call of each timed function (it may raise)
        checks: dict[str, Callable[[], Any]] = {"torch": _torch_fns(torch, base, x, gout, "fwd")}
        if "elman" in fns:
            checks["elman"] = _torch_fns(torch, model, x, gout, "fwd")
        if "numpy" in fns:
            checks["numpy"] = _numpy_fns(reference, params, x.cpu().numpy(), gout.cpu().numpy(), case.layers, "fwd")
        if "torch_nocudnn" in fns:
            checks["torch_nocudnn"] = _torch_fns(torch, base, x, gout, "fwd", cudnn=False)
        ref_out = checks["torch"]()[0]
        fns["torch"]()
        diffs: dict[str, float] = {"torch": 0.0}
        for name in [n for n in fns if n != "torch"]:
            try:
                diffs[name] = _max_abs_diff(checks[name]()[0], ref_out)
                fns[name]()
            except Exception as exc:  # noqa: BLE001
                del fns[name]
                broken.add((name, case.device))
                skipped.append({"contender": name, "device": case.device, "reason": f"{type(exc).__name__}: {exc}"})
        timer: Any = _CudaTimer(torch, dev) if dev.type == "cuda" else _CpuTimer(clock)
        times, number = _time_interleaved(fns, timer, repeats=repeats, warmup=warmup, min_time=min_time, rng=rng)
        stats = summarize(times)
        for name in fns:
            target = None if name == BASELINE else target_for(name, case.pass_, case.size, case.device)
            results.append(
                {
                    "size": case.size,
                    "T": T,
                    "batch": B,
                    "input": I,
                    "hidden": H,
                    "layers": case.layers,
                    "device": case.device,
                    "pass": case.pass_,
                    "contender": name,
                    "label": LABELS.get((name, dev.type), name),
                    "baseline": BASELINE,
                    "number": number[name],
                    "times_s": times[name],
                    **stats[name],
                    "target": target,
                    "meets_target": None if target is None else bool(stats[name]["ratio"] <= target),
                    "flops": case_flops(case.dims, case.layers, case.pass_),
                    "max_abs_diff": diffs[name],
                }
            )
        del fns, base, x, gout
    if progress is not None:
        progress(len(cases), len(cases), "floor")
    floors = {d: _measure_floor(torch, d, quick, clock) for d in devices} if floor else {}

    gpu = None
    if any(torch.device(d).type == "cuda" for d in devices):
        gpu = torch.cuda.get_device_name(torch.device(next(d for d in devices if d.startswith("cuda"))))
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return {
        "schema": SCHEMA,
        "tag": tag,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "machine": {
            "cpu": _cpu_model(),
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "gpu": gpu,
            "loadavg_start": loadavg_start,
            "loadavg_end": _loadavg(),
        },
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "rnn_companion": rnn_companion.__version__,
            "cuda": torch.version.cuda,
            "cudnn": cudnn,
        },
        "settings": {
            "threads": threads,
            "blas_threads_env": {k: os.environ.get(k) for k in _THREAD_ENV},
            "repeats": repeats,
            "warmup": warmup,
            "min_time_s": min_time,
            "clock": clock,
            "cuda_allow_tf32": {
                "matmul": bool(torch.backends.cuda.matmul.allow_tf32),
                "cudnn": bool(torch.backends.cudnn.allow_tf32),
            },
            "dtype": "float32",
            "seed": seed,
            "devices": list(devices),
            "passes": list(passes),
            "layers": list(layers),
            "sizes": {name: list(dims) for name, dims in sizes},
        },
        "floor": floors,
        "results": results,
        "skipped": skipped,
    }


# --------------------------------------------------------------------------- output
def _fmt_time(seconds: float) -> str:
    return f"{seconds * 1e3:10.3f}"


def format_table(result: Mapping[str, Any]) -> str:
    """The human-readable table of a run: medians, interquartile ranges and ratios (times in ms)."""
    m, v, s = result["machine"], result["versions"], result["settings"]
    lines = [
        f"rnn_companion.bench {v['rnn_companion']}  {result['date']}  tag={result['tag']}",
        f"cpu: {m['cpu']} ({m['cpu_count']} logical), gpu: {m['gpu'] or 'none'}; threads={s['threads']}",
        f"python {v['python']}, torch {v['torch']}, numpy {v['numpy']}, cuda {v['cuda']}, cudnn {v['cudnn']}; "
        f"{s['repeats']} repeats, {s['warmup']} warm-up calls, float32, {s.get('clock', 'wall')} clock on CPU",
        "ratio = median / median of torch.nn.RNN on the same device in this run; target: ratio <= target",
        "",
        f"{'size':<18} {'L':>1} {'device':<6} {'pass':<7} {'contender':<24} {'median ms':>10} {'IQR ms':>9}"
        f" {'ratio':>6} {'target':>7} {'met':>4} {'GFLOP/s':>8}",
    ]
    for r in result["results"]:
        size = r["size"] if r["size"] in SIZES else f"{r['T']},{r['batch']},{r['input']},{r['hidden']}"
        target = "" if r["target"] is None else f"{r['target']:.2f}"
        met = "" if r["meets_target"] is None else ("yes" if r["meets_target"] else "NO")
        lines.append(
            f"{size:<18} {r['layers']:>1} {r['device']:<6} {r['pass']:<7} {r['label']:<24} {_fmt_time(r['median_s'])}"
            f" {(r['q3_s'] - r['q1_s']) * 1e3:9.3f} {r['ratio']:6.2f} {target:>7} {met:>4}"
            f" {r['flops'] / r['median_s'] / 1e9:8.2f}"
        )
    for f_dev, fl in result.get("floor", {}).items():
        lines.append(
            f"floor {f_dev}: float32 GEMM {fl['peak_gflops']:.1f} GFLOP/s (n={fl['gemm_n']}); "
            f"tiny addmm_+tanh_ step {fl['step_overhead_s'] * 1e6:.2f} us"
        )
    for sk in result["skipped"]:
        lines.append(f"skipped {sk['contender']} on {sk['device']}: {sk['reason']}")
    return "\n".join(lines)


def load_runs(folder: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Read every ``*.json`` of ``folder`` written by this benchmark, sorted by file name.

    Without ``folder``, the runs stored with the package (``rnn_companion/data/bench/``,
    the ones the book plots) are read.

    Each run gets an extra key ``"file"`` (the file name). Files of another schema are ignored.
    """
    if folder is None:
        folder = Path(__file__).resolve().parent.parent / "data" / "bench"
    runs = []
    for path in sorted(Path(folder).glob("*.json")):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if isinstance(data, dict) and data.get("schema") == SCHEMA:
            data["file"] = path.name
            runs.append(data)
    return runs


# --------------------------------------------------------------------------- command line
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _int_at_least(text: str, low: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a {what}, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"expected a {what}, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    return _int_at_least(text, 1, "positive integer")


def _nonnegative_int(text: str) -> int:
    return _int_at_least(text, 0, "non-negative integer")


def _nonnegative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a non-negative number of seconds, got {text!r}")
    return value


def _size_arg(text: str) -> tuple[str, tuple[int, int, int, int]]:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface of ``rnn-companion-bench``."""
    p = argparse.ArgumentParser(
        prog="rnn-companion-bench",
        description="Time the NumPy reference, ElmanRNN and torch.nn.RNN (forward, forward+backward) "
        "and print medians, spreads and ratios to torch.nn.RNN.",
    )
    p.add_argument(
        "--size", action="append", type=_size_arg, metavar="SIZE",
        help="A, B, C or T,batch,input,hidden (repeatable; default: A B C = "
        + ", ".join(f"{k}={','.join(map(str, v))}" for k, v in SIZES.items()) + ")",
    )
    p.add_argument("--layers", nargs="+", type=_positive_int, metavar="N", help="numbers of layers (default: 1 2)")
    p.add_argument("--pass", dest="passes", nargs="+", choices=PASSES, help="passes to time (default: both)")
    p.add_argument(
        "--device", dest="devices", nargs="+", metavar="DEV",
        help="cpu, cuda or cuda:N (default: cpu, plus cuda when available)",
    )
    p.add_argument("--contenders", nargs="+", choices=CONTENDERS, help="default: all that apply")
    p.add_argument("--threads", type=_positive_int, default=1, help="CPU threads for torch and BLAS (default: 1)")
    p.add_argument("--repeats", type=_positive_int, default=7, help="timed rounds per case (default: 7)")
    p.add_argument("--warmup", type=_nonnegative_int, default=2, help="untimed calls per contender (default: 2)")
    p.add_argument("--min-time", type=_nonnegative_float, default=0.05, help="seconds per sample (default: 0.05)")
    p.add_argument(
        "--clock", choices=sorted(CLOCKS), default="wall",
        help="CPU timings: wall-clock time (default) or the process's CPU time, which leaves out the time "
        "the OS gives to other processes on a shared machine (CUDA always uses CUDA events)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of weights, inputs and the shuffled order")
    p.add_argument("--tag", help="a label stored in the JSON (default: main, or sweep with --sweep)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    p.add_argument("--no-floor", action="store_true", help="skip the peak-GEMM and per-step-overhead probes")
    p.add_argument("--quick", action="store_true", help=f"size {','.join(map(str, QUICK_SIZE))}, 1 repeat: a smoke test")
    p.add_argument(
        "--sweep", action="store_true",
        help="the 12 sizes T=50, batch 1/16/256, input=hidden 16..1024, 1 layer, forward only, 5 repeats "
        "(other options still apply)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress display")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m rnn_companion.bench`` and ``rnn-companion-bench``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # BLAS libraries read their thread count when loaded: set it before numpy/torch are imported.
    if "numpy" not in sys.modules and "torch" not in sys.modules:
        for key in _THREAD_ENV:
            os.environ[key] = str(args.threads)
    import torch

    if args.clock == "cpu" and args.threads != 1:
        parser.error("argument --clock: cpu adds up the CPU time of all threads; use it with --threads 1")
    if args.sweep and args.size:
        parser.error("argument --sweep: not allowed with --size")
    if args.sweep and args.quick:
        parser.error("argument --sweep: not allowed with --quick")
    if args.quick:
        sizes = args.size or [(",".join(map(str, QUICK_SIZE)), QUICK_SIZE)]
        repeats, warmup, min_time = 1, 1, 0.0
    else:
        sizes = args.size or (
            [(",".join(map(str, d)), d) for d in SWEEP_SIZES] if args.sweep else list(SIZES.items())
        )
        repeats, warmup, min_time = args.repeats, args.warmup, args.min_time
        if args.sweep and args.repeats == parser.get_default("repeats"):
            repeats = 5
    layers = args.layers or ([1] if args.sweep else [1, 2])
    passes = args.passes or (["fwd"] if args.sweep else list(PASSES))
    tag = args.tag or ("sweep" if args.sweep else "main")
    if args.devices:
        devices = []
        for d in args.devices:
            try:
                dev = torch.device(d)
            except RuntimeError:
                parser.error(f"argument --device: unknown device {d!r} (use cpu, cuda or cuda:N)")
            if dev.type not in ("cpu", "cuda"):
                parser.error(f"argument --device: only cpu and cuda are supported, got {d!r}")
            if dev.type == "cuda" and not torch.cuda.is_available():
                parser.error(f"argument --device: {d!r} requested but torch.cuda.is_available() is False")
            if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
                parser.error(f"argument --device: {d!r} does not exist ({torch.cuda.device_count()} GPUs)")
            devices.append(str(dev))
    else:
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if args.json:
        parent = Path(args.json).resolve().parent
        if not parent.is_dir():
            parser.error(f"argument --json: folder {str(parent)!r} does not exist")

    show = not args.quiet and sys.stderr.isatty()

    def progress(i: int, n: int, what: str) -> None:
        if show:
            end = "\n" if i == n else ""
            sys.stderr.write(f"\r\033[K[{i}/{n}] {what}" + end)
            sys.stderr.flush()

    result = run(
        sizes, layers, devices, passes,
        contenders=args.contenders or CONTENDERS,
        repeats=repeats, warmup=warmup, min_time=min_time, threads=args.threads, seed=args.seed,
        tag=tag, floor=not args.no_floor, quick=args.quick, clock=args.clock, progress=progress,
        command=" ".join(["rnn-companion-bench", *(sys.argv[1:] if argv is None else argv)]),
    )
    print(format_table(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
