"""Tests of the reproductions: Elman (1990) runs, Jordan (1986) helpers, the stored runs and the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from rnn_companion import datasets as ds
from rnn_companion import elman1990, jordan1986, stored
from rnn_companion.cli import main as cli_main


@pytest.mark.slow
def test_small_xor_run_dips_at_the_predictable_position() -> None:
    """Fixed seeds, 60 passes: the error after the 2nd bit of a triplet (next bit = XOR) is lowest."""
    r = elman1990.run_xor([0, 1, 2], passes=60, n_bits=3000, n_test_cycles=200)
    pos3 = r["pos3"]
    assert pos3.shape == (3, 3) and r["cycle12"].shape == (3, 12)
    mean = pos3.mean(0)  # about (0.27, 0.18, 0.27)
    assert mean[1] < mean[0] - 0.05 and mean[1] < mean[2] - 0.05
    assert (r["gap"] > 0.04).all()  # every network, not just on average
    # unpredictable bits cannot beat 0.25 in expectation (fair coin); allow sampling noise
    assert mean[0] > 0.23 and mean[2] > 0.23


# --------------------------------------------------------------------------- Jordan
def test_jordan_rollout_state_recurrence_and_kick() -> None:
    from rnn_companion import JordanRNN

    torch.manual_seed(0)
    net = JordanRNN(3, 5, 4, mu=0.3, dtype=torch.float64)
    kick = np.array([2.0, -1.0, 0.5, 0.0])
    y, s = jordan1986.jordan_rollout(net, np.array([0.0, 1.0, 0.0]), 8, perturb_at=4, perturbation=kick)
    assert y.shape == (8, 4) and s.shape == (8, 4)
    np.testing.assert_array_equal(s[0], 0.0)
    for t in range(1, 8):
        expected = kick if t == 4 else 0.3 * s[t - 1] + y[t - 1]
        np.testing.assert_allclose(s[t], expected, rtol=1e-12)
    # the same run in one call of the network, without the kick, up to step 4
    x = torch.tensor([[0.0, 1.0, 0.0]], dtype=torch.float64).expand(4, -1)
    with torch.no_grad():
        y_full, _, _ = net(x)
    np.testing.assert_allclose(y[:4], y_full.numpy(), rtol=1e-12)


def test_jordan_correct_thresholds_every_unit() -> None:
    task = ds.jordan_plan_task(("AB", "BA"))
    out = task.targets * 0.8 + 0.1  # all on the right side of 0.5
    assert jordan1986.jordan_correct(out, task).all()
    out[1, 0, 2] = 0.6  # one wrong unit of plan 0 at step 2
    ok = jordan1986.jordan_correct(out, task)
    assert not ok[1, 0] and ok.sum() == 3


@pytest.mark.slow
def test_teacher_forcing_with_mu_zero_cannot_fit_the_trap() -> None:
    """In ABDCBA, B is followed once by D and once by A. With mu = 0 and teacher forcing the
    two steps see the same input, so the MSE cannot fall below that of predicting their mean:
    2 steps x 0.5 summed squared error, over 6 steps x 4 plans x 4 bits."""
    from rnn_companion import JordanRNN

    task = ds.jordan_plan_task()
    floor = 2 * 0.5 / task.targets.size
    torch.manual_seed(0)
    net = JordanRNN(4, 12, 4, mu=0.0, dtype=torch.float64)
    hist = jordan1986.train_jordan(net, task, epochs=300, teacher_forcing=True, eval_every=100)
    assert hist["loss"].min() >= floor * (1 - 1e-9)
    assert hist["loss"][-1] < 2 * floor  # it does get close to the floor
    assert list(hist["eval_epochs"]) == [100, 200, 300]
    # with mu = 0.5 the trap is gone and the loss goes far below the mu = 0 floor
    torch.manual_seed(1)  # a seed that solves the task (the book's chapter 8 shows 4 of 5 do)
    net = JordanRNN(4, 12, 4, mu=0.5)
    hist = jordan1986.train_jordan(net, task, epochs=300, teacher_forcing=True, eval_every=300)
    assert hist["loss"][-1] < floor / 5
    assert hist["free_accuracy"][-1] > 0.9


# --------------------------------------------------------------------------- CLI
def test_cli_writes_a_self_describing_json(tmp_path) -> None:
    out = tmp_path / "xor.json"
    assert cli_main(["experiment", "xor", "--out", str(out), "--seeds", "2", "--passes", "2"]) == 0
    record = json.loads(out.read_text())
    assert record["command"] == f"rnn-companion experiment xor --out {out} --seeds 2 --passes 2"
    assert {"date", "versions", "assumptions", "seconds"} <= set(record)
    res = record["results"]
    assert np.array(res["elman"]["cycle12"]).shape == (2, 12)
    assert np.array(res["bptt"]["pos3"]).shape == (2, 3)
    assert res["fig3"] == list(elman1990.XOR_FIG3)


def test_stored_runs_ship_with_the_package_and_say_how_to_regenerate() -> None:
    for name in stored.STORED:
        record = stored.load_stored(name)
        assert record["experiment"] == name
        # the command still runs: it names this package's command line and a known experiment
        assert record["command"] == f"rnn-companion experiment {name} --out rnn_companion/data/experiments/{name}.json"
        assert set(stored.StoredRecord.__annotations__) == set(record)
        assert {"elman", "bptt"} <= set(record["results"])
    with pytest.raises(ValueError, match="one of .* got 'nope'"):
        stored.load_stored("nope")


def test_command_line_dispatches_and_rejects_unknown_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli_main(["frobnicate"])
    assert exc.value.code == 2 and "invalid choice: 'frobnicate'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli_main(["bench", "--size", "Z"])
    assert exc.value.code == 2 and "usage: rnn-companion bench" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli_main(["experiment", "nope"])
    assert exc.value.code == 2 and "usage: rnn-companion experiment" in capsys.readouterr().err
