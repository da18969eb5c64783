"""Training helpers: a loop with global-norm gradient clipping and truncated BPTT, perplexity, sampling.

Shape conventions (stated once for this module): sequences are **time-major** like
``torch.nn.RNN``: token inputs and targets are ``LongTensor`` of shape ``(T, B)``; a model maps
``(inputs (T, B), state)`` to ``(logits (T, B, V), state)`` where ``state`` is the recurrent
state ``(num_layers, B, H)`` (or ``None`` for zeros). A *batch list* is a list of
``(inputs, targets)`` pairs; targets equal to ``ignore_index`` (``-100``) are not scored. When
``carry_state=True`` the batches are consecutive chunks of the same ``B`` parallel streams
(:func:`lm_batches`) and the state is carried from one chunk to the next, detached.

Losses are the mean cross-entropy over the scored targets (nats per token);
``perplexity = exp(mean NLL)``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = [
    "RNNLanguageModel",
    "History",
    "global_grad_norm",
    "clip_grad_norm",
    "truncated_forward",
    "lm_batches",
    "streams_from_sentences",
    "train",
    "evaluate_nll",
    "perplexity",
    "sample",
    "next_token_probs",
]

IGNORE_INDEX = -100


def _default_rnn() -> type[torch.nn.Module]:
    from .elman import ElmanRNN

    return ElmanRNN


class RNNLanguageModel(nn.Module):
    """Embedding -> Elman RNN -> Linear: tokens in, next-token logits out.

    Parameters
    ----------
    vocab_size
        Number of tokens ``V`` (inputs and outputs).
    embed_size, hidden_size
        Embedding width and hidden-state width.
    num_layers, nonlinearity
        Passed to the recurrent layer.
    rnn_cls
        The recurrent layer's class, constructed as ``rnn_cls(embed_size, hidden_size)`` plus
        ``num_layers`` and ``nonlinearity`` where they differ from 1 and ``"tanh"``, so
        ``torch.nn.GRU``, ``torch.nn.LSTM`` and :class:`~rnn_companion.mingru.MinGRU` fit too;
        default :class:`~rnn_companion.elman.ElmanRNN`.
    output_size
        Number of output classes (default ``vocab_size``).

    Notes
    -----
    ``forward(tokens (T, B), state=None) -> (logits (T, B, output_size), state (num_layers, B, H))``.
    """

    def __init__(
        self,
        vocab_size: int,
        embed_size: int,
        hidden_size: int,
        *,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        rnn_cls: type[torch.nn.Module] | None = None,
        output_size: int | None = None,
    ) -> None:
        super().__init__()
        rnn_cls = rnn_cls or _default_rnn()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        options: dict[str, object] = {}
        if num_layers != 1:
            options["num_layers"] = num_layers
        if nonlinearity != "tanh":
            options["nonlinearity"] = nonlinearity
        self.rnn = rnn_cls(embed_size, hidden_size, **options)
        self.output = nn.Linear(hidden_size, output_size or vocab_size)

    def forward(self, tokens: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        H, state = self.rnn(self.embedding(tokens), state)
        return self.output(H), state


@dataclass
class History:
    """What :func:`train` records.

    Attributes
    ----------
    step_loss
        Training loss of every optimizer step (before the step).
    grad_norm
        Global gradient norm of every step, before clipping.
    clipped
        Whether the step's gradient was rescaled.
    epoch_loss
        Mean training loss per epoch (token-weighted).
    metrics
        One dict per epoch returned by ``eval_fn`` (empty without one).
    """

    step_loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    clipped: list[bool] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    metrics: list[dict[str, float]] = field(default_factory=list)

    def metric(self, name: str) -> list[float]:
        """The per-epoch values of one metric returned by ``eval_fn``."""
        return [m[name] for m in self.metrics]


def _grads(parameters: Iterable[Tensor]) -> list[Tensor]:
    return [p.grad for p in parameters if p.grad is not None]


def global_grad_norm(parameters: Iterable[Tensor]) -> float:
    """``sqrt(sum of squared gradient entries)`` over all parameters that have a gradient."""
    grads = _grads(parameters)
    if not grads:
        return 0.0
    total = torch.zeros((), dtype=torch.float64)
    for g in grads:
        total = total + (g.detach().double() ** 2).sum()
    return float(torch.sqrt(total))


def clip_grad_norm(parameters: Iterable[Tensor], max_norm: float) -> tuple[float, bool]:
    """Global-norm clipping: if ``||g|| > max_norm``, scale every gradient by ``max_norm / ||g||``.

    Same rule as ``torch.nn.utils.clip_grad_norm_`` (which scales by
    ``max_norm / (||g|| + 1e-6)`` whenever that factor is below one).

    Returns
    -------
    (float, bool)
        The norm before clipping and whether the gradients were rescaled. A non-finite norm
        is returned as it is, and the gradients are left unchanged.
    """
    params = list(parameters)
    norm = global_grad_norm(params)
    clipped = math.isfinite(norm) and norm > max_norm
    if clipped:
        scale = max_norm / (norm + 1e-6)
        for g in _grads(params):
            g.detach().mul_(scale)
    return norm, clipped


def truncated_forward(
    model: Callable[[Tensor, Tensor | None], tuple[Tensor, Tensor]],
    inputs: Tensor,
    k: int | None,
    state: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Run ``model`` over ``inputs`` (time-major) in chunks of ``k`` steps, detaching the state between chunks.

    The outputs are the same as one call ``model(inputs, state)``, but the gradient of an
    output at step ``t`` flows back only to the start of its chunk: truncated
    backpropagation through time. ``k=None`` runs the whole sequence at once (full BPTT).
    """
    if k is None or k >= inputs.shape[0]:
        return model(inputs, state)
    if k < 1:
        raise ValueError("k must be >= 1")
    outputs = []
    carried = state
    for start in range(0, inputs.shape[0], k):
        out, last = model(inputs[start : start + k], None if carried is None else carried.detach())
        outputs.append(out)
        carried = last
    return torch.cat(outputs, dim=0), last


