"""What the benchmark measures: named sizes, the one-step regime, targets and arithmetic per call.

Shape convention (stated once for this module): a size is ``(T, batch, input, hidden)``; every
contender runs a time-major float32 input ``(T, batch, input)``.
"""

from __future__ import annotations

__all__ = [
    "Dims",
    "SIZES",
    "STEP_SIZES",
    "QUICK_SIZE",
    "SWEEP_SIZES",
    "TARGETS",
    "PASSES",
    "Case",
    "parse_size",
    "target_for",
    "case_flops",
]

#: A size ``(T, batch, input, hidden)``.
Dims = tuple[int, int, int, int]

#: The named sizes ``(T, batch, input, hidden)`` of the default run.
SIZES: dict[str, Dims] = {
    "A": (100, 32, 64, 128),
    "B": (1000, 1, 8, 32),
    "C": (50, 256, 256, 512),
}
#: The one-step regime of sampling loops, run by ``--step`` forward only with 1 and 2 layers. ``S1``
#: is one step of one sequence, ``S5`` a few steps of a tiny network; the fixed cost of a call
#: dominates both.
STEP_SIZES: dict[str, Dims] = {
    "S1": (1, 1, 128, 128),
    "S5": (5, 2, 4, 4),
}
#: The size of ``--quick``.
QUICK_SIZE: Dims = (5, 2, 3, 4)
#: The sizes of ``--sweep`` (one layer, forward only): ``T = 50``, batch 1, 16 and 256, ``input = hidden``.
SWEEP_SIZES: list[Dims] = [
    (50, n, h, h) for n in (1, 16, 256) for h in ((16, 64, 256, 512) if n == 256 else (16, 64, 256, 1024))
]

PASSES = ("fwd", "fwd_bwd")

#: Target ratios (time / time of ``torch.nn.RNN``) on the CPU, by contender, pass and size name;
#: the key ``None`` applies to any size without its own entry.
TARGETS: dict[str, dict[str, dict[str | None, float]]] = {
    "elman": {
        "fwd": {"A": 1.0, "B": 1.0, "C": 1.0, "S1": 1.0, "S5": 1.0, None: 1.0},
        "fwd_bwd": {"A": 0.75, "B": 0.3, "C": 1.05},
    },
    "numpy": {
        "fwd": {"A": 1.0, "B": 1.0, "C": 1.0, None: 1.0},
        "fwd_bwd": {"A": 1.0, "B": 1.0, "C": 1.0, None: 1.0},
    },
}


class Case:
    """One benchmark case: a size, a number of layers, a device and a pass."""

    def __init__(self, size: str, dims: tuple[int, int, int, int], layers: int, device: str, pass_: str) -> None:
        self.size, self.dims, self.layers, self.device, self.pass_ = size, dims, layers, device, pass_

    def __repr__(self) -> str:
        T, B, I, H = self.dims
        return f"{self.size} (T={T}, batch={B}, input={I}, hidden={H}) L={self.layers} {self.device} {self.pass_}"


def parse_size(text: str) -> tuple[str, Dims]:
    """Parse a size name (``A``, ``B``, ``C``, ``S1``, ``S5``) or ``"T,batch,input,hidden"``.

    A tuple equal to a named size gets that name; any other is named ``"T,batch,input,hidden"``.

    Raises
    ------
    ValueError
        If the text is neither a size name nor four positive integers.
    """
    named = {**SIZES, **STEP_SIZES}
    key = text.strip().upper()
    if key in named:
        return key, named[key]
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise ValueError(
            f"a size is one of {', '.join(named)} or four positive integers T,batch,input,hidden; got {text!r}"
        )
    dims: Dims = (int(parts[0]), int(parts[1]), int(parts[2]), int(parts[3]))
    if min(dims) < 1:
        raise ValueError(f"every entry of a size must be at least 1; got {text!r}")
    for name, value in named.items():
        if value == dims:
            return name, dims
    return ",".join(parts), dims


def target_for(contender: str, pass_: str, size: str, device: str) -> float | None:
    """The target ratio of ``contender`` for a case, or ``None`` if the project sets none.

    Targets exist on the CPU only, for ``elman`` and ``numpy`` (see :data:`TARGETS`).
    """
    if device != "cpu":
        return None
    by_size = TARGETS.get(contender, {}).get(pass_, {})
    return by_size.get(size, by_size.get(None))


def case_flops(dims: Dims, layers: int, pass_: str) -> int:
    """Floating-point operations of one call (a multiply-add counts 2).

    Forward: ``2*T*batch*hidden*(input_l + hidden)`` per layer, ``input_l`` being ``input`` for the
    first layer and ``hidden`` above it; ``fwd_bwd`` counts three times the forward (the backward
    does two GEMMs for every GEMM of the forward; elementwise work is not counted).
    """
    T, B, I, H = dims
    fwd = sum(2 * T * B * H * ((I if k == 0 else H) + H) for k in range(layers))
    return fwd if pass_ == "fwd" else 3 * fwd
