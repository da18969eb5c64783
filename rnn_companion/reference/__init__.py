"""The NumPy reference: Elman and Jordan networks and backpropagation through time, written to be read.

This subpackage is the oracle of the package: plain loops over time, one formula per line, no
buffers or index tricks. (:mod:`rnn_companion.fast_numpy` is the tuned NumPy contender of the
benchmark, tested against this one.)

One module per notation, each stating its shapes once:

* PyTorch notation (:func:`rnn_forward`, :func:`rnn_backward`, :func:`jordan_forward`):
  **time-major** like ``torch.nn.RNN``: input ``(L, N, H_in)`` (``(N, L, H_in)`` with
  ``batch_first=True``, or unbatched ``(L, H_in)``), output ``(L, N, D * H)``, hidden state
  ``(D * num_layers, N, H)``, ``D = 2`` for a bidirectional RNN and ``1`` otherwise. Weights are
  named and shaped as in the ``torch.nn.RNN`` state_dict, e.g. ``weight_ih_l0`` is ``(H, H_in)``,
  so ``h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.
* The book's notation (:func:`elman_step`, :func:`elman_forward`, :func:`elman_backward`,
  :func:`output_layer`, :func:`output_layer_backward`): row-vector minibatches, ``X_t`` is
  ``(n, d)``, ``H_t`` is ``(n, h)``, ``O_t`` is ``(n, q)``; a sequence is ``X`` of shape
  ``(T, n, d)``; ``W_xh (d, h)``, ``W_hh (h, h)``, ``b_h (1, h)`` or ``(h,)``, ``W_hq (h, q)``,
  ``b_q (1, q)`` or ``(q,)``, so ``H_t = phi(X_t W_xh + H_{t-1} W_hh + b_h)``.

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
