"""The benchmark subpackage: ``python -m rnn_companion.bench`` (see ``rnn_companion.bench.core``)."""

from __future__ import annotations

from .core import *  # noqa: F403
from .core import __all__, main

__all__ = list(__all__)

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
