r"""A fast Elman RNN that is a drop-in replacement for :class:`torch.nn.RNN`.

Shapes follow PyTorch: sequences are time-major, ``(L, N, H)`` (time steps,
batch, features), unless ``batch_first=True``, which makes them ``(N, L, H)``.
Each layer (and direction) computes

.. math::

    h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})

(or ``relu`` instead of ``tanh``), with :math:`x_t` the input of the layer at
step :math:`t` (the output of the previous layer for layers after the first).

Why it is fast (see the book's performance chapter):

* the input projection of all ``L * N`` rows is one GEMM, with both biases
  folded into it; its result buffer becomes the output, so each step is just
  ``out_t.addmm_(h_{t-1}, W_hh^T)`` followed by an in-place nonlinearity;
* training goes through a custom :class:`torch.autograd.Function` with a
  hand-written backpropagation through time: per step only the dependent
  product ``dz_{t+1} W_hh`` and the nonlinearity's derivative; the weight
  gradients are one large GEMM each over all steps;
* on CPU, where ``torch.tanh`` is several times slower than ``torch.sigmoid``,
  tanh is computed as ``2 sigmoid(2 z) - 1`` with the factors folded into the
  weights (see ``_scan``).

The results agree with :class:`torch.nn.RNN` to rounding (about 1e-6 in float32
and 1e-14 in float64 for outputs), not bit for bit: the biases are added in a
different order and tanh is computed differently.

Internally every sequence batch is a 2-D tensor of rows, ``(R, features)``,
ordered by time step and, within a step, by batch entry: for padded input
``R = L * N``; for a :class:`~torch.nn.utils.rnn.PackedSequence` it is the
packed ``data`` itself, whose step ``t`` holds ``batch_sizes[t]`` rows.
"""

from __future__ import annotations

import math
import numbers
import threading
import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

__all__ = ["ElmanRNN"]

# ATen's fused derivatives, written into grad_input: g * (1 - y^2) and g * (y > 0).
# (._op skips the Python dispatch wrapper: ~1 us less per call, which matters per time step.)
_tanh_backward = getattr(torch.ops.aten.tanh_backward.grad_input, "_op", torch.ops.aten.tanh_backward.grad_input)
_relu_backward = getattr(
    torch.ops.aten.threshold_backward.grad_input, "_op", torch.ops.aten.threshold_backward.grad_input
)


def _scan(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None,
    sizes: list[int], relu: bool,
) -> Tensor:
    """Run one layer in one direction; return all hidden states, (R, H)."""
    bias = b_ih + b_hh if b_ih is not None and b_hh is not None else None  # (H,)
    if relu or x.device.type != "cpu":
        # hoisted input projection: (R, I) @ (I, H) + b -> (R, H); it becomes the output
        out = torch.mm(x, w_ih.t()) if bias is None else torch.addmm(bias, x, w_ih.t())
        _recur(out, h0, w_hh.t(), sizes, torch.Tensor.relu_ if relu else torch.Tensor.tanh_)
        return out
    # On CPU torch.tanh is much slower than the vectorised torch.sigmoid, and
    # tanh(z) = 2 sigmoid(2 z) - 1. With s_t = sigmoid(2 z_t), so h_t = 2 s_t - 1:
    #   s_t = sigmoid(2 x_t W_ih^T + 2 (b - W_hh 1) + s_{t-1} (4 W_hh^T))
    # (scaling by 2 and 4 is exact), and one pass at the end turns s back into h.
    shift = -2.0 * w_hh.sum(1) if bias is None else 2.0 * (bias - w_hh.sum(1))  # (H,)
    out = torch.addmm(shift, x, w_ih.t(), alpha=2.0)
    _recur(out, (h0 + 1.0) * 0.5, w_hh.t() * 4.0, sizes, torch.Tensor.sigmoid_)
    return out.mul_(2.0).sub_(1.0)


def _recur(out: Tensor, h: Tensor, w_t: Tensor, sizes: list[int], act: Callable[[Tensor], Tensor]) -> None:
    """In place over out, (R, H): out_t = act(out_t + h_{t-1} w_t), with h_{-1} = h and w_t (H, H)."""
    prev = sizes[0]  # h: (n_t, H), the rows still running at step t
    for n, o in zip(sizes, out.split(sizes)):  # o: (n_t, H), a view into out
        if n != prev:  # packed input: shorter sequences have ended
            h = h[:n]
        o.addmm_(h, w_t)
        act(o)
        h, prev = o, n


def _final(out: Tensor, sizes: list[int], last: Tensor | None) -> Tensor:
    """Each sequence's state at its own last step, (N, H)."""
    if last is None:  # all sequences have the same length
        return out[out.shape[0] - sizes[-1]:].clone()
    return out.index_select(0, last)


