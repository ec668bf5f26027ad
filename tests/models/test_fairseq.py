"""fairseq checkpoints import by name, without fairseq installed."""

from __future__ import annotations

import argparse
import sys
import types

import pytest
import torch

from asrkit.models import CheckpointError, fairseq
from asrkit.models.wav2vec2 import Wav2Vec2ForPreTraining


def _fairseq_state(model: Wav2Vec2ForPreTraining) -> dict[str, torch.Tensor]:
    """The model's weights under fairseq's parameter names, written out one by one."""
    w, sd = model.wav2vec2, {}
    for i, block in enumerate(w.feature_encoder.conv_layers):
        sd[f"feature_extractor.conv_layers.{i}.0.weight"] = block.conv.weight
        if i == 0:  # extractor_mode "default": GroupNorm at index 2 of the first block
            sd["feature_extractor.conv_layers.0.2.weight"] = block.group_norm.weight
            sd["feature_extractor.conv_layers.0.2.bias"] = block.group_norm.bias
    sd["layer_norm.weight"] = w.feature_projection.layer_norm.weight
    sd["layer_norm.bias"] = w.feature_projection.layer_norm.bias
    sd["post_extract_proj.weight"] = w.feature_projection.projection.weight
    sd["post_extract_proj.bias"] = w.feature_projection.projection.bias
    sd["mask_emb"] = w.mask_emb
    pos = w.encoder.pos_conv.conv
    sd["encoder.pos_conv.0.bias"] = pos.bias
    sd["encoder.pos_conv.0.weight_g"] = pos.parametrizations.weight.original0
    sd["encoder.pos_conv.0.weight_v"] = pos.parametrizations.weight.original1
    sd["encoder.layer_norm.weight"] = w.encoder.layer_norm.weight
    sd["encoder.layer_norm.bias"] = w.encoder.layer_norm.bias
    for i, layer in enumerate(w.encoder.layers):
        p = f"encoder.layers.{i}."
        qw, kw, vw = layer.attention.in_proj.weight.chunk(3)
        qb, kb, vb = layer.attention.in_proj.bias.chunk(3)
        for name, weight, bias in (("q", qw, qb), ("k", kw, kb), ("v", vw, vb)):
            sd[p + f"self_attn.{name}_proj.weight"], sd[p + f"self_attn.{name}_proj.bias"] = weight, bias
        sd[p + "self_attn.out_proj.weight"] = layer.attention.out_proj.weight
        sd[p + "self_attn.out_proj.bias"] = layer.attention.out_proj.bias
        for name in ("self_attn_layer_norm", "fc1", "fc2", "final_layer_norm"):
            sd[p + name + ".weight"] = getattr(layer, name).weight
            sd[p + name + ".bias"] = getattr(layer, name).bias
    sd["quantizer.vars"] = model.quantizer.codevectors.reshape(1, -1, model.quantizer.codevectors.shape[-1])
    sd["quantizer.weight_proj.weight"] = model.quantizer.weight_proj.weight
    sd["quantizer.weight_proj.bias"] = model.quantizer.weight_proj.bias
    for name in ("project_q", "final_proj"):
        sd[name + ".weight"] = getattr(model, name).weight
        sd[name + ".bias"] = getattr(model, name).bias
    return {k: v.detach().clone() for k, v in sd.items()}


FAIRSEQ_MODEL_CFG = {
    "_name": "wav2vec2",
    "extractor_mode": "default",
    "conv_feature_layers": "[(32, 10, 5)] + [(32, 3, 2)] * 2",
    "encoder_layers": 2,
    "encoder_embed_dim": 32,
    "encoder_ffn_embed_dim": 64,
    "encoder_attention_heads": 4,
    "conv_pos": 16,
    "conv_pos_groups": 4,
    "latent_vars": 8,
    "latent_groups": 2,
    "latent_dim": 16,
    "final_dim": 12,
    "quantize_targets": True,
    "feature_grad_mult": 0.1,
}


