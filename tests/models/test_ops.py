"""The numeric kernels equal their straightforward forms, in values and gradients."""

import torch

from asrkit.models.ops import utterance_mvn


def test_utterance_mvn_gives_zero_mean_unit_variance_over_valid_frames_only():
    torch.manual_seed(0)
    x = torch.randn(2, 50, 80) * 4 + 13
    lengths = torch.tensor([50, 30])
    y = utterance_mvn(x, lengths)
    assert torch.allclose(y[1, :30].mean(0), torch.zeros(80), atol=1e-4)
    assert torch.allclose(y[1, :30].std(0, unbiased=False), torch.ones(80), atol=1e-3)
    assert torch.all(y[1, 30:] == 0)
    alone = utterance_mvn(x[1:, :30], lengths[1:])
    assert torch.allclose(alone[0], y[1, :30], atol=1e-5)  # padding does not change the result