def streams_from_sentences(sentences: Sequence[Sequence[int]], n_streams: int) -> list[list[int]]:
    """Split a text (sentences of token ids) into ``n_streams`` streams of whole, consecutive sentences.

    The streams get about equal numbers of tokens; each starts at a sentence boundary.
    """
    total = sum(len(s) for s in sentences)
    streams: list[list[int]] = [[] for _ in range(n_streams)]
    done = 0
    for s in sentences:
        j = min(n_streams - 1, done * n_streams // max(total, 1))
        streams[j].extend(s)
        done += len(s)
    return [s for s in streams if s]


def lm_batches(
    streams: Sequence[Sequence[int]], seq_len: int, *, bos: int | None = None
) -> list[tuple[Tensor, Tensor]]:
    """Next-token batches from parallel token streams, cut into consecutive chunks of ``seq_len`` steps.

    Stream ``b`` becomes column ``b``: inputs ``[bos] + s[:-1]`` (or ``s[:-1]``) and targets
    ``s`` (or ``s[1:]``). Shorter streams are padded (input ``0``, target ``-100``, not scored).
    Use with ``carry_state=True`` in :func:`train` / :func:`evaluate_nll`.
    """
    pairs = []
    for s in streams:
        s = list(s)
        pairs.append(([bos, *s[:-1]], s) if bos is not None else (s[:-1], s[1:]))
    T = max(len(x) for x, _ in pairs)
    X = torch.zeros(T, len(pairs), dtype=torch.long)
    Y = torch.full((T, len(pairs)), IGNORE_INDEX, dtype=torch.long)
    for b, (x, y) in enumerate(pairs):
        X[: len(x), b] = torch.tensor(x, dtype=torch.long)
        Y[: len(y), b] = torch.tensor(y, dtype=torch.long)
    return [(X[i : i + seq_len], Y[i : i + seq_len]) for i in range(0, T, seq_len)]


def _loss_sum(logits: Tensor, targets: Tensor) -> tuple[Tensor, int]:
    loss = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE_INDEX, reduction="sum"
    )
    return loss, int((targets != IGNORE_INDEX).sum())


_T = TypeVar("_T")


def _progress(iterable: Iterable[_T], progress: bool | None, total: int) -> Iterable[_T]:
    if progress is None:
        progress = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
    if not progress:
        return iterable
    from tqdm.auto import tqdm

    bar: Iterable[_T] = tqdm(iterable, total=total, desc="epochs")
    return bar


