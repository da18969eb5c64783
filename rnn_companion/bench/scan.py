"""Benchmark of the linear recurrence ``h_t = a_t * h_{t-1} + b_t``: a Python loop against parallel scans.

Run it as ``python -m rnn_companion.bench.scan [--json PATH] [--quick] [--repeats N]``.

Shape convention (stated once for this module): a case is ``(T, batch, width)``; the contenders
get ``a`` and ``b`` of shape ``(T, batch, width)`` (float32, ``a`` uniform in ``(0, 1)``, ``b``
standard normal) and return all ``T`` states, ``(T, batch, width)``, without gradients.

Contenders (forward only, under ``torch.no_grad()``): ``loop``
(:func:`~rnn_companion.scan.sequential_scan`, the baseline of every ratio), ``blelloch``
(:func:`~rnn_companion.scan.linear_scan`, work-efficient) and ``hillis_steele``
(``linear_scan(..., method="hillis_steele")``, narrow cases only: on wide ones its
``O(T log T)`` work takes seconds). Two groups of cases: ``narrow`` (batch 1, width 32, ``T``
from 8 to 16384), where the loop is dominated by the fixed cost of each step, and ``wide``
(batch 16, width 1024), where every step moves 64 KiB per tensor and the scan's extra passes over
memory cost more than the loop's overhead. The contenders of one case are interleaved: each of
``repeats`` rounds runs them once each in a shuffled order, and one sample is the mean time of
``number`` back-to-back calls (chosen so that a sample lasts at least ``min_time`` seconds).
``speedup`` is the loop's median time divided by the contender's median in the same run.
Samples use wall-clock time, or with ``--clock cpu`` the process's CPU time
(``time.process_time``), which leaves out the time a busy, shared machine gives to other
processes (use it with one thread).

JSON output (``--json PATH``), one object::

    {"schema": "rnn_companion.bench.scan/1", "date", "command",
     "machine": {"cpu", "cpu_count", "platform"}, "versions": {"python", "torch", "numpy"},
     "settings": {"threads", "repeats", "min_time_s", "clock", "dtype", "seed", "quick"},
     "results": [{"case", "T", "batch", "width", "contender", "number", "times_s", "median_s",
                  "q1_s", "q3_s", "min_s", "max_s", "ratio", "speedup", "max_abs_diff"}, ...],
     "crossover": {case: smallest T from which the Blelloch scan is faster than the loop, or None},
     "target": {"T", "batch", "width", "min_speedup", "speedup", "met"}}
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .core import _cpu_model
from .timing import summarize

__all__ = [
    "NARROW", "WIDE", "QUICK", "GROUP_CONTENDERS", "TARGET",
    "cases", "run", "crossover", "load_scan_run", "format_table", "main",
]

SCHEMA = "rnn_companion.bench.scan/1"
CONTENDERS = ("loop", "blelloch", "hillis_steele")
#: ``(T, batch, width)`` of the narrow cases (one sequence, a small state, growing length).
NARROW = [(T, 1, 32) for T in (8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)]
#: The wide cases (a large state per step, where the scan's extra memory traffic dominates).
WIDE = [(T, 16, 1024) for T in (256, 1024, 2048)]
#: The cases of ``--quick`` (a smoke test).
QUICK = {"narrow": [(64, 1, 32), (256, 1, 32)], "wide": [(64, 8, 256)]}
#: The contenders of each group.
GROUP_CONTENDERS = {"narrow": CONTENDERS, "wide": ("loop", "blelloch")}
#: The project's target (at this case the Blelloch scan is at least ``min_speedup`` times faster than the loop).
TARGET: dict[str, float] = {"T": 4096, "batch": 1, "width": 32, "min_speedup": 20.0}


def cases(quick: bool = False) -> dict[str, list[tuple[int, int, int]]]:
    """The cases of a run, by group name."""
    return {k: list(v) for k, v in QUICK.items()} if quick else {"narrow": list(NARROW), "wide": list(WIDE)}


def _contenders() -> dict[str, Callable[[Any, Any], Any]]:
    from ..scan import linear_scan, sequential_scan

    return {
        "loop": sequential_scan,
        "blelloch": lambda a, b: linear_scan(a, b, method="blelloch"),
        "hillis_steele": lambda a, b: linear_scan(a, b, method="hillis_steele"),
    }


CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}


def _measure(fn: Callable[[], object], number: int, clock: Callable[[], float]) -> float:
    start = clock()
    for _ in range(number):
        fn()
    return (clock() - start) / number


def _time_case(fns: Mapping[str, Callable[[], object]], repeats: int, min_time: float,
               rng: random.Random, clock: Callable[[], float]) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Warm up, choose each contender's ``number`` of calls per sample, then time interleaved rounds."""
    number = {}
    for name, fn in fns.items():
        fn()  # warm-up
        one = _measure(fn, 1, time.perf_counter)
        number[name] = max(1, int(min_time / max(one, 1e-7)) + 1)
    times: dict[str, list[float]] = {name: [] for name in fns}
    order = list(fns)
    for _ in range(repeats):
        rng.shuffle(order)
        for name in order:
            times[name].append(_measure(fns[name], number[name], clock))
    return times, number


