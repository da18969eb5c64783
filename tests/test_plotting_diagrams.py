"""Tests of rnn_companion.plotting.diagrams: figures are built, labelled, and render."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from rnn_companion.plotting import diagrams


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _boxes(fig: Figure) -> list[FancyBboxPatch]:
    return [p for ax in fig.axes for p in ax.patches if isinstance(p, FancyBboxPatch)]


def _arrows(fig: Figure) -> list[FancyArrowPatch]:
    return [p for ax in fig.axes for p in ax.patches if isinstance(p, FancyArrowPatch)]


def _renders(fig: Figure) -> int:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return len(data)


def _box_labels(fig: Figure) -> set[str]:
    return {p.get_gid().removeprefix("box:") for p in _boxes(fig)}


def test_draw_jordan_layers_weights_and_feedback():
    fig = diagrams.draw_jordan()
    assert isinstance(fig, Figure)
    assert _box_labels(fig) == {r"$\mathbf{x}_t$", r"$\mathbf{s}_t$", r"$\mathbf{h}_t$",
                                r"$\mathbf{y}_t$"}
    texts = _texts(fig)
    for label in (r"$W_{xh}$", r"$W_{sh}$", r"$W_{hy}$", r"$\mathbf{y}_{t-1}$", r"$\mu$",
                  "state units", "output units"):
        assert label in texts
    # x->h, s->h, h->y, the last segment of y->s, and the mu loop
    assert len(_arrows(fig)) == 5
    assert _renders(fig) > 10_000


def test_draw_jordan_without_self_loop():
    fig = diagrams.draw_jordan(self_loop=False)
    assert r"$\mu$" not in _texts(fig)
    assert len(_arrows(fig)) == 4


def test_draw_elman_feeds_hidden_state_back():
    fig = diagrams.draw_elman()
    assert _box_labels(fig) == {r"$\mathbf{x}_t$", r"$\mathbf{c}_t$", r"$\mathbf{h}_t$",
                                r"$\mathbf{y}_t$"}
    texts = _texts(fig)
    for label in (r"$W_{xh}$", r"$W_{hh}$", r"$W_{hy}$", r"$\mathbf{h}_{t-1}$",
                  "context units"):
        assert label in texts
    assert r"$\mathbf{y}_{t-1}$" not in texts  # the output is not fed back
    # the copy connector starts at the hidden box's right edge, at the hidden box's height
    hidden = next(p for p in _boxes(fig) if p.get_gid() == r"box:$\mathbf{h}_t$")
    copy_lines = [ln for ln in fig.axes[0].lines]
    assert len(copy_lines) == 1
    xs, ys = copy_lines[0].get_data()
    assert xs[0] == pytest.approx(hidden.get_x() + hidden.get_width())
    assert ys[0] == pytest.approx(hidden.get_y() + hidden.get_height() / 2)
    assert _renders(fig) > 10_000


@pytest.mark.parametrize("steps", [1, 3, 5])
@pytest.mark.parametrize("output", [True, False])
def test_draw_unrolled_one_column_per_step(steps, output):
    fig = diagrams.draw_unrolled(steps, output=output, folded=False)
    labels = _box_labels(fig)
    expected = {r"$\mathbf{H}_0$"}
    for t in range(1, steps + 1):
        expected |= {rf"$\mathbf{{X}}_{{{t}}}$", rf"$\mathbf{{H}}_{{{t}}}$"}
        if output:
            expected.add(rf"$\mathbf{{O}}_{{{t}}}$")
    assert labels == expected
    texts = _texts(fig)
    # shared parameters: the same weight labels repeat in every column
    assert texts.count(r"$W_{hh}$") == steps
    assert texts.count(r"$W_{xh}$") == steps
    assert texts.count(r"$W_{hq}$") == (steps if output else 0)
    assert [t for t in texts if t.startswith("time step")] == [
        f"time step {t}" for t in range(1, steps + 1)]
    # the figure widens with the number of steps
    assert _renders(fig) > 5_000


def test_draw_unrolled_folded_adds_the_cell():
    fig = diagrams.draw_unrolled(2, folded=True)
    labels = _box_labels(fig)
    assert {r"$\mathbf{X}_t$", r"$\mathbf{H}_t$", r"$\mathbf{O}_t$"} <= labels
    assert "=" in _texts(fig)
    narrow = diagrams.draw_unrolled(2, folded=False)
    assert fig.get_figwidth() > narrow.get_figwidth()
    wide = diagrams.draw_unrolled(6, folded=False)
    assert wide.get_figwidth() > narrow.get_figwidth()


@pytest.mark.parametrize("steps", [0, 9, 2.5, True, "3"])
def test_draw_unrolled_rejects_bad_steps(steps):
    with pytest.raises(ValueError, match="steps must be an integer from 1 to 8"):
        diagrams.draw_unrolled(steps)


def test_diagrams_draw_on_given_axes():
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    assert diagrams.draw_jordan(ax=axes[0]) is fig
    assert diagrams.draw_elman(ax=axes[1]) is fig
    assert diagrams.draw_unrolled(2, ax=axes[2]) is fig
    assert len(fig.axes) == 3
    assert all(not ax.axison for ax in axes)
    _renders(fig)


def test_plot_hidden_states_heatmap_shows_the_values():
    H = np.tanh(np.random.default_rng(0).normal(size=(7, 3)))
    fig = diagrams.plot_hidden_states(H, title="trajectory")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    image = ax.images[0]
    # one row per hidden unit, one column per time step
    np.testing.assert_array_equal(image.get_array(), H.T)
    assert image.get_clim() == (-1.0, 1.0)
    assert ax.get_xlabel() == "time step $t$"
    assert ax.get_ylabel() == "hidden unit"
    assert ax.get_title() == "trajectory"
    assert list(ax.get_xticks()) == list(range(1, 8))
    assert len(fig.axes) == 2  # the plot and its colorbar
    _renders(fig)


def test_plot_hidden_states_heatmap_scales_to_unbounded_values():
    H = np.array([[0.5, -3.0], [2.0, 1.0]])
    fig = diagrams.plot_hidden_states(H)
    assert fig.axes[0].images[0].get_clim() == (-3.0, 3.0)
    fig = diagrams.plot_hidden_states(H, vmax=5.0)
    assert fig.axes[0].images[0].get_clim() == (-5.0, 5.0)


def test_plot_hidden_states_lines_one_per_unit():
    H = np.linspace(-1, 1, 20).reshape(5, 4)
    fig = diagrams.plot_hidden_states(H, kind="lines")
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4
    for j, line in enumerate(lines):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 6))
        np.testing.assert_array_equal(line.get_ydata(), H[:, j])
        assert line.get_label() == f"unit {j + 1}"
    _renders(fig)


def test_plot_hidden_states_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    H = torch.tanh(torch.randn(4, 2, requires_grad=True))
    fig = diagrams.plot_hidden_states(H)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), H.detach().numpy().T)


@pytest.mark.parametrize("shape", [(5,), (4, 2, 3), ()])
def test_plot_hidden_states_rejects_wrong_ndim(shape):
    with pytest.raises(ValueError) as info:
        diagrams.plot_hidden_states(np.zeros(shape))
    message = str(info.value)
    assert "2-D array of shape (T, h)" in message
    assert f"ndim={len(shape)}" in message
    assert str(shape) in message


def test_plot_hidden_states_rejects_empty_and_unknown_kind():
    with pytest.raises(ValueError, match="must not be empty"):
        diagrams.plot_hidden_states(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="kind must be 'heatmap' or 'lines'"):
        diagrams.plot_hidden_states(np.zeros((2, 3)), kind="bars")
