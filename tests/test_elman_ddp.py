"""ElmanRNN under DistributedDataParallel: two CPU processes (gloo) train ElmanRNN and torch.nn.RNN
side by side from the same initial weights on the same data and end with the same parameters."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from rnn_companion import ElmanRNN

WORLD, STEPS, TOL = 2, 6, 1e-10  # float64: the two models may differ only by rounding


class Tagger(nn.Module):
    """An RNN (torch's or ours) and a linear read-out of every step."""

    def __init__(self, rnn_class: type[nn.RNN]) -> None:
        super().__init__()
        self.rnn = rnn_class(3, 8, num_layers=2, bidirectional=True, dtype=torch.float64)
        self.head = nn.Linear(16, 2, dtype=torch.float64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(x)[0])


def _train(rank: int, port: int, out_dir: str) -> None:
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    try:
        trained = {}
        for rnn_class in (nn.RNN, ElmanRNN):
            torch.manual_seed(0)  # the same initial weights for both models (DDP also broadcasts rank 0's)
            model = DistributedDataParallel(Tagger(rnn_class))
            optimiser = torch.optim.SGD(model.parameters(), lr=0.2)
            data = torch.Generator().manual_seed(100 + rank)  # each rank its own shard, the same for both models
            for _ in range(STEPS):
                x = torch.randn(7, 4, 3, generator=data, dtype=torch.float64)
                y = torch.randn(7, 4, 2, generator=data, dtype=torch.float64)
                optimiser.zero_grad()
                (model(x) - y).pow(2).mean().backward()
                optimiser.step()
            trained[rnn_class.__name__] = {k: v.detach().clone() for k, v in model.module.state_dict().items()}
        torch.save(trained, Path(out_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_ddp_training_matches_torch_rnn(tmp_path):
    mp.spawn(_train, args=(_free_port(), str(tmp_path)), nprocs=WORLD, join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(WORLD)]
    torch.manual_seed(0)
    initial = Tagger(nn.RNN).state_dict()
    for trained in ranks:
        ref, ours = trained["RNN"], trained["ElmanRNN"]
        assert list(ours) == list(ref)
        for name in ref:
            err = (ours[name] - ref[name]).abs().max().item()
            assert err <= TOL, (name, err)
        moved = max((ref[k] - initial[k]).abs().max().item() for k in ref)  # training did change the weights
        assert moved > 1e-3
    for name, value in ranks[0]["ElmanRNN"].items():  # DDP keeps the ranks in step
        assert torch.equal(ranks[1]["ElmanRNN"][name], value), name
