"""The package's one command line: ``rnn-companion bench ...`` and ``rnn-companion experiment ...``.

* ``rnn-companion bench [options]``: the benchmark (:mod:`rnn_companion.bench`; the older
  ``rnn-companion-bench`` and ``python -m rnn_companion.bench`` run the same);
* ``rnn-companion experiment {xor,letters,lexical} --out FILE.json``: a multi-seed run of
  Elman (1990) (:mod:`rnn_companion.elman1990`), the records the book stores.

Shape conventions: none (this module only dispatches).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rnn-companion`` and ``python -m rnn_companion``."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="rnn-companion",
        description="rnn-companion bench ... times ElmanRNN, torch.nn.RNN and NumPy (see rnn-companion bench --help); "
        "rnn-companion experiment {xor,letters,lexical} --out FILE.json runs a multi-seed Elman (1990) simulation.",
    )
    parser.add_argument("command", choices=["bench", "experiment"], help="what to run")
    if not args or args[0] not in ("bench", "experiment"):
        parser.parse_args(args[:1])  # prints the usage and exits with status 2
    if args[0] == "bench":
        from .bench.cli import main as bench_main

        return bench_main(args[1:], prog="rnn-companion bench")
    from .elman1990 import add_arguments, run_experiment

    sub_parser = argparse.ArgumentParser(prog="rnn-companion experiment", description="Elman (1990) simulations")
    add_arguments(sub_parser.add_subparsers(dest="name", required=True))
    return run_experiment(sub_parser.parse_args(args[1:]), "rnn-companion " + " ".join(args))
