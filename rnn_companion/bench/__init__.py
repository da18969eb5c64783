"""Benchmark: the fast NumPy contender, :class:`~rnn_companion.elman.ElmanRNN` and ``torch.nn.RNN``.

Run it as ``rnn-companion bench``, ``python -m rnn_companion.bench`` or ``rnn-companion-bench``::

    rnn-companion bench                              # sizes A, B, C; 1 and 2 layers; every device
    rnn-companion-bench --size A --layers 1 --pass fwd
    rnn-companion-bench --size 100,32,64,128 --size 50,8,16,16 --layers 1 2 --json out.json
    rnn-companion-bench --quick                      # a tiny size, one repeat: a smoke test
    rnn-companion-bench --sweep                      # 12 sizes, 1 layer, forward: for a roofline plot
    rnn-companion-bench --step                       # the one-step regime S1, S5 (sampling loops)

One module per part: :mod:`~rnn_companion.bench.sizes` (what is measured and the targets),
:mod:`~rnn_companion.bench.timing` (timers, medians, the machine's floor),
:mod:`~rnn_companion.bench.core` (the contenders and :func:`~rnn_companion.bench.core.run`),
:mod:`~rnn_companion.bench.report` (the JSON schema, the tables, the stored runs) and
:mod:`~rnn_companion.bench.cli` (the command line).

Shape convention (stated once for this package): a size is ``(T, batch, input, hidden)``; every
contender runs time-major input ``x`` of shape ``(T, batch, input)`` in float32 and returns the
output ``(T, batch, hidden)`` of the last layer.

What is timed, per size, number of layers, device and pass:

* ``fwd``: inference, under ``torch.no_grad()`` for the PyTorch contenders;
* ``fwd_bwd``: the forward pass, then ``output.backward(grad_output)`` with a fixed random
  ``grad_output`` that computes every parameter gradient (the input does not require grad); the
  NumPy contender runs :func:`~rnn_companion.fast_numpy.rnn_forward` with ``return_cache=True`` and
  its hand-written :func:`~rnn_companion.fast_numpy.rnn_backward`.

The sizes: ``A``, ``B``, ``C`` (the default run: a mid-size batch, a long single sequence, a
large batch), ``--sweep`` (12 sizes for a roofline plot) and the one-step regime ``--step`` of
sampling loops, forward only (``torch.no_grad()``), 1 and 2 layers: ``S1`` = one step of one
sequence, ``(T, batch, input, hidden) = (1, 1, 128, 128)``, and ``S5`` = five steps of a tiny
network, ``(5, 2, 4, 4)``. There the fixed cost of a call dominates; the target of ``elman`` is a
ratio of at most 1.0 to ``torch.nn.RNN``.

Contenders: ``torch`` (``torch.nn.RNN``, the baseline of every ratio; on CUDA it runs cuDNN),
``elman`` (:class:`~rnn_companion.elman.ElmanRNN` with the same weights), ``numpy``
(:mod:`rnn_companion.fast_numpy`, CPU only) and, on CUDA, ``torch_nocudnn`` (``torch.nn.RNN``
with cuDNN disabled). The contenders
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

from typing import TYPE_CHECKING

from .cli import build_parser, main
from .report import (
    SCHEMA,
    BenchRecord,
    BenchRun,
    format_table,
    load_runs,
    overhead_model,
    ratio_table,
    records,
    step_flops,
)
from .sizes import (
    PASSES,
    QUICK_SIZE,
    SIZES,
    STEP_SIZES,
    SWEEP_SIZES,
    TARGETS,
    Case,
    case_flops,
    parse_size,
    target_for,
)
from .timing import CpuTimer, summarize

if TYPE_CHECKING:
    from .core import run
else:

    def run(*args, **kwargs):
        """:func:`rnn_companion.bench.core.run`, imported on first use (it loads torch, after
        the command line has set the BLAS thread variables)."""
        from .core import run as _run

        return _run(*args, **kwargs)


__all__ = [
    "SCHEMA",
    "SIZES",
    "STEP_SIZES",
    "QUICK_SIZE",
    "SWEEP_SIZES",
    "TARGETS",
    "PASSES",
    "BenchRecord",
    "BenchRun",
    "Case",
    "CpuTimer",
    "parse_size",
    "target_for",
    "summarize",
    "case_flops",
    "run",
    "records",
    "format_table",
    "ratio_table",
    "load_runs",
    "step_flops",
    "overhead_model",
    "build_parser",
    "main",
]
