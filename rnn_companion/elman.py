r"""A fast Elman RNN that is a drop-in replacement for :class:`torch.nn.RNN`.

Shapes follow PyTorch: sequences are time-major, ``(L, N, H)`` (time steps, batch, features),
unless ``batch_first=True``, which makes them ``(N, L, H)``. Each layer (and direction) computes

.. math::

    h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})

(or ``relu`` instead of ``tanh``), with :math:`x_t` the input of the layer at step :math:`t` (the
output of the previous layer for layers after the first). Internally a layer sees its sequences as
rows ``(R, features)``, time step by time step (see :mod:`rnn_companion.elman_ops`, which holds
the kernels and explains why they are fast).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import overload

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd import forward_ad
from torch.nn.utils.rnn import PackedSequence

from rnn_companion.elman_ops import elman_layer, final_states, layer_autograd, packed_indices, scan
from rnn_companion.fused.dispatch import interpreter_active, maybe_fused_forward

__all__ = ["ElmanRNN"]

_FAST_DTYPES = (torch.float32, torch.float64)
_dynamo_frame_callback = torch._C._dynamo.eval_frame.get_eval_frame_callback  # None when dynamo is not running


class ElmanRNN(nn.RNN):
    """Multi-layer Elman RNN, a drop-in replacement for :class:`torch.nn.RNN`.

    A subclass of :class:`torch.nn.RNN` that only replaces ``forward``: construction, argument
    checks, parameters (names, shapes, order, initialisation), ``_flat_weights``, state dicts and
    ``mode`` are torch's own. On the fast path (float32 or float64, CPU or CUDA) the layers run the
    kernels of :mod:`rnn_companion.elman_ops`: faster than :class:`torch.nn.RNN` on CPU in
    inference and much faster in training at small sizes. Everywhere else ``forward`` *is*
    :meth:`torch.nn.RNN.forward`: under ``torch.func`` transforms and forward-mode AD, ``jit.trace``
    and scripting, autocast, float16/bfloat16 weights, zero-length or zero-batch input, missing
    parameters (``register_parameter(name, None)``), a ``mode`` other than ``RNN_TANH``/``RNN_RELU``,
    or tensors of mixed dtypes or devices (whose errors are then torch's). On CUDA, with Triton
    installed (``rnn-companion[gpu]``), each layer and direction of equal-length input runs as one
    fused kernel over all time steps (:mod:`rnn_companion.fused`; ``RNN_COMPANION_FUSED=0`` turns
    it off).

    Differences from :class:`torch.nn.RNN` that remain, and why:

    * Results agree to rounding, not bit for bit (about 1e-6 in float32 and 1e-14 in float64,
      relative to the outputs), because the two biases are added to each other first: one addition
      per step less.
    * Double backward (``create_graph=True``) recomputes each layer with ATen's ``rnn_tanh`` inside
      the backward: it costs about one extra forward pass (torch's own graph is kept instead).
    * ``torch.compile`` runs ElmanRNN eagerly after a graph break, exactly as it treats
      :class:`torch.nn.RNN` (dynamo refuses RNN modules). With ``torch._dynamo.config.allow_rnn``,
      and under ``torch.export``, each layer and direction is one custom operator,
      ``rnn_companion::elman_layer`` (so an exported program needs ``rnn_companion`` imported to
      run, and double backward through it is not supported); packed input there takes
      :meth:`torch.nn.RNN.forward`, because its ``batch_sizes`` are data.
    * ``torch.jit.script`` is given a :class:`torch.nn.RNN` sharing the parameters, since
      TorchScript cannot compile this ``forward``: the outcome is torch's (in torch 2.13 scripting
      an RNN fails).

    Parameters are those of :class:`torch.nn.RNN`: ``input_size``, ``hidden_size``, ``num_layers=1``,
    ``nonlinearity="tanh"``, ``bias=True``, ``batch_first=False``, ``dropout=0.0``,
    ``bidirectional=False``, ``device=None``, ``dtype=None``.

    Examples
    --------
    >>> rnn = ElmanRNN(8, 16, num_layers=2)
    >>> out, h_n = rnn(torch.randn(5, 3, 8))
    >>> tuple(out.shape), tuple(h_n.shape)
    ((5, 3, 16), (2, 3, 16))
    """

    def _fast_path(self, data: Tensor, hx: Tensor | None, weights: list[Tensor | None]) -> bool:
        """Whether the kernels can serve this call exactly as torch.nn.RNN would (see the class docstring)."""
        dtype = data.dtype
        if self.mode not in ("RNN_TANH", "RNN_RELU") or dtype not in _FAST_DTYPES:
            return False
        if torch._C._is_any_autocast_enabled() or len(weights) != self.num_layers * (2 if self.bidirectional else 1) * (
            4 if self.bias else 2
        ):
            return False
        if not torch.compiler.is_compiling() and (
            torch._C._are_functorch_transforms_active()  # torch.func.grad, vmap, jvp, jacrev, ...
            or torch._C._get_tracing_state() is not None  # torch.jit.trace
            or forward_ad._current_level >= 0  # forward-mode AD (dual tensors)
        ):
            return False
        on_cpu = data.is_cpu
        if hx is not None and (hx.dtype != dtype or not (hx.is_cpu if on_cpu else hx.device == data.device)):
            return False
        for w in weights:
            if w is None or w.dtype != dtype or not (w.is_cpu if on_cpu else w.device == data.device):
                return False
        return True

    def _refresh_flat_weights(self) -> None:
        """``_update_flat_weights`` of torch.nn.RNN, skipped when no parameter object changed (the usual case)."""
        params = self._parameters
        for w, name in zip(self._flat_weights, self._flat_weights_names, strict=True):
            if params.get(name) is not w:
                self._update_flat_weights()
                return

    def __prepare_scriptable__(self) -> nn.RNN:
        """For ``torch.jit.script``: a :class:`torch.nn.RNN` sharing this module's parameters."""
        rnn = nn.RNN(self.input_size, self.hidden_size, self.num_layers, self.nonlinearity, self.bias,
                     self.batch_first, self.dropout, self.bidirectional, device="meta")
        for name in self._flat_weights_names:
            setattr(rnn, name, getattr(self, name))  # the same Parameter objects
        rnn.mode = self.mode
        return rnn.train(self.training)

    @overload
    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]: ...

    @overload
    def forward(self, input: PackedSequence, hx: Tensor | None = None) -> tuple[PackedSequence, Tensor]: ...

    def forward(
        self, input: Tensor | PackedSequence, hx: Tensor | None = None
    ) -> tuple[Tensor, Tensor] | tuple[PackedSequence, Tensor]:
        """Run the RNN over a batch of sequences, as :meth:`torch.nn.RNN.forward`.

        ``input`` is ``(L, N, H_in)`` (``(N, L, H_in)`` if ``batch_first``), ``(L, H_in)`` for one
        unbatched sequence, or a :class:`~torch.nn.utils.rnn.PackedSequence`; ``hx`` is
        ``(D * num_layers, N, H_out)`` (``(D * num_layers, H_out)`` unbatched), zeros if omitted,
        with ``D = 2`` if bidirectional else 1. Returns the last layer's states at every step,
        ``(L, N, D * H_out)`` (laid out like ``input``), and every layer's final state ``h_n``.
        """
        self._refresh_flat_weights()
        weights: list[Tensor | None] = self._flat_weights
        given_hx = hx
        packed = isinstance(input, PackedSequence)
        data = input.data if isinstance(input, PackedSequence) else input
        if not isinstance(data, Tensor) or not self._fast_path(data, hx, weights) or (
            packed and torch.compiler.is_compiling()
        ):
            return super().forward(input, hx)
        num_directions = 2 if self.bidirectional else 1
        batched, sorted_indices, unsorted_indices, batch_sizes = True, None, None, None
        if isinstance(input, PackedSequence):  # the same checks, in the same order, as torch.nn.RNN
            data, batch_sizes, sorted_indices, unsorted_indices = input
            n = int(batch_sizes[0])
            if hx is not None:
                hx = self.permute_hidden(hx, sorted_indices)
        else:
            dim = data.dim()
            if dim != 3:
                if dim != 2:
                    raise ValueError(f"RNN: Expected input to be 2D or 3D, got {dim}D tensor instead")
                batched = False
                data = data.unsqueeze(0 if self.batch_first else 1)
                if hx is not None:
                    if hx.dim() != 2:
                        raise RuntimeError(
                            f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor"
                        )
                    hx = hx.unsqueeze(1)
            elif hx is not None and hx.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
            if self.batch_first:
                data = data.transpose(0, 1)  # (L, N, H_in)
            n = data.size(1)
        hidden_shape = (self.num_layers * num_directions, n, self.hidden_size)
        if hx is None:  # read-only in the kernels, so eager calls share one zero tensor per shape
            traced = torch.compiler.is_compiling() or _dynamo_frame_callback()
            hx = torch.zeros(hidden_shape, dtype=data.dtype, device=data.device) if traced else _zeros(
                hidden_shape, data.dtype, data.device
            )
        if data.size(-1) != self.input_size or hx.shape != hidden_shape or data.dim() != (2 if packed else 3):
            # torch.nn.RNN's own checks and errors (on the caller's layout)
            self.check_forward_args(data if packed or not self.batch_first else data.transpose(0, 1), hx, batch_sizes)
        steps = data.size(0) if batch_sizes is None else batch_sizes.numel()
        if steps == 0 or n == 0:  # torch's own error (empty sequence) or empty result (empty batch)
            return super().forward(input, given_hx)
        if torch.compiler.is_compiling():  # torch.export, or torch.compile with allow_rnn: custom operators
            out, h_n = self._layers_traced(data, hx, weights)  # (L, N, D * H_out), (D * layers, N, H_out)
        else:
            # (R, D * H_out), (D * layers, N, H_out); hidden from dynamo while it runs (_layers_hidden_from_dynamo)
            layers = _layers_hidden_from_dynamo() if _dynamo_frame_callback() else ElmanRNN._layers
            output, h_n = layers(self, data, hx, batch_sizes, weights, steps, n)
            if isinstance(input, PackedSequence):
                return PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices), self.permute_hidden(
                    h_n, unsorted_indices
                )
            out = output.view(steps, n, output.shape[-1])  # (L, N, D * H_out)
        if not batched:
            return out.squeeze(1), h_n.squeeze(1)
        return (out.transpose(0, 1) if self.batch_first else out), h_n

    def _layers(
        self, data: Tensor, hx: Tensor, batch_sizes: Tensor | None, weights: list[Tensor | None], steps: int, n: int
    ) -> tuple[Tensor, Tensor]:
        """The layer stack over rows: data (R, H_in) or (L, N, H_in), hx (D * layers, N, H_out)."""
        num_directions = 2 if self.bidirectional else 1
        relu = self.mode == "RNN_RELU"
        grad = torch.is_grad_enabled() and (
            data.requires_grad or hx.requires_grad or any(w is not None and w.requires_grad for w in weights)
        )
        x = data.reshape(-1, data.shape[-1])  # (R, H_in)
        # the fused path needs a CUDA tensor, or Triton's interpreter (imported triton, TRITON_INTERPRET)
        fused_possible = data.is_cuda or ("triton" in sys.modules and interpreter_active())
        last = prev = rev = None
        if batch_sizes is None:
            sizes = [n] * steps
        else:
            sizes = batch_sizes.tolist()
            if sizes[-1] != n:
                last, prev, rev = packed_indices(batch_sizes, data.device)
        stride = len(weights) // (self.num_layers * num_directions)
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                w_ih, w_hh, b_ih, b_hh = _layer_weights(weights, layer * num_directions + direction, stride)
                h0 = hx[layer * num_directions + direction]  # (N, H_out)
                x_in = x if direction == 0 else _reverse(x, rev, steps, n)
                fused = maybe_fused_forward(x_in, h0, w_ih, w_hh, b_ih, b_hh, sizes, relu) if fused_possible else None
                if fused is not None:
                    out, h_final = fused
                elif grad:
                    out, h_final = layer_autograd(x_in, h0, w_ih, w_hh, b_ih, b_hh, sizes, last, prev, relu)
                else:
                    out = scan(x_in, h0, w_ih, w_hh, b_ih, b_hh, sizes, relu)
                    h_final = final_states(out, sizes, last, copy=False)  # torch.stack copies it
                outs.append(out if direction == 0 else _reverse(out, rev, steps, n))
                finals.append(h_final)
            x = outs[0] if num_directions == 1 else torch.cat(outs, 1)  # (R, D * H_out)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        return x, torch.stack(finals)

    def _layers_traced(self, data: Tensor, hx: Tensor, weights: list[Tensor | None]) -> tuple[Tensor, Tensor]:
        """The layer stack for tracers, one custom operator per layer: data (L, N, H_in) -> (L, N, D * H_out)."""
        num_directions = 2 if self.bidirectional else 1
        relu = self.mode == "RNN_RELU"
        stride = len(weights) // (self.num_layers * num_directions)
        x, finals = data, []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                w_ih, w_hh, b_ih, b_hh = _layer_weights(weights, layer * num_directions + direction, stride)
                h0 = hx[layer * num_directions + direction]  # (N, H_out)
                out, h_final = elman_layer(x if direction == 0 else x.flip(0), h0, w_ih, w_hh, b_ih, b_hh, relu)
                outs.append(out if direction == 0 else out.flip(0))
                finals.append(h_final)
            x = outs[0] if num_directions == 1 else torch.cat(outs, 2)  # (L, N, D * H_out)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        return x, torch.stack(finals)


