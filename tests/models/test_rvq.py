"""Residual VQ (METHODS.md §3): codes what earlier levels missed, gradients reach the encoder."""

import pytest
import torch

from asrkit.models.rvq import ResidualVQ, RVQConfig


def _fit(levels: int, x: torch.Tensor, ema: bool = True, steps: int = 15) -> ResidualVQ:
    torch.manual_seed(0)
    rvq = ResidualVQ(x.shape[-1], RVQConfig(num_levels=levels, codebook_size=32, ema=ema))
    rvq.train()
    opt = torch.optim.SGD(rvq.parameters(), lr=0.5) if not ema else None
    for _ in range(steps):
        out = rvq(x)
        if opt:
            opt.zero_grad()
            out.codebook_loss.backward()
            opt.step()
    return rvq.eval()


@pytest.mark.parametrize("ema", [True, False])
def test_reconstruction_error_decreases_with_levels(ema):
    torch.manual_seed(1)
    x = torch.randn(4, 40, 16)
    errors = []
    for levels in (1, 2, 4, 8):
        out = _fit(levels, x, ema=ema)(x)
        errors.append(float((out.quantized.detach() - x).pow(2).mean()))
    assert all(a > b for a, b in zip(errors, errors[1:])), errors


def test_straight_through_gradient_reaches_encoder_unchanged():
    x = torch.randn(2, 10, 8, requires_grad=True)
    rvq = _fit(2, x.detach())
    rvq.train()
    out = rvq(x)
    weight = torch.randn_like(x)
    (out.quantized * weight).sum().backward()
    assert torch.allclose(x.grad, weight)


def test_commitment_loss_pulls_encoder_towards_codes():
    x = torch.randn(2, 10, 8, requires_grad=True)
    rvq = _fit(1, x.detach())
    out = rvq(x)
    out.commitment_loss.backward()
    q = out.quantized.detach()
    # d/dx ||x - sg(q)||² points from the code to x: a step against it moves x closer.
    assert float((x.grad * (x.detach() - q)).sum()) > 0


def test_padding_is_neither_coded_nor_changed():
    x = torch.randn(2, 12, 8)
    valid = torch.ones(2, 12, dtype=torch.bool)
    valid[1, 7:] = False
    rvq = _fit(2, x)
    out = rvq(x, valid)
    assert torch.all(out.quantized[1, 7:] == 0)
    assert torch.all(out.codes[1, 7:] == -1)
    assert torch.all(out.codes[valid] >= 0)


def test_dead_codes_are_replaced_by_batch_vectors():
    torch.manual_seed(0)
    rvq = ResidualVQ(4, RVQConfig(num_levels=1, codebook_size=8, dead_code_threshold=0.5)).train()
    x = torch.randn(1, 64, 4)
    rvq(x)
    vq = rvq.levels[0]
    vq.cluster_size[:4] = 0.0  # pretend half the codes went unused
    vq.embed[:4] = 1e3
    rvq(x)
    assert float(vq.embed[:4].abs().max()) < 100  # far-away dead codes were re-seeded from data
    perplexity = rvq(x).perplexity[0]
    assert perplexity > 2.0
