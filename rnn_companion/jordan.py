"""A Jordan network: the previous output is fed back, through state units, into the hidden layer.

Shape convention (stated once for this module): like ``torch.nn.RNN``, inputs are time-major
``(L, N, input_size)`` (``(N, L, input_size)`` with ``batch_first=True``) or unbatched
``(L, input_size)``; outputs ``y`` are ``(L, N, output_size)``, hidden activations ``h`` are
``(L, N, hidden_size)`` (batch-major with ``batch_first``; no batch axis when unbatched) and the
state ``s`` is ``(N, output_size)`` (``(output_size,)`` unbatched). Weights are stored
column-vector style, ``weight_ih`` is ``(hidden_size, input_size)``, as in ``torch.nn.RNN``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["JordanRNN"]



def _identity(z: Tensor) -> Tensor:
    return z


_HIDDEN: dict[str, Callable[[Tensor], Tensor]] = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}
_OUTPUT: dict[str, Callable[[Tensor], Tensor]] = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "identity": _identity}


class JordanRNN(nn.Module):
    r"""Jordan network with state units (the standard formulation of Jordan, 1986).

    The state units receive the network's previous output through one-for-one connections of
    fixed weight 1 and, optionally, their own previous value through a self-connection of fixed
    weight ``mu``. For ``t = 1, ..., L``:

    .. math::

       h_t &= \phi(W_{ih} x_t + W_{sh} s_t + b_h) \\
       y_t &= f(W_{ho} h_t + b_o) \\
       s_{t+1} &= \mu\, s_t + y_t

    with :math:`s_1 = s_0` (the ``s0`` argument, zeros by default). With teacher forcing
    (``targets`` given) the target :math:`y^*_t` replaces :math:`y_t` in the state update, so
    every step sees the *desired* previous output and the steps no longer depend on each
    other through the network. Unrolled, :math:`s_t = \sum_{k \ge 1} \mu^{k-1} y_{t-k} + \mu^{t-1} s_1`:
    an exponentially decaying trace of past outputs; ``mu = 0`` is plain output feedback,
    :math:`s_t = y_{t-1}`.

    :math:`W_{sh}` has shape ``(hidden_size, output_size)``: it is the extra adjustment that
    maps the state, which has the output's size, into the hidden layer. :math:`\mu` is a fixed
    constant, not a learned parameter.

    Parameters
    ----------
    input_size
        Features per input step ``x_t`` (e.g. the constant "plan" in Jordan's experiments).
    hidden_size
        Hidden units.
    output_size
        Output units, and therefore state units.
    nonlinearity
        Hidden nonlinearity :math:`\phi`: ``"tanh"`` (default), ``"relu"`` or ``"sigmoid"``.
    output_nonlinearity
        Output nonlinearity :math:`f`: ``"sigmoid"`` (default), ``"tanh"`` or ``"identity"``.
    mu
        Self-connection weight of the state units, ``0 <= mu < 1``.
    bias
        Whether to use the biases :math:`b_h` and :math:`b_o`.
    batch_first
        Input and outputs as ``(N, L, features)``.
    device, dtype
        Factory arguments for the parameters.

    Attributes
    ----------
    weight_ih : torch.nn.Parameter
        ``(hidden_size, input_size)``.
    weight_sh : torch.nn.Parameter
        ``(hidden_size, output_size)``.
    bias_h : torch.nn.Parameter or None
        ``(hidden_size,)``.
    weight_ho : torch.nn.Parameter
        ``(output_size, hidden_size)``.
    bias_o : torch.nn.Parameter or None
        ``(output_size,)``.

    All parameters are initialised from :math:`U(-1/\sqrt{H}, 1/\sqrt{H})` with ``H = hidden_size``.

    Examples
    --------
    >>> import torch
    >>> from rnn_companion import JordanRNN
    >>> net = JordanRNN(input_size=4, hidden_size=8, output_size=6, mu=0.5)
    >>> y, h, s = net(torch.zeros(10, 3, 4))
    >>> tuple(y.shape), tuple(h.shape), tuple(s.shape)
    ((10, 3, 6), (10, 3, 8), (3, 6))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        *,
        nonlinearity: str = "tanh",
        output_nonlinearity: str = "sigmoid",
        mu: float = 0.0,
        bias: bool = True,
        batch_first: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("output_size", output_size)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{name} must be greater than zero, got {value}")
        if nonlinearity not in _HIDDEN:
            raise ValueError(f"Unknown nonlinearity {nonlinearity!r}. Select from {tuple(_HIDDEN)}.")
        if output_nonlinearity not in _OUTPUT:
            raise ValueError(f"Unknown output_nonlinearity {output_nonlinearity!r}. Select from {tuple(_OUTPUT)}.")
        if not (isinstance(mu, (int, float)) and 0.0 <= mu < 1.0):
            raise ValueError(f"mu must be a number in [0, 1), got {mu!r}")
        for flag, value in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(value, bool):
                raise TypeError(f"{flag} must be a bool (True or False), got {value!r} of type {type(value).__name__}")
        self.input_size, self.hidden_size, self.output_size = input_size, hidden_size, output_size
        self.nonlinearity, self.output_nonlinearity = nonlinearity, output_nonlinearity
        self.mu, self.bias, self.batch_first = float(mu), bias, batch_first
        def param(*shape: int) -> nn.Parameter:
            return nn.Parameter(torch.empty(*shape, device=device, dtype=dtype))

        self.weight_ih = param(hidden_size, input_size)
        self.weight_sh = param(hidden_size, output_size)
        self.bias_h = param(hidden_size) if bias else None
        self.weight_ho = param(output_size, hidden_size)
        self.bias_o = param(output_size) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from :math:`U(-1/\\sqrt{H}, 1/\\sqrt{H})`, as ``torch.nn.RNN`` does."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}, {self.output_size}, mu={self.mu}"
        s += f", nonlinearity={self.nonlinearity!r}, output_nonlinearity={self.output_nonlinearity!r}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        return s

    def forward(
        self, x: Tensor, targets: Tensor | None = None, s0: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Run the network over a sequence.

        Parameters
        ----------
        x
            Input ``(L, N, input_size)``, ``(N, L, input_size)`` if ``batch_first``, or
            unbatched ``(L, input_size)``.
        targets
            Optional teacher-forcing targets, same layout as the output ``y``
            (``(L, N, output_size)``, ...). When given, ``s_{t+1} = mu * s_t + targets_t``.
        s0
            Initial state ``s_1``, ``(N, output_size)`` (``(output_size,)`` unbatched);
            zeros if ``None``.

        Returns
        -------
        y : torch.Tensor
            Outputs ``(L, N, output_size)`` (batch-major with ``batch_first``; ``(L, output_size)``
            unbatched).
        h : torch.Tensor
            Hidden activations ``(L, N, hidden_size)``, same layout.
        s_n : torch.Tensor
            The next state ``s_{L+1} = mu * s_L + y_L`` (or the last target), ``(N, output_size)``
            (``(output_size,)`` unbatched). Passing it as ``s0`` of the next call continues the
            sequence exactly.

        Raises
        ------
        ValueError
            If ``x``, ``targets`` or ``s0`` has the wrong number of dimensions or a wrong size, or
            the sequence is empty.
        TypeError
            If ``x``, ``targets`` or ``s0`` has another dtype than the parameters.
        """
        if x.dim() not in (2, 3):
            raise ValueError(f"JordanRNN: Expected input to be 2D or 3D, got {x.dim()}D tensor instead")
        if x.size(-1) != self.input_size:
            raise ValueError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {x.size(-1)}"
            )
        length = x.size(1) if (x.dim() == 3 and self.batch_first) else x.size(0)
        if length == 0:
            raise ValueError(f"JordanRNN: Expected a sequence of length at least 1, got length 0 (input shape "
                             f"{tuple(x.shape)})")
        dtype = self.weight_ih.dtype
        for name, given in (("input", x), ("targets", targets), ("s0", s0)):
            if given is not None and given.dtype != dtype:
                raise TypeError(f"JordanRNN: {name} has dtype {given.dtype} but the parameters have dtype {dtype}; "
                                f"convert one of them, e.g. x.to({dtype}) or net.to({given.dtype})")
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(1)  # (L, 1, I)
        elif self.batch_first:
            x = x.transpose(0, 1)  # (N, L, I) -> (L, N, I)
        L, N, _ = x.shape
        O = self.output_size
        if targets is not None:
            expected = (L, O) if unbatched else ((N, L, O) if self.batch_first else (L, N, O))
            if tuple(targets.shape) != expected:
                raise ValueError(f"targets must have shape {expected}, got {tuple(targets.shape)}")
            targets = targets.unsqueeze(1) if unbatched else (targets.transpose(0, 1) if self.batch_first else targets)
        if s0 is None:
            s = x.new_zeros(N, O)
        else:
            expected_s0 = (O,) if unbatched else (N, O)
            if tuple(s0.shape) != expected_s0:
                raise ValueError(f"s0 must have shape {expected_s0}, got {tuple(s0.shape)}")
            s = s0.reshape(N, O)
        phi, f = _HIDDEN[self.nonlinearity], _OUTPUT[self.output_nonlinearity]
        xw = F.linear(x, self.weight_ih, self.bias_h)  # (L, N, H): input projection, hoisted
        if targets is not None:
            # Teacher forcing: every state is known in advance, so all steps run at once.
            states = []
            for t in range(L):
                states.append(s)
                s = self.mu * s + targets[t]
            S = torch.stack(states)  # (L, N, O): s_1 .. s_L
            h = phi(xw + F.linear(S, self.weight_sh))  # (L, N, H)
            y = f(F.linear(h, self.weight_ho, self.bias_o))  # (L, N, O)
        else:
            hs, ys = [], []
            for xw_t in xw.unbind(0):  # (N, H) per step
                h_t = phi(xw_t + F.linear(s, self.weight_sh))  # (N, H)
                y_t = f(F.linear(h_t, self.weight_ho, self.bias_o))  # (N, O)
                s = self.mu * s + y_t  # (N, O)
                hs.append(h_t)
                ys.append(y_t)
            h, y = torch.stack(hs), torch.stack(ys)
        if unbatched:
            return y.squeeze(1), h.squeeze(1), s.squeeze(0)
        if self.batch_first:
            return y.transpose(0, 1), h.transpose(0, 1), s
        return y, h, s
