"""The benchmark's results: their typed JSON schema, the tables printed from them, and the stored runs.

Shape convention (stated once for this module): a *run* is the JSON object one benchmark call
writes (:class:`BenchRun`); its ``results`` hold one :data:`BenchRecord` per case and contender.
Both tables of the package are here: :func:`format_table` (every field, printed by the command
line) and :func:`ratio_table` (ratios only, shown by the book); :func:`step_flops` and
:func:`overhead_model` give the roofline's quantities; the plots of
:mod:`rnn_companion.plotting.performance` read runs through :func:`records`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, cast

from ..stored import data_files, read_data
from .sizes import SIZES, STEP_SIZES

if TYPE_CHECKING:  # numpy only for the annotations: reading runs needs no numpy
    import numpy
    import numpy.typing

__all__ = ["SCHEMA", "BenchRecord", "BenchRun", "Skipped", "StoredRun", "records", "format_table", "ratio_table",
           "load_runs", "step_flops", "overhead_model"]

SCHEMA = "rnn_companion.bench/1"

#: One timed case and contender (``pass`` is ``"fwd"`` or ``"fwd_bwd"``).
BenchRecord = TypedDict(
    "BenchRecord",
    {
        "size": str, "T": int, "batch": int, "input": int, "hidden": int, "layers": int, "device": str,
        "pass": str, "contender": str, "label": str, "baseline": str, "number": int, "times_s": list[float],
        "median_s": float, "q1_s": float, "q3_s": float, "min_s": float, "max_s": float, "ratio": float,
        "target": "float | None", "meets_target": "bool | None", "flops": int, "max_abs_diff": float,
    },
)


class Skipped(TypedDict):
    """A requested contender that does not run on a device (e.g. ``numpy`` on CUDA)."""

    contender: str
    device: str
    reason: str


class BenchRun(TypedDict):
    """One benchmark run (the JSON written by ``rnn-companion bench --json``)."""

    schema: str
    tag: str
    date: str
    command: str
    machine: dict[str, object]
    versions: dict[str, object]
    settings: dict[str, object]
    floor: dict[str, dict[str, float]]
    results: list[BenchRecord]
    skipped: list[Skipped]


class StoredRun(BenchRun, total=False):
    """A run read by :func:`load_runs`, with the name of its file."""

    file: str


def records(
    run: Mapping[str, object], *, device: str | None = None, pass_: str | None = None, contender: str | None = None
) -> list[BenchRecord]:
    """The result records of ``run`` on a device type (``"cpu"``, ``"cuda"``), pass and contender.

    ``device="cuda"`` matches ``"cuda"`` and ``"cuda:N"``; ``None`` matches anything.
    """
    out = []
    for r in cast(list[BenchRecord], run["results"]):
        if device is not None and r["device"].split(":")[0] != device:
            continue
        if pass_ is not None and r["pass"] != pass_:
            continue
        if contender is not None and r["contender"] != contender:
            continue
        out.append(r)
    return out


def format_table(result: BenchRun) -> str:
    """The full table of a run: medians, interquartile ranges, ratios, targets and GFLOP/s (times in ms)."""
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
        named = r["size"] in SIZES or r["size"] in STEP_SIZES
        size = r["size"] if named else f"{r['T']},{r['batch']},{r['input']},{r['hidden']}"
        target = "" if r["target"] is None else f"{r['target']:.2f}"
        met = "" if r["meets_target"] is None else ("yes" if r["meets_target"] else "NO")
        lines.append(
            f"{size:<18} {r['layers']:>1} {r['device']:<6} {r['pass']:<7} {r['label']:<24} {r['median_s'] * 1e3:10.3f}"
            f" {(r['q3_s'] - r['q1_s']) * 1e3:9.3f} {r['ratio']:6.2f} {target:>7} {met:>4}"
            f" {r['flops'] / r['median_s'] / 1e9:8.2f}"
        )
    for f_dev, fl in result.get("floor", {}).items():
        lines.append(
            f"floor {f_dev}: float32 GEMM {fl['peak_gflops']:.1f} GFLOP/s (n={fl['gemm_n']:.0f}); "
            f"tiny addmm_+tanh_ step {fl['step_overhead_s'] * 1e6:.2f} us"
        )
    for sk in result["skipped"]:
        lines.append(f"skipped {sk['contender']} on {sk['device']}: {sk['reason']}")
    return "\n".join(lines)


def _case_label(r: BenchRecord) -> str:
    return f"{r['size']} L={r['layers']}"


def ratio_table(run: Mapping[str, object], device: str = "cpu") -> str:
    """The ratios of ``run`` on ``device``: one row per case and pass, one column per contender.

    Each cell is ``ratio`` followed by ``*`` if it meets its target, ``!`` if it misses it, nothing
    if there is no target. The first column is the median time of ``torch.nn.RNN`` in milliseconds.
    """
    rows = records(run, device=device)
    contenders = [c for c in ("elman", "numpy", "torch_nocudnn") if any(r["contender"] == c for r in rows)]
    labels = {c: next(r["label"] for r in rows if r["contender"] == c) for c in contenders}
    bases = [r for r in rows if r["contender"] == "torch"]
    wid = max([len(_case_label(r)) for r in bases] + [4]) + 2
    lines = [f"{'case':<{wid}}{'pass':<9}{'torch.nn.RNN (ms)':>18}" + "".join(f"{labels[c]:>25}" for c in contenders)]
    for base in bases:
        key = (base["size"], base["layers"], base["pass"], base["device"])
        cells = []
        for c in contenders:
            r = next((x for x in rows if x["contender"] == c
                      and (x["size"], x["layers"], x["pass"], x["device"]) == key), None)
            if r is None:
                cells.append(f"{'-':>25}")
                continue
            mark = "" if r["meets_target"] is None else ("*" if r["meets_target"] else "!")
            target = "" if r["target"] is None else f" (<= {r['target']:.2f})"
            cells.append(f"{r['ratio']:.2f}{mark}{target}".rjust(25))
        lines.append(f"{_case_label(base):<{wid}}{base['pass']:<9}{base['median_s'] * 1e3:>18.2f}" + "".join(cells))
    return "\n".join(lines)


def load_runs(folder: str | os.PathLike[str] | None = None) -> list[StoredRun]:
    """Every ``*.json`` run of this benchmark in ``folder``, sorted by file name.

    Without ``folder``, the runs stored with the package (``rnn_companion/data/bench/``, the
    ones the book plots), read through ``importlib.resources``. Each run gets an extra key
    ``"file"`` (the file name). Files of another schema are ignored.
    """
    found: list[tuple[str, object]] = []
    if folder is None:
        found = [(name, read_data("bench", name)) for name in data_files("bench")]
    else:
        for path in sorted(Path(folder).glob("*.json")):
            found.append((path.name, json.loads(path.read_text(encoding="utf-8"))))
    runs = []
    for name, data in found:
        if isinstance(data, dict) and data.get("schema") == SCHEMA:
            run = cast(StoredRun, data)
            run["file"] = name
            runs.append(run)
    return runs


def step_flops(r: BenchRecord) -> float:
    """Arithmetic per time step and layer of a record: ``flops / (T * layers)``."""
    return r["flops"] / (r["T"] * r["layers"])


def overhead_model(
    work: numpy.typing.NDArray[numpy.float64], peak_flops: float, overhead_s: float
) -> numpy.typing.NDArray[numpy.float64]:
    """Attainable FLOP/s of a loop whose steps each do ``work`` FLOP at ``peak_flops`` after a fixed
    cost ``overhead_s``: ``work / (overhead_s + work / peak_flops)`` (elementwise over an array)."""
    out: numpy.typing.NDArray[numpy.float64] = work / (overhead_s + work / peak_flops)
    return out
