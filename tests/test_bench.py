"""Tests of the benchmark's plumbing (not of anybody's speed): it runs on a tiny size, writes the
documented JSON, computes its ratios from the medians, and rejects bad command-line arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from rnn_companion import bench

ROOT = Path(__file__).resolve().parent.parent

TOP_KEYS = {"schema", "tag", "date", "command", "machine", "versions", "settings", "floor", "results", "skipped"}
MACHINE_KEYS = {"cpu", "cpu_count", "platform", "gpu", "loadavg_start", "loadavg_end"}
VERSION_KEYS = {"python", "torch", "numpy", "rnn_companion", "cuda", "cudnn"}
SETTINGS_KEYS = {"threads", "blas_threads_env", "repeats", "warmup", "min_time_s", "clock", "cuda_allow_tf32", "dtype",
                 "seed", "devices",
                 "passes", "layers", "sizes"}
RECORD_KEYS = {"size", "T", "batch", "input", "hidden", "layers", "device", "pass", "contender", "label", "baseline",
               "number", "times_s", "median_s", "q1_s", "q3_s", "min_s", "max_s", "ratio", "target",
               "meets_target", "flops", "max_abs_diff"}


# --------------------------------------------------------------------------- summarising
def test_summarize_fake_timings_against_numpy() -> None:
    rng = np.random.default_rng(0)
    times = {"torch": list(rng.uniform(1.0, 2.0, 7)), "elman": list(rng.uniform(0.5, 3.0, 7)),
             "numpy": [0.25, 4.0, 0.5, 0.75, 1.0]}
    stats = bench.summarize(times)
    ref = float(np.median(times["torch"]))
    for name, samples in times.items():
        s = stats[name]
        assert s["median_s"] == pytest.approx(np.median(samples), rel=1e-12)
        assert s["q1_s"] == pytest.approx(np.percentile(samples, 25), rel=1e-12)
        assert s["q3_s"] == pytest.approx(np.percentile(samples, 75), rel=1e-12)
        assert (s["min_s"], s["max_s"]) == (min(samples), max(samples))
        assert s["ratio"] == pytest.approx(np.median(samples) / ref, rel=1e-12)
    assert stats["torch"]["ratio"] == 1.0
    # an outlier moves the mean but not the median: the ratio is a ratio of medians
    assert stats["numpy"]["ratio"] == pytest.approx(0.75 / ref)


def test_summarize_by_hand() -> None:
    stats = bench.summarize({"torch": [4.0, 2.0, 3.0], "elman": [1.0, 1.5, 100.0]})
    assert stats["elman"]["ratio"] == 0.5
    assert stats["elman"]["q1_s"] == 1.25 and stats["elman"]["q3_s"] == 50.75
    assert bench.summarize({"torch": [2.0]})["torch"] == {
        "median_s": 2.0, "q1_s": 2.0, "q3_s": 2.0, "min_s": 2.0, "max_s": 2.0, "ratio": 1.0}


@pytest.mark.parametrize(
    "times, message",
    [({"elman": [1.0]}, "baseline"), ({"torch": [1.0], "elman": []}, "no timings"), ({"torch": [0.0]}, "positive")],
)
def test_summarize_rejects_bad_input(times: dict[str, list[float]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bench.summarize(times)


# --------------------------------------------------------------------------- sizes, targets, FLOPs
def test_parse_size() -> None:
    assert bench.parse_size("a") == ("A", (100, 32, 64, 128))
    assert bench.parse_size("1000,1,8,32") == ("B", (1000, 1, 8, 32))
    assert bench.parse_size("5, 2, 3, 4") == ("5,2,3,4", (5, 2, 3, 4))
    for bad in ("D", "1,2,3", "1,2,3,4,5", "0,1,1,1", "a,b,c,d", "-1,2,3,4", "1.5,2,3,4"):
        with pytest.raises(ValueError, match="size"):
            bench.parse_size(bad)


def test_target_lookup_rules() -> None:
    """target_for follows its rules on a table of its own (not by restating the project's numbers)."""
    table = {"elman": {"fwd": {"A": 0.5, None: 0.9}, "fwd_bwd": {"B": 0.25}}}
    original = dict(bench.TARGETS)
    try:
        bench.TARGETS.clear()
        bench.TARGETS.update(table)
        assert bench.target_for("elman", "fwd", "A", "cpu") == 0.5  # its own entry
        assert bench.target_for("elman", "fwd", "C", "cpu") == 0.9  # the None key: any other size
        assert bench.target_for("elman", "fwd_bwd", "B", "cpu") == 0.25
        assert bench.target_for("elman", "fwd_bwd", "A", "cpu") is None  # no entry, no None key
        assert bench.target_for("elman", "fwd", "A", "cuda") is None  # CPU only
        assert bench.target_for("numpy", "fwd", "A", "cpu") is None  # a contender without targets
    finally:
        bench.TARGETS.clear()
        bench.TARGETS.update(original)


def test_project_targets_are_what_the_issues_ask() -> None:
    """The requirements, not the numbers: nothing may be slower than torch.nn.RNN in the forward pass on
    any named size (the one-step regime included), and the baseline has no target."""
    for size in [*bench.SIZES, *bench.STEP_SIZES]:
        for contender in ("elman", "numpy"):
            target = bench.target_for(contender, "fwd", size, "cpu")
            assert target is not None and target <= 1.0, (contender, size, target)
    assert bench.target_for("torch", "fwd", "A", "cpu") is None


def test_step_regime_sizes() -> None:
    """The one-step regime of sampling loops (S1: one step of one sequence; S5: a tiny network)."""
    assert bench.STEP_SIZES["S1"][:2] == (1, 1) and bench.STEP_SIZES["S1"][3] == 128
    assert bench.STEP_SIZES["S5"][0] == 5 and bench.STEP_SIZES["S5"][1] == 2 and bench.STEP_SIZES["S5"][3] == 4
    assert bench.parse_size("s1") == ("S1", bench.STEP_SIZES["S1"])
    assert bench.parse_size(",".join(map(str, bench.STEP_SIZES["S5"]))) == ("S5", bench.STEP_SIZES["S5"])
    assert not set(bench.STEP_SIZES) & set(bench.SIZES)  # the default run (and the book's table) is unchanged


def test_sweep_sizes() -> None:
    assert len(bench.SWEEP_SIZES) == 12 == len(set(bench.SWEEP_SIZES))
    assert all(T == 50 and d == h for T, n, d, h in bench.SWEEP_SIZES)
    assert {n for _, n, _, _ in bench.SWEEP_SIZES} == {1, 16, 256}


def test_case_flops() -> None:
    T, B, I, H = 3, 2, 5, 7
    one = 2 * T * B * (I * H + H * H)
    two = one + 2 * T * B * (H * H + H * H)
    assert bench.case_flops((T, B, I, H), 1, "fwd") == one
    assert bench.case_flops((T, B, I, H), 2, "fwd") == two
    assert bench.case_flops((T, B, I, H), 2, "fwd_bwd") == 3 * two


# --------------------------------------------------------------------------- a real (tiny) run
@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    path = tmp_path_factory.mktemp("bench") / "quick.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "rnn_companion.bench", "--quick", "--device", "cpu", "--clock", "cpu",
         "--json", str(path)],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no progress display when stderr is not a terminal
    return json.loads(path.read_text()), proc.stdout


