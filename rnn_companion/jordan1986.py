"""Jordan (1986): train a :class:`~rnn_companion.jordan.JordanRNN` to turn plans into sequences.

Shape conventions (stated once for this module): a task is a
:class:`~rnn_companion.datasets.JordanTask`; the network sees time-major tensors
``(T, P, features)``, one sequence per plan ``P``, the plan repeated at every step; outputs come
back as NumPy ``(T, P, O)`` arrays, float64.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import torch
from torch import Tensor

from ._typing import FloatArray, IntArray
from .datasets import JordanTask
from .jordan import JordanRNN

__all__ = ["JordanHistory", "jordan_generate", "jordan_correct", "train_jordan", "jordan_rollout"]


class JordanHistory(TypedDict):
    """What :func:`train_jordan` returns."""

    loss: FloatArray  #: ``(epochs,)`` training loss
    eval_epochs: IntArray  #: ``(E,)`` the epochs after which the network was run freely
    free_accuracy: FloatArray  #: ``(E,)`` fraction of steps generated correctly then


def _dtype(net: JordanRNN) -> torch.dtype:
    return net.weight_ih.dtype


def _task_tensors(task: JordanTask, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """Plan inputs ``(T, P, n_plan)`` (the plan repeated at every step) and targets ``(T, P, O)``."""
    T = task.targets.shape[0]
    x = torch.tensor(task.plans, dtype=dtype).expand(T, -1, -1).contiguous()
    return x, torch.tensor(task.targets, dtype=dtype)


def jordan_generate(net: JordanRNN, task: JordanTask) -> FloatArray:
    """Free-running outputs ``(T, P, O)`` of a Jordan network for every plan (no teacher)."""
    x, _ = _task_tensors(task, _dtype(net))
    with torch.no_grad():
        y, _, _ = net(x)
    out: FloatArray = y.numpy().astype(np.float64)
    return out


def jordan_correct(outputs: FloatArray, task: JordanTask) -> np.ndarray[tuple[int, ...], np.dtype[np.bool_]]:
    """``(T, P)`` bool: every output unit on the right side of 0.5 at that step."""
    ok: np.ndarray[tuple[int, ...], np.dtype[np.bool_]] = ((outputs > 0.5) == (task.targets > 0.5)).all(-1)
    return ok


def train_jordan(
    net: JordanRNN,
    task: JordanTask,
    *,
    epochs: int,
    lr: float = 0.03,
    teacher_forcing: bool = True,
    eval_every: int = 10,
) -> JordanHistory:
    """Train a Jordan network on a plan -> sequence task (full batch, Adam).

    With ``teacher_forcing=True`` the state units are fed the *target* actions
    (``net(x, targets=...)``), so each step is a separate supervised pattern and no gradient
    flows through the state; otherwise the network is trained free-running, on its own fed-back
    outputs, and the gradient flows back through them (backpropagation through time). The loss
    is the mean squared error over steps, plans and output units.

    Returns
    -------
    JordanHistory
        The loss of every epoch and, every ``eval_every`` epochs, the fraction of steps
        generated correctly when the network runs on its own outputs (:func:`jordan_correct`).
    """
    x, Y = _task_tensors(task, _dtype(net))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    losses = np.empty(epochs)
    eval_epochs: list[int] = []
    accs: list[float] = []
    for ep in range(epochs):
        y, _, _ = net(x, targets=Y) if teacher_forcing else net(x)
        loss = ((y - Y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[ep] = loss.item()
        if (ep + 1) % eval_every == 0 or ep == epochs - 1:
            eval_epochs.append(ep + 1)
            accs.append(float(jordan_correct(jordan_generate(net, task), task).mean()))
    return JordanHistory(loss=losses, eval_epochs=np.array(eval_epochs), free_accuracy=np.array(accs))


def jordan_rollout(
    net: JordanRNN,
    plan: FloatArray,
    steps: int,
    *,
    perturb_at: int | None = None,
    perturbation: FloatArray | None = None,
    s0: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Run a Jordan network freely for ``steps`` steps under one plan, optionally kicking its state.

    Parameters
    ----------
    net
        A trained network.
    plan
        ``(n_plan,)`` plan vector, held constant.
    steps
        Number of steps.
    perturb_at, perturbation
        Step at whose start the state is *replaced* by ``perturbation`` ``(O,)``.
    s0
        Initial state ``(O,)``, zeros by default.

    Returns
    -------
    tuple of numpy.ndarray
        ``(outputs, states)``, ``(steps, O)`` each: the outputs, and the state each step saw.
    """
    if perturb_at is not None and perturbation is None:
        raise ValueError(f"perturb_at={perturb_at} needs a perturbation of shape ({net.output_size},), got None")
    dtype = _dtype(net)
    s = torch.zeros(net.output_size, dtype=dtype) if s0 is None else torch.tensor(s0, dtype=dtype)
    xp = torch.tensor(np.asarray(plan), dtype=dtype)[None]
    outs, states = [], []
    with torch.no_grad():
        for t in range(steps):
            if perturb_at is not None and t == perturb_at:
                s = torch.tensor(np.asarray(perturbation), dtype=dtype)
            states.append(s.numpy().copy())
            y, _, s = net(xp, s0=s)
            outs.append(y[0].numpy().copy())
    return np.array(outs, dtype=np.float64), np.array(states, dtype=np.float64)
