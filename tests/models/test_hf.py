"""Hugging Face import/export reproduces ``transformers``' outputs (random small models)."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from asrkit.checkpoint import CheckpointError
from asrkit.models import hf, masking
from asrkit.models.wav2vec2 import Wav2Vec2ForPreTraining

transformers = pytest.importorskip("transformers")


def _perturbed(model):
    """Every parameter moved off its init, so a swapped or skipped weight shows."""
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=gen))
    return model.eval()


@pytest.fixture
def saved_hf(tmp_path, hf_config):
    """Save a perturbed random ``transformers`` model of class ``cls`` to ``tmp_path``."""

    def save(cls, shape, **overrides):
        torch.manual_seed(0)
        model = _perturbed(cls(hf_config(shape, **overrides)))
        model.save_pretrained(tmp_path)
        return model

    return save


@pytest.mark.parametrize("shape", ["base", "large"])
def test_pretraining_import_matches_transformers(tmp_path, saved_hf, waves, shape):
    ref = saved_hf(transformers.Wav2Vec2ForPreTraining, shape)
    imported = hf.load_hf(tmp_path, overrides={"normalize_waveform": False})
    model = imported.model.eval()
    assert imported.kind == "wav2vec2_pretrain" and isinstance(model, Wav2Vec2ForPreTraining)
    with torch.no_grad():
        expected = ref(waves)
        out = model.wav2vec2(waves)
        feats = model.wav2vec2.extract_features(waves)
        quantized = model.quantizer(feats.normed.flatten(0, 1))
        targets = model.project_q(quantized.vectors).view_as(expected.projected_quantized_states)
    hidden = ref.wav2vec2(waves).last_hidden_state
    torch.testing.assert_close(out.hidden, hidden, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(model.final_proj(out.hidden), expected.projected_states, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(targets, expected.projected_quantized_states, atol=1e-4, rtol=1e-4)


def test_padded_batch_matches_transformers_for_layer_norm_model(tmp_path, saved_hf, waves):
    ref = saved_hf(transformers.Wav2Vec2ForPreTraining, "large")
    model = hf.load_hf(tmp_path, overrides={"normalize_waveform": False}).model.eval()
    lengths = torch.tensor([4000, 2600])
    waves = waves.clone()
    waves[1, 2600:] = 0
    attention = masking.lengths_to_padding_mask(lengths, 4000).logical_not().long()
    with torch.no_grad():
        expected = ref.wav2vec2(waves, attention_mask=attention).last_hidden_state
        out = model.wav2vec2(waves, lengths)
    n = int(out.lengths[1])
    torch.testing.assert_close(out.hidden[0], expected[0], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(out.hidden[1, :n], expected[1, :n], atol=1e-4, rtol=1e-4)


def test_contrastive_loss_matches_transformers_on_same_mask_and_negatives(tmp_path, saved_hf, waves):
    from transformers.models.wav2vec2.modeling_wav2vec2 import (
        _compute_mask_indices,
        _sample_negative_indices,
    )

    ref = saved_hf(transformers.Wav2Vec2ForPreTraining, "base")
    model = hf.load_hf(tmp_path).model.eval()
    frames = int(model.wav2vec2.output_lengths(torch.tensor(4000)))
    rng_state = __import__("numpy").random.RandomState(0)
    __import__("numpy").random.set_state(rng_state.get_state())
    mask = _compute_mask_indices((2, frames), mask_prob=0.65, mask_length=10, min_masks=2)
    flat = _sample_negative_indices((2, frames), 100, mask)
    mask_t, flat_t = torch.from_numpy(mask), torch.from_numpy(flat).long()
    with torch.no_grad():
        expected = ref(waves, mask_time_indices=mask_t, sampled_negative_indices=flat_t)
        out = model(waves, time_mask=mask_t, negatives=masking.negatives_from_flat(flat_t, mask_t))
    contrastive = torch.nn.functional.cross_entropy(
        out.logits, torch.zeros(out.sample_size, dtype=torch.long), reduction="sum"
    )
    assert out.sample_size == int(mask.sum())
    torch.testing.assert_close(contrastive, expected.contrastive_loss, atol=1e-3, rtol=1e-4)


def test_ctc_import_keeps_lm_head_and_vocab(tmp_path, saved_hf, waves):
    ref = saved_hf(transformers.Wav2Vec2ForCTC, "base")
    tokens = ["<pad>", "<s>", "</s>", "<unk>", "|", "a", "b"]
    (tmp_path / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    imported = hf.load_hf(tmp_path)
    assert imported.kind == "ctc" and imported.vocab == tokens
    head = torch.nn.Linear(32, 7)
    head.load_state_dict(imported.head)
    with torch.no_grad():
        logits = head(imported.model.eval()(waves).hidden)
        expected = ref(waves).logits
    torch.testing.assert_close(logits, expected, atol=1e-4, rtol=1e-4)


def test_import_keeps_fairseq_masking_not_transformers_default(tmp_path, saved_hf):
    saved_hf(transformers.Wav2Vec2Model, "base")
    cfg = hf.load_hf(tmp_path).config
    assert json.loads((tmp_path / "config.json").read_text())["mask_time_prob"] == 0.05
    assert (cfg.mask_time_prob, cfg.mask_time_length) == (0.65, 10)


def test_import_lists_missing_and_unexpected_keys(tmp_path, saved_hf):
    saved_hf(transformers.Wav2Vec2Model, "base")
    state = load_file(tmp_path / "model.safetensors")
    state["encoder.layers.0.extra.weight"] = state.pop("encoder.layers.1.final_layer_norm.weight")
    save_file(state, tmp_path / "model.safetensors")
    with pytest.raises(CheckpointError) as err:
        hf.load_hf(tmp_path)
    message = str(err.value)
    assert "encoder.layers.1.final_layer_norm.weight" in message
    assert "encoder.layers.0.extra.weight" in message and str(tmp_path) in message


@pytest.mark.parametrize("extractor_mode", ["group_norm", "layer_norm"])
def test_export_loads_in_transformers_with_same_outputs(tmp_path, waves, micro_config, extractor_mode):
    torch.manual_seed(0)
    layer_norm = extractor_mode == "layer_norm"
    cfg = micro_config(extractor_mode=extractor_mode, layer_norm_first=layer_norm, conv_bias=layer_norm)
    model = _perturbed(Wav2Vec2ForPreTraining(cfg))
    hf.export_hf(model, tmp_path)
    ref, info = transformers.Wav2Vec2ForPreTraining.from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    assert ref.config.mask_time_prob == 0.65
    ref.eval()
    with torch.no_grad():
        expected = ref(waves)
        hidden = model.wav2vec2(waves).hidden
    torch.testing.assert_close(model.final_proj(hidden), expected.projected_states, atol=1e-4, rtol=1e-4)
    back = hf.load_hf(tmp_path).model
    for (name, a), (_, b) in zip(model.state_dict().items(), back.state_dict().items()):
        torch.testing.assert_close(a, b, msg=name)
