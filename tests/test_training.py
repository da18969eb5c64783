"""Tests for rnn_companion.training: clipping, truncated BPTT, perplexity, sampling, the loop."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from rnn_companion import ElmanRNN
from rnn_companion.training import (
    History,
    RNNLanguageModel,
    clip_grad_norm,
    evaluate_nll,
    global_grad_norm,
    lm_batches,
    perplexity,
    sample,
    streams_from_sentences,
    train,
    truncated_forward,
)


def _model(seed: int = 0, vocab: int = 5, **kwargs) -> RNNLanguageModel:
    torch.manual_seed(seed)
    return RNNLanguageModel(vocab, 4, 8, **kwargs)


def test_default_rnn_is_elman() -> None:
    assert isinstance(_model().rnn, ElmanRNN)


def test_other_recurrent_layers_fit() -> None:
    """Layers without num_layers or nonlinearity arguments (GRU, LSTM, MinGRU) plug in; the
    options reach a layer that has them."""
    from rnn_companion.mingru import MinGRU

    x = torch.randint(5, (7, 3), generator=torch.Generator().manual_seed(0))
    for cls in (torch.nn.GRU, torch.nn.LSTM, MinGRU):
        logits, _ = _model(rnn_cls=cls)(x)
        assert isinstance(_model(rnn_cls=cls).rnn, cls) and logits.shape == (7, 3, 5)
    rnn = _model(num_layers=2, nonlinearity="relu").rnn
    assert (rnn.num_layers, rnn.nonlinearity) == (2, "relu")
    with pytest.raises(TypeError):
        _model(rnn_cls=torch.nn.GRU, nonlinearity="relu")  # GRU has no such option: not dropped


@pytest.mark.parametrize("max_norm", [0.01, 0.5, 1e6])
def test_clip_matches_torch(max_norm: float) -> None:
    grads = []
    norms = []
    for which in ("ours", "torch"):
        model = _model(1)
        x = torch.randint(5, (7, 3), generator=torch.Generator().manual_seed(2))
        logits, _ = model(x)
        logits.pow(2).sum().backward()
        if which == "ours":
            norm, clipped = clip_grad_norm(model.parameters(), max_norm)
            assert clipped == (norm > max_norm)
        else:
            norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm))
        norms.append(norm)
        grads.append([p.grad.clone() for p in model.parameters()])
    assert norms[0] == pytest.approx(norms[1], rel=1e-5)
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b)


def test_global_grad_norm_by_hand() -> None:
    a = torch.zeros(2, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)
    c = torch.zeros(1, requires_grad=True)  # no gradient: ignored
    (3 * a.sum() + 4 * b[0]).backward()
    assert global_grad_norm([a, b, c]) == pytest.approx(math.sqrt(9 + 9 + 16))


@pytest.mark.parametrize("k", [1, 3, 4])
def test_truncated_forward_detaches(k: int) -> None:
    torch.manual_seed(0)
    rnn = torch.nn.RNN(3, 5, dtype=torch.float64)
    x = torch.randn(10, 2, 3, dtype=torch.float64, requires_grad=True)
    full, h_full = rnn(x)
    out, h = truncated_forward(rnn, x, k)
    torch.testing.assert_close(out, full)  # same forward values
    torch.testing.assert_close(h, h_full)
    out[-1].sum().backward()
    chunk_start = ((10 - 1) // k) * k
    grad_norms = x.grad.norm(dim=(1, 2))
    assert torch.all(grad_norms[:chunk_start] == 0)
    assert torch.all(grad_norms[chunk_start:] > 0)
    # full BPTT reaches every step
    x.grad = None
    truncated_forward(rnn, x, None)[0][-1].sum().backward()
    assert torch.all(x.grad.norm(dim=(1, 2)) > 0)


def test_train_tbptt_gradient_matches_detached_autograd() -> None:
    """One training step with tbptt_steps=k uses the gradient of the chunked, detached graph."""
    x = torch.randint(5, (9, 2), generator=torch.Generator().manual_seed(3))
    y = torch.randint(5, (9, 2), generator=torch.Generator().manual_seed(4))
    model = _model(5)
    expected = _model(5)
    logits, _ = truncated_forward(expected, x, 4)
    F.cross_entropy(logits.reshape(-1, 5), y.reshape(-1)).backward()
    lr = 0.1
    train(model, [(x, y)], epochs=1, optimizer=torch.optim.SGD(model.parameters(), lr=lr), tbptt_steps=4)
    for p, q in zip(model.parameters(), expected.parameters(), strict=True):
        torch.testing.assert_close(p.detach(), (q - lr * q.grad).detach())


def test_perplexity_by_hand() -> None:
    model = _model(2)
    streams = [[1, 2, 3, 0, 4, 4], [2, 0], [3, 3, 1]]
    batches = lm_batches(streams, seq_len=2, bos=0)
    nll, count = 0.0, 0
    with torch.no_grad():
        for s in streams:
            inputs = torch.tensor([0, *s[:-1]]).unsqueeze(1)
            logp = torch.log_softmax(model(inputs)[0][:, 0], dim=-1)
            nll -= float(logp[torch.arange(len(s)), torch.tensor(s)].sum())
            count += len(s)
    assert evaluate_nll(model, batches) == pytest.approx(nll / count, rel=1e-5)
    assert perplexity(model, batches) == pytest.approx(math.exp(nll / count), rel=1e-5)


def test_lm_batches_and_streams() -> None:
    sentences = [[1, 0], [2, 3, 0], [4, 0], [1, 1, 0]]
    streams = streams_from_sentences(sentences, 2)
    assert sum(streams, []) == sum(sentences, [])
    assert len(streams) == 2
    batches = lm_batches([[1, 2, 3], [4]], seq_len=2, bos=0)
    X = torch.cat([b[0] for b in batches])
    Y = torch.cat([b[1] for b in batches])
    assert X[:, 0].tolist() == [0, 1, 2] and Y[:, 0].tolist() == [1, 2, 3]
    assert X[0, 1] == 0 and Y[:, 1].tolist() == [4, -100, -100]


def test_sample_greedy_and_temperature() -> None:
    model = _model(3)
    greedy = sample(model, [0, 1], 12, greedy=True)
    assert len(greedy) == 12
    cold = sample(model, [0, 1], 12, temperature=1e-4, generator=torch.Generator().manual_seed(0))
    assert cold == greedy
    # greedy by hand
    with torch.no_grad():
        seq = [0, 1]
        for _ in range(12):
            seq.append(int(model(torch.tensor(seq).unsqueeze(1))[0][-1, 0].argmax()))
    assert greedy == seq[2:]
    a = sample(model, [0], 30, generator=torch.Generator().manual_seed(1))
    b = sample(model, [0], 30, generator=torch.Generator().manual_seed(1))
    assert a == b and all(0 <= t < 5 for t in a)
    first = sample(model, [0], 1, greedy=True)[0]
    stopped = sample(model, [0], 50, greedy=True, stop=first)
    assert len(stopped) == 1
    with pytest.raises(ValueError):
        sample(model, [], 3)


def test_sample_temperature_frequencies() -> None:
    """With a fixed next-token distribution, samples follow softmax(logits / T)."""

    class Fixed(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.logits = torch.nn.Parameter(torch.tensor([0.0, 1.0, 2.0]))

        def forward(self, tokens, state=None):
            return self.logits.expand(tokens.shape[0], tokens.shape[1], 3), state

    out = sample(Fixed(), [0], 20000, temperature=2.0, generator=torch.Generator().manual_seed(0))
    freq = torch.bincount(torch.tensor(out), minlength=3).double() / len(out)
    expected = torch.softmax(torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64), 0)
    torch.testing.assert_close(freq, expected, atol=0.015, rtol=0)


def test_train_decreases_loss_and_records_history() -> None:
    # a deterministic cyclic sequence is learnable
    seq = [1, 2, 3, 4] * 12
    batches = lm_batches([seq, seq[1:], seq[2:]], seq_len=8, bos=0)
    model = _model(4)
    before = evaluate_nll(model, batches)
    hist = train(
        model, batches, epochs=15, lr=0.03, clip=0.5, carry_state=True,
        eval_fn=lambda m: {"nll": evaluate_nll(m, batches)},
    )
    assert isinstance(hist, History)
    assert len(hist.step_loss) == len(hist.grad_norm) == len(hist.clipped) == 15 * len(batches)
    assert len(hist.epoch_loss) == 15 and len(hist.metric("nll")) == 15
    assert hist.metric("nll")[-1] < 0.2 * before
    assert hist.epoch_loss[-1] < hist.epoch_loss[0]
    assert any(hist.clipped)
    assert all(c == (n > 0.5) for n, c in zip(hist.grad_norm, hist.clipped, strict=True))


def test_train_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    batches = lm_batches([[1, 2, 3, 4]], seq_len=2, bos=0)
    train(_model(), batches, epochs=2)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_lr_decay() -> None:
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    train(model, lm_batches([[1, 2, 3]], 4, bos=0), epochs=3, optimizer=opt, lr_decay=0.5)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.125)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_train_perplexity_sample_on_cuda() -> None:
    seq = [1, 2, 3, 4] * 6
    cpu_batches = lm_batches([seq, seq[1:]], seq_len=8, bos=0)
    batches = [(x.cuda(), y.cuda()) for x, y in cpu_batches]
    model = _model(4).cuda()
    before = perplexity(model, batches)
    hist = train(model, batches, epochs=10, lr=0.03, clip=1.0, carry_state=True)
    assert perplexity(model, batches) < before and len(hist.step_loss) == 10 * len(batches)
    out = sample(model, [0, 1], 5, generator=torch.Generator().manual_seed(0))
    assert len(out) == 5 and sample(model, [0, 1], 5, greedy=True) == sample(model, [0, 1], 5, temperature=1e-4)


def test_progress_bar_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    batches = lm_batches([[1, 2, 3, 4]], seq_len=2, bos=0)
    train(_model(), batches, epochs=2, progress=True)
    assert "epochs" in capsys.readouterr().err


def test_batches_callable_gets_epoch() -> None:
    seen = []
    base = lm_batches([[1, 2, 3, 4]], seq_len=2, bos=0)

    def batches(epoch: int):
        seen.append(epoch)
        return base

    hist = train(_model(), batches, epochs=3)
    assert seen == [0, 1, 2] and len(hist.step_loss) == 3 * len(base)