_LayersFn = Callable[
    [ElmanRNN, Tensor, Tensor, "Tensor | None", "list[Tensor | None]", int, int], tuple[Tensor, Tensor]
]
_hidden_layers: list[_LayersFn] = []  # created on first use: torch.compiler.disable imports dynamo (~1 s)


@functools.lru_cache(maxsize=16)
def _zeros(shape: tuple[int, int, int], dtype: torch.dtype, device: torch.device) -> Tensor:
    """A zero initial state, (D * layers, N, H_out), shared by the calls that give no ``hx``: the
    layers only read it, and it is never returned (``h_n`` is a new tensor)."""
    return torch.zeros(shape, dtype=dtype, device=device)


def _layers_hidden_from_dynamo() -> _LayersFn:
    """``ElmanRNN._layers`` behind ``torch.compiler.disable``, for calls while dynamo is running.

    Dynamo refuses to trace torch.nn.RNN and its subclasses (unless ``torch._dynamo.config.allow_rnn``)
    and runs their forward eagerly, as for torch.nn.RNN; without this it would still trace the
    functions called from there and unroll the time loop (compile time growing with T).
    """
    if not _hidden_layers:
        _hidden_layers.append(torch.compiler.disable(ElmanRNN._layers))
    return _hidden_layers[0]


def _layer_weights(
    weights: list[Tensor | None], index: int, stride: int
) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
    """``(w_ih, w_hh, b_ih, b_hh)`` of layer-and-direction ``index`` in torch's flat weight list
    (``stride`` 4 with biases, 2 without)."""
    k = index * stride
    w_ih, w_hh = weights[k], weights[k + 1]
    assert w_ih is not None and w_hh is not None  # checked by _fast_path
    return w_ih, w_hh, (weights[k + 2] if stride == 4 else None), (weights[k + 3] if stride == 4 else None)


def _reverse(rows: Tensor, rev: Tensor | None, steps: int, n: int) -> Tensor:
    """Every sequence mirrored in time: (R, F) -> (R, F); ``rev`` is the row map of packed input."""
    if rev is not None:
        return rows.index_select(0, rev)
    return rows.view(steps, n, rows.shape[-1]).flip(0).view(rows.shape)
