"""Tests of rnn_companion.plotting.graphs: the blocks, arrows and cuts drawn are the ones the
arguments ask for (shapes, counts and chunk boundaries are computed from them, not fixed)."""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Patch  # noqa: E402

from rnn_companion.plotting import graphs  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _gids(fig: Figure, prefix: str) -> list[str]:
    found = [a.get_gid() for ax in fig.axes for a in (*ax.patches, *ax.texts, *ax.lines)]
    return [g for g in found if g and g.startswith(prefix)]


def _patch(fig: Figure, gid: str) -> Patch:
    return next(p for ax in fig.axes for p in ax.patches if p.get_gid() == gid)


def _text(fig: Figure, gid: str) -> str:
    return next(t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == gid)


def _renders(fig: Figure) -> int:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    return len(buf.getvalue())


@pytest.mark.parametrize(("n", "d", "h"), [(3, 4, 5), (2, 7, 3), (1, 1, 12)])
def test_concat_step_blocks_have_the_shapes_of_the_arguments(n, d, h):
    fig = graphs.draw_concat_step(n, d, h)
    assert sorted(_gids(fig, "block:")) == sorted(
        ["block:X_t", "block:H_prev", "block:W_xh", "block:W_hh", "block:product"])
    expected = {"X_t": (n, d), "H_prev": (n, h), "W_xh": (d, h), "W_hh": (h, h), "product": (n, h)}
    unit = _patch(fig, "block:X_t").get_height() / n
    for name, (rows, cols) in expected.items():
        rect = _patch(fig, f"block:{name}")
        # the drawn rectangle is rows x cols in the same unit for every block
        assert rect.get_height() == pytest.approx(rows * unit)
        assert rect.get_width() == pytest.approx(cols * unit)
        assert f"{rows} × {cols}" in _text(fig, f"shape:{name}")
    assert _text(fig, "shape:left").endswith(f"{n} \\times {d + h}$")
    assert _text(fig, "shape:right").endswith(f"{d + h} \\times {h}$")
    assert "W}_{xh} + " in _text(fig, "label:product")
    # the two inputs sit side by side, the two weights on top of each other
    x_block, h_block = _patch(fig, "block:X_t"), _patch(fig, "block:H_prev")
    assert h_block.get_x() == pytest.approx(x_block.get_x() + x_block.get_width())
    w_xh, w_hh = _patch(fig, "block:W_xh"), _patch(fig, "block:W_hh")
    assert w_xh.get_y() == pytest.approx(w_hh.get_y() + w_hh.get_height())
    assert _renders(fig) > 10_000


@pytest.mark.parametrize("bad", [0, 13, 2.5, True, "3"])
def test_concat_step_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="n must be an integer from 1 to 12"):
        graphs.draw_concat_step(bad, 4, 5)


@pytest.mark.parametrize("steps", [1, 3, 5])
def test_bptt_graph_forward_and_gradient_paths(steps):
    fig = graphs.draw_bptt_graph(steps)
    fwd, bwd = _gids(fig, "fwd:"), _gids(fig, "bwd:")
    assert len(fwd) == 4 * steps and len(bwd) == 3 * steps
    for t in range(1, steps + 1):
        assert f"fwd:H{t - 1}->H{t}" in fwd and f"bwd:H{t}->H{t - 1}" in bwd
        assert f"bwd:l{t}->O{t}" in bwd and f"bwd:O{t}->H{t}" in bwd
    assert f"fwd:H{steps}->H{steps + 1}" not in fwd
    # forward and backward differ in colour and in line style
    arrows = {p.get_gid(): p for ax in fig.axes for p in ax.patches if isinstance(p, FancyArrowPatch)}
    assert {to_hex(arrows[g].get_edgecolor()) for g in fwd} == {graphs.FORWARD_COLOR}
    assert {to_hex(arrows[g].get_edgecolor()) for g in bwd} == {graphs.BACKWARD_COLOR.lower()}
    assert {arrows[g].get_linestyle() for g in fwd} == {"-"}
    assert "-" not in {arrows[g].get_linestyle() for g in bwd}
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts.count(r"$W_{hh}$") == steps and texts.count(r"$W_{hh}^\top$") == steps
    assert rf"$\ell_{{{steps}}}$" in texts
    assert _renders(fig) > 10_000


@pytest.mark.parametrize(("T", "k"), [(10, 4), (12, 3), (7, 7), (9, 1), (24, 5)])
def test_truncated_bptt_cuts_where_chunks_end(T, k):
    fig = graphs.draw_truncated_bptt(T, k)
    chunks = graphs.chunk_bounds(T, k)
    assert len(chunks) == math.ceil(T / k)
    assert chunks[0][0] == 1 and chunks[-1][1] == T
    assert all(b - a + 1 == k for a, b in chunks[:-1]) and 1 <= chunks[-1][1] - chunks[-1][0] + 1 <= k
    assert len(_gids(fig, "chunk:")) == len(chunks)
    cuts = sorted(int(g.split(":")[1]) for g in _gids(fig, "cut:"))
    assert cuts == [t for t in range(k, T, k)]  # after steps k, 2k, ... (never after T)
    fwd, bwd = _gids(fig, "fwd:"), _gids(fig, "bwd:")
    assert len(fwd) == T - 1  # the state crosses every cut
    assert len(bwd) == T - len(chunks)  # the gradient crosses none
    for t in cuts:
        assert f"fwd:H{t}->H{t + 1}" in fwd and f"bwd:H{t + 1}->H{t}" not in bwd
    assert f"{len(chunks)} chunks" in _text(fig, "legend")


def test_truncated_bptt_rejects_bad_arguments():
    with pytest.raises(ValueError, match="k must be an integer from 1 to 6, got 7"):
        graphs.draw_truncated_bptt(6, 7)
    with pytest.raises(ValueError, match="T must be an integer from 2 to 24"):
        graphs.draw_truncated_bptt(30, 4)


def test_graphs_draw_on_a_given_axes():
    fig, axes = plt.subplots(ncols=2)
    assert graphs.draw_bptt_graph(2, ax=axes[0]) is fig
    assert graphs.draw_truncated_bptt(6, 2, ax=axes[1]) is fig
    assert len(_gids(fig, "cut:")) == 2


def test_next_token_model_reads_the_inputs_and_scores_the_next_tokens() -> None:
    from rnn_companion.plotting.graphs import draw_next_token_model

    tokens = [".", "the", "dog", "sees"]
    fig = draw_next_token_model(tokens)
    ax = fig.axes[0]
    texts = {t.get_gid(): t.get_text() for t in ax.texts if t.get_gid()}
    assert [texts[f"token:{t}"] for t in (1, 2, 3)] == ["“.”", "“the”", "“dog”"]
    assert [texts[f"target:{t}"] for t in (1, 2, 3)] == ["target “the”", "target “dog”", "target “sees”"]
    arrows = [p.get_gid() for p in ax.patches if (p.get_gid() or "").startswith("fwd:")]
    assert len(arrows) == 5 * 3  # embed, W_hq, softmax, loss, and the recurrence, per step
    assert "fwd:H0->H1" in arrows and "fwd:H2->H3" in arrows
    for bad in (["."], [".", "a", "b", "c", "d", "e", "f", "g"], "the dog"):
        with pytest.raises(ValueError, match="tokens must be"):
            draw_next_token_model(bad)  # type: ignore[arg-type]
    plt.close(fig)
