"""Tests of rnn_companion.plotting.layouts: what each diagram draws (boxes, units, arrows, labels),
checked against the structure it claims to show; for packing, against a real PackedSequence."""

from __future__ import annotations

import io
from collections import Counter

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, Patch  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence  # noqa: E402

from rnn_companion.plotting import layouts  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _patches(fig: Figure, prefix: str) -> list[Patch]:
    return [p for ax in fig.axes for p in ax.patches if (p.get_gid() or "").startswith(prefix)]


def _gids(fig: Figure, prefix: str) -> list[str]:
    return [p.get_gid() for p in _patches(fig, prefix)]


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _arrow_ends(patch: Patch) -> tuple[tuple[float, float], tuple[float, float]]:
    assert isinstance(patch, FancyArrowPatch)
    start, end = patch._posA_posB  # the data coordinates the arrow was created with
    return start, end


def _renders(fig: Figure) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("num_layers", "steps"), [(1, 1), (2, 3), (3, 4)])
def test_stacked_draws_every_layer_step_and_state(num_layers, steps):
    fig = layouts.draw_stacked(num_layers, steps)
    labels = {g.removeprefix("box:") for g in _gids(fig, "box:")}
    expected = {rf"$\mathbf{{X}}_{{{t}}}$" for t in range(1, steps + 1)}
    expected |= {rf"$\mathbf{{H}}^{{({k})}}_0$" for k in range(1, num_layers + 1)}
    expected |= {rf"$\mathbf{{H}}^{{({k})}}_{{{t}}}$" for k in range(1, num_layers + 1) for t in range(1, steps + 1)}
    assert labels == expected
    arrows = Counter(g.removeprefix("arrow:") for g in _gids(fig, "arrow:"))
    for k in range(1, num_layers + 1):
        assert arrows[f"W_xh{k}"] == steps  # from the layer below, at every step
        assert arrows[f"W_hh{k}"] == steps  # from h_0, then from the previous step
        assert arrows[f"h_n{k - 1}"] == 1
    assert sum(arrows.values()) == num_layers * (2 * steps + 1)
    texts = _texts(fig)
    assert [f"h_0[{k}]" in texts and f"h_n[{k}]" in texts for k in range(num_layers)] == [True] * num_layers
    assert f"h_n[{num_layers}]" not in texts
    assert any(rf"$\mathbf{{H}}^{{({num_layers})}}_t$" in t and "output" in t for t in texts)
    _renders(fig)


def test_stacked_output_band_encloses_exactly_the_top_row():
    fig = layouts.draw_stacked(3, 2)
    (band,) = _patches(fig, "band:output")
    box = band.get_bbox()
    inside = {p.get_gid() for p in _patches(fig, "box:")
              if box.contains(*np.add(p.get_bbox().p0, p.get_bbox().size / 2))}
    assert inside == {r"box:$\mathbf{H}^{(3)}_{1}$", r"box:$\mathbf{H}^{(3)}_{2}$"}


@pytest.mark.parametrize("bad", [0, 5, 2.0, True, "2"])
def test_stacked_rejects_bad_layer_counts(bad):
    with pytest.raises(ValueError, match=f"num_layers must be an integer from 1 to 4, got {bad!r}"):
        layouts.draw_stacked(bad)


@pytest.mark.parametrize("steps", [2, 4, 6])
def test_bidirectional_chains_concatenation_and_final_states(steps):
    fig = layouts.draw_bidirectional(steps)
    arrows = Counter(g.removeprefix("arrow:") for g in _gids(fig, "arrow:"))
    for kind in ("forward", "backward", "x_forward", "x_backward", "out_forward", "out_backward"):
        assert arrows[kind] == steps, kind
    assert {g for g in _gids(fig, "box:output")} == {f"box:output[{t}]" for t in range(steps)}
    # the forward chain runs left to right, the backward chain right to left
    for kind, sign in (("forward", 1), ("backward", -1)):
        for patch in _patches(fig, f"arrow:{kind}"):
            if patch.get_gid() == f"arrow:{kind}":
                (x0, _), (x1, _) = _arrow_ends(patch)
                assert sign * (x1 - x0) > 0
    # h_n[0] leaves the forward chain after the last step, h_n[1] the backward chain before the first
    def centre_x(prefix: str) -> list[float]:
        return [p.get_bbox().x0 + p.get_bbox().width / 2 for p in _patches(fig, prefix)]
    fwd = centre_x(r"box:$\overrightarrow")
    bwd = centre_x(r"box:$\overleftarrow")
    (hn0,) = _patches(fig, "arrow:h_n0")
    (hn1,) = _patches(fig, "arrow:h_n1")
    assert _arrow_ends(hn0)[0][0] > max(fwd[1:])   # fwd[0] is h_0[0]
    assert _arrow_ends(hn1)[0][0] < min(bwd[1:])   # bwd[0] is h_0[1]
    assert {"h_n[0]", "h_n[1]", "h_0[0]", "h_0[1]"} <= set(_texts(fig))
    _renders(fig)