@pytest.mark.slow
def test_quick_run_json_fields(quick_run: tuple[dict, str]) -> None:
    data, _ = quick_run
    assert set(data) == TOP_KEYS
    assert data["schema"] == bench.SCHEMA
    assert set(data["machine"]) == MACHINE_KEYS and set(data["versions"]) == VERSION_KEYS
    assert set(data["settings"]) == SETTINGS_KEYS
    assert data["settings"]["threads"] == 1 and data["settings"]["repeats"] == 1
    assert data["settings"]["clock"] == "cpu"
    assert data["versions"]["torch"] == torch.__version__ and data["versions"]["numpy"] == np.__version__
    assert set(data["floor"]) == {"cpu"} and data["floor"]["cpu"]["peak_gflops"] > 0
    cases = {(r["layers"], r["pass"]) for r in data["results"]}
    assert cases == {(1, "fwd"), (1, "fwd_bwd"), (2, "fwd"), (2, "fwd_bwd")}
    for r in data["results"]:
        assert set(r) == RECORD_KEYS
        assert (r["T"], r["batch"], r["input"], r["hidden"]) == bench.QUICK_SIZE
        assert len(r["times_s"]) == 1 and r["median_s"] > 0
        assert r["flops"] == bench.case_flops(bench.QUICK_SIZE, r["layers"], r["pass"])
    # every CPU contender ran: a crashing one fails the run instead of being skipped
    assert {r["contender"] for r in data["results"]} == {"torch", "elman", "numpy"}
    assert data["skipped"] == [{"contender": "torch_nocudnn", "device": "cpu", "reason": "cuDNN exists on CUDA only"}]


