"""BL-JUST's model: one backward of L_CTC + L_SSL sends each gradient where the method says."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import torch
import torch.nn.functional as F

from asrkit.models import load, save
from asrkit.models.bljust import KIND, BLJustModel
from asrkit.models.ctc import CTCConfig
from asrkit.models.rvq import RVQConfig


def build(micro_config, rvq: int = 0) -> BLJustModel:
    torch.manual_seed(0)
    quiet = dict(dropout=0.0, attention_dropout=0.0, dropout_input=0.0, dropout_features=0.0)
    ctc_encoder = micro_config(mask_time_prob=0.3, mask_time_length=2, mask_channel_prob=0.2,
                               mask_channel_length=4, **quiet)
    ssl = micro_config(mask_time_prob=0.5, mask_time_length=2, **quiet)
    cfg = CTCConfig(vocab_size=6, wav2vec2=ctc_encoder,
                    rvq=RVQConfig(num_levels=rvq, codebook_size=8) if rvq else RVQConfig(num_levels=0))
    return BLJustModel(cfg, ssl)


def batches():
    g = torch.Generator().manual_seed(1)
    unlabeled = (torch.randn(2, 4000, generator=g), torch.tensor([4000, 3600]))
    labeled = (torch.randn(2, 3200, generator=g), torch.tensor([3200, 3000]))
    targets = torch.tensor([[1, 2, 3], [4, 5, 0]])
    return unlabeled, labeled, targets, torch.tensor([3, 2])


def ctc_loss(out, targets, target_lengths):
    return F.ctc_loss(out.log_probs.transpose(0, 1), targets, out.lengths, target_lengths,
                      reduction="sum", zero_infinity=True)


def grads(model, loss):  # by name: the copies' tensors differ
    named = dict(model.named_parameters())
    got = torch.autograd.grad(loss, list(named.values()), allow_unused=True, retain_graph=True)
    return {n: (torch.zeros_like(p) if g is None else g) for (n, p), g in zip(named.items(), got)}


def reference(model):
    """Each loss's own gradient, from the same forward draws as the joint pass (on a copy:
    an RVQ's codebooks move in its forward)."""
    model = copy.deepcopy(model)
    unlabeled, labeled, targets, target_lengths = batches()
    torch.manual_seed(5)
    ssl = model.ssl_loss(*unlabeled)
    ctc = ctc_loss(model.ctc_forward(*labeled, mask=True), targets, target_lengths)
    return grads(model, ssl.loss), grads(model, ctc)


def joint(model, gamma):
    model = copy.deepcopy(model)
    unlabeled, labeled, targets, target_lengths = batches()
    torch.manual_seed(5)
    ssl, out = model(unlabeled, labeled, gamma=gamma)
    return grads(model, ctc_loss(out, targets, target_lengths) + ssl.loss)


@pytest.mark.parametrize("rvq", [0, 2])
def test_theta_gets_ctc_plus_gamma_ssl_psi_only_ssl_phi_only_ctc(micro_config, rvq):
    model = build(micro_config, rvq)
    parts = model.parts()
    assert set(parts["theta"]) | set(parts["psi"]) | set(parts["phi"]) == set(dict(model.named_parameters()))
    assert "ctc.encoder.mask_emb" in parts["psi"] and any("quantizer" in n for n in parts["psi"])
    assert any(n.startswith("ctc.head") for n in parts["phi"])
    ssl, ctc = reference(model)
    gamma = 0.37
    got = joint(model, gamma)
    for name in parts["psi"]:
        assert torch.count_nonzero(ctc[name]) == 0, f"ψ {name} got a CTC gradient"
        torch.testing.assert_close(got[name], ssl[name], rtol=1e-5, atol=1e-7, msg=name)
    for name in parts["phi"]:
        assert torch.count_nonzero(ssl[name]) == 0, f"φ {name} got an SSL gradient"
        torch.testing.assert_close(got[name], ctc[name], rtol=1e-5, atol=1e-7, msg=name)
    assert any(torch.count_nonzero(ssl[n]) for n in parts["theta"])
    for name in parts["theta"]:
        torch.testing.assert_close(got[name], ctc[name] + gamma * ssl[name], rtol=1e-5, atol=1e-7, msg=name)
    assert torch.count_nonzero(got["ctc.encoder.mask_emb"]) > 0


def test_gamma_zero_leaves_theta_the_ctc_gradient_and_psi_the_ssl_gradient(micro_config):
    model = build(micro_config)
    ssl, ctc = reference(model)
    got = joint(model, 0.0)
    parts = model.parts()
    for name in parts["theta"] + parts["phi"]:
        assert torch.equal(got[name], ctc[name]), name
    for name in parts["psi"]:
        torch.testing.assert_close(got[name], ssl[name], rtol=1e-5, atol=1e-7, msg=name)


def test_the_encoder_is_one_tensor_and_a_checkpoint_rebuilds_the_model(micro_config, tmp_path):
    model = build(micro_config)
    assert model.ssl.wav2vec2 is model.ctc.encoder
    names = [n for n, _ in model.named_parameters()]
    assert len(names) == len(set(id(p) for p in model.parameters()))
    path = save(tmp_path / "m.pt", model, KIND)
    again, ckpt = load(path)
    assert ckpt["kind"] == KIND
    for name, value in model.state_dict().items():
        assert torch.equal(value, again.state_dict()[name]), name
    assert dataclasses.asdict(again.ctc.cfg) == dataclasses.asdict(model.ctc.cfg)
    assert again.ssl.cfg.mask_time_prob == 0.5 and again.ctc.encoder.cfg.mask_time_prob == 0.3
