"""Tests for rnn_companion.plotting.charlm: the plotted data are the data passed in."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from rnn_companion.plotting.charlm import plot_bits_per_char  # noqa: E402


@pytest.fixture(autouse=True)
def _close() -> None:
    yield
    plt.close("all")


def test_curves_and_baselines_are_drawn_as_given() -> None:
    fig = plot_bits_per_char({"NumPy": [3.9, 3.1, 2.8], "ElmanRNN": [3.8, 3.2, 2.7]},
                             {"unigram": 4.56, "trigram": 3.01})
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    lines = ax.get_lines()
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines[0].get_ydata(), [3.9, 3.1, 2.8])
    np.testing.assert_array_equal(lines[1].get_ydata(), [3.8, 3.2, 2.7])
    assert [line.get_label() for line in lines[:2]] == ["NumPy", "ElmanRNN"]
    horizontal = {line.get_label(): tuple(line.get_ydata()) for line in lines[2:]}
    assert horizontal == {"unigram (4.56)": (4.56, 4.56), "trigram (3.01)": (3.01, 3.01)}
    assert all(line.get_linestyle() != "-" for line in lines[2:])
    assert "bits per character" in ax.get_ylabel() and ax.get_xlabel() == "epoch"
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["NumPy", "ElmanRNN", "unigram (4.56)", "trigram (3.01)"]


def test_draws_on_the_given_axes() -> None:
    fig, (left, right) = plt.subplots(1, 2)
    out = plot_bits_per_char({"model": [2.0]}, {}, ax=right, xlabel="step")
    assert out is fig and len(right.get_lines()) == 1 and not left.get_lines()
    assert right.get_xlabel() == "step"


def test_rejects_an_empty_curve() -> None:
    with pytest.raises(ValueError, match="'model' must be a non-empty 1-D sequence, got shape \\(0,\\)"):
        plot_bits_per_char({"model": []}, {})
