"""The benchmark run: build the contenders of every case, check them against ``torch.nn.RNN``, time them.

Shape convention (stated once for this module): a case's input ``x`` is time-major float32
``(T, batch, input)`` and every contender returns the last layer's output ``(T, batch, hidden)``;
``fwd_bwd`` back-propagates a fixed random ``grad_output`` of that shape.

A contender that fails (an import error, a crash, an output that differs from ``torch.nn.RNN``)
fails the run: nothing is silently skipped. Only contenders that do not exist on a device are
listed in ``skipped`` (``numpy`` on CUDA, ``torch_nocudnn`` on the CPU).
"""

from __future__ import annotations

import datetime
import os
import platform
import random
from collections.abc import Callable, Sequence

import numpy as np
import torch

from .. import __version__, fast_numpy
from .._typing import Array
from ..elman import ElmanRNN
from ..elman_ops import sigmoid_form
from .report import SCHEMA, BenchRecord, BenchRun, Skipped
from .sizes import PASSES, Case, Dims, case_flops, target_for
from .timing import BASELINE, measure_floor, summarize, time_interleaved, timer_for

__all__ = ["CONTENDERS", "ABLATIONS", "LABELS", "THREAD_ENV", "MAX_DIFF", "run"]

CONTENDERS = ("torch", "elman", "numpy", "torch_nocudnn")
#: The ablation contenders, timed only when named (``elman_tanh`` is ElmanRNN with the sigmoid form of tanh off).
ABLATIONS = ("elman_tanh",)
LABELS = {
    ("torch", "cpu"): "torch.nn.RNN",
    ("torch", "cuda"): "torch.nn.RNN (cuDNN)",
    ("torch_nocudnn", "cuda"): "torch.nn.RNN (no cuDNN)",
    ("elman", "cpu"): "ElmanRNN",
    ("elman", "cuda"): "ElmanRNN",
    ("elman_tanh", "cpu"): "ElmanRNN, tanh_ only",
    ("numpy", "cpu"): "NumPy (fast_numpy)",
}
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: Largest allowed difference of a contender's forward output from ``torch.nn.RNN``'s (float32;
#: on CUDA cuDNN may use TF32).
MAX_DIFF = {"cpu": 1e-4, "cuda": 1e-2}


def _torch_fn(module: torch.nn.Module, x: torch.Tensor, gout: torch.Tensor, pass_: str,
              cudnn: bool = True) -> Callable[[], torch.Tensor]:
    """One call of ``module`` on ``x``: forward under ``no_grad``, or forward and backward."""
    if pass_ == "fwd":

        def fwd() -> torch.Tensor:
            with torch.no_grad(), torch.backends.cudnn.flags(enabled=cudnn):
                out: torch.Tensor = module(x)[0]
            return out

        return fwd

    def fwd_bwd() -> torch.Tensor:
        for p in module.parameters():
            p.grad = None
        with torch.backends.cudnn.flags(enabled=cudnn):
            out: torch.Tensor = module(x)[0]
            out.backward(gout)
        return out

    return fwd_bwd


def _numpy_fn(params: dict[str, Array], x: Array, gout: Array, layers: int, pass_: str) -> Callable[[], Array]:
    """One call of the NumPy contender (:mod:`rnn_companion.fast_numpy`)."""
    if pass_ == "fwd":
        return lambda: fast_numpy.rnn_forward(x, params, num_layers=layers)[0]

    def fwd_bwd() -> Array:
        out, _, cache = fast_numpy.rnn_forward(x, params, num_layers=layers, return_cache=True)
        fast_numpy.rnn_backward(gout, None, cache, need_input_grad=False)
        return out

    return fwd_bwd


def _max_abs_diff(a: torch.Tensor | Array, b: torch.Tensor) -> float:
    a_np = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    return float(np.max(np.abs(a_np.astype(np.float64) - b.detach().cpu().numpy().astype(np.float64))))


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


def _without_sigmoid_form(fn: Callable[[], torch.Tensor]) -> Callable[[], torch.Tensor]:
    """``fn`` run with ElmanRNN's sigmoid form of tanh switched off (the ``elman_tanh`` ablation)."""

    def call() -> torch.Tensor:
        with sigmoid_form(False):
            return fn()

    return call


def _contenders(case: Case, contenders: Sequence[str], base: torch.nn.RNN, x: torch.Tensor, gout: torch.Tensor,
                ) -> tuple[dict[str, Callable[[], object]], dict[str, Callable[[], object]]]:
    """The timed functions of a case and, per contender, its forward call for the correctness check."""
    dev = x.device
    fns: dict[str, Callable[[], object]] = {"torch": _torch_fn(base, x, gout, case.pass_)}
    checks: dict[str, Callable[[], object]] = {"torch": _torch_fn(base, x, gout, "fwd")}
    if "elman" in contenders:
        model = ElmanRNN(x.shape[2], base.hidden_size, num_layers=case.layers).to(dev)
        model.load_state_dict(base.state_dict())
        fns["elman"], checks["elman"] = _torch_fn(model, x, gout, case.pass_), _torch_fn(model, x, gout, "fwd")
    if "elman_tanh" in contenders:
        plain = ElmanRNN(x.shape[2], base.hidden_size, num_layers=case.layers).to(dev)
        plain.load_state_dict(base.state_dict())
        fns["elman_tanh"] = _without_sigmoid_form(_torch_fn(plain, x, gout, case.pass_))
        checks["elman_tanh"] = _without_sigmoid_form(_torch_fn(plain, x, gout, "fwd"))
    if "numpy" in contenders and dev.type == "cpu":
        params = {k: v.detach().cpu().numpy().copy() for k, v in base.state_dict().items()}
        xn, gn = x.cpu().numpy(), gout.cpu().numpy()
        fns["numpy"] = _numpy_fn(params, xn, gn, case.layers, case.pass_)
        checks["numpy"] = _numpy_fn(params, xn, gn, case.layers, "fwd")
    if "torch_nocudnn" in contenders and dev.type == "cuda":
        fns["torch_nocudnn"] = _torch_fn(base, x, gout, case.pass_, cudnn=False)
        checks["torch_nocudnn"] = _torch_fn(base, x, gout, "fwd", cudnn=False)
    return fns, checks


def run(
    sizes: Sequence[tuple[str, Dims]],
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
) -> BenchRun:
    """Time every case and return the JSON-ready result (see :mod:`rnn_companion.bench`).

    Raises
    ------
    RuntimeError
        If a contender's forward output differs from ``torch.nn.RNN``'s by more than
        :data:`MAX_DIFF`. Any exception of a contender propagates: a crashing contender fails the run.
    """
    torch.set_num_threads(threads)
    rng = random.Random(seed)
    loadavg_start = _loadavg()
    skipped: list[Skipped] = []
    for dev_name in devices:
        kind = torch.device(dev_name).type
        if "numpy" in contenders and kind != "cpu":
            skipped.append({"contender": "numpy", "device": dev_name, "reason": "the NumPy contender is CPU only"})
        if "torch_nocudnn" in contenders and kind != "cuda":
            skipped.append({"contender": "torch_nocudnn", "device": dev_name, "reason": "cuDNN exists on CUDA only"})
    cases = [Case(name, dims, nl, dev, p) for name, dims in sizes for nl in layers for dev in devices for p in passes]
    results: list[BenchRecord] = []
    for i, case in enumerate(cases):
        if progress is not None:
            progress(i, len(cases), repr(case))
        T, B, I, H = case.dims
        dev = torch.device(case.device)
        torch.manual_seed(seed)
        base = torch.nn.RNN(I, H, num_layers=case.layers).to(dev)
        x = torch.randn(T, B, I, device=dev)
        gout = torch.randn(T, B, H, device=dev)
        fns, checks = _contenders(case, contenders, base, x, gout)
        ref_out = _torch_fn(base, x, gout, "fwd")()
        diffs: dict[str, float] = {}
        for name, check in checks.items():
            out = check()
            assert isinstance(out, (torch.Tensor, np.ndarray))
            diffs[name] = _max_abs_diff(out, ref_out)
            if diffs[name] > MAX_DIFF[dev.type]:
                raise RuntimeError(f"{name} differs from torch.nn.RNN by {diffs[name]:.3g} on {case!r} "
                                   f"(expected at most {MAX_DIFF[dev.type]})")
        times, number = time_interleaved(fns, timer_for(dev, clock), repeats=repeats, warmup=warmup,
                                         min_time=min_time, shuffle=rng.shuffle)
        stats = summarize(times)
        for name in fns:
            target = None if name == BASELINE else target_for(name, case.pass_, case.size, case.device)
            st = stats[name]
            results.append({
                "size": case.size, "T": T, "batch": B, "input": I, "hidden": H, "layers": case.layers,
                "device": case.device, "pass": case.pass_, "contender": name,
                "label": LABELS.get((name, dev.type), name), "baseline": BASELINE, "number": number[name],
                "times_s": times[name], "median_s": st["median_s"], "q1_s": st["q1_s"], "q3_s": st["q3_s"],
                "min_s": st["min_s"], "max_s": st["max_s"], "ratio": st["ratio"], "target": target,
                "meets_target": None if target is None else bool(st["ratio"] <= target),
                "flops": case_flops(case.dims, case.layers, case.pass_), "max_abs_diff": diffs[name],
            })
    if progress is not None:
        progress(len(cases), len(cases), "floor")
    floors = {d: measure_floor(d, quick, clock) for d in devices} if floor else {}
    cuda_devices = [d for d in devices if torch.device(d).type == "cuda"]
    gpu = torch.cuda.get_device_name(torch.device(cuda_devices[0])) if cuda_devices else None
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return {
        "schema": SCHEMA,
        "tag": tag,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "machine": {"cpu": _cpu_model(), "cpu_count": os.cpu_count(), "platform": platform.platform(), "gpu": gpu,
                    "loadavg_start": loadavg_start, "loadavg_end": _loadavg()},
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
                     "rnn_companion": __version__, "cuda": torch.version.cuda, "cudnn": cudnn},
        "settings": {
            "threads": threads, "blas_threads_env": {k: os.environ.get(k) for k in THREAD_ENV}, "repeats": repeats,
            "warmup": warmup, "min_time_s": min_time, "clock": clock,
            "cuda_allow_tf32": {"matmul": bool(torch.backends.cuda.matmul.allow_tf32),
                                "cudnn": bool(torch.backends.cudnn.allow_tf32)},
            "dtype": "float32", "seed": seed, "devices": list(devices), "passes": list(passes),
            "layers": list(layers), "sizes": {name: list(dims) for name, dims in sizes},
        },
        "floor": floors,
        "results": results,
        "skipped": skipped,
    }
