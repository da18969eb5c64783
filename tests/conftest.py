"""Shared test setup: matplotlib draws off-screen (Agg), before any test module imports pyplot."""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("matplotlib") is not None:
    import matplotlib

    matplotlib.use("Agg")
