"""The command line of the benchmark: ``rnn-companion bench`` (also ``rnn-companion-bench`` and
``python -m rnn_companion.bench``).

Shape convention (stated once for this module): sizes on the command line are ``T,batch,input,hidden``
or a name of :mod:`rnn_companion.bench.sizes`. torch and NumPy are imported only after the BLAS
thread variables are set, so this module imports neither at the top.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .sizes import PASSES, QUICK_SIZE, SIZES, STEP_SIZES, SWEEP_SIZES, Dims, parse_size

__all__ = ["build_parser", "main"]

_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_CONTENDERS = ("torch", "elman", "numpy", "torch_nocudnn")
_ABLATIONS = ("elman_tanh",)  # run only when named with --contenders
_CLOCKS = ("cpu", "wall")


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


def _size_arg(text: str) -> tuple[str, Dims]:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser(prog: str = "rnn-companion-bench") -> argparse.ArgumentParser:
    """The command-line interface of the benchmark."""
    p = argparse.ArgumentParser(
        prog=prog,
        description="Time the fast NumPy contender, ElmanRNN and torch.nn.RNN (forward, forward+backward) "
        "and print medians, spreads and ratios to torch.nn.RNN.",
    )
    p.add_argument(
        "--size", action="append", type=_size_arg, metavar="SIZE",
        help="A, B, C, S1, S5 or T,batch,input,hidden (repeatable; default: A B C = "
        + ", ".join(f"{k}={','.join(map(str, v))}" for k, v in SIZES.items()) + ")",
    )
    p.add_argument("--layers", nargs="+", type=_positive_int, metavar="N", help="numbers of layers (default: 1 2)")
    p.add_argument("--pass", dest="passes", nargs="+", choices=PASSES, help="passes to time (default: both)")
    p.add_argument(
        "--device", dest="devices", nargs="+", metavar="DEV",
        help="cpu, cuda or cuda:N (default: cpu, plus cuda when available)",
    )
    p.add_argument("--contenders", nargs="+", choices=_CONTENDERS + _ABLATIONS,
                   help="default: all that apply; the ablation elman_tanh (ElmanRNN with the sigmoid "
                   "form of tanh off) only when named")
    p.add_argument("--threads", type=_positive_int, default=1, help="CPU threads for torch and BLAS (default: 1)")
    p.add_argument("--repeats", type=_positive_int, default=7, help="timed rounds per case (default: 7)")
    p.add_argument("--warmup", type=_nonnegative_int, default=2, help="untimed calls per contender (default: 2)")
    p.add_argument("--min-time", type=_nonnegative_float, default=0.05, help="seconds per sample (default: 0.05)")
    p.add_argument(
        "--clock", choices=_CLOCKS, default="wall",
        help="CPU timings: wall-clock time (default) or the process's CPU time, which leaves out the time "
        "the OS gives to other processes on a shared machine (CUDA always uses CUDA events)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of weights, inputs and the shuffled order")
    p.add_argument("--tag", help="a label stored in the JSON (default: main, or sweep with --sweep)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    p.add_argument("--no-floor", action="store_true", help="skip the peak-GEMM and per-step-overhead probes")
    p.add_argument(
        "--quick", action="store_true", help=f"size {','.join(map(str, QUICK_SIZE))}, 1 repeat: a smoke test"
    )
    p.add_argument(
        "--sweep", action="store_true",
        help="the 12 sizes T=50, batch 1/16/256, input=hidden 16..1024, 1 layer, forward only, 5 repeats "
        "(other options still apply)",
    )
    p.add_argument(
        "--step", action="store_true",
        help="the one-step regime of sampling loops: sizes "
        + ", ".join(f"{k}={','.join(map(str, v))}" for k, v in STEP_SIZES.items())
        + ", 1 and 2 layers, forward only (other options still apply)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress display")
    return p


def main(argv: Sequence[str] | None = None, prog: str = "rnn-companion-bench") -> int:
    """Entry point of ``rnn-companion bench``, ``rnn-companion-bench`` and ``python -m rnn_companion.bench``."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    # BLAS libraries read their thread count when loaded: set it before numpy/torch are imported.
    if "numpy" not in sys.modules and "torch" not in sys.modules:
        for key in _THREAD_ENV:
            os.environ[key] = str(args.threads)
    import torch

    from .core import run
    from .report import format_table

    if args.clock == "cpu" and args.threads != 1:
        parser.error("argument --clock: cpu adds up the CPU time of all threads; use it with --threads 1")
    if args.sweep and args.size:
        parser.error("argument --sweep: not allowed with --size")
    if args.sweep and args.quick:
        parser.error("argument --sweep: not allowed with --quick")
    if args.step and (args.sweep or args.size):
        parser.error("argument --step: not allowed with --sweep or --size")
    if args.quick:
        sizes = args.size or [(",".join(map(str, QUICK_SIZE)), QUICK_SIZE)]
        repeats, warmup, min_time = 1, 1, 0.0
    else:
        sizes = args.size or (
            [(",".join(map(str, d)), d) for d in SWEEP_SIZES] if args.sweep
            else list(STEP_SIZES.items()) if args.step else list(SIZES.items())
        )
        repeats, warmup, min_time = args.repeats, args.warmup, args.min_time
        if args.sweep and args.repeats == parser.get_default("repeats"):
            repeats = 5
    layers = args.layers or ([1] if args.sweep else [1, 2])
    passes = args.passes or (["fwd"] if args.sweep or args.step else list(PASSES))
    tag = args.tag or ("sweep" if args.sweep else "step" if args.step else "main")
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
        contenders=args.contenders or _CONTENDERS,
        repeats=repeats, warmup=warmup, min_time=min_time, threads=args.threads, seed=args.seed,
        tag=tag, floor=not args.no_floor, quick=args.quick, clock=args.clock, progress=progress,
        command=" ".join([prog, *(sys.argv[1:] if argv is None else argv)]),
    )
    print(format_table(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
        print(f"wrote {args.json}")
    return 0
