"""ElmanRNN on CUDA against a float64 CPU oracle (torch.nn.RNN); skipped without a CUDA device."""

from __future__ import annotations

import itertools

import pytest
import torch
from test_elman import CONFIGS, INPUT_KINDS, TOL, assert_near, make_input_and_h0, make_pair, run_and_grad
from torch.nn.utils.rnn import PackedSequence

from rnn_companion import ElmanRNN

has_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


# ----------------------------------------------------------------------------- CUDA (run on a GPU machine)

@has_cuda
@pytest.mark.parametrize("layers,nonlinearity,bias,batch_first,bidirectional", CONFIGS[::3])
def test_cuda_matches_cpu_float64_oracle(layers, nonlinearity, bias, batch_first, bidirectional):
    ref, ours = make_pair(3, 4, layers, nonlinearity, bias, batch_first, 0.0, bidirectional, seed=layers)
    ref = ref.double()
    cases = itertools.product(INPUT_KINDS, (False, True), (torch.float32, torch.float64))
    for i, (kind, with_hx, dtype) in enumerate(cases):
        ours_dev = ElmanRNN(3, 4, layers, nonlinearity, bias, batch_first, 0.0, bidirectional, device="cuda",
                            dtype=dtype)
        ours_dev.load_state_dict(ref.state_dict())
        compare_cuda(ref, ours_dev, kind, layers, bidirectional, batch_first, dtype, with_hx, seed=i)


def compare_cuda(ref, ours, kind, layers, bidirectional, batch_first, dtype, with_hx, seed):
    """ours on CUDA in dtype against ref on CPU in float64 (inputs rounded to dtype first)."""
    x, inp, h0 = make_input_and_h0(ref, kind, layers, bidirectional, batch_first, dtype, with_hx, seed)

    def prepare(device, dt):
        x2 = x.detach().to(device, dt).requires_grad_(True)
        if isinstance(inp, PackedSequence):
            inp2 = PackedSequence(inp.data.detach().to(device, dt).requires_grad_(True), inp.batch_sizes,
                                  None if inp.sorted_indices is None else inp.sorted_indices.to(device),
                                  None if inp.unsorted_indices is None else inp.unsorted_indices.to(device))
            x2 = inp2.data
        else:
            inp2 = x2
        h02 = None if h0 is None else h0.detach().to(device, dt).requires_grad_(True)
        return x2, inp2, h02

    expected = run_and_grad(ref, *prepare("cpu", torch.float64), seed)
    got = run_and_grad(ours, *prepare("cuda", dtype), seed)
    tol = TOL[dtype]
    for e, g in zip(expected, got, strict=False):
        assert g.device.type == "cuda" and g.dtype == dtype
        assert_near(g.cpu().double(), e, tol)


@has_cuda
def test_cuda_config_a_sizes_and_dropout_eval():
    ref, _ = make_pair(64, 128, 2, dropout=0.3, dtype=torch.float64, seed=4)
    ours = ElmanRNN(64, 128, 2, dropout=0.3, device="cuda")
    ours.load_state_dict(ref.state_dict())
    ref.eval()
    ours.eval()
    x = torch.randn(100, 32, 64, dtype=torch.float64)
    g = torch.randn(100, 32, 128, dtype=torch.float64)
    out_ref = ref(x)[0]
    out_ref.backward(g)
    out = ours(x.float().cuda())[0]
    out.backward(g.float().cuda())
    assert_near(out.cpu().double(), out_ref, 1e-5)
    for p, q in zip(ref.parameters(), ours.parameters(), strict=False):
        assert_near(q.grad, p.grad, 1e-5)
