"""rnn_companion: the companion package of the RNN book.

A NumPy reference implementation (:mod:`rnn_companion.reference`), a drop-in
replacement for :class:`torch.nn.RNN` (:class:`~rnn_companion.elman.ElmanRNN`), a Jordan network
(:class:`~rnn_companion.jordan.JordanRNN`), datasets generated in code, training helpers and the
plotting used by the book.

Imports are lazy: ``import rnn_companion`` loads neither torch nor matplotlib;
each name is imported from its module on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "ElmanRNN": "elman",
    "JordanRNN": "jordan",
    "rnn_param_count": "params",
    "torch_to_source": "params",
    "source_to_torch": "params",
    "available_devices": "devices",
}
_SUBMODULES = (
    "bench",
    "datasets",
    "devices",
    "elman",
    "experiments",
    "grammar",
    "jordan",
    "params",
    "plotting",
    "reference",
    "training",
)

__all__ = sorted(_EXPORTS) + list(_SUBMODULES) + ["__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from .devices import available_devices
    from .elman import ElmanRNN
    from .jordan import JordanRNN
    from .params import rnn_param_count, source_to_torch, torch_to_source


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, name)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'rnn_companion' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
