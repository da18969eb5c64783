"""Tests for rnn_companion.devices.available_devices on faked machines (CPU only, GPUs, Apple MPS)."""

from __future__ import annotations

import pytest
import torch

from rnn_companion import available_devices


def _fake(monkeypatch: pytest.MonkeyPatch, cuda: bool, n_gpus: int, mps: bool | None) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: n_gpus)
    if mps is None:
        monkeypatch.delattr(torch.backends, "mps", raising=False)
    else:
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


@pytest.mark.parametrize(
    "cuda, n_gpus, mps, expected",
    [
        (False, 0, False, ["cpu"]),
        (False, 3, False, ["cpu"]),  # a device count without a usable CUDA is ignored
        (True, 2, False, ["cpu", "cuda:0", "cuda:1"]),
        (False, 0, True, ["cpu", "mps"]),
        (True, 1, True, ["cpu", "cuda:0", "mps"]),
        (True, 1, None, ["cpu", "cuda:0"]),  # a torch build without torch.backends.mps
    ],
)
def test_devices_on_faked_machines(monkeypatch: pytest.MonkeyPatch, cuda: bool, n_gpus: int, mps: bool | None,
                                   expected: list[str]) -> None:
    _fake(monkeypatch, cuda, n_gpus, mps)
    devices = available_devices()
    assert all(isinstance(d, torch.device) for d in devices)
    assert [str(d) for d in devices] == expected


def test_each_device_of_this_machine_computes() -> None:
    for device in available_devices():
        x = torch.arange(6, dtype=torch.float32, device=device).reshape(2, 3)
        y = (x @ x.T).cpu()
        torch.testing.assert_close(y, torch.tensor([[5.0, 14.0], [14.0, 50.0]]))
