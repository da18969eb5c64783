"""Tests of rnn_companion.plotting.sharing: the figures render and draw the counts of rnn_companion.params."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from rnn_companion.params import elman_param_count, window_mlp_param_count
from rnn_companion.plotting.sharing import (
    plot_bidirectional_output,
    plot_param_count_vs_steps,
    plot_step_contributions,
)


def _png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def test_param_count_figure_renders_and_plots_the_counts() -> None:
    fig = plot_param_count_vs_steps(4, 8, 3, steps=range(1, 11))
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert len(lines) == 3
    np.testing.assert_array_equal(lines[0].get_ydata(), [elman_param_count(4, 8, 3)] * 10)
    np.testing.assert_array_equal(
        lines[1].get_ydata(), [window_mlp_param_count(4, 8, 3, t) for t in range(1, 11)]
    )
    assert ax.get_xlabel() and ax.get_ylabel()
    assert _png_bytes(fig).startswith(b"\x89PNG")
    assert len(plot_param_count_vs_steps(4, 8, 3, unshared=False).axes[0].get_lines()) == 2
    plt.close("all")


def test_param_count_figure_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="expected >= 1 values, received 0"):
        plot_param_count_vs_steps(4, 8, 3, steps=[])
    with pytest.raises(ValueError, match="steps must be a positive int"):
        plot_param_count_vs_steps(4, 8, 3, steps=[1, 0])


def test_step_contributions_figure() -> None:
    rng = np.random.default_rng(0)
    w_hh = rng.normal(size=(6, 4, 4))
    fig = plot_step_contributions({"W_hh": w_hh, "b_h": torch.from_numpy(rng.normal(size=(6, 1, 4)))})
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches][:6]
    np.testing.assert_allclose(heights, np.linalg.norm(w_hh.reshape(6, -1), axis=1))
    # the dashed lines mark the norm of the summed gradient
    totals = [line.get_ydata()[0] for line in ax.get_lines()]
    assert totals[0] == pytest.approx(np.linalg.norm(w_hh.sum(axis=0)))
    assert _png_bytes(fig).startswith(b"\x89PNG")


def test_step_contributions_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="empty"):
        plot_step_contributions({})
    with pytest.raises(ValueError, match=r"same number of steps T; received \{'a': 3, 'b': 4\}"):
        plot_step_contributions({"a": np.ones((3, 2)), "b": np.ones((4, 2))})
    with pytest.raises(ValueError, match=r"shape \(T, \.\.\.\) with T >= 1; received shape \(\)"):
        plot_step_contributions({"a": np.float64(1.0)})


def test_bidirectional_figure_with_a_real_rnn() -> None:
    torch.manual_seed(0)
    rnn = nn.RNN(3, 4, bidirectional=True)
    with torch.no_grad():
        out, h_n = rnn(torch.randn(5, 2, 3))
    fig = plot_bidirectional_output(out, h_n, batch_index=1)
    image = fig.axes[0].get_images()[0].get_array()
    np.testing.assert_allclose(image, out[:, 1, :].numpy(), rtol=0, atol=1e-7)
    assert _png_bytes(fig).startswith(b"\x89PNG")


def test_bidirectional_figure_rejects_bad_input() -> None:
    torch.manual_seed(0)
    out, h_n = nn.RNN(3, 4, bidirectional=True)(torch.randn(5, 2, 3))
    with pytest.raises(ValueError, match=r"expected h_n of shape \(2, 2, 4\).*received \(1, 2, 4\)"):
        plot_bidirectional_output(out, h_n[:1])
    with pytest.raises(ValueError, match=r"received \(5, 8\) and"):
        plot_bidirectional_output(out[:, 0], h_n)
    with pytest.raises(ValueError, match=r"batch_index must be in \[0, 2\); received 2"):
        plot_bidirectional_output(out, h_n, batch_index=2)
    # h_n with its two directions swapped is not where the figure says
    with pytest.raises(ValueError, match="does not match"):
        plot_bidirectional_output(out, torch.flip(h_n, dims=[0]))
