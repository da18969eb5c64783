"""A fused GPU path for Elman RNNs: Triton kernels that run all time steps in one launch.

* ``dispatch`` (no Triton import): ``is_supported``,
  ``unsupported_reason`` and the hook ``maybe_fused_forward`` that
  :class:`~rnn_companion.elman.ElmanRNN` calls per layer and direction;
* ``triton_elman``: the forward and backward kernels and their
  launchers ``fused_layer_forward`` and ``fused_layer_backward``;
* ``layer``: ``FusedElmanLayer``, the differentiable layer, and
  ``rnn_forward``, a whole ``RNN`` on the fused path;
* ``cuda_graph``: the per-step loop captured in a CUDA graph;
* ``bench_gpu``: the like-for-like GPU benchmark.

Triton is optional (``pip install rnn-companion[gpu]``) and imported lazily: importing this
package imports only ``dispatch``; Triton is loaded when a name from
``triton_elman`` or ``layer`` is first used, i.e. when a CUDA tensor (or the interpreter,
``TRITON_INTERPRET=1``) meets the fused path.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .dispatch import (
    MAX_HIDDEN,
    SUPPORTED_DTYPES,
    enabled,
    interpreter_active,
    is_supported,
    maybe_fused_forward,
    triton_available,
    unsupported_reason,
)

# public name -> submodule that defines it, imported on first use
_LAZY = {
    "fused_layer_forward": "triton_elman",
    "fused_layer_backward": "triton_elman",
    "FusedElmanLayer": "layer",
    "fused_layer": "layer",
    "rnn_forward": "layer",
    "GraphedRNN": "cuda_graph",
}

__all__ = [
    "MAX_HIDDEN",
    "SUPPORTED_DTYPES",
    "enabled",
    "interpreter_active",
    "is_supported",
    "maybe_fused_forward",
    "triton_available",
    "unsupported_reason",
    *_LAZY,
]

if TYPE_CHECKING:  # pragma: no cover  (``X as X``: explicit re-exports of the lazy names)
    from .cuda_graph import GraphedRNN as GraphedRNN
    from .layer import FusedElmanLayer as FusedElmanLayer
    from .layer import fused_layer as fused_layer
    from .layer import rnn_forward as rnn_forward
    from .triton_elman import fused_layer_backward as fused_layer_backward
    from .triton_elman import fused_layer_forward as fused_layer_forward


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'rnn_companion.fused' has no attribute {name!r}")
