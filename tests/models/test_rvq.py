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


def _clusters(dtype: torch.dtype, batches: int = 3) -> list[torch.Tensor]:
    """Frames near 16 far-apart centres, large enough that float16 sums over a batch overflow
    (1000 frames per code × |x| ~ 100 > 65504), given in ``dtype`` as an encoder under
    autocast would give them."""
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(16, 8, generator=g) * 100
    return [(centres[torch.randint(0, 16, (8, 2000), generator=g)]
             + 0.5 * torch.randn(8, 2000, 8, generator=g)).to(dtype) for _ in range(batches)]


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_codes_under_autocast_are_the_float32_codes_and_the_codebook_stays_finite(dtype):
    torch.manual_seed(1)
    rvq = ResidualVQ(8, RVQConfig(num_levels=2, codebook_size=16)).train()
    reference = ResidualVQ(8, RVQConfig(num_levels=2, codebook_size=16)).train()
    reference.load_state_dict(rvq.state_dict())
    for x in _clusters(dtype):
        torch.manual_seed(2)  # the same codebook initialization and dead-code draws
        with torch.autocast("cpu", dtype=dtype):
            out = rvq(x)
        torch.manual_seed(2)
        expected = reference(x.float())
        assert torch.equal(out.codes, expected.codes)
    for vq in rvq.levels:
        assert torch.isfinite(vq.embed).all() and torch.isfinite(vq.embed_sum).all()
    assert out.quantized.dtype == dtype
    assert out.commitment_loss.dtype == torch.float32 and torch.isfinite(out.commitment_loss)


@pytest.mark.parametrize("ema", [True, False])
def test_a_training_step_makes_no_host_device_sync(ema, count_syncs):
    x = torch.randn(3, 20, 8, requires_grad=True)
    valid = torch.arange(20)[None] < torch.tensor([[20], [13], [0]])
    rvq = ResidualVQ(8, RVQConfig(num_levels=3, codebook_size=8, ema=ema)).train()
    for _ in range(2):  # the first steps read once whether the codebooks are initialized
        rvq(x, valid)
    with count_syncs() as syncs:
        out = rvq(x, valid)
        (out.quantized.sum() + out.commitment_loss + out.codebook_loss).backward()
    assert syncs.count == 0, syncs.calls
    assert all(p.dim() == 0 for p in out.perplexity + out.residual_norm)  # logged as tensors


def test_a_loaded_uninitialized_codebook_starts_again_from_data():
    x = torch.randn(2, 30, 4) + 50.0
    rvq = ResidualVQ(4, RVQConfig(num_levels=1, codebook_size=4)).train()
    rvq(torch.randn(2, 30, 4))
    rvq.load_state_dict(ResidualVQ(4, RVQConfig(num_levels=1, codebook_size=4)).state_dict())
    rvq(x)  # the fresh state says "not initialized": this batch seeds the codebook
    assert float(rvq.levels[0].embed.mean()) > 40
