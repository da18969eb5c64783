"""rnn_companion: the companion package of the RNN book.

A NumPy reference implementation (:mod:`rnn_companion.reference`), a drop-in
replacement for :class:`torch.nn.RNN` (:class:`~rnn_companion.elman.ElmanRNN`), a Jordan network
(:class:`~rnn_companion.jordan.JordanRNN`), datasets generated in code, training helpers, the
reproductions of Elman (1990) and Jordan (1986), a benchmark and the plotting used by the book.
The layout, one concern per module:

- networks: :mod:`~rnn_companion.elman` (``ElmanRNN``), :mod:`~rnn_companion.jordan` (``JordanRNN``);
- NumPy: :mod:`~rnn_companion.reference` (the readable oracle the book shows) and
  :mod:`~rnn_companion.fast_numpy` (the tuned contender, tested against it);
- :mod:`~rnn_companion.params` (notations, conversions, parameter counts),
  :mod:`~rnn_companion.devices` (the devices present);
- data: :mod:`~rnn_companion.grammar` (Elman's sentence grammar, named lexicons, exact
  probabilities), :mod:`~rnn_companion.datasets` (the tasks, generated in code),
  :mod:`~rnn_companion.ngram` (n-gram baselines);
- characters: :mod:`~rnn_companion.charlm` (Python's docstrings as text, character n-grams, the
  ``ElmanRNN`` model) and :mod:`~rnn_companion.char_rnn` (the NumPy character RNN);
- beyond Elman: :mod:`~rnn_companion.gated` (NumPy GRU and LSTM), :mod:`~rnn_companion.scan`
  (linear recurrences as parallel scans), :mod:`~rnn_companion.mingru` (``MinGRU``);
- learning: :mod:`~rnn_companion.training` (language-model training),
  :mod:`~rnn_companion.srn` (Elman's SRN procedure and windowed BPTT),
  :mod:`~rnn_companion.analysis` (gradient norms, Elman's measures),
  :mod:`~rnn_companion.memory` (the memory-horizon experiment), :mod:`~rnn_companion.motif`
  (a motif at any position: why sharing helps);
- reproductions: :mod:`~rnn_companion.elman1990`, :mod:`~rnn_companion.jordan1986`, and
  :mod:`~rnn_companion.stored` (the stored runs, typed, read through ``importlib.resources``);
- :mod:`~rnn_companion.fused` (the fused GPU path: Triton kernels over all time steps, CUDA
  graphs; needs ``rnn-companion[gpu]``, imported only when a CUDA tensor meets it);
- :mod:`~rnn_companion.bench` (the benchmark), :mod:`~rnn_companion.cli` (``rnn-companion``),
  :mod:`~rnn_companion.plotting` (figures only).

Imports are lazy: ``import rnn_companion`` loads neither torch nor matplotlib;
each name is imported from its module on first use.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

#: The package's version, stated once (``pyproject.toml`` reads it; every chapter's install
#: cell pins it).
__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "ElmanRNN": "elman",
    "JordanRNN": "jordan",
    "MinGRU": "mingru",
    "rnn_param_count": "params",
    "torch_to_source": "params",
    "source_to_torch": "params",
    "available_devices": "devices",
}
_SUBMODULES = (
    "analysis",
    "bench",
    "char_rnn",
    "charlm",
    "cli",
    "datasets",
    "devices",
    "elman",
    "elman1990",
    "elman_ops",
    "fast_numpy",
    "fused",
    "gated",
    "grammar",
    "jordan",
    "jordan1986",
    "memory",
    "mingru",
    "motif",
    "ngram",
    "params",
    "plotting",
    "reference",
    "scan",
    "srn",
    "stored",
    "training",
)

__all__ = [*_EXPORTS, *_SUBMODULES, "__version__"]

if TYPE_CHECKING:  # pragma: no cover  (``X as X``: an explicit re-export, __all__ is built above)
    from .devices import available_devices as available_devices
    from .elman import ElmanRNN as ElmanRNN
    from .jordan import JordanRNN as JordanRNN
    from .mingru import MinGRU as MinGRU
    from .params import rnn_param_count as rnn_param_count
    from .params import source_to_torch as source_to_torch
    from .params import torch_to_source as torch_to_source


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        value: object = getattr(module, name)
        return value
    if name in _SUBMODULES:
        submodule: ModuleType = importlib.import_module(f".{name}", __name__)
        return submodule
    raise AttributeError(f"module 'rnn_companion' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
