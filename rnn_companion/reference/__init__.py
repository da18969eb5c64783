"""The NumPy reference: Elman and Jordan networks and backpropagation through time, written to be read.

This subpackage is the oracle of the package: plain loops over time, one formula per line, no
buffers or index tricks. (:mod:`rnn_companion.fast_numpy` is the tuned NumPy contender of the
benchmark, tested against this one.)

One module per notation, each stating its shape convention once:

* :mod:`rnn_companion.reference.torch_notation`: ``rnn_forward`` and ``rnn_backward``, a
  multi-layer, bidirectional ``torch.nn.RNN`` in PyTorch's time-major notation, with weights
  named as its state_dict;
* :mod:`rnn_companion.reference.book_notation`: ``elman_step``, ``elman_forward``,
  ``elman_backward``, ``output_layer`` and ``output_layer_backward`` in the book's row-vector
  notation, ``H_t = phi(X_t W_xh + H_{t-1} W_hh + b_h)``;
* :mod:`rnn_companion.reference.jordan_notation`: ``jordan_forward``, the Jordan network.

Every name is also importable from here (``from rnn_companion.reference import elman_forward``).
Computations happen in the floating dtype of the inputs (use ``float64`` to compare against
autograd or finite differences).
"""

from __future__ import annotations

from ._common import activate, derivative
from .book_notation import elman_backward, elman_forward, elman_step, output_layer, output_layer_backward
from .jordan_notation import jordan_forward
from .torch_notation import RNNCache, rnn_backward, rnn_forward

__all__ = [
    "RNNCache",
    "rnn_forward",
    "rnn_backward",
    "elman_step",
    "elman_forward",
    "elman_backward",
    "output_layer",
    "output_layer_backward",
    "jordan_forward",
    "activate",
    "derivative",
]