def train(
    model: torch.nn.Module,
    batches: Sequence[tuple[Tensor, Tensor]] | Callable[[int], Sequence[tuple[Tensor, Tensor]]],
    *,
    epochs: int = 1,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-2,
    lr_decay: float | None = None,
    clip: float | None = None,
    tbptt_steps: int | None = None,
    carry_state: bool = False,
    eval_fn: Callable[[torch.nn.Module], dict[str, float]] | None = None,
    progress: bool | None = None,
) -> History:
    """Train a sequence model with cross-entropy; one optimizer step per batch.

    Parameters
    ----------
    model
        ``model(inputs (T, B), state) -> (logits (T, B, V), state)``, e.g. :class:`RNNLanguageModel`.
    batches
        A list of ``(inputs, targets)`` pairs, or a function ``epoch -> list`` (e.g. to reshuffle).
    epochs
        Passes over the batches.
    optimizer
        Default: ``torch.optim.Adam(model.parameters(), lr=lr)``.
    lr_decay
        If given, multiply every parameter group's learning rate by it after each epoch.
    clip
        If given, clip the gradients to this global norm before each step (:func:`clip_grad_norm`).
    tbptt_steps
        If given, truncated BPTT inside each batch: the state is detached every ``tbptt_steps``
        steps (:func:`truncated_forward`), so no gradient flows further back than that.
    carry_state
        Carry the (detached) final state of a batch into the next one and reset it each epoch.
    eval_fn
        Called with the model (in eval mode, without gradients) after every epoch; its dict is
        appended to :attr:`History.metrics`.
    progress
        Show a tqdm bar over epochs; ``None`` (default): only when stderr is a terminal, so it is
        silent in notebooks and under pytest.

    Returns
    -------
    History
    """
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    params = [p for p in model.parameters() if p.requires_grad]
    history = History()
    for epoch in _progress(range(epochs), progress, epochs):
        model.train()
        epoch_batches = batches(epoch) if callable(batches) else batches
        state: Tensor | None = None
        total, count = 0.0, 0
        for inputs, targets in epoch_batches:
            if not carry_state:
                state = None
            elif state is not None:
                state = state.detach()
            logits, state = truncated_forward(model, inputs, tbptt_steps, state)
            loss_sum, n = _loss_sum(logits, targets)
            loss = loss_sum / max(n, 1)
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                norm, clipped = clip_grad_norm(params, clip)
            else:
                norm, clipped = global_grad_norm(params), False
            optimizer.step()
            history.step_loss.append(float(loss.detach()))
            history.grad_norm.append(norm)
            history.clipped.append(clipped)
            total += float(loss_sum.detach())
            count += n
        history.epoch_loss.append(total / max(count, 1))
        if lr_decay is not None:
            for group in optimizer.param_groups:
                group["lr"] *= lr_decay
        if eval_fn is not None:
            model.eval()
            with torch.no_grad():
                history.metrics.append(dict(eval_fn(model)))
    model.eval()
    return history


@torch.no_grad()
def evaluate_nll(
    model: torch.nn.Module, batches: Iterable[tuple[Tensor, Tensor]], *, carry_state: bool = True
) -> float:
    """Mean negative log-likelihood per scored target token (nats), carrying the state across batches."""
    was_training = model.training
    model.eval()
    state: Tensor | None = None
    total, count = 0.0, 0
    for inputs, targets in batches:
        logits, new_state = model(inputs, state if carry_state else None)
        state = new_state
        loss_sum, n = _loss_sum(logits, targets)
        total += float(loss_sum)
        count += n
    model.train(was_training)
    return total / max(count, 1)


def perplexity(model: torch.nn.Module, batches: Iterable[tuple[Tensor, Tensor]], *, carry_state: bool = True) -> float:
    """``exp`` of :func:`evaluate_nll`: the perplexity of ``model`` on the scored targets."""
    return math.exp(evaluate_nll(model, batches, carry_state=carry_state))


@torch.no_grad()
def sample(
    model: torch.nn.Module,
    start: Sequence[int],
    n: int,
    *,
    temperature: float = 1.0,
    greedy: bool = False,
    generator: torch.Generator | None = None,
    stop: int | None = None,
) -> list[int]:
    """Generate ``n`` tokens after the prompt ``start`` (token ids, at least one).

    Each next token is drawn from ``softmax(logits / temperature)`` (or is the arg-max when
    ``greedy``), fed back as the next input. Generation stops early after the token ``stop``.

    Returns
    -------
    list of int
        The generated tokens (without the prompt).
    """
    if not start:
        raise ValueError("start must contain at least one token")
    if temperature <= 0 and not greedy:
        raise ValueError("temperature must be > 0 (use greedy=True for the arg-max)")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    inputs = torch.tensor(list(start), dtype=torch.long, device=device).unsqueeze(1)  # (T, 1)
    logits, state = model(inputs, None)
    out: list[int] = []
    for _ in range(n):
        last = logits[-1, 0].double().cpu()
        if greedy:
            token = int(last.argmax())
        else:
            probs = torch.softmax(last / temperature, dim=-1)
            token = int(torch.multinomial(probs, 1, generator=generator))
        out.append(token)
        if stop is not None and token == stop:
            break
        logits, state = model(torch.tensor([[token]], dtype=torch.long, device=device), state)
    model.train(was_training)
    return out


@torch.no_grad()
def next_token_probs(model: torch.nn.Module, prefix: Sequence[int]) -> Tensor:
    """The model's next-token distribution ``(V,)`` (float64) after reading ``prefix`` from a zero state."""
    if not prefix:
        raise ValueError("prefix must contain at least one token")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    logits, _ = model(torch.tensor(list(prefix), dtype=torch.long, device=device).unsqueeze(1), None)
    model.train(was_training)
    return torch.softmax(logits[-1, 0].double(), dim=-1).cpu()
