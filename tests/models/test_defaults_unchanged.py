"""The codebook options (codevector_init, icsl_form, the RVQ dead-code rules) keep their former
behaviour at their defaults: the numbers below were measured with the code before the
options existed (commit c752066), so existing configs train to the same weights. A differing
random draw or loss term moves them by far more than the tolerance, which only allows for
floating-point differences between machines."""

from __future__ import annotations

import pytest
import torch

from asrkit.models import wav2vec2
from asrkit.models.objectives import PreTrainingLossConfig
from asrkit.models.rvq import ResidualVQ, RVQConfig

CONFIG = dict(conv_layers=[(32, 10, 5), (32, 3, 2), (32, 3, 2)], encoder_dim=32, encoder_layers=2,
              encoder_heads=4, encoder_ffn_dim=64, pos_conv_kernel=16, pos_conv_groups=4,
              num_codevector_groups=4, num_codevectors_per_group=8, codevector_dim=16, final_dim=12,
              layerdrop=0.0, mask_time_prob=0.3, mask_time_length=2)


@pytest.mark.parametrize("icsl_weight, losses, codevectors", [
    (0.0, [1161.3988037109375, 1127.723388671875, 952.0087890625], 99.69478122331202),
    (0.1, [1161.127685546875, 1127.45751953125, 951.7471923828125], 99.69484628294595),
])
def test_pretraining_with_default_settings_trains_as_before(icsl_weight, losses, codevectors):
    torch.manual_seed(0)
    model = wav2vec2.Wav2Vec2ForPreTraining(
        wav2vec2.Wav2Vec2Config(**CONFIG), PreTrainingLossConfig(icsl_weight=icsl_weight, num_negatives=5)
    ).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    wave = torch.randn(2, 8000)
    seen = []
    for _ in range(3):
        out = model(wave, torch.tensor([8000, 7000]))
        optimizer.zero_grad()
        out.loss.backward()
        optimizer.step()
        seen.append(out.loss.item())
    assert seen == pytest.approx(losses, rel=1e-4)
    assert model.quantizer.codevectors.detach().double().abs().sum().item() == pytest.approx(codevectors, rel=1e-5)


@pytest.mark.parametrize("threshold, total", [(1e-3, 290.043715743348), (0.8, 298.2508880519308)])
def test_rvq_with_the_former_dead_code_rule_trains_as_before(threshold, total):
    # 1e-3 was the former default (never fires in 30 updates); 0.8 makes it fire
    torch.manual_seed(0)
    rvq = ResidualVQ(8, RVQConfig(num_levels=3, codebook_size=16, dead_code_window=0,
                                  dead_code_threshold=threshold)).train()
    for step in range(30):
        rvq(torch.randn(3, 20, 8) * (1 + step % 3))
    assert sum(vq.embed.double().abs().sum().item() for vq in rvq.levels) == pytest.approx(total, rel=1e-5)
