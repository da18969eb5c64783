"""Tests for the character-level language model: rnn_companion.char_rnn (NumPy, hand-written BPTT)
and rnn_companion.charlm (the shipped text, its vocabulary, n-gram baselines, the torch model)."""

from __future__ import annotations

import fnmatch
import math
import subprocess
import sys
import sysconfig
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from rnn_companion import char_rnn as cr
from rnn_companion.charlm import (
    TEXT_CHARS,
    TEXT_NAME,
    TEXT_SHA256,
    CharNGram,
    CharRNN,
    Vocab,
    bits,
    fit_char_ngram,
    load_text,
    split_paragraphs,
    text_sha256,
)
from rnn_companion.training import evaluate_nll, lm_batches, train

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "rnn_companion" / "data" / "text"


def _random_problem(seed: int) -> tuple[cr.Params, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    V, H, T, B = (int(x) for x in rng.integers((3, 2, 3, 1), (9, 7, 8, 4)))
    params = {
        "W_xh": rng.normal(0, 0.7, (V, H)),
        "W_hh": rng.normal(0, 0.7, (H, H)),
        "b_h": rng.normal(0, 0.3, H),
        "W_hq": rng.normal(0, 0.7, (H, V)),
        "b_q": rng.normal(0, 0.3, V),
    }
    inputs = rng.integers(0, V, (T, B))
    targets = rng.integers(0, V, (T, B))
    h0 = rng.normal(0, 0.5, (B, H))
    return params, inputs, targets, h0


def _autograd_loss(params: cr.Params, inputs: np.ndarray, targets: np.ndarray, h0: np.ndarray) -> tuple:
    """The same model written directly in torch (float64), differentiated by autograd."""
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    V = params["W_xh"].shape[0]
    x = F.one_hot(torch.as_tensor(inputs), V).double()  # (T, B, V)
    h = torch.tensor(h0, dtype=torch.float64)
    logits = []
    for t in range(x.shape[0]):
        h = torch.tanh(x[t] @ p["W_xh"] + h @ p["W_hh"] + p["b_h"])
        logits.append(h @ p["W_hq"] + p["b_q"])
    loss = F.cross_entropy(torch.stack(logits).reshape(-1, V), torch.as_tensor(targets).reshape(-1))
    loss.backward()
    return float(loss.detach()), {k: v.grad.numpy() for k, v in p.items()}, h.detach().numpy()


@pytest.mark.parametrize("seed", range(6))
def test_bptt_gradients_match_autograd(seed: int) -> None:
    params, inputs, targets, h0 = _random_problem(seed)
    loss, grads, h_last = cr.loss_and_grads(params, inputs, targets, h0)
    ref_loss, ref_grads, ref_h = _autograd_loss(params, inputs, targets, h0)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(h_last, ref_h, rtol=1e-12, atol=1e-14)
    assert set(grads) == set(ref_grads)
    for name in grads:
        np.testing.assert_allclose(grads[name], ref_grads[name], rtol=1e-9, atol=1e-13, err_msg=name)


@pytest.mark.parametrize("rnn_cls", ["ElmanRNN", "nn.RNN"])
def test_torch_model_with_numpy_weights_gives_the_same_logits(rnn_cls: str) -> None:
    params, inputs, _, h0 = _random_problem(3)
    V, H = params["W_xh"].shape
    cls = torch.nn.RNN if rnn_cls == "nn.RNN" else None
    model = CharRNN(V, H, rnn_cls=cls).double().load_numpy(params)
    logits, state = model(torch.as_tensor(inputs), torch.tensor(h0)[None])
    ref_logits, ref_H = cr.forward(params, inputs, h0)
    np.testing.assert_allclose(logits.detach().numpy(), ref_logits, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(state[0].detach().numpy(), ref_H[-1], rtol=1e-10, atol=1e-12)


def test_numpy_and_torch_training_take_the_same_steps() -> None:
    # same start, same batches, float64: Adam, clipping and BPTT must agree step by step
    rng = np.random.default_rng(7)
    ids = rng.integers(0, 6, 400)
    batches = cr.stream_batches(ids, batch_size=4, seq_len=8)
    params = cr.init_params(6, 5, rng)
    model = CharRNN(6, 5).double().load_numpy(params)
    history = cr.train_char_rnn(params, batches, epochs=2, lr=0.05, lr_decay=0.5, clip=0.25)
    ref = train(model, [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches], epochs=2, lr=0.05,
                lr_decay=0.5, clip=0.25, carry_state=True)
    assert any(ref.clipped) and not all(ref.clipped)  # both paths of the clipping are exercised
    np.testing.assert_allclose(history.step_loss, ref.step_loss, rtol=1e-9)
    rnn = dict(model.rnn.named_parameters())
    np.testing.assert_allclose(params["W_hh"], rnn["weight_hh_l0"].detach().numpy().T, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(params["b_h"], rnn["bias_ih_l0"].detach().numpy(), rtol=1e-8, atol=1e-12)
    assert not rnn["bias_hh_l0"].requires_grad and not rnn["bias_hh_l0"].any()


def test_load_numpy_rejects_wrong_shapes() -> None:
    params = cr.init_params(5, 4, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"\(V, H\) = \(6, 4\)"):
        CharRNN(6, 4).load_numpy(params)


def test_forward_rejects_bad_ids() -> None:
    params = cr.init_params(5, 4, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"\[0, 5\), got \[0, 5\]"):
        cr.forward(params, np.array([[0], [5]]))
    with pytest.raises(ValueError, match="shape"):
        cr.forward(params, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\[0, 5\), got \[-1, -1\]"):
        cr.loss_and_grads(params, np.array([[0]]), np.array([[-1]]))
    with pytest.raises(ValueError, match=r"\[0, 5\), got \[0, 7\]"):
        CharNGram(2, 5).fit([0, 7, 1])


@pytest.mark.parametrize("max_norm", [0.01, 1.0, 1e6])
def test_clip_global_norm_matches_torch(max_norm: float) -> None:
    rng = np.random.default_rng(1)
    grads = {"a": rng.normal(size=(3, 4)), "b": rng.normal(size=5)}
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()]
    for t, g in zip(tensors, grads.values(), strict=True):
        t.grad = torch.tensor(g)
    ref_norm = float(torch.nn.utils.clip_grad_norm_(tensors, max_norm))
    norm = cr.clip_global_norm(grads, max_norm)
    assert norm == pytest.approx(ref_norm, rel=1e-12)
    for t, g in zip(tensors, grads.values(), strict=True):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)


def test_adam_matches_torch() -> None:
    rng = np.random.default_rng(2)
    params = {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    ours = cr.Adam(lr=0.05)
    ref = torch.optim.Adam(tensors.values(), lr=0.05)
    for _ in range(4):
        grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
        for k, t in tensors.items():
            t.grad = torch.tensor(grads[k])
        ours.step(params, grads)
        ref.step()
    for k in params:
        np.testing.assert_allclose(params[k], tensors[k].detach().numpy(), rtol=1e-12, atol=1e-14)


def test_stream_batches_are_consecutive_next_character_chunks() -> None:
    ids = np.arange(103) % 17
    batches = cr.stream_batches(ids, batch_size=4, seq_len=7)
    L = len(ids) // 4
    inputs = np.concatenate([x for x, _ in batches])  # (L - 1, B)
    targets = np.concatenate([y for _, y in batches])
    for b in range(4):
        np.testing.assert_array_equal(inputs[:, b], ids[b * L : (b + 1) * L - 1])
        np.testing.assert_array_equal(targets[:, b], ids[b * L + 1 : (b + 1) * L])
    assert all(x.shape == y.shape for x, y in batches) and batches[0][0].shape == (7, 4)
    with pytest.raises(ValueError, match="= 8 characters, got 5"):
        cr.stream_batches(ids[:5], batch_size=4, seq_len=3)


def test_ngram_matches_hand_counts() -> None:
    ids = [0, 1, 0, 0, 1]  # "abaab" over the alphabet (a, b)
    bigram = CharNGram(2, 2, k=1.0).fit(ids)
    # after a: b twice, a once; after b: a once
    np.testing.assert_allclose(bigram.distribution([0]), [2 / 5, 3 / 5])
    np.testing.assert_allclose(bigram.distribution([1, 0, 1]), [2 / 3, 1 / 3])
    np.testing.assert_allclose(np.exp(bigram.log_probs(ids)), [3 / 5, 2 / 3, 2 / 5, 3 / 5])
    unigram = CharNGram(1, 2, k=0.5).fit(ids)  # targets ids[1:] = b a a b: two of each
    np.testing.assert_allclose(unigram.distribution([]), [(2 + 0.5) / (4 + 2 * 0.5)] * 2)
    trigram = CharNGram(3, 2, k=1.0).fit(ids)
    # the first target has only one character before it: context (a,), seen once (followed by b)
    np.testing.assert_allclose(trigram.distribution([0]), [1 / 3, 2 / 3])
    np.testing.assert_allclose(trigram.distribution([0, 0]), [1 / 3, 2 / 3])  # aa -> b once
    np.testing.assert_allclose(trigram.distribution([1, 1]), [1 / 2, 1 / 2])  # unseen: uniform


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_ngram_distributions_sum_to_one_and_agree_with_log_probs(n: int) -> None:
    rng = np.random.default_rng(n)
    ids = rng.integers(0, 6, 300)
    model = CharNGram(n, 6, k=0.07).fit(ids[:200])
    held_out = ids[200:]
    lp = model.log_probs(held_out)
    for t in range(1, len(held_out)):
        p = model.distribution(held_out[max(0, t - n + 1) : t])
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
        assert lp[t - 1] == pytest.approx(math.log(p[held_out[t]]), rel=1e-12)
    assert model.cross_entropy(held_out) == pytest.approx(-lp.mean())


def test_fit_char_ngram_picks_the_best_k_on_validation() -> None:
    rng = np.random.default_rng(0)
    train_ids, valid_ids = rng.integers(0, 5, 400), rng.integers(0, 5, 100)
    ks = (1.0, 0.1, 0.01)
    model = fit_char_ngram(3, train_ids, valid_ids, 5, ks)
    scores = {k: CharNGram(3, 5, k).fit(train_ids).cross_entropy(valid_ids) for k in ks}
    assert model.k == min(scores, key=scores.__getitem__)
    assert model.cross_entropy(valid_ids) == pytest.approx(min(scores.values()))


def test_temperature_limits() -> None:
    logits = np.array([0.3, 2.0, -1.0, 1.9])
    p1 = cr.softmax_with_temperature(logits, 1.0)
    np.testing.assert_allclose(p1, np.exp(logits) / np.exp(logits).sum())
    np.testing.assert_array_equal(cr.softmax_with_temperature(logits, 0.0), [0, 1, 0, 0])
    np.testing.assert_allclose(cr.softmax_with_temperature(logits, 1e-3), [0, 1, 0, 0], atol=1e-40)
    np.testing.assert_allclose(cr.softmax_with_temperature(logits, 1e6), np.full(4, 0.25), rtol=1e-5)
    sharper = cr.softmax_with_temperature(logits, 0.5)
    assert sharper.max() > p1.max() and sharper.min() < p1.min()
    with pytest.raises(ValueError, match="got -1"):
        cr.softmax_with_temperature(logits, -1)


def test_sampling_is_deterministic_and_tends_to_greedy() -> None:
    params = cr.init_params(7, 6, np.random.default_rng(0))
    params["W_hq"] *= 20  # confident, so that a small temperature is numerically the arg-max
    draw = lambda seed, temperature: cr.sample(  # noqa: E731
        params, [1, 2], 40, temperature=temperature, rng=np.random.default_rng(seed)
    )
    assert draw(3, 1.0) == draw(3, 1.0)
    assert draw(3, 1.0) != draw(4, 1.0)
    greedy = draw(0, 0.0)
    # greedy by hand: the arg-max of the logits after the prompt and after each generated character
    ids, expected = [1, 2], []
    for _ in range(40):
        logits, _ = cr.forward(params, np.array(ids)[:, None])
        expected.append(int(logits[-1, 0].argmax()))
        ids.append(expected[-1])
    assert greedy == expected
    assert draw(5, 1e-4) == greedy
    with pytest.raises(ValueError, match="at least one"):
        cr.sample(params, [], 3, rng=np.random.default_rng(0))


def test_shipped_text_is_in_the_package_as_documented() -> None:
    path = resources.files("rnn_companion") / "data" / "text" / TEXT_NAME
    assert path.is_file()
    text = load_text()
    assert len(text) == TEXT_CHARS
    assert text_sha256(text) == TEXT_SHA256
    assert text.isascii() and text.endswith(".\n")
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert TEXT_SHA256 in readme and f"{TEXT_CHARS:,} characters" in readme
    licence = (resources.files("rnn_companion") / "data" / "text" / "PSF-LICENSE.txt").read_text(encoding="utf-8")
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in licence


def test_package_data_globs_include_the_text() -> None:
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["rnn_companion.data.text"]
    for name in (TEXT_NAME, "PSF-LICENSE.txt"):
        assert any(fnmatch.fnmatch(name, g) for g in globs), globs


@pytest.mark.skipif(sys.version_info[:3] != (3, 11, 7), reason="the text was made from CPython 3.11.7's docstrings")
def test_recipe_reproduces_the_text() -> None:
    sys.path.insert(0, str(DATA))
    try:
        import make_stdlib_prose
    finally:
        sys.path.remove(str(DATA))
    assert make_stdlib_prose.build(Path(sysconfig.get_paths()["stdlib"])) == load_text()


def test_vocab_and_split() -> None:
    text = load_text()
    vocab = Vocab.from_text(text)
    ids = vocab.encode(text[:500])
    assert vocab.decode(ids) == text[:500] and ids.dtype == np.int64
    assert list(vocab.chars) == sorted(vocab.chars) and len(set(vocab.chars)) == vocab.size
    with pytest.raises(ValueError, match="'é'"):
        vocab.encode("café")
    parts = split_paragraphs(text)
    paragraphs = [p for part in parts for p in part.strip("\n").split("\n\n")]
    assert sorted(paragraphs) == sorted(text.strip("\n").split("\n\n"))
    n = len(text.strip("\n").split("\n\n"))
    assert [len(part.strip("\n").split("\n\n")) for part in parts[1:]] == [(n + 1) // 10, n // 10]


@pytest.mark.slow
def test_short_training_beats_the_unigram() -> None:
    text = load_text()
    vocab = Vocab.from_text(text)
    train_ids, valid_ids, _ = (vocab.encode(part) for part in split_paragraphs(text))
    unigram = fit_char_ngram(1, train_ids, valid_ids, vocab.size).cross_entropy(valid_ids)
    batches = cr.stream_batches(train_ids[:20_000], batch_size=32, seq_len=16)
    params = cr.init_params(vocab.size, 64, np.random.default_rng(0))
    before = cr.evaluate(params, valid_ids)
    history = cr.train_char_rnn(params, batches, epochs=3, lr=1e-2)
    after = cr.evaluate(params, valid_ids)
    assert before > unigram > after, (bits(before), bits(unigram), bits(after))
    assert np.mean(history.step_loss[-10:]) < np.mean(history.step_loss[:10])

    torch.manual_seed(0)
    model = CharRNN(vocab.size, 64)
    train(model, [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches], epochs=3, lr=1e-2,
          clip=5.0, carry_state=True)
    assert evaluate_nll(model, lm_batches([valid_ids.tolist()], 1000)) < unigram


@pytest.mark.slow
def test_wheel_contains_the_text(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, text=True)
    (wheel,) = tmp_path.glob("rnn_companion-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"rnn_companion/data/text/{TEXT_NAME}", "rnn_companion/data/text/PSF-LICENSE.txt"} <= names
