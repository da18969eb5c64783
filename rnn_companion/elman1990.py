"""Elman (1990), "Finding structure in time": the three simulations the book reproduces.

Shape conventions (stated once for this module): one network per seed, stacked on a leading
*network* axis ``S`` as in :mod:`rnn_companion.srn`; streams are ``(S, T, d)``. Each run draws a
seed's training stream, initial weights and test stream from ``np.random.default_rng(seed)``.

* :func:`run_xor`: temporal XOR (1-2-1 network, Fig. 3);
* :func:`run_letters`: the letter sequence of Table 1 (6-20-6, Figs. 4 and 5);
* :func:`run_lexical`: the sentences of Tables 3 and 4 (31-150-31, the clusters of Fig. 7).

:func:`main` (``rnn-companion experiment {xor,letters,lexical} --out FILE.json``) runs the longer
multi-seed experiments and writes the records that :func:`rnn_companion.stored.load_stored` reads.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import platform
import sys
import time
from collections.abc import Sequence
from typing import TypedDict

import numpy as np

from . import datasets
from ._typing import FloatArray, IntArray
from .analysis import WORD_GROUPS, LetterErrors, clade_table, cluster_words, dip_gap, letter_errors, word_mean_hidden
from .analysis import xor_position_error as _position_error
from .srn import ELMAN_ASSUMPTIONS, Params, init_srn_stack, run_srn, train_srn
from .stored import StoredRecord

__all__ = [
    "XOR_FIG3",
    "XOR_FIG3_DIPS",
    "LEXICAL_ERROR_TRAINED",
    "LEXICAL_ERROR_INITIAL",
    "LEXICAL_ERROR_ALL_OFF",
    "LINKAGES",
    "XorRun",
    "LetterRun",
    "LexicalRun",
    "run_xor",
    "run_letters",
    "run_lexical",
    "main",
]

#: Fig. 3 of Elman (1990), the error at cycles 1 to 12 read off the page image (about ±0.01).
#: [elman1990, Fig. 3, p. 186]
XOR_FIG3 = (0.33, 0.16, 0.30, 0.28, 0.18, 0.34, 0.32, 0.17, 0.32, 0.32, 0.16, 0.28)

#: The cycles (1-based) of Fig. 3 whose input is the 2nd bit of a triplet, so the next bit is the XOR.
XOR_FIG3_DIPS = (2, 5, 8, 11)

#: Lexical-class simulation, error after six passes ("RMS error after training dropped to 0.88").
#: [elman1990, p. 197]
LEXICAL_ERROR_TRAINED = 0.88

#: The error before training, "the initial random value of ~15.5". [elman1990, p. 197]
LEXICAL_ERROR_INITIAL = 15.5

#: The error once the network "learns to turn off all the output units" ("... to 1.0").
#: [elman1990, p. 197]
LEXICAL_ERROR_ALL_OFF = 1.0

#: The (linkage, distance) pairs the stored lexical run compares.
LINKAGES: tuple[tuple[str, str], ...] = (
    ("average", "euclidean"),
    ("complete", "euclidean"),
    ("single", "euclidean"),
    ("ward", "euclidean"),
    ("average", "cosine"),
    ("average", "correlation"),
)


class XorRun(TypedDict):
    """What :func:`run_xor` returns."""

    cycle12: FloatArray  #: ``(S, 12)`` test MSE by position in a 12-step cycle
    pos3: FloatArray  #: ``(S, 3)`` by position in a triplet (input = 1st, 2nd, 3rd bit)
    gap: FloatArray  #: ``(S,)`` see :func:`rnn_companion.analysis.dip_gap`
    history: FloatArray  #: ``(passes, S)``
    params: Params
    hidden: FloatArray  #: ``(S, T_test, h)``
    test_bits: IntArray  #: ``(S, T_test)``


class LetterRun(TypedDict):
    """What :func:`run_letters` returns."""

    errors: LetterErrors
    history: FloatArray
    params: Params
    test_letters: str


class LexicalRun(TypedDict):
    """What :func:`run_lexical` returns."""

    history: FloatArray  #: ``(passes, S)``
    means: FloatArray  #: ``(S, 29, h)`` word-averaged hidden states (order of ``datasets.VOCABULARY``)
    final_error: FloatArray  #: ``(S,)`` summed squared error per word in the frozen pass
    n_words: IntArray  #: ``(S,)``
    params: Params
    corpora: list[datasets.Sentences]
    hidden: FloatArray  #: ``(S, T, h)``


def run_xor(
    seeds: Sequence[int],
    *,
    passes: int = 600,
    n_bits: int = 3000,
    n_test_cycles: int = 1200,
    lr: float = 0.5,
    init_range: float = 0.5,
    method: str = "elman",
    window: int = 12,
    n_hidden: int = 2,
) -> XorRun:
    """Elman's temporal XOR, one network per seed, each trained on its own stream.

    Testing runs a fresh stream of ``12 * n_test_cycles`` bits with no learning, from context 0.5.
    """
    rngs = [np.random.default_rng(s) for s in seeds]
    train = np.stack([datasets.temporal_xor(n_bits, r) for r in rngs])[..., None].astype(np.float64)
    params = init_srn_stack(1, n_hidden, 1, init_range, rngs)
    test = np.stack([datasets.temporal_xor(12 * n_test_cycles, r) for r in rngs])
    params, history = train_srn(params, train, passes=passes, lr=lr, method=method, window=window)
    hidden, y = run_srn(params, test[..., None].astype(np.float64))
    sq = (y[..., 0] - np.roll(test, -1, axis=1)) ** 2
    sq = sq[:, :-12]  # drop the last cycle, whose final target wraps around
    pos3 = _position_error(sq, 3)
    return XorRun(cycle12=_position_error(sq, 12), pos3=pos3, gap=dip_gap(pos3), history=history,
                  params=params, hidden=hidden, test_bits=test)


def run_letters(
    seeds: Sequence[int],
    *,
    passes: int = 200,
    n_consonants: int = 1000,
    lr: float = 0.1,
    init_range: float = 0.5,
    n_hidden: int = 20,
    method: str = "elman",
    window: int = 12,
) -> LetterRun:
    """Elman's letter task (6-20-6), one network per seed, each on its own sequence.

    Each seed also draws a fresh test sequence (1,000 consonants). ``errors`` holds
    :func:`rnn_companion.analysis.letter_errors` on the test sequences: ``sq`` and ``targets``
    of the first seed, the per-letter tables of all seeds.
    """
    rngs = [np.random.default_rng(s) for s in seeds]
    seqs = [datasets.letter_sequence(n_consonants, r) for r in rngs]
    T = min(len(s.letters) for s in seqs)
    if method == "bptt":
        T -= T % window
    train = np.stack([s.vectors[:T] for s in seqs])
    params = init_srn_stack(6, n_hidden, 6, init_range, rngs)
    params, history = train_srn(params, train, passes=passes, lr=lr, method=method, window=window)
    tests = [datasets.letter_sequence(1000, r) for r in rngs]
    Tt = min(len(s.letters) for s in tests)
    _, y = run_srn(params, np.stack([s.vectors[:Tt] for s in tests]))
    per_seed = [letter_errors(s.letters[:Tt], s.vectors[:Tt], y[i : i + 1]) for i, s in enumerate(tests)]
    errors = LetterErrors(
        sq=per_seed[0]["sq"][0],  # (T-1, 6): the first seed only
        targets=per_seed[0]["targets"],
        by_letter=np.concatenate([e["by_letter"] for e in per_seed]),
        by_letter_bit=np.concatenate([e["by_letter_bit"] for e in per_seed]),
    )
    return LetterRun(errors=errors, history=history, params=params, test_letters=tests[0].letters[:Tt])


def run_lexical(
    seeds: Sequence[int],
    *,
    n_sentences: int = 10_000,
    passes: int = 6,
    lr: float = 0.1,
    init_range: float = 0.5,
    n_hidden: int = 150,
    method: str = "elman",
    window: int = 12,
) -> LexicalRun:
    """Elman's lexical-class simulation (31-150-31), one network and corpus per seed.

    After training, the corpus is passed through once more without learning and the hidden
    states are averaged per word.
    """
    rngs = [np.random.default_rng(s) for s in seeds]
    corpora = [datasets.elman_sentences(n_sentences, r) for r in rngs]
    T = min(len(c.words) for c in corpora)
    if method == "bptt":
        T -= T % window
    X = np.stack([c.onehot[:T] for c in corpora])
    params = init_srn_stack(31, n_hidden, 31, init_range, rngs)
    params, history = train_srn(params, X, passes=passes, lr=lr, method=method, window=window)
    hidden, y = run_srn(params, X)
    final = ((y[:, :-1] - X[:, 1:]) ** 2).sum(-1).mean(1)
    means = np.concatenate(
        [word_mean_hidden(c.words[:T], hidden[i : i + 1], datasets.VOCABULARY) for i, c in enumerate(corpora)]
    )
    return LexicalRun(history=history, means=means, final_error=final, n_words=np.full(len(seeds), T),
                      params=params, corpora=corpora, hidden=hidden)


# --------------------------------------------------------------------------- the stored runs
def _r(a: FloatArray | Sequence[float] | float, nd: int = 4) -> list[float] | float:
    """Round an array (or scalar) for JSON."""
    rounded: list[float] | float = np.round(np.asarray(a, dtype=float), nd).tolist()
    return rounded


Config = dict[str, float | int | str]
Results = dict[str, object]


def _cli_xor(args: argparse.Namespace) -> Results:
    seeds = list(range(args.seeds))
    out: Results = {}
    for method in ("elman", "bptt"):
        cfg: Config = dict(passes=args.passes, n_bits=3000, n_test_cycles=1200, lr=args.lr,
                           init_range=args.init_range, method=method, window=12, n_hidden=2)
        start = time.perf_counter()
        r = run_xor(seeds, passes=args.passes, n_bits=3000, n_test_cycles=1200, lr=args.lr,
                    init_range=args.init_range, method=method, window=12, n_hidden=2)
        out[method] = {"config": cfg, "seconds": round(time.perf_counter() - start, 1), "cycle12": _r(r["cycle12"]),
                       "pos3": _r(r["pos3"]), "gap": _r(r["gap"]), "history_every_10": _r(r["history"][::10].T)}
        print(f"xor {method}: mean MSE by position {np.round(r['pos3'].mean(0), 3)}, "
              f"dip > 0.05 in {(r['gap'] > 0.05).sum()}/{len(seeds)}", flush=True)
    out["fig3"] = list(XOR_FIG3)
    return out


def _cli_letters(args: argparse.Namespace) -> Results:
    seeds = list(range(args.seeds))
    out: Results = {}
    for method in ("elman", "bptt"):
        cfg: Config = dict(passes=args.passes, n_consonants=1000, lr=args.lr, init_range=args.init_range,
                           n_hidden=20, method=method, window=12)
        start = time.perf_counter()
        r = run_letters(seeds, passes=args.passes, n_consonants=1000, lr=args.lr, init_range=args.init_range,
                        n_hidden=20, method=method, window=12)
        e = r["errors"]
        out[method] = {"config": cfg, "seconds": round(time.perf_counter() - start, 1), "letters": "bdgaiu",
                       "by_letter": _r(e["by_letter"]), "by_letter_bit": _r(e["by_letter_bit"]),
                       "history_every_10": _r(r["history"][::10].T), "seed0_targets": e["targets"][:60],
                       "seed0_sq": _r(e["sq"][:60])}
        print(f"letters {method}: summed MSE by target letter (b d g a i u) "
              f"{np.round(e['by_letter'].mean(0), 3)}", flush=True)
    return out


def _cli_lexical(args: argparse.Namespace) -> Results:
    seeds = list(range(args.seeds))
    out: Results = {"vocabulary": list(datasets.VOCABULARY), "groups": {k: list(v) for k, v in WORD_GROUPS.items()}}
    for method in args.methods:
        cfg: Config = dict(n_sentences=10_000, passes=args.passes, lr=args.lr, init_range=args.init_range,
                           n_hidden=150, method=method, window=12)
        start = time.perf_counter()
        r = run_lexical(seeds, n_sentences=10_000, passes=args.passes, lr=args.lr, init_range=args.init_range,
                        n_hidden=150, method=method, window=12)
        tables = {}
        for link, metric in LINKAGES:
            rows = [clade_table(cluster_words(r["means"][s], method=link, metric=metric), datasets.VOCABULARY)
                    for s in range(len(seeds))]
            tables[f"{link}/{metric}"] = {k: [row[k] for row in rows] for k in rows[0]}
        out[method] = {"config": cfg, "seconds": round(time.perf_counter() - start, 1),
                       "n_words": r["n_words"].tolist(), "history": _r(r["history"].T),
                       "final_error": _r(r["final_error"]), "clades": tables}
        t = tables["average/euclidean"]
        print(f"lexical {method}: final summed squared error per word {np.round(r['final_error'], 3)}; "
              f"nouns|verbs top split in {sum(t['top split nouns|verbs'])}/{len(seeds)} (average/euclidean)",
              flush=True)
    return out


def _versions() -> dict[str, str]:
    from . import __version__

    out = {"python": platform.python_version(), "numpy": np.__version__, "rnn_companion": __version__}
    try:
        import scipy

        out["scipy"] = scipy.__version__
    except ImportError:  # pragma: no cover
        pass
    return out


def add_arguments(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``xor``, ``letters`` and ``lexical`` subcommands to ``sub``."""
    defaults = {"xor": (20, 600, 0.5), "letters": (10, 200, 0.1), "lexical": (10, 6, 0.1)}
    for name, (seeds, passes, lr) in defaults.items():
        p = sub.add_parser(name, help=f"Elman (1990): the {name} simulation")
        p.add_argument("--out", required=True, help="output JSON file")
        p.add_argument("--seeds", type=int, default=seeds, help="networks (seeds 0..N-1)")
        p.add_argument("--passes", type=int, default=passes)
        p.add_argument("--lr", type=float, default=lr)
        p.add_argument("--init-range", type=float, default=0.5)
        if name == "lexical":
            p.add_argument("--methods", nargs="+", default=["elman", "bptt"], choices=["elman", "bptt"])