def crossover(results: Sequence[Mapping[str, Any]], case: str, contender: str = "blelloch") -> int | None:
    """The smallest ``T`` of ``case`` from which ``contender`` is faster than the loop at every longer ``T``."""
    rows = sorted((r for r in results if r["case"] == case and r["contender"] == contender), key=lambda r: r["T"])
    best = None
    for r in reversed(rows):
        if r["speedup"] <= 1.0:
            break
        best = r["T"]
    return best


def run(*, quick: bool = False, repeats: int = 7, min_time: float = 0.02, seed: int = 0, clock: str = "wall",
        progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the benchmark in this process and return the result object (module docstring)."""
    import numpy as np
    import torch

    if clock not in CLOCKS:
        raise ValueError(f"clock must be one of {sorted(CLOCKS)}, got {clock!r}")
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    all_fns = _contenders()
    results: list[dict[str, Any]] = []
    for group, group_cases in cases(quick).items():
        fns = {k: all_fns[k] for k in GROUP_CONTENDERS[group]}
        for T, batch, width in group_cases:
            if progress is not None:
                progress(f"{group} T={T} batch={batch} width={width}")
            a = torch.rand(T, batch, width, generator=gen)
            b = torch.randn(T, batch, width, generator=gen)
            with torch.no_grad():
                ref = fns["loop"](a, b)
                diffs = {name: float((fn(a, b) - ref).abs().max()) for name, fn in fns.items()}

                calls = {k: functools.partial(f, a, b) for k, f in fns.items()}
                times, number = _time_case(calls, repeats, min_time, rng, CLOCKS[clock])
            stats = summarize(times, baseline="loop")
            for name in fns:
                results.append({
                    "case": group, "T": T, "batch": batch, "width": width, "contender": name,
                    "number": number[name], "times_s": times[name], **stats[name],
                    "speedup": 1.0 / stats[name]["ratio"], "max_abs_diff": diffs[name],
                })
    target_row = next((r for r in results if r["contender"] == "blelloch" and
                       (r["T"], r["batch"], r["width"]) == (TARGET["T"], TARGET["batch"], TARGET["width"])), None)
    return {
        "schema": SCHEMA,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m rnn_companion.bench.scan " + " ".join(sys.argv[1:]),
        "machine": {"cpu": _cpu_model(), "cpu_count": os.cpu_count(), "platform": platform.platform()},
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__},
        "settings": {"threads": torch.get_num_threads(), "repeats": repeats, "min_time_s": min_time,
                     "clock": clock, "dtype": "float32", "seed": seed, "quick": quick},
        "results": results,
        "crossover": {group: crossover(results, group) for group in cases(quick)},
        "target": {**TARGET, "speedup": None if target_row is None else target_row["speedup"],
                   "met": None if target_row is None else target_row["speedup"] >= TARGET["min_speedup"]},
    }


def format_table(result: Mapping[str, Any]) -> str:
    """A text table: one row per case, the loop's median time and each scan's speedup."""
    lines = [f"{'case':<7}{'T':>7}{'batch':>6}{'width':>6}{'loop (s)':>11}{'blelloch':>10}{'hillis_st':>10}"]
    rows = {(r["case"], r["T"], r["batch"], r["width"], r["contender"]): r for r in result["results"]}
    for case, T, batch, width, name in rows:
        if name != "loop":
            continue
        sp = [f"{rows[k]['speedup']:>9.2f}x" if (k := (case, T, batch, width, c)) in rows else f"{'-':>10}"
              for c in ("blelloch", "hillis_steele")]
        lines.append(f"{case:<7}{T:>7}{batch:>6}{width:>6}{rows[(case, T, batch, width, name)]['median_s']:>11.2e}"
                     + "".join(sp))
    lines.append(f"crossover (blelloch faster from T =): {result['crossover']}")
    lines.append(f"target: {result['target']}")
    return "\n".join(lines)


def load_scan_run(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read a stored run; without ``path``, the one shipped with the package (``data/bench/scan-cpu.json``)."""
    if path is None:
        path = Path(__file__).resolve().parent.parent / "data" / "bench" / "scan-cpu.json"
    with open(path, encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{path} is not a scan benchmark run: schema {data.get('schema')!r}, expected {SCHEMA!r}")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn_companion.bench.scan", description=__doc__.split("\n")[0])
    parser.add_argument("--json", metavar="PATH", help="write the result object to PATH")
    parser.add_argument("--quick", action="store_true", help="tiny cases, 2 repeats: a smoke test")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved rounds per case (default 7)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall-clock time (default) or the process's CPU time (a shared machine)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: one CPU core)")
    args = parser.parse_args(argv)
    import torch

    if args.threads < 1:
        parser.error(f"--threads must be >= 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    repeats = args.repeats if args.repeats is not None else (2 if args.quick else 7)
    if repeats < 1:
        parser.error(f"--repeats must be >= 1, got {repeats}")
    result = run(quick=args.quick, repeats=repeats, min_time=0.0 if args.quick else 0.02, clock=args.clock,
                 progress=lambda msg: print(msg, file=sys.stderr))
    print(format_table(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
