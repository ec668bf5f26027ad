"""The numeric kernels equal their straightforward forms, in values and gradients."""

import pytest
import torch
import torch.nn.functional as F

from asrkit.models.ops import masked_instance_norm, utterance_mvn


def per_utterance_instance_norm(x, lengths, weight, bias, eps=1e-5):
    """The reference: ``group_norm`` over each item's valid frames, zero padding after."""
    steps = x.shape[-1]
    return torch.cat([
        F.pad(F.group_norm(x[i : i + 1, :, :n], x.shape[1], weight, bias, eps), (0, steps - n))
        for i, n in enumerate(lengths.tolist())
    ])


@pytest.mark.parametrize("lengths", [[50, 31, 7], [50, 50, 50]], ids=["padded", "full"])
def test_masked_instance_norm_equals_a_group_norm_per_utterance_with_zero_padding(lengths):
    gen = torch.Generator().manual_seed(0)
    x = (torch.randn(3, 6, 50, generator=gen) * 3 + 2).requires_grad_()
    weight = torch.randn(6, generator=gen).requires_grad_()
    bias = torch.randn(6, generator=gen).requires_grad_()
    lengths = torch.tensor(lengths)
    upstream = torch.randn(3, 6, 50, generator=gen)  # nonzero on padding too

    got = masked_instance_norm(x, lengths, weight, bias)
    got_grads = torch.autograd.grad(got, [x, weight, bias], upstream)
    want = per_utterance_instance_norm(x, lengths, weight, bias)
    want_grads = torch.autograd.grad(want, [x, weight, bias], upstream)

    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    for name, a, b in zip(["x", "weight", "bias"], got_grads, want_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=name)
    for i, n in enumerate(lengths.tolist()):  # padding: 0 out, and no gradient in
        assert torch.all(got[i, :, n:] == 0) and torch.all(got_grads[0][i, :, n:] == 0)


def test_masked_instance_norm_passes_gradcheck_in_float64():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 9, generator=gen, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(3, generator=gen, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(3, generator=gen, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([9, 5])
    assert torch.autograd.gradcheck(lambda *t: masked_instance_norm(t[0], lengths, t[1], t[2]),
                                    (x, weight, bias))


def test_masked_instance_norm_runs_in_float32_under_bf16_autocast():
    x = torch.randn(2, 4, 20)
    weight, bias, lengths = torch.ones(4), torch.zeros(4), torch.tensor([20, 12])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = masked_instance_norm(x.bfloat16(), lengths, weight, bias)
    assert y.dtype == torch.float32
    want = per_utterance_instance_norm(x.bfloat16().float(), lengths, weight, bias)
    torch.testing.assert_close(y, want, rtol=1e-4, atol=1e-4)


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