@pytest.fixture
def source(micro_config):
    torch.manual_seed(0)
    model = Wav2Vec2ForPreTraining(micro_config())
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model.eval()


def test_pretrained_checkpoint_imports_by_fairseq_names(tmp_path, source, waves):
    path = tmp_path / "w2v.pt"
    cfg = {"model": FAIRSEQ_MODEL_CFG, "task": {"_name": "audio_pretraining", "normalize": False}}
    torch.save({"cfg": cfg, "model": _fairseq_state(source)}, path)
    imported = fairseq.load_fairseq(path)
    assert imported.kind == "wav2vec2_pretrain"
    assert imported.config.conv_layers == [(32, 10, 5), (32, 3, 2), (32, 3, 2)]
    model = imported.model.eval()
    with torch.no_grad():
        expected = source.final_proj(source.wav2vec2(waves).hidden)
        got = model.final_proj(model.wav2vec2(waves).hidden)
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(model.quantizer.codevectors, source.quantizer.codevectors)


def test_finetuned_argparse_checkpoint_gives_encoder_head_and_vocab(tmp_path, source, waves):
    # argparse-era checkpoint with fairseq-only classes pickled in it (no fairseq installed)
    meters = types.ModuleType("fairseq_meters_for_test")

    class AverageMeter:
        def __init__(self):
            self.avg = 1.5

    AverageMeter.__module__, AverageMeter.__qualname__ = meters.__name__, "AverageMeter"
    meters.AverageMeter = AverageMeter
    sys.modules[meters.__name__] = meters
    state = {f"w2v_encoder.w2v_model.{k}": v for k, v in _fairseq_state(source).items()
             if not k.startswith(("quantizer.", "project_q.", "final_proj."))}
    state["w2v_encoder.proj.weight"] = torch.randn(6, 32)
    state["w2v_encoder.proj.bias"] = torch.randn(6)
    args = argparse.Namespace(arch="wav2vec_ctc", normalize=False,
                              w2v_args=argparse.Namespace(**FAIRSEQ_MODEL_CFG, normalize=False))
    path = tmp_path / "ft.pt"
    try:
        torch.save({"args": args, "model": state, "extra_state": {"meter": AverageMeter()}}, path)
    finally:
        del sys.modules[meters.__name__]
    (tmp_path / "dict.ltr.txt").write_text("| 10\na 5\n")
    imported = fairseq.load_fairseq(path, dictionary=tmp_path / "dict.ltr.txt")
    assert imported.kind == "ctc"
    assert imported.vocab == ["<s>", "<pad>", "</s>", "<unk>", "|", "a"]
    torch.testing.assert_close(imported.head["weight"], state["w2v_encoder.proj.weight"])
    with torch.no_grad():
        torch.testing.assert_close(imported.model.eval()(waves).hidden, source.wav2vec2(waves).hidden)


def test_missing_key_is_named_in_the_error(tmp_path, source):
    state = _fairseq_state(source)
    del state["encoder.layers.1.fc2.weight"]
    path = tmp_path / "w2v.pt"
    torch.save({"cfg": {"model": FAIRSEQ_MODEL_CFG, "task": {}}, "model": state}, path)
    with pytest.raises(CheckpointError, match=r"missing \['wav2vec2\.encoder\.layers\.1\.fc2\.weight'\]"):
        fairseq.load_fairseq(path)


def test_unsupported_fairseq_options_are_refused(tmp_path, source):
    path = tmp_path / "w2v.pt"
    cfg = {"model": {**FAIRSEQ_MODEL_CFG, "layer_type": "conformer"}, "task": {}}
    torch.save({"cfg": cfg, "model": _fairseq_state(source)}, path)
    with pytest.raises(CheckpointError, match="layer_type='conformer'"):
        fairseq.load_fairseq(path)


def test_conv_layer_spec_is_parsed_without_eval():
    spec = "[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512,2,2)] + [(512,2,2)]"
    assert fairseq.parse_conv_layers(spec) == [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2
    with pytest.raises(CheckpointError):
        fairseq.parse_conv_layers("__import__('os').system('true')")
