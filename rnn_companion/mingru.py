r"""MinGRU (Feng et al. 2024): a GRU whose gate and candidate see only the input, so the loop is a scan.

Shape convention (stated once for this module): time-major like :class:`torch.nn.GRU`. Input
``x`` is ``(T, B, d)``; the outputs are all states ``(T, B, h)`` and the last state
``(1, B, h)`` (the ``h_n`` of a one-layer ``torch.nn.GRU``); an initial state may be given as
``(B, h)`` or ``(1, B, h)``.

In the book's row-vector notation, with :math:`\sigma` the logistic sigmoid:

.. math::

    \mathbf{Z}_t = \sigma(\mathbf{X}_t \mathbf{W}_{xz} + \mathbf{b}_z), \qquad
    \tilde{\mathbf{H}}_t = \mathbf{X}_t \mathbf{W}_{xh} + \mathbf{b}_h, \qquad
    \mathbf{H}_t = (1 - \mathbf{Z}_t) \odot \mathbf{H}_{t-1} + \mathbf{Z}_t \odot \tilde{\mathbf{H}}_t .

Nothing inside the recurrence depends on :math:`\mathbf{H}_{t-1}` except through the factor
:math:`1 - \mathbf{Z}_t`, so the update is :math:`h_t = a_t h_{t-1} + b_t` with
:math:`a_t = 1 - z_t` and :math:`b_t = z_t \tilde h_t` computed for all steps at once, and
:func:`rnn_companion.scan.linear_scan` gives every state. ``mode="sequential"`` runs the same
model step by step (as at inference time, one token after the other) and must agree with it.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .scan import linear_scan, log_space_scan

__all__ = ["MinGRU", "MODES"]

#: The ways :class:`MinGRU` can run the recurrence.
MODES = ("parallel", "sequential", "log_space")


class MinGRU(nn.Module):
    """A one-layer minGRU with the interface of ``torch.nn.GRU`` (time-major, no ``batch_first``).

    Parameters
    ----------
    input_size, hidden_size
        ``d`` and ``h``.
    bias
        Whether the two linear maps have biases.
    device, dtype
        Passed to the parameters.

    Notes
    -----
    ``forward(x (T, B, d), h0=None, *, mode="parallel") -> (H (T, B, h), h_n (1, B, h))``.
    ``mode`` is ``"parallel"`` (the scan), ``"sequential"`` (a Python loop) or ``"log_space"``
    (:func:`~rnn_companion.scan.log_space_scan`, valid because ``a = 1 - z`` is positive).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.linear_z = nn.Linear(input_size, hidden_size, bias=bias, device=device, dtype=dtype)  # gate
        self.linear_h = nn.Linear(input_size, hidden_size, bias=bias, device=device, dtype=dtype)  # candidate

    def coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(a, b)`` of ``h_t = a_t h_{t-1} + b_t`` for input ``x`` ``(T, B, d)``: both ``(T, B, h)``."""
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x must be (T, B, {self.input_size}), got shape {tuple(x.shape)}")
        k = self.linear_z(x)
        a = torch.sigmoid(-k)  # 1 - z, without cancellation when z is close to 1
        b = torch.sigmoid(k) * self.linear_h(x)  # z * candidate
        return a, b

    def forward(self, x: Tensor, h0: Tensor | None = None, *, mode: str = "parallel") -> tuple[Tensor, Tensor]:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x must be (T, B, {self.input_size}), got shape {tuple(x.shape)}")
        if h0 is not None:
            if h0.dim() == 3 and h0.shape[0] == 1:
                h0 = h0[0]
            if tuple(h0.shape) != (x.shape[1], self.hidden_size):
                raise ValueError(f"h0 must be (B, h) or (1, B, h) with B={x.shape[1]}, h={self.hidden_size}, "
                                 f"got {tuple(h0.shape)}")
        if mode == "sequential":  # one step at a time, gates included: the model as written
            h = x.new_zeros(x.shape[1], self.hidden_size) if h0 is None else h0
            states = []
            for x_t in x.unbind(0):
                z_t = torch.sigmoid(self.linear_z(x_t))
                h = (1 - z_t) * h + z_t * self.linear_h(x_t)
                states.append(h)
            H = torch.stack(states)
        else:  # all coefficients at once, then a scan
            a, b = self.coefficients(x)
            H = linear_scan(a, b, h0) if mode == "parallel" else log_space_scan(a, b, h0)
        return H, H[-1:].clone()

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"
