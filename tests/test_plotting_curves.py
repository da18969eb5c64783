"""Tests for rnn_companion.plotting.curves: the plotted data are the data passed in."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from rnn_companion.plotting.curves import plot_grad_norms, plot_loss_curves, plot_perplexity


@pytest.fixture(autouse=True)
def _close() -> None:
    yield
    plt.close("all")


def test_plot_perplexity_lines() -> None:
    fig = plot_perplexity({"train": [5.0, 4.5, 4.3], "held-out": [5.1, 4.6, 4.4]}, optimum=4.2,
                          baselines={"bigram": 5.4, "trigram": 4.27})
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    lines = ax.get_lines()
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines[1].get_ydata(), [5.1, 4.6, 4.4])
    horizontal = {line.get_label(): line.get_ydata()[0] for line in lines[2:]}
    assert horizontal == {"bigram (5.400)": 5.4, "trigram (4.270)": 4.27, "optimum (4.200)": 4.2}
    assert ax.get_ylabel() == "perplexity"
    assert ax.figure.get_facecolor()[:3] == (1.0, 1.0, 1.0)


def test_plot_loss_curves_masks_nonfinite() -> None:
    fig, ax = plt.subplots()
    out = plot_loss_curves({"no clipping": [2.0, np.nan, np.inf], "clipped": [2.0, 1.0, 0.5]}, ax=ax)
    assert out is fig and ax.get_yscale() == "log"
    y = ax.get_lines()[0].get_ydata()
    assert y[0] == 2.0 and np.isnan(y[1]) and np.isnan(y[2])
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), [2.0, 1.0, 0.5])


def test_plot_grad_norms_with_bounds() -> None:
    norms = {"rho=0.5": 0.5 ** np.arange(5), "rho=1.5": 1.5 ** np.arange(5)}
    ax = plot_grad_norms(norms, bounds={"rho=1.5": 2.0 ** np.arange(5)}, title="tanh").axes[0]
    lines = ax.get_lines()
    assert len(lines) == 3 and ax.get_yscale() == "log" and ax.get_title() == "tanh"
    np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(5))
    np.testing.assert_allclose(lines[2].get_ydata(), 2.0 ** np.arange(5))
    assert lines[2].get_color() == lines[1].get_color() and lines[2].get_linestyle() == ":"