def _packed(lengths: list[int]):
    """A batch whose entry (sequence i, step t) holds 100 i + t, packed as in chapter 4."""
    seqs = [torch.tensor([[100.0 * i + t] for t in range(n)]) for i, n in enumerate(lengths)]
    return pack_padded_sequence(pad_sequence(seqs), torch.tensor(lengths), enforce_sorted=False)


@pytest.mark.parametrize("seed", range(4))
def test_packing_is_computed_from_the_packed_sequence(seed):
    rng = np.random.default_rng(seed)
    lengths = [int(n) for n in rng.integers(1, 9, size=int(rng.integers(1, 7)))]
    packed = _packed(lengths)
    fig = layouts.draw_packing(packed.batch_sizes, sorted_indices=packed.sorted_indices)
    sizes = packed.batch_sizes.tolist()
    # column t of the padded grid has batch_sizes[t] real steps, the rest is padding
    real = Counter(int(g.split(":")[2]) for g in _gids(fig, "cell:") if g.endswith(":real"))
    assert [real[t] for t in range(len(sizes))] == sizes
    assert len(_gids(fig, "cell:")) == len(lengths) * max(lengths)
    # data cell k claims to be step t of sequence i: that is what packed.data[k] holds
    data = _gids(fig, "data:")
    assert len(data) == packed.data.shape[0] == sum(lengths)
    for gid in data:
        k, i, t = (int(v) for v in gid.split(":")[1:])
        assert packed.data[k, 0].item() == 100 * i + t
    texts = _texts(fig)
    for i, n in enumerate(lengths):
        assert f"sequence {i}, length {n}" in texts
    assert [t for t in texts if t.isdigit()][: len(sizes)] == [str(b) for b in sizes]


def test_packing_of_the_chapter_batch_and_plain_lists():
    packed = _packed([3, 5, 2])
    assert packed.batch_sizes.tolist() == [3, 3, 2, 1, 1]
    fig = layouts.draw_packing(packed.batch_sizes, sorted_indices=packed.sorted_indices)
    assert "sequence 1, length 5" in _texts(fig)
    same = layouts.draw_packing([3, 3, 2, 1, 1], sorted_indices=[1, 0, 2])
    assert _gids(same, "data:") == _gids(fig, "data:")
    _renders(fig)


@pytest.mark.parametrize(("sizes", "order", "message"), [
    ([2, 3], None, "non-increasing"),
    ([], None, "1 to 12"),
    ([2, 0], None, "positive"),
    ([2.0, 1.0], None, "1-D sequence of integers"),
    ([2, 1], [0, 0], "permutation of range"),
])
def test_packing_rejects_impossible_batch_sizes(sizes, order, message):
    with pytest.raises(ValueError, match=message):
        layouts.draw_packing(sizes, sorted_indices=order)


def _unit_x(fig: Figure, layer: str) -> dict[int, float]:
    return {int(p.get_gid().split(":")[2]): p.center[0] for p in _patches(fig, f"unit:{layer}:")
            if isinstance(p, Circle)}