@pytest.mark.slow
def test_quick_run_ratios_come_from_medians(quick_run: tuple[dict, str]) -> None:
    data, _ = quick_run
    for r in data["results"]:
        base = next(b for b in data["results"] if b["contender"] == "torch"
                    and (b["layers"], b["pass"], b["device"]) == (r["layers"], r["pass"], r["device"]))
        assert r["ratio"] == pytest.approx(r["median_s"] / base["median_s"], rel=1e-12)
        assert r["median_s"] == pytest.approx(float(np.median(r["times_s"])), rel=1e-12)
        if r["target"] is None:
            assert r["meets_target"] is None
        else:
            assert r["meets_target"] == (r["ratio"] <= r["target"])
        # every contender computes the same function as torch.nn.RNN
        assert r["max_abs_diff"] < 1e-5


@pytest.mark.slow
def test_a_crashing_contender_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from rnn_companion.bench import core

    def broken(self: torch.nn.Module, *args: object, **kwargs: object) -> None:
        raise RuntimeError("ElmanRNN is broken")

    monkeypatch.setattr(core.ElmanRNN, "forward", broken)
    with pytest.raises(RuntimeError, match="ElmanRNN is broken"):
        core.run([("5,2,3,4", (5, 2, 3, 4))], [1], ["cpu"], ["fwd"], repeats=1, warmup=0, min_time=0.0, floor=False)


@pytest.mark.slow
def test_the_sigmoid_form_ablation_runs_without_the_form() -> None:
    """elman_tanh: ElmanRNN timed inside sigmoid_form(False), checked against torch.nn.RNN like the others,
    at a size where the form would otherwise run (32 x 128 per step, 40 steps)."""
    from rnn_companion import elman_ops
    from rnn_companion.bench import core

    calls = []
    real = elman_ops._recur_sigmoid_form

    def spy(*args: object) -> None:
        calls.append(1)
        real(*args)  # type: ignore[arg-type]

    elman_ops._recur_sigmoid_form = spy  # type: ignore[assignment]
    try:
        result = core.run([("40,32,64,128", (40, 32, 64, 128))], [1], ["cpu"], ["fwd"], contenders=["elman_tanh"],
                          repeats=1, warmup=0, min_time=0.0, floor=False)
    finally:
        elman_ops._recur_sigmoid_form = real  # type: ignore[assignment]
    rows = [r for r in result["results"] if r["contender"] == "elman_tanh"]
    assert len(rows) == 1 and rows[0]["max_abs_diff"] < 1e-4, rows
    assert calls == [], "the ablation ran the sigmoid form"


@pytest.mark.slow
def test_a_wrong_contender_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from rnn_companion.bench import core

    real = core.ElmanRNN.forward

    def off_by_one(self: torch.nn.Module, *args: object, **kwargs: object) -> tuple[torch.Tensor, torch.Tensor]:
        out, h = real(self, *args, **kwargs)
        return out + 1, h

    monkeypatch.setattr(core.ElmanRNN, "forward", off_by_one)
    with pytest.raises(RuntimeError, match="elman differs from torch.nn.RNN by 1"):
        core.run([("5,2,3,4", (5, 2, 3, 4))], [1], ["cpu"], ["fwd"], repeats=1, warmup=0, min_time=0.0, floor=False)


@pytest.mark.slow
def test_quick_run_table(quick_run: tuple[dict, str]) -> None:
    data, stdout = quick_run
    assert bench.format_table(data) in stdout
    assert stdout.count("\n5,2,3,4 ") == len(data["results"])


@pytest.mark.slow
def test_load_runs_reads_only_bench_json(quick_run: tuple[dict, str], tmp_path: Path) -> None:
    data, _ = quick_run
    (tmp_path / "b.json").write_text(json.dumps(data))
    (tmp_path / "a.json").write_text(json.dumps({"something": "else"}))
    (tmp_path / "notes.txt").write_text("x")
    runs = bench.load_runs(tmp_path)
    assert [r["file"] for r in runs] == ["b.json"]
    assert runs[0]["results"] == data["results"]


