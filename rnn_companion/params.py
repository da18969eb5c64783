"""Parameters of an Elman RNN: the two notations, the conversions between them, validation and counts.

Shape conventions (stated once for this module):

* PyTorch (``torch.nn.RNN`` state_dict, column-vector notation):
  ``weight_ih_l{k}`` is ``(H, H_in)``, ``weight_hh_l{k}`` is ``(H, H)``, ``bias_ih_l{k}`` and
  ``bias_hh_l{k}`` are ``(H,)``; the step is ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.
  The reverse direction of a bidirectional RNN appends ``_reverse`` to every name.
* Source (the book's row-vector minibatch notation):
  ``W_xh`` is ``(d, h)``, ``W_hh`` is ``(h, h)``, ``b_h`` is ``(1, h)``; the step is
  ``H_t = phi(X_t W_xh + H_{t-1} W_hh + b_h)`` with ``X_t`` of shape ``(n, d)``.

The mapping is ``W_xh = weight_ih.T``, ``W_hh = weight_hh.T``, ``b_h = bias_ih + bias_hh``.

Counting needs only the standard library: :func:`rnn_param_count` (``torch.nn.RNN``),
:func:`elman_param_count`, :func:`window_mlp_param_count` and :func:`unshared_rnn_param_count`
(source notation, with an output layer ``W_hq (h, q)``, ``b_q (1, q)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from ._typing import Array

if TYPE_CHECKING:
    from torch import Tensor

__all__ = [
    "ArrayLike",
    "TensorLike",
    "HasStateDict",
    "torch_to_source",
    "source_to_torch",
    "as_numeric",
    "check_rnn_params",
    "rnn_param_count",
    "elman_param_count",
    "window_mlp_param_count",
    "unshared_rnn_param_count",
]

class TensorLike(Protocol):
    """What the NumPy code needs of a ``torch.Tensor`` (without importing torch): ``detach().cpu().numpy()``."""

    def detach(self) -> TensorLike: ...

    def cpu(self) -> TensorLike: ...

    def numpy(self) -> Array: ...


class HasStateDict(Protocol):
    """A module with a ``state_dict()``, such as ``torch.nn.RNN`` or :class:`~rnn_companion.elman.ElmanRNN`."""

    def state_dict(self) -> Mapping[str, TensorLike]: ...


#: A NumPy array, a tensor (detached and copied to the CPU) or nested sequences of numbers.
ArrayLike = npt.ArrayLike | TensorLike


def _to_numpy(value: ArrayLike, dtype: npt.DTypeLike | None = None) -> Array:
    """Convert a tensor or array-like to a NumPy array (detached, on the CPU)."""
    if hasattr(value, "detach"):  # torch.Tensor, without importing torch here
        value = value.detach().cpu().numpy()
    arr = np.array(value, copy=True)
    return arr.astype(dtype) if dtype is not None else arr


def as_numeric(value: ArrayLike, name: str) -> Array:
    """``value`` as a NumPy array (a tensor is detached and copied to the CPU); rejects non-numeric data."""
    if hasattr(value, "detach"):  # torch.Tensor, without importing torch
        value = value.detach().cpu().numpy()
    arr = np.asarray(value)
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    return arr


def check_rnn_params(
    params: Mapping[str, ArrayLike], num_layers: int, bias: bool, num_directions: int
) -> tuple[dict[str, Array], int, int]:
    """Validate the names and shapes of a ``torch.nn.RNN``-style parameter dict.

    Returns the arrays (in torch's order), the input size and the hidden size.

    Raises
    ------
    TypeError
        If ``params`` is not a mapping or an entry is not numeric.
    ValueError
        For a missing, unexpected or mis-shaped parameter (the message names expected and received).
    """
    if not isinstance(params, Mapping):
        raise TypeError(
            f"params must be a dict of arrays named like torch.nn.RNN's state_dict, got {type(params).__name__}"
        )
    for name in ("weight_ih_l0", "weight_hh_l0"):
        if name not in params:
            raise ValueError(f"params is missing {name!r}; got keys {sorted(params)}")
    w_ih, w_hh = as_numeric(params["weight_ih_l0"], "weight_ih_l0"), as_numeric(params["weight_hh_l0"], "weight_hh_l0")
    if w_hh.ndim != 2 or w_hh.shape[0] != w_hh.shape[1]:
        raise ValueError(f"weight_hh_l0 must have shape (H, H), got {w_hh.shape}")
    hidden = w_hh.shape[0]
    if w_ih.ndim != 2:
        raise ValueError(f"weight_ih_l0 must have shape ({hidden}, input_size), got {w_ih.shape}")
    input_size = w_ih.shape[1]
    expected: dict[str, tuple[int, ...]] = {}
    for k in range(num_layers):
        in_k = input_size if k == 0 else num_directions * hidden
        for d in range(num_directions):
            sfx = f"_l{k}" + ("_reverse" if d else "")
            expected["weight_ih" + sfx] = (hidden, in_k)
            expected["weight_hh" + sfx] = (hidden, hidden)
            if bias:
                expected["bias_ih" + sfx] = (hidden,)
                expected["bias_hh" + sfx] = (hidden,)
    missing = [n for n in expected if n not in params]
    if missing:
        raise ValueError(f"params is missing {missing} (expected keys {list(expected)}, got {sorted(params)})")
    unexpected = [n for n in params if n not in expected]
    if unexpected:
        raise ValueError(
            f"params has unexpected keys {unexpected} for num_layers={num_layers}, bias={bias}, "
            f"bidirectional={num_directions == 2} (expected keys {list(expected)})"
        )
    arrays = {}
    for name, shape in expected.items():
        arr = as_numeric(params[name], name)
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
        arrays[name] = arr
    return arrays, input_size, hidden


def torch_to_source(
    state_dict_or_module: Mapping[str, ArrayLike] | HasStateDict,
    layer: int = 0,
    direction: int = 0,
    dtype: npt.DTypeLike | None = None,
) -> dict[str, Array]:
    """Convert one layer/direction of a ``torch.nn.RNN`` to the source notation.

    Parameters
    ----------
    state_dict_or_module
        A ``torch.nn.RNN`` (or anything with a ``state_dict()`` method, such as
        ``rnn_companion.ElmanRNN``) or a mapping from parameter names to tensors/arrays.
    layer
        Layer index ``k`` (the ``_l{k}`` suffix).
    direction
        ``0`` for the forward direction, ``1`` for the ``_reverse`` parameters.
    dtype
        Optional NumPy dtype for the returned arrays (default: keep the parameters' dtype).

    Returns
    -------
    dict
        ``{"W_xh": (d, h), "W_hh": (h, h), "b_h": (1, h)}`` as NumPy arrays, with
        ``W_xh = weight_ih.T``, ``W_hh = weight_hh.T`` and ``b_h = bias_ih + bias_hh``
        (zeros when the RNN has no biases).

    Raises
    ------
    KeyError
        If the requested layer/direction is not in the state dict.
    ValueError
        If ``direction`` is not 0 or 1.
    """
    if direction not in (0, 1):
        raise ValueError(f"direction must be 0 or 1, got {direction!r}")
    sd: Mapping[str, ArrayLike]
    if isinstance(state_dict_or_module, Mapping):
        sd = state_dict_or_module
    else:
        sd = state_dict_or_module.state_dict()
    suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
    name_ih, name_hh = "weight_ih" + suffix, "weight_hh" + suffix
    for name in (name_ih, name_hh):
        if name not in sd:
            raise KeyError(
                f"parameter {name!r} not found; available: {sorted(sd.keys())}"
            )
    w_ih = _to_numpy(sd[name_ih], dtype)  # (h, d)
    w_hh = _to_numpy(sd[name_hh], dtype)  # (h, h)
    h = w_hh.shape[0]
    b_h = np.zeros((1, h), dtype=w_hh.dtype)
    for name in ("bias_ih" + suffix, "bias_hh" + suffix):
        if name in sd:
            b_h = b_h + _to_numpy(sd[name], dtype).reshape(1, h)
    return {"W_xh": w_ih.T.copy(), "W_hh": w_hh.T.copy(), "b_h": b_h}


def source_to_torch(
    W_xh: ArrayLike,
    W_hh: ArrayLike,
    b_h: ArrayLike | None = None,
    *,
    layer: int = 0,
    suffix: str = "",
    split: str = "ih",
    as_tensors: bool = False,
) -> dict[str, Array] | dict[str, Tensor]:
    """Convert source-notation parameters to ``torch.nn.RNN`` state_dict entries.

    Parameters
    ----------
    W_xh
        Input-to-hidden weights, shape ``(d, h)``.
    W_hh
        Hidden-to-hidden weights, shape ``(h, h)``.
    b_h
        Hidden bias, shape ``(1, h)`` or ``(h,)``; ``None`` gives only the two weights
        (for an RNN built with ``bias=False``).
    layer
        Layer index used in the names (``_l{layer}``).
    suffix
        Appended after the layer index, e.g. ``"_reverse"``.
    split
        How to split the single source bias into torch's two biases, which is ambiguous
        (only their sum matters): ``"ih"`` (default) puts all of ``b_h`` into ``bias_ih`` and
        zeros into ``bias_hh``; ``"hh"`` does the opposite; ``"half"`` puts ``b_h / 2`` into each.
    as_tensors
        Return ``torch.Tensor`` values instead of NumPy arrays.

    Returns
    -------
    dict
        ``{"weight_ih_l0": (h, d), "weight_hh_l0": (h, h), "bias_ih_l0": (h,), "bias_hh_l0": (h,)}``
        (names with the requested layer and suffix), ready for
        ``rnn.load_state_dict(..., strict=False)`` or, for a one-layer RNN, ``strict=True``.

    Raises
    ------
    ValueError
        For inconsistent shapes or an unknown ``split``.
    """
    W_xh, W_hh = _to_numpy(W_xh), _to_numpy(W_hh)
    if W_xh.ndim != 2:
        raise ValueError(f"W_xh must have shape (d, h), got shape {W_xh.shape}")
    h = W_xh.shape[1]
    if W_hh.shape != (h, h):
        raise ValueError(f"W_hh must have shape ({h}, {h}) to match W_xh {W_xh.shape}, got {W_hh.shape}")
    if split not in ("ih", "hh", "half"):
        raise ValueError(f"split must be 'ih', 'hh' or 'half', got {split!r}")
    tag = f"_l{layer}{suffix}"
    out: dict[str, Array] = {"weight_ih" + tag: W_xh.T.copy(), "weight_hh" + tag: W_hh.T.copy()}
    if b_h is not None:
        b = _to_numpy(b_h)
        if b.size != h or b.ndim > 2 or (b.ndim == 2 and b.shape[0] != 1):
            raise ValueError(f"b_h must have shape (1, {h}) or ({h},), got {b.shape}")
        b = b.reshape(h)
        zeros = np.zeros_like(b)
        if split == "ih":
            b_ih, b_hh = b.copy(), zeros
        elif split == "hh":
            b_ih, b_hh = zeros, b.copy()
        else:
            b_ih, b_hh = b / 2, b / 2
        out["bias_ih" + tag] = b_ih
        out["bias_hh" + tag] = b_hh
    if as_tensors:
        import torch

        return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in out.items()}
    return out


def rnn_param_count(
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bias: bool = True,
    bidirectional: bool = False,
) -> int:
    """Number of parameters of ``torch.nn.RNN`` with these arguments, from the closed formula.

    With ``D = 2`` if bidirectional else ``1``, ``H_in = input_size``, ``H = hidden_size``,
    ``L = num_layers`` and ``b = 1`` if bias else ``0``:

    .. math::

       D \\left[ (H_{in} H + H^2 + 2bH) + (L - 1)(D H^2 + H^2 + 2bH) \\right]

    (layers after the first see the ``D * H`` features of the layer below).

    Raises
    ------
    ValueError
        If a size is not a positive integer.
    TypeError
        If a size is not an integer.
    """
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"{name} must be a positive integer, got {value}")
    d = 2 if bidirectional else 1
    h, b = int(hidden_size), int(bool(bias))
    first = input_size * h + h * h + 2 * b * h
    rest = d * h * h + h * h + 2 * b * h
    return int(d * (first + (num_layers - 1) * rest))


def _check_sizes(**sizes: int) -> None:
    """Raise unless every size is a positive ``int`` (``bool`` is rejected)."""
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(
                f"{name} must be a positive int; expected an int >= 1, received {value!r}"
            )
        if value < 1:
            raise ValueError(
                f"{name} must be a positive int; expected an int >= 1, received {value}"
            )


def elman_param_count(d: int, h: int, q: int, *, torch_biases: bool = False) -> int:
    """Parameters of an Elman RNN with an output layer, in the source notation.

    ``W_xh`` (d, h), ``W_hh`` (h, h), ``b_h`` (1, h), ``W_hq`` (h, q) and ``b_q`` (1, q):
    ``d*h + h*h + h + h*q + q``, whatever the number of time steps.

    Parameters
    ----------
    d
        Input size (features per time step).
    h
        Hidden size.
    q
        Output size.
    torch_biases
        Count two hidden biases (``bias_ih`` and ``bias_hh``, as ``torch.nn.RNN`` stores them)
        instead of the single ``b_h``: adds ``h``.

    Raises
    ------
    ValueError
        If a size is not a positive integer.
    """
    _check_sizes(d=d, h=h, q=q)
    return int(d * h + h * h + (2 if torch_biases else 1) * h + h * q + q)


def window_mlp_param_count(d: int, h: int, q: int, steps: int) -> int:
    """Parameters of a one-hidden-layer MLP that reads ``steps`` concatenated inputs.

    The hidden layer maps the ``steps * d`` concatenated inputs to ``h`` units and the
    output layer maps them to ``q``: ``steps*d*h + h + h*q + q``, which grows with ``steps``.

    Parameters
    ----------
    d
        Input size (features per time step).
    h
        Hidden size.
    q
        Output size.
    steps
        Window length ``T``: how many time steps the MLP reads at once.

    Raises
    ------
    ValueError
        If a size is not a positive integer.
    """
    _check_sizes(d=d, h=h, q=q, steps=steps)
    return int(steps * d * h + h + h * q + q)


def unshared_rnn_param_count(d: int, h: int, q: int, steps: int) -> int:
    """Parameters of an unrolled Elman RNN with its own ``W_xh, W_hh, b_h`` at every step.

    ``steps * (d*h + h*h + h) + h*q + q`` (one output layer shared, as in the text): what
    the recurrence would cost without parameter sharing.

    Parameters
    ----------
    d
        Input size (features per time step).
    h
        Hidden size.
    q
        Output size.
    steps
        Number of time steps ``T``, each with its own recurrent weights.

    Raises
    ------
    ValueError
        If a size is not a positive integer.
    """
    _check_sizes(d=d, h=h, q=q, steps=steps)
    return int(steps * (d * h + h * h + h) + h * q + q)
