"""Array type aliases shared by the package's annotations (no runtime behaviour)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

#: A float64 NumPy array of any shape.
FloatArray = npt.NDArray[np.float64]
#: A NumPy array of any numeric dtype (the NumPy reference keeps the inputs' dtype).
Array = npt.NDArray[Any]

__all__ = ["FloatArray", "Array", "IntArray"]
#: An int64 NumPy array of any shape.
IntArray = npt.NDArray[np.int64]