_cache = threading.local()


def _scratch(like: Tensor) -> Tensor:
    """An uninitialised buffer shaped like ``like``, reused across calls on CPU.

    The backward's dz never leaves it, and a fresh large CPU allocation costs a
    page fault per 4 KiB page on first touch (about as much as the work on it).
    Kept per thread and dtype, up to 2**24 elements (64 MiB in float32).
    """
    if like.device.type != "cpu" or like.numel() > 1 << 24:  # CUDA's caching allocator reuses memory
        return torch.empty_like(like, memory_format=torch.contiguous_format)
    buffers = _cache.__dict__.setdefault("buffers", {})  # one per thread and dtype
    buf = buffers.get(like.dtype)
    if buf is None or buf.numel() < like.numel():
        buf = buffers[like.dtype] = torch.empty(like.numel(), dtype=like.dtype)
    return buf[: like.numel()].view(like.shape)


class _ElmanLayer(torch.autograd.Function):
    """One layer and direction with a hand-written BPTT backward.

    Inputs: x (R, I), h0 (N, H), weights, optional biases, the per-step
    sizes, and for packed input the row indices ``last`` (N,) of each
    sequence's last step and ``prev`` (R - N,) of the previous step of each
    row after the first step. Outputs: all states (R, H) and final states (N, H).
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx, x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None,
        sizes: list[int], last: Tensor | None, prev: Tensor | None, relu: bool,
    ) -> tuple[Tensor, Tensor]:
        out = _scan(x, h0, w_ih, w_hh, b_ih, b_hh, sizes, relu)
        ctx.save_for_backward(x, h0, w_ih, w_hh, out)
        ctx.sizes, ctx.last, ctx.prev, ctx.relu = sizes, last, prev, relu
        ctx.set_materialize_grads(False)
        return out, _final(out, sizes, last)

    @staticmethod
    def backward(ctx, g_out: Tensor | None, g_final: Tensor | None):  # type: ignore[override]
        if torch.is_grad_enabled():  # create_graph=True: the backward itself would need a backward
            raise RuntimeError(
                "ElmanRNN does not support double backward: its hand-written backward is not "
                "differentiable (got create_graph=True); use torch.nn.RNN for higher-order gradients"
            )
        x, h0, w_ih, w_hh, out = ctx.saved_tensors
        sizes, last, prev = ctx.sizes, ctx.last, ctx.prev
        n0, rows = sizes[0], out.shape[0]
        # dz = dL/d(pre-activation), (R, H); starts as dL/dh from above, in a buffer we own
        dz = _scratch(out)
        if g_out is None:
            dz.zero_()
        else:
            dz.copy_(g_out)
        if g_final is not None:
            if last is None:
                dz[rows - sizes[-1]:].add_(g_final)
            else:
                dz.index_add_(0, last, g_final)
        d_next, n_next = None, 0
        dzs, outs = dz.split(sizes), out.split(sizes)
        for t in range(len(sizes) - 1, -1, -1):  # the only sequential part: (n_t, H) @ (H, H) per step
            d = dzs[t]
            if d_next is not None:
                (d if n_next == sizes[t] else d[:n_next]).addmm_(d_next, w_hh)  # + dz_{t+1} W_hh
            if ctx.relu:  # times the nonlinearity's derivative, in place
                _relu_backward(d, outs[t], 0, grad_input=d)
            else:
                _tanh_backward(d, outs[t], grad_input=d)
            d_next, n_next = d, sizes[t]
        need = ctx.needs_input_grad
        dx = dh0 = dw_ih = dw_hh = db_ih = db_hh = None
        if need[0]:
            dx = dz.mm(w_ih)  # (R, I)
        if need[1]:
            dh0 = dz[:n0].mm(w_hh)  # (N, H): every sequence starts at step 0
        if need[2]:
            dw_ih = dz.t().mm(x)  # (H, I): one GEMM over all steps
        if need[3]:  # sum_t dz_t^T h_{t-1}: one GEMM over steps 1.., plus step 0 with h0
            h_prev = out[: rows - sizes[-1]] if prev is None else out.index_select(0, prev)
            dw_hh = dz[n0:].t().mm(h_prev).addmm_(dz[:n0].t(), h0)
        if need[4] or need[5]:
            db_ih = dz.sum(0)
            db_hh = db_ih.clone()  # two distinct tensors: .grad buffers must not alias
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None, None, None, None


def _layer(
    x: Tensor, h0: Tensor, params: list[Tensor | None], sizes: list[int],
    last: Tensor | None, prev: Tensor | None, relu: bool,
) -> tuple[Tensor, Tensor]:
    """One layer and direction: (R, I), (N, H) -> (R, H), (N, H)."""
    w_ih, w_hh, b_ih, b_hh = params
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (x, h0, *params)):
        return _ElmanLayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, sizes, last, prev, relu)
    out = _scan(x, h0, w_ih, w_hh, b_ih, b_hh, sizes, relu)  # type: ignore[arg-type]
    return out, _final(out, sizes, last)


def _packed_indices(batch_sizes: Tensor, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    """Row indices for packed data: ``last`` (N,), ``prev`` (R - N,), ``rev`` (R,).

    Row ``offsets[t] + b`` holds sequence ``b`` at step ``t``. ``rev`` maps each
    row to the same sequence's row at the mirrored step, reversing every
    sequence within its own length (the packed layout is unchanged).
    """
    bs = batch_sizes.to(torch.long)  # (T,)
    n, steps = int(bs[0]), bs.numel()
    offsets = torch.cumsum(bs, 0) - bs  # (T,) first row of each step
    lengths = (bs.unsqueeze(0) > torch.arange(n).unsqueeze(1)).sum(1)  # (N,)
    t_row = torch.repeat_interleave(torch.arange(steps), bs)  # (R,) step of each row
    b_row = torch.arange(t_row.numel()) - offsets[t_row]  # (R,) sequence of each row
    last = offsets[lengths - 1] + torch.arange(n)
    prev = torch.arange(n, t_row.numel()) - bs[t_row[n:] - 1]
    rev = offsets[lengths[b_row] - 1 - t_row] + b_row
    return last.to(device), prev.to(device), rev.to(device)


class ElmanRNN(nn.Module):
    """Multi-layer Elman RNN, a drop-in replacement for :class:`torch.nn.RNN`.

    Same constructor, parameters (names, shapes, order and initialisation),
    ``forward`` signature, results and exceptions as :class:`torch.nn.RNN`;
    faster on CPU in inference and much faster in training at small sizes.

    Parameters
    ----------
    input_size : int
        Number of input features, ``H_in``.
    hidden_size : int
        Number of hidden features, ``H_out``.
    num_layers : int, default 1
        Number of stacked layers.
    nonlinearity : str, default "tanh"
        The nonlinearity of the recurrence, ``"tanh"`` or ``"relu"``.
    bias : bool, default True
        Whether to use the biases ``b_ih`` and ``b_hh``.
    batch_first : bool, default False
        If True, input and output are ``(N, L, H)`` instead of ``(L, N, H)``.
    dropout : float, default 0.0
        Dropout probability on the outputs of every layer but the last, in training mode.
    bidirectional : bool, default False
        If True, each layer also runs backwards in time; the two outputs are concatenated.
    device : torch.device or str, optional
        Where to create the parameters.
    dtype : torch.dtype, optional
        The floating point type of the parameters.

    Examples
    --------
    >>> rnn = ElmanRNN(8, 16, num_layers=2)
    >>> out, h_n = rnn(torch.randn(5, 3, 8))
    >>> tuple(out.shape), tuple(h_n.shape)
    ((5, 3, 16), (2, 3, 16))
    """

    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
        bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
        device: torch.device | str | None = None, dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        # the same checks, in the same order and with the same exception classes, as torch.nn.RNN
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:  # type: ignore[operator]
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an "
                f"element being zeroed, got {dropout!r}"
            )
        if dropout > 0 and num_layers == 1:  # type: ignore[operator]
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                                  ("input_size", input_size, int), ("hidden_size", hidden_size, int),
                                  ("num_layers", num_layers, int)):
            if not isinstance(value, kind) or (kind is int and name == "hidden_size" and isinstance(value, bool)):
                raise TypeError(f"{name} should be of type {kind.__name__}, got: {type(value).__name__}")
            if kind is int and value <= 0:
                raise ValueError(f"{name} must be greater than zero, got {value}")
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        self.nonlinearity = nonlinearity
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)  # type: ignore[arg-type]
        self.bidirectional = bidirectional
        self.proj_size = 0
        factory = {"device": device, "dtype": dtype}
        num_directions = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else hidden_size * num_directions
                shapes = [(hidden_size, layer_input), (hidden_size, hidden_size)]  # W_ih, W_hh
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(hidden_size,), (hidden_size,)]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                names = [n.format(layer, "_reverse" if direction == 1 else "") for n in names]
                for name, shape in zip(names, shapes):
                    self.register_parameter(name, nn.Parameter(torch.empty(shape, **factory)))  # type: ignore[arg-type]
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch does."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """Do nothing; present for compatibility with :class:`torch.nn.RNN`."""

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        """The parameters, one list per layer and direction (as :class:`torch.nn.RNN`)."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def forward(self, input: Tensor | PackedSequence, hx: Tensor | None = None) -> tuple[Tensor | PackedSequence, Tensor]:
        """Run the RNN over a batch of sequences.

        Parameters
        ----------
        input : Tensor or PackedSequence
            ``(L, N, H_in)``, or ``(N, L, H_in)`` if ``batch_first``; ``(L, H_in)``
            for a single unbatched sequence; or a packed batch of sequences.
        hx : Tensor, optional
            Initial states ``(D * num_layers, N, H_out)`` (``(D * num_layers, H_out)``
            unbatched), with ``D = 2`` if bidirectional else 1. Zeros if omitted.

        Returns
        -------
        output : Tensor or PackedSequence
            The last layer's states at every step, ``(L, N, D * H_out)`` (or
            batch first, or unbatched, or packed, like ``input``).
        h_n : Tensor
            Every layer's state at each sequence's last step, ``(D * num_layers, N, H_out)``,
            ordered layer by layer, forward direction first.
        """
        num_directions = 2 if self.bidirectional else 1
        packed = isinstance(input, PackedSequence)
        batched = True
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is not None and sorted_indices is not None:
                hx = hx.index_select(1, sorted_indices)  # into the packed (sorted) order
        else:
            if not isinstance(input, Tensor):
                raise AttributeError(f"input must be a Tensor or PackedSequence, got {type(input).__name__}")
            if input.dim() not in (2, 3):
                raise ValueError(f"RNN: Expected input to be 2D or 3D, got {input.dim()}D tensor instead")
            batched = input.dim() == 3
            if not batched:
                input = input.unsqueeze(1)  # (L, 1, H_in)
                if hx is not None:
                    if hx.dim() != 2:
                        raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
                    hx = hx.unsqueeze(1)
            elif hx is not None and hx.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
            if batched and self.batch_first:
                input = input.transpose(0, 1)  # (L, N, H_in)
            data, batch_sizes = input, None
        w0 = getattr(self, self._flat_weights_names[0])
        if data.dtype != w0.dtype:
            raise ValueError(
                f"RNN input dtype ({data.dtype}) does not match weight dtype ({w0.dtype}). "
                f"Convert input: input.to({w0.dtype}), or convert model: model.to({data.dtype})"
            )
        if packed and data.dim() != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {data.dim()}")
        if data.size(-1) != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {data.size(-1)}"
            )
        if batch_sizes is None:
            steps, n = data.shape[0], data.shape[1]
            sizes = [n] * steps
        else:
            sizes = batch_sizes.tolist()
            steps, n = len(sizes), sizes[0]
        expected = (self.num_layers * num_directions, n, self.hidden_size)
        if hx is None:
            hx = torch.zeros(expected, dtype=data.dtype, device=data.device)
        elif hx.shape != expected:
            raise RuntimeError(f"Expected hidden size {expected}, got {list(hx.shape)}")
        elif hx.dtype != data.dtype:
            raise RuntimeError(f"hx dtype ({hx.dtype}) does not match input dtype ({data.dtype})")
        if steps == 0:
            raise RuntimeError(f"Expected sequence length to be larger than 0 in RNN, got {steps}")

        # rows of all steps, (R, H_in); `reverse` mirrors every sequence in time
        last = prev = rev = None
        x = data.reshape(-1, self.input_size)
        if batch_sizes is None or sizes[-1] == n:  # equal lengths
            rows_per_step = n

            def reverse(t: Tensor) -> Tensor:
                return t.view(steps, rows_per_step, t.shape[-1]).flip(0).view(t.shape)
        else:
            last, prev, rev = _packed_indices(batch_sizes, data.device)

            def reverse(t: Tensor) -> Tensor:
                return t.index_select(0, rev)
        relu = self.nonlinearity == "relu"
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                names = self._all_weights[layer * num_directions + direction]
                params = [getattr(self, name) for name in names] + ([] if self.bias else [None, None])
                h0 = hx[layer * num_directions + direction]  # (N, H_out)
                x_in = x if direction == 0 else reverse(x)
                out, h_final = _layer(x_in, h0, params, sizes, last, prev, relu)
                outs.append(out if direction == 0 else reverse(out))
                finals.append(h_final)
            x = outs[0] if num_directions == 1 else torch.cat(outs, 1)  # (R, D * H_out)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        h_n = torch.stack(finals)  # (D * num_layers, N, H_out)

        if isinstance(input, PackedSequence):
            if unsorted_indices is not None:
                h_n = h_n.index_select(1, unsorted_indices)
            return PackedSequence(x, batch_sizes, sorted_indices, unsorted_indices), h_n
        output = x.view(steps, n, x.shape[-1])  # (L, N, D * H_out)
        if not batched:
            return output.squeeze(1), h_n.squeeze(1)
        if self.batch_first:
            output = output.transpose(0, 1)
        return output, h_n