# --------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    "argv, message",
    [
        (["--size", "1,2,3"], "T,batch,input,hidden"),
        (["--size", "Z"], "T,batch,input,hidden"),
        (["--layers", "0"], "positive integer"),
        (["--repeats", "many"], "positive integer"),
        (["--warmup", "-1"], "non-negative integer"),
        (["--min-time", "nan"], "non-negative number"),
        (["--pass", "backward"], "invalid choice"),
        (["--contenders", "jax"], "invalid choice"),
        (["--device", "tpu"], "device"),
        (["--json", "/nonexistent-h6/dir/out.json"], "does not exist"),
        (["--clock", "sundial"], "invalid choice"),
        (["--clock", "cpu", "--threads", "2"], "--threads 1"),
        (["--sweep", "--size", "A"], "not allowed with --size"),
        (["--sweep"], "not allowed with --quick"),
        (["--step", "--size", "A"], "not allowed with --sweep or --size"),
        (["--frobnicate"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_fail_clearly(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        bench.main([*argv, "--quick", "--quiet"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "usage: rnn-companion-bench" in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_cuda_requested_without_gpu(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--device", "cuda"])
    assert "torch.cuda.is_available() is False" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_quick_run_on_cuda(tmp_path: Path) -> None:
    path = tmp_path / "cuda.json"
    threads = torch.get_num_threads()
    try:
        assert bench.main(["--quick", "--quiet", "--device", "cuda", "--json", str(path)]) == 0
    finally:
        torch.set_num_threads(threads)
    data = json.loads(path.read_text())
    assert data["machine"]["gpu"]
    names = {r["contender"] for r in data["results"]}
    assert {"torch", "elman", "torch_nocudnn"} <= names
    # PyTorch lets cuDNN use TF32 for float32 RNNs by default: agreement to about 1e-3, not 1e-6
    assert all(r["device"] == "cuda" and r["max_abs_diff"] < 1e-2 for r in data["results"])


# --------------------------------------------------------------------------- clocks and plots
@pytest.mark.parametrize("clock", ["wall", "cpu"])
def test_cpu_timer_measures_work(clock: str) -> None:
    timer = bench.CpuTimer(clock)
    busy = timer.measure(lambda: sum(range(200_000)), 3)
    idle = timer.measure(lambda: None, 3)
    assert busy > 0 and busy > idle


@pytest.mark.slow
def test_plots_of_a_stored_run(quick_run: tuple[dict, str]) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rnn_companion.plotting import performance as perf

    data, _ = quick_run
    data = {**data, "file": "quick.json"}
    table = bench.ratio_table(data).splitlines()
    assert len(table) == 1 + len(bench.records(data, contender="torch")) == 5
    r = next(x for x in data["results"] if x["contender"] == "numpy" and x["pass"] == "fwd" and x["layers"] == 1)
    assert f"{r['ratio']:.2f}" in table[1]
    fig = perf.plot_ratios(data)
    assert len(fig.axes) == 2 and fig.axes[0].get_yscale() == "log"
    assert not hasattr(perf, "ratio_table")  # one table, in the benchmark
    fig2 = perf.plot_roofline(data)
    assert len(fig2.axes[0].lines) >= 2 + 3  # roof, one floor curve, three contenders
    plt.close("all")
    w = np.array([1e3, 1e6, 1e9])
    model = bench.overhead_model(w, 1e11, 2e-6)
    np.testing.assert_allclose(model, w / (2e-6 + w / 1e11))
    assert model[0] < 1e9 and model[-1] > 0.99e11


def test_stored_runs_ship_with_the_package() -> None:
    runs = bench.load_runs()  # rnn_companion/data/bench, plotted by the performance chapter
    names = {r["file"] for r in runs}
    assert {"cpu.json", "cpu-sweep.json"} <= names
    cpu = next(r for r in runs if r["file"] == "cpu.json")
    cases = {(r["contender"], r["pass"]) for r in cpu["results"]}
    assert {("torch", "fwd"), ("elman", "fwd_bwd"), ("numpy", "fwd_bwd")} <= cases


@pytest.mark.slow
def test_step_regime_runs_forward_only_with_its_targets() -> None:
    """--step times S1 and S5, 1 and 2 layers, forward only, and judges elman by its targets."""
    from rnn_companion.bench import core

    result = core.run(list(bench.STEP_SIZES.items()), [1, 2], ["cpu"], ["fwd"], repeats=1, warmup=0,
                      min_time=0.0, floor=False)
    cases = {(r["size"], r["layers"], r["pass"]) for r in result["results"]}
    assert cases == {(s, n, "fwd") for s in bench.STEP_SIZES for n in (1, 2)}
    for r in result["results"]:
        assert (r["T"], r["batch"], r["input"], r["hidden"]) == bench.STEP_SIZES[r["size"]]
        if r["contender"] == "elman":
            assert r["target"] == bench.TARGETS["elman"]["fwd"][r["size"]]
            assert r["meets_target"] == (r["ratio"] <= r["target"])
    assert "S1" in bench.format_table(result) and "S5" in bench.format_table(result)
