"""Results stored with the package (``rnn_companion/data/``), read through ``importlib.resources``.

Shape conventions (stated once for this module): a stored record is the JSON object a command
line run wrote, with the schema of a :class:`typing.TypedDict` below; arrays are nested lists
(a network axis first, as in :mod:`rnn_companion.elman1990`). Nothing here computes: the records
come from ``rnn-companion experiment ...`` (:mod:`rnn_companion.elman1990`) and
``rnn-companion bench ...`` (:mod:`rnn_companion.bench`), and this module only reads them, so the
chapters run where only the package is installed (Colab).
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import TypedDict, cast

__all__ = ["STORED", "StoredRecord", "load_stored", "data_files", "read_data"]

#: The stored multi-seed runs of Elman (1990), one JSON file each in ``data/experiments/``.
STORED = ("xor", "letters", "lexical")


class StoredRecord(TypedDict):
    """One stored experiment: its results and how to regenerate them."""

    experiment: str  #: one of :data:`STORED`
    command: str  #: the command line that wrote the file
    date: str  #: ``YYYY-MM-DD`` (UTC)
    versions: dict[str, str]  #: python, numpy, scipy, rnn_companion
    assumptions: dict[str, str]  #: :data:`rnn_companion.srn.ELMAN_ASSUMPTIONS`
    seconds: float  #: wall time of the run
    results: dict[str, object]  #: per method (``"elman"``, ``"bptt"``): config, seconds and the measures


def data_files(folder: str) -> list[str]:
    """Names of the ``*.json`` files in ``rnn_companion/data/<folder>``, sorted."""
    root = files("rnn_companion").joinpath("data").joinpath(folder)
    return sorted(p.name for p in root.iterdir() if p.name.endswith(".json"))


def read_data(folder: str, name: str) -> object:
    """The parsed JSON file ``rnn_companion/data/<folder>/<name>``."""
    text = files("rnn_companion").joinpath("data").joinpath(folder).joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


def load_stored(name: str) -> StoredRecord:
    """The stored multi-seed run ``name`` (one of :data:`STORED`) shipped with the package.

    Returns the whole record: ``results``, plus the ``command`` that regenerates it, its
    ``date``, ``versions`` and ``assumptions``.

    Raises
    ------
    ValueError
        If ``name`` is not one of :data:`STORED`.
    """
    if name not in STORED:
        raise ValueError(f"stored experiment must be one of {STORED}, got {name!r}")
    record = read_data("experiments", f"{name}.json")
    if not isinstance(record, dict) or record.get("experiment") != name:
        raise ValueError(f"data/experiments/{name}.json is not a stored record of {name!r}")
    return cast(StoredRecord, record)
