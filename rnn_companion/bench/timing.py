"""How the benchmark times: CPU and CUDA timers, interleaved rounds, medians and the machine's floor.

torch is imported where a timer needs it, so that the command line can set the BLAS thread
variables first. Shape convention (stated once for this module): a timed function takes no argument; a sample is
the mean time in seconds of ``number`` back-to-back calls; ``times`` maps a contender's name to
its samples.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import torch

__all__ = ["CLOCKS", "Timer", "CpuTimer", "CudaTimer", "summarize", "time_interleaved", "measure_floor", "BASELINE"]

BASELINE = "torch"
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}


class Timer(Protocol):
    """Measures the mean time of ``number`` calls of ``fn`` after waiting for pending device work."""

    def sync(self) -> None: ...

    def measure(self, fn: Callable[[], object], number: int) -> float: ...


class CpuTimer:
    """Wall-clock (``"wall"``) or process CPU time (``"cpu"``)."""

    def __init__(self, clock: str = "wall") -> None:
        self.clock = CLOCKS[clock]

    def sync(self) -> None:
        pass

    def measure(self, fn: Callable[[], object], number: int) -> float:
        clock = self.clock
        start = clock()
        for _ in range(number):
            fn()
        return (clock() - start) / number


class CudaTimer:
    """CUDA events around the calls, after a synchronisation."""

    def __init__(self, device: torch.device) -> None:
        self.device = device

    def sync(self) -> None:
        import torch

        torch.cuda.synchronize(self.device)

    def measure(self, fn: Callable[[], object], number: int) -> float:
        import torch

        torch.cuda.synchronize(self.device)
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(number):
            fn()
        end.record()
        end.synchronize()
        return float(start.elapsed_time(end)) / 1e3 / number


def timer_for(device: torch.device, clock: str) -> Timer:
    """The timer of a device: CUDA events on a GPU, ``clock`` on the CPU."""
    return CudaTimer(device) if device.type == "cuda" else CpuTimer(clock)


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default method) of already sorted values."""
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def summarize(times: Mapping[str, Sequence[float]], baseline: str = BASELINE) -> dict[str, dict[str, float]]:
    """Summarise per-call sample times (seconds) of several contenders measured in one run.

    Returns contender -> ``{"median_s", "q1_s", "q3_s", "min_s", "max_s", "ratio"}``, quartiles by
    linear interpolation and ``ratio = median_s / median_s[baseline]``.

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


def time_interleaved(
    fns: Mapping[str, Callable[[], object]], timer: Timer, *, repeats: int, warmup: int, min_time: float,
    shuffle: Callable[[list[str]], None],
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Warm up every contender, choose each one's ``number`` of calls per sample so that a sample
    lasts at least ``min_time``, then time ``repeats`` rounds, each in an order ``shuffle`` sets
    (e.g. ``random.Random(seed).shuffle``)."""
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
        shuffle(order)
        for name in order:
            times[name].append(timer.measure(fns[name], number[name]))
    return times, number


def measure_floor(device: str, quick: bool, clock: str = "wall") -> dict[str, float]:
    """Peak float32 GEMM rate (``peak_gflops``, ``gemm_n``) and the fixed cost of one step of a tiny
    Python loop of ``addmm_`` + ``tanh_`` (``step_overhead_s``)."""
    import torch

    dev = torch.device(device)
    timer = timer_for(dev, clock)
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
        rows = torch.zeros(steps, 1, 32, device=dev).unbind(0)
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
