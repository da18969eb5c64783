"""The scan benchmark: a quick run's structure, its ratios, the crossover rule and the stored run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from rnn_companion.bench import scan as bench_scan


def _row(case: str, T: int, speedup: float) -> dict[str, object]:
    return {"case": case, "T": T, "contender": "blelloch", "speedup": speedup}


def test_crossover_is_the_start_of_the_last_winning_run() -> None:
    rows = [_row("narrow", 8, 0.5), _row("narrow", 16, 1.2), _row("narrow", 32, 0.9),
            _row("narrow", 64, 1.5), _row("narrow", 128, 3.0)]
    assert bench_scan.crossover(rows, "narrow") == 64
    assert bench_scan.crossover([_row("wide", 8, 0.5), _row("wide", 16, 0.7)], "wide") is None
    assert bench_scan.crossover([_row("x", 8, 2.0)], "x") == 8


def test_quick_run_writes_consistent_json(tmp_path: Path) -> None:
    path = tmp_path / "scan.json"
    threads = torch.get_num_threads()
    try:
        assert bench_scan.main(["--quick", "--json", str(path)]) == 0
    finally:
        torch.set_num_threads(threads)  # main() pins one thread
    run = bench_scan.load_scan_run(path)
    assert run["schema"] == "rnn_companion.bench.scan/1"
    expected = {(group, c, T) for group, cases in bench_scan.QUICK.items() for (T, _, _) in cases
                for c in bench_scan.GROUP_CONTENDERS[group]}
    assert {(r["case"], r["contender"], r["T"]) for r in run["results"]} == expected
    for r in run["results"]:
        same_case = [x for x in run["results"] if (x["case"], x["T"]) == (r["case"], r["T"])]
        loop = next(x for x in same_case if x["contender"] == "loop")
        assert r["ratio"] == pytest.approx(r["median_s"] / loop["median_s"])
        assert r["speedup"] == pytest.approx(1 / r["ratio"])
        assert r["q1_s"] <= r["median_s"] <= r["q3_s"]
        assert r["max_abs_diff"] < 1e-3  # every contender computed the same states
    assert run["settings"]["threads"] == 1


def test_load_scan_run_rejects_other_schemas(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"schema": "rnn_companion.bench/1"}))
    with pytest.raises(ValueError, match="expected 'rnn_companion.bench.scan/1'"):
        bench_scan.load_scan_run(path)


def test_stored_run_is_complete_and_consistent() -> None:
    run = bench_scan.load_scan_run()  # rnn_companion/data/bench/scan-cpu.json, read by the chapter
    assert run["settings"]["threads"] == 1
    cases = {(r["case"], r["T"], r["batch"], r["width"]) for r in run["results"]}
    assert {("narrow", *c) for c in bench_scan.NARROW} <= cases
    assert {("wide", *c) for c in bench_scan.WIDE} <= cases
    for case in ("narrow", "wide"):
        assert run["crossover"][case] == bench_scan.crossover(run["results"], case)
    target = next(r for r in run["results"] if r["contender"] == "blelloch" and (r["case"], r["T"]) == ("narrow", 4096))
    assert run["target"]["speedup"] == pytest.approx(target["speedup"])
    assert run["target"]["met"] == (target["speedup"] >= bench_scan.TARGET["min_speedup"])
    assert all(r["max_abs_diff"] < 1e-3 for r in run["results"])