def run_experiment(args: argparse.Namespace, command: str) -> int:
    """Run the parsed experiment ``args.name`` and write its record to ``args.out``."""
    print("assumptions (not stated in Elman 1990):", flush=True)
    for k, v in ELMAN_ASSUMPTIONS.items():
        print(f"  {k}: {v}", flush=True)
    print(f"  lr = {args.lr}, init_range = {args.init_range}", flush=True)
    start = time.perf_counter()
    results = {"xor": _cli_xor, "letters": _cli_letters, "lexical": _cli_lexical}[args.name](args)
    record: StoredRecord = {
        "experiment": args.name,
        "command": command,
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d"),
        "versions": _versions(),
        "assumptions": ELMAN_ASSUMPTIONS,
        "seconds": round(time.perf_counter() - start, 1),
        "results": results,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out} in {record['seconds']} s", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``rnn-companion experiment {xor,letters,lexical} --out FILE.json``.

    Runs a multi-seed experiment and writes its results, the command, the date and the versions
    used to a small JSON file (the book loads these through :func:`rnn_companion.stored.load_stored`).
    """
    parser = argparse.ArgumentParser(prog="rnn-companion experiment", description=main.__doc__)
    add_arguments(parser.add_subparsers(dest="name", required=True))
    args = parser.parse_args(argv)
    words = list(argv) if argv is not None else sys.argv[1:]
    return run_experiment(args, "rnn-companion experiment " + " ".join(words))
