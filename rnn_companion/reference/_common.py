"""Helpers shared by the reference modules: nonlinearities, dtypes, the time-major layout."""

from __future__ import annotations

import numpy as np

from .._typing import Array
from ..params import ArrayLike, as_numeric

RNN_NONLINEARITIES = ("tanh", "relu")
SOURCE_NONLINEARITIES = ("tanh", "relu", "sigmoid")
JORDAN_OUTPUT = ("sigmoid", "tanh", "identity")


def activate(z: Array, nonlinearity: str) -> Array:
    """``phi(z)`` for ``"tanh"``, ``"relu"``, ``"sigmoid"`` or ``"identity"``."""
    if nonlinearity == "tanh":
        return np.tanh(z)
    if nonlinearity == "relu":
        return np.maximum(z, 0)
    if nonlinearity == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return z


def derivative(h: Array, nonlinearity: str) -> Array:
    """``phi'(z)`` written with the activation ``h = phi(z)``."""
    d: Array
    if nonlinearity == "tanh":
        d = 1 - h * h
    elif nonlinearity == "relu":
        d = (h > 0).astype(h.dtype)
    else:  # sigmoid
        d = h * (1 - h)
    return d


def check_nonlinearity(nonlinearity: str, allowed: tuple[str, ...], what: str = "nonlinearity") -> None:
    if nonlinearity not in allowed:
        raise ValueError(f"Unknown {what} {nonlinearity!r}. Select from {' or '.join(map(repr, allowed))}.")


def float_dtype(*arrays: Array) -> np.dtype[np.floating]:
    dtype = np.result_type(*arrays)
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def as_time_major(x: ArrayLike, batch_first: bool) -> tuple[Array, bool]:
    """``x`` as ``(L, N, H_in)`` and whether it was unbatched."""
    a = as_numeric(x, "x")
    if a.ndim not in (2, 3):
        raise ValueError(f"RNN: Expected input to be 2D or 3D, got {a.ndim}D array instead")
    if a.ndim == 2:
        return a[:, None, :], True
    return (a.transpose(1, 0, 2) if batch_first else a), False
