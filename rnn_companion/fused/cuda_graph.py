"""A recurrent module's per-step loop captured in a CUDA graph, replayed for one fixed shape.

Shape convention (stated once for this module): as the wrapped module (:class:`torch.nn.RNN`
or :class:`~rnn_companion.elman.ElmanRNN`): input ``(T, B, I)`` (``(B, T, I)`` if
``batch_first``), initial state ``hx`` ``(D * layers, B, H)``.

An eager loop on a GPU launches a few small kernels per time step, and at small sizes the
launches, not the arithmetic, take the time. Capturing the whole forward (all T steps) in a
CUDA graph records those launches once; each call then replays them with one launch from the
host. The shapes, dtype and device are fixed at capture; a call with anything else is refused.

* ``train=False``: the forward under ``torch.no_grad()`` in one graph. The returned tensors
  are the graph's static outputs: the next call overwrites them (clone to keep them).
* ``train=True``: forward and backward each in a graph (``torch.cuda.make_graphed_callables``),
  differentiable with respect to the module's parameters and the input; the module itself is
  left unchanged (a wrapper is graphed).

Everything here needs CUDA; nothing is captured on other devices.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import torch
from torch import Tensor, nn

from .dispatch import RNNSettings

__all__ = ["GraphedRNN"]


class _Forward(nn.Module):
    """Holds the module as a child, so that graphing replaces this wrapper's forward, not the module's."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: Tensor, hx: Tensor) -> tuple[Tensor, Tensor]:
        out, h_n = self.module(x, hx)
        return out, h_n


class GraphedRNN:
    """``module``'s forward (and backward if ``train``) as CUDA graphs for inputs shaped like ``sample``.

    Parameters
    ----------
    module : nn.Module
        A recurrent module called as ``module(x, hx) -> (output, h_n)``, on a CUDA device.
    sample : Tensor
        An input of the shape, dtype and device every call will use (its values do not matter).
    train : bool, default False
        Capture forward and backward (gradients for the parameters, and for the input if
        ``sample.requires_grad``); otherwise the forward only, without autograd.
    warmup : int, default 3
        Eager calls on a side stream before capture (lazy initialisation, cuBLAS workspaces).
    """

    def __init__(self, module: nn.Module, sample: Tensor, *, train: bool = False, warmup: int = 3) -> None:
        if not torch.cuda.is_available() or sample.device.type != "cuda":
            raise RuntimeError(f"CUDA graphs need a CUDA device and a CUDA sample input, got device {sample.device}")
        if sample.dim() != 3:
            raise ValueError(f"sample must be a batched 3-D input, got {sample.dim()} dimensions")
        settings = RNNSettings.of(module)
        batch = sample.shape[0] if settings.batch_first else sample.shape[1]
        self.shape, self.dtype, self.device = tuple(sample.shape), sample.dtype, sample.device
        self.hx_shape = (settings.num_layers * settings.directions, batch, settings.hidden_size)
        self.train = train
        static_x = torch.zeros_like(sample).requires_grad_(sample.requires_grad)
        static_hx = torch.zeros(self.hx_shape, dtype=sample.dtype, device=sample.device)
        with torch.cuda.device(sample.device):  # graphs are captured on the current device
            self._capture(module, static_x, static_hx, warmup)

    def _capture(self, module: nn.Module, static_x: Tensor, static_hx: Tensor, warmup: int) -> None:
        if self.train:
            graphed = torch.cuda.make_graphed_callables(
                _Forward(module), (static_x, static_hx), num_warmup_iters=warmup
            )
            self._graphed = cast(Callable[[Tensor, Tensor], tuple[Tensor, Tensor]], graphed)
            return
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side), torch.no_grad():
            for _ in range(warmup):
                module(static_x, static_hx)
        torch.cuda.current_stream().wait_stream(side)
        self._graph = torch.cuda.CUDAGraph()
        with torch.no_grad(), torch.cuda.graph(self._graph):
            out, h_n = module(static_x, static_hx)
        self._static = (static_x, static_hx, out, h_n)

    def __call__(self, x: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Replay the captured graph(s) for input ``x`` and initial state ``hx`` (zeros if None)."""
        if tuple(x.shape) != self.shape or x.dtype != self.dtype or x.device != self.device:
            raise ValueError(
                f"input must be {self.shape} {self.dtype} on {self.device} as captured, "
                f"got {tuple(x.shape)} {x.dtype} on {x.device}"
            )
        if hx is not None and (tuple(hx.shape) != self.hx_shape or hx.dtype != self.dtype or hx.device != self.device):
            raise ValueError(
                f"hx must be {self.hx_shape} {self.dtype} on {self.device}, "
                f"got {tuple(hx.shape)} {hx.dtype} on {hx.device}"
            )
        if self.train:
            if hx is None:
                hx = torch.zeros(self.hx_shape, dtype=self.dtype, device=self.device)
            return self._graphed(x, hx)
        static_x, static_hx, out, h_n = self._static
        static_x.copy_(x)
        if hx is None:
            static_hx.zero_()
        else:
            static_hx.copy_(hx)
        self._graph.replay()
        return out, h_n
