"""Gumbel product quantizer."""

from __future__ import annotations

import torch

from asrkit.models.objectives import icsl
from asrkit.models.quantizer import GumbelVectorQuantizer, gumbel_temperature


def test_straight_through_gradients_reach_the_input_and_codebooks():
    torch.manual_seed(0)
    quantizer = GumbelVectorQuantizer(16, num_groups=2, num_vars=8, codevector_dim=12).train()
    features = torch.randn(30, 16, requires_grad=True)
    out = quantizer(features)
    (out.vectors * torch.randn_like(out.vectors)).sum().backward()
    assert features.grad is not None and features.grad.abs().sum() > 0
    assert quantizer.weight_proj.weight.grad.abs().sum() > 0
    assert quantizer.codevectors.grad.abs().sum() > 0


def test_forward_picks_one_codevector_per_group():
    torch.manual_seed(1)
    quantizer = GumbelVectorQuantizer(16, num_groups=3, num_vars=5, codevector_dim=12)
    for mode in (quantizer.train, quantizer.eval):
        mode()
        out = quantizer(torch.randn(7, 16))
        picked = torch.stack([quantizer.codevectors[g, out.codes[:, g]] for g in range(3)], 1)
        torch.testing.assert_close(out.vectors.detach(), picked.reshape(7, 12).detach())


def test_eval_takes_the_argmax_deterministically():
    torch.manual_seed(2)
    quantizer = GumbelVectorQuantizer(16, num_groups=2, num_vars=8, codevector_dim=8).eval()
    x = torch.randn(20, 16)
    a, b = quantizer(x), quantizer(x)
    assert torch.equal(a.codes, b.codes)
    assert torch.equal(a.codes, quantizer.weight_proj(x).view(20, 2, 8).argmax(-1))


def test_temperature_follows_the_fairseq_schedule():
    quantizer = GumbelVectorQuantizer(4, 2, 4, 4, temperature=(2.0, 0.5, 0.999995))
    assert quantizer.temperature == 2.0
    quantizer.set_num_updates(100_000)
    assert abs(quantizer.temperature - 2.0 * 0.999995**100_000) < 1e-9
    quantizer.set_num_updates(10_000_000)
    assert quantizer.temperature == 0.5
    assert gumbel_temperature(0, (1.0, 0.1, 0.5)) == 1.0


def test_codevectors_start_near_orthogonal_across_groups():
    torch.manual_seed(3)
    quantizer = GumbelVectorQuantizer(8, num_groups=4, num_vars=320, codevector_dim=256)
    assert abs(icsl(quantizer.codevectors).item()) < 0.05


def test_perplexities_stay_within_their_bounds():
    torch.manual_seed(4)
    quantizer = GumbelVectorQuantizer(16, num_groups=2, num_vars=8, codevector_dim=8)
    out = quantizer(torch.randn(200, 16))
    assert 1.0 <= out.code_perplexity.item() <= 16.0 + 1e-4
    assert 1.0 <= out.prob_perplexity.item() <= 16.0 + 1e-4
