"""When the fused Triton path applies, and the hook :class:`~rnn_companion.elman.ElmanRNN` calls.

Shape convention (stated once for this module): as in :mod:`rnn_companion.elman`, a layer's
input is a 2-D tensor of rows ``(R, I)`` ordered by time step and, within a step, by batch
entry, with ``R = T * N`` for ``T`` steps of ``N`` sequences; ``h0`` is ``(N, H)``.

Nothing here imports Triton: :func:`is_supported` only asks whether it is installed, and
:func:`maybe_fused_forward` imports the kernels when it takes the fused path.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from typing import NamedTuple, TypeVar

import torch
from torch import Tensor

__all__ = [
    "MAX_ELEMENTS",
    "MAX_HIDDEN",
    "MIN_CAPABILITY",
    "RNNSettings",
    "SUPPORTED_DTYPES",
    "enabled",
    "interpreter_active",
    "is_supported",
    "maybe_fused_forward",
    "triton_available",
    "unsupported_reason",
]

_T = TypeVar("_T")

#: The largest hidden size of the fused kernels (the same number as ``triton_elman.MAX_HIDDEN``).
MAX_HIDDEN = 256
#: The fused kernels address all states of a layer with 32-bit offsets: fewer elements than this.
MAX_ELEMENTS = 2**31
#: The oldest NVIDIA GPUs (compute capability) on which the fused kernels are used; older ones keep the loop.
MIN_CAPABILITY = (8, 0)
#: Floating point types of the fused path; 16-bit types accumulate in float32.
SUPPORTED_DTYPES = (torch.float32, torch.float64, torch.bfloat16, torch.float16)


@functools.cache
def triton_available() -> bool:
    """Whether the optional dependency ``triton`` is installed (``pip install rnn-companion[gpu]``)."""
    return importlib.util.find_spec("triton") is not None


def interpreter_active() -> bool:
    """Whether ``TRITON_INTERPRET`` asks Triton to run kernels on the CPU (read as Triton reads it)."""
    return os.environ.get("TRITON_INTERPRET", "0").strip().lower() in ("1", "true", "on", "yes")


def enabled() -> bool:
    """Whether the fused path may be used at all: ``RNN_COMPANION_FUSED=0`` turns it off."""
    return os.environ.get("RNN_COMPANION_FUSED", "1").strip() != "0"


def unsupported_reason(x: Tensor, hidden_size: int, *, packed: bool = False) -> str | None:
    """Why the fused kernels cannot run a layer with input ``x`` and ``hidden_size``; None if they can.

    ``x`` is the layer's input, rows ``(R, I)`` or ``(T, B, I)``. The kernels run CUDA tensors on
    NVIDIA GPUs of compute capability ``MIN_CAPABILITY`` or later (or CPU tensors under
    ``TRITON_INTERPRET=1``), hidden sizes up to ``MAX_HIDDEN``, fewer
    than ``MAX_ELEMENTS`` state elements, the dtypes of ``SUPPORTED_DTYPES``, and
    sequences of equal length (``packed=True`` means packed input with sequences of different
    lengths).
    """
    if not triton_available():
        return "triton is not installed (pip install rnn-companion[gpu])"
    if x.device.type != "cuda" and not (x.device.type == "cpu" and interpreter_active()):
        return f"the fused kernels need a CUDA tensor (or TRITON_INTERPRET=1 on CPU), got device {x.device}"
    if x.device.type == "cuda":
        gpu_reason = _gpu_reason(x.device.index if x.device.index is not None else torch.cuda.current_device())
        if gpu_reason is not None:
            return gpu_reason
    if not 0 < hidden_size <= MAX_HIDDEN:
        return f"hidden size must be at most {MAX_HIDDEN} for the fused kernels, got {hidden_size}"
    states = x.numel() // x.shape[-1] * hidden_size if x.dim() > 0 and x.shape[-1] > 0 else 0  # rows x H
    if states >= MAX_ELEMENTS:
        return f"the fused kernels take fewer than 2**31 state elements (32-bit offsets), got {states}"
    if x.dtype not in SUPPORTED_DTYPES:
        names = ", ".join(str(d) for d in SUPPORTED_DTYPES)
        return f"dtype must be one of {names} for the fused kernels, got {x.dtype}"
    if packed:
        return "packed sequences of different lengths are not covered by the fused kernels"
    return None


@functools.cache
def _gpu_reason(index: int) -> str | None:
    """Why the fused kernels are not used on CUDA device ``index``; None if they are."""
    if torch.version.hip is not None:
        return "the fused kernels are enabled on NVIDIA GPUs only, got a ROCm build of torch"
    capability = torch.cuda.get_device_capability(index)
    if capability < MIN_CAPABILITY:
        return (f"the fused kernels are enabled on GPUs of compute capability {MIN_CAPABILITY[0]}.{MIN_CAPABILITY[1]} "
                f"or later, got {capability[0]}.{capability[1]}")
    return None


def is_supported(x: Tensor, hidden_size: int, *, packed: bool = False) -> bool:
    """True if the fused kernels can run this layer (see :func:`unsupported_reason`)."""
    return unsupported_reason(x, hidden_size, packed=packed) is None


class RNNSettings(NamedTuple):
    """The constructor settings of a :class:`torch.nn.RNN`-like module that the fused path reads."""

    num_layers: int
    hidden_size: int
    directions: int  # 2 if bidirectional else 1
    batch_first: bool
    relu: bool  # nonlinearity == "relu"
    bias: bool
    dropout: float

    @classmethod
    def of(cls, module: torch.nn.Module) -> RNNSettings:
        """Read the settings of ``module``; a TypeError names the first one missing or mistyped."""
        return cls(
            _read(module, "num_layers", int), _read(module, "hidden_size", int),
            2 if _read(module, "bidirectional", bool) else 1, _read(module, "batch_first", bool),
            _read(module, "nonlinearity", str) == "relu", _read(module, "bias", bool), _read(module, "dropout", float),
        )


def _read(module: torch.nn.Module, name: str, kind: type[_T]) -> _T:
    value = getattr(module, name, None)
    if not isinstance(value, kind):
        raise TypeError(
            f"expected a torch.nn.RNN-like module whose {name!r} is of type {kind.__name__}, "
            f"got {value!r} on {type(module).__name__}"
        )
    return value


def maybe_fused_forward(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None,
    sizes: list[int], relu: bool,
) -> tuple[Tensor, Tensor] | None:
    """One layer and direction on the fused path, or None where it does not apply.

    Takes the arguments of ``elman._layer``: rows ``x`` (R, I), ``h0`` (N, H), the layer's
    weights and optional biases, the rows per step ``sizes`` and the nonlinearity. Returns all
    states (R, H) and the final states (N, H), differentiable with respect to every tensor
    argument, or None (the caller then runs its own loop) when :func:`enabled` is off, the
    sequences differ in length, or :func:`is_supported` says no.
    """
    if not x.is_cuda and not interpreter_active():  # the common CPU case, decided in O(1)
        return None
    # step sizes never grow (PackedSequence.batch_sizes), so sequences are equal iff first == last
    if not sizes or not enabled() or not is_supported(x, w_hh.shape[0], packed=sizes[0] != sizes[-1]):
        return None
    from .layer import fused_layer  # imports triton

    steps, batch = len(sizes), sizes[0]
    out, h_n = fused_layer(x.reshape(steps, batch, x.shape[-1]), h0, w_ih, w_hh, b_ih, b_hh, relu)
    return out.view(steps * batch, w_hh.shape[0]), h_n
