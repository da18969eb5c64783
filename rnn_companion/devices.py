"""The compute devices PyTorch can use on this machine.

No tensors are involved; the function returns ``torch.device`` objects in a fixed order so that
notebooks can loop over them and print nothing device-specific.
"""

from __future__ import annotations

import torch

__all__ = ["available_devices"]


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[torch.device]:
    """List the usable devices: ``cpu`` first, then each ``cuda:i``, then ``mps``.

    Returns
    -------
    list of torch.device
        Always starts with ``torch.device("cpu")``; then ``cuda:0`` ... ``cuda:{n-1}`` for the
        ``n = torch.cuda.device_count()`` GPUs when ``torch.cuda.is_available()``; then
        ``mps`` when ``torch.backends.mps.is_available()`` (Apple silicon).

    Examples
    --------
    >>> import torch
    >>> from rnn_companion import available_devices
    >>> for device in available_devices():
    ...     x = torch.ones(2, device=device)
    """
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices += [torch.device("cuda", i) for i in range(torch.cuda.device_count())]
    if _mps_available():
        devices.append(torch.device("mps"))
    return devices