@pytest.mark.parametrize(("n_in", "n_hid", "n_out"), [(1, 2, 1), (6, 20, 6), (31, 150, 31)])
def test_srn_units_and_one_for_one_copies(n_in, n_hid, n_out):
    fig = layouts.draw_srn(n_in, n_hid, n_out)
    units = {layer: _unit_x(fig, layer) for layer in ("input", "context", "hidden", "output")}
    for layer, n in (("input", n_in), ("context", n_hid), ("hidden", n_hid), ("output", n_out)):
        shown = list(range(n)) if n <= 12 else [*range(10), n - 1]
        assert sorted(units[layer]) == shown, layer
    # one dashed copy per hidden unit, straight down into the context unit with the same index
    copies = _patches(fig, "arrow:copy")
    assert len(copies) == len(units["hidden"])
    for patch, i in zip(copies, sorted(units["hidden"]), strict=True):
        (x0, _), (x1, _) = _arrow_ends(patch)
        assert x0 == pytest.approx(units["hidden"][i]) and x1 == pytest.approx(units["context"][i])
        assert patch.get_linestyle() != "-"
    assert Counter(_gids(fig, "arrow:W_")) == {"arrow:W_xh": 1, "arrow:W_ch": 1, "arrow:W_hy": 1}
    texts = _texts(fig)
    assert {r"$W_{xh}$", r"$W_{ch}$", r"$W_{hy}$"} <= set(texts)
    assert f"context units ({n_hid}), start at 0.5" in texts
    assert f"hidden units ({n_hid}, $\\sigma$)" in texts
    _renders(fig)


@pytest.mark.parametrize(("n_plan", "n_hid", "n_out", "mu"), [(4, 12, 4, 0.5), (2, 3, 6, None), (3, 30, 14, 0.0)])
def test_jordan_units_copies_and_self_loops(n_plan, n_hid, n_out, mu):
    fig = layouts.draw_jordan_units(n_plan, n_hid, n_out, mu=mu)
    state, output = _unit_x(fig, "state"), _unit_x(fig, "output")
    assert sorted(state) == sorted(output)  # as many state units as output units
    def drawn(n: int) -> int:  # all units, or 10, an ellipsis and the last
        return n if n <= 12 else 11
    assert len(_unit_x(fig, "plan")) == drawn(n_plan) and len(_unit_x(fig, "hidden")) == drawn(n_hid)
    assert len(state) == drawn(n_out)
    copies = _patches(fig, "copy:output_to_state")
    loops = _patches(fig, "loop:mu")
    assert len(copies) == len(loops) == len(state)
    # each dashed route starts at output unit i and ends at state unit i
    routes = [line for ax in fig.axes for line in ax.lines if line.get_linestyle() != "-"]
    assert len(routes) == len(state)
    for line, i in zip(routes, sorted(output), strict=True):
        xs = line.get_xdata()
        assert xs[0] == pytest.approx(output[i]) and xs[-1] == pytest.approx(state[i])
    # the routes are nested: the further right the unit, the further in its route
    outer_x = [max(line.get_xdata()) for line in routes]
    assert outer_x == sorted(outer_x, reverse=True)
    texts = _texts(fig)
    mu_text = r"$\mu$" if mu is None else rf"$\mu = {mu:g}$"
    assert f"self-loops {mu_text}" in texts
    assert {r"$W_{ph}$", r"$W_{sh}$", r"$W_{hy}$", f"plan units ({n_plan}), constant"} <= set(texts)
    _renders(fig)


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(n_plan=0, n_hidden=3, n_output=2), "n_plan must be an integer"),
    (dict(n_plan=1, n_hidden=3, n_output=2, mu=1.0), r"mu must be in \[0, 1\), got 1.0"),
    (dict(n_plan=1, n_hidden=3, n_output=2, max_units=2), "max_units must be"),
])
def test_jordan_units_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layouts.draw_jordan_units(**kwargs)


def test_every_layout_draws_on_a_given_axes():
    for draw in (lambda ax: layouts.draw_stacked(ax=ax), lambda ax: layouts.draw_bidirectional(ax=ax),
                 lambda ax: layouts.draw_packing([2, 1], ax=ax), lambda ax: layouts.draw_srn(1, 2, 1, ax=ax),
                 lambda ax: layouts.draw_jordan_units(2, 3, 2, ax=ax)):
        fig, ax = plt.subplots()
        assert draw(ax) is fig
        assert ax.patches and not ax.axison
