"""Tests for rnn_companion.devices.available_devices."""

from __future__ import annotations

import pytest
import torch

from rnn_companion import available_devices


def _mps() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def test_order_and_length() -> None:
    devices = available_devices()
    assert all(isinstance(d, torch.device) for d in devices)
    assert devices[0] == torch.device("cpu")
    n_cuda = torch.cuda.device_count() if torch.cuda.is_available() else 0
    assert len(devices) == 1 + n_cuda + int(_mps())
    assert [d for d in devices if d.type == "cuda"] == [torch.device("cuda", i) for i in range(n_cuda)]
    assert [d.type for d in devices] == sorted((d.type for d in devices), key=["cpu", "cuda", "mps"].index)
    assert len(set(devices)) == len(devices)


def test_each_device_computes() -> None:
    for device in available_devices():
        x = torch.arange(6, dtype=torch.float32, device=device).reshape(2, 3)
        y = (x @ x.T).cpu()
        torch.testing.assert_close(y, torch.tensor([[5.0, 14.0], [14.0, 50.0]]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_listed_when_available() -> None:
    assert torch.device("cuda", 0) in available_devices()
