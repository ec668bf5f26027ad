"""One rename table per format, read both ways; q/k/v fusion and its inverse."""

import pytest
import torch

from asrkit.checkpoint import CheckpointError
from asrkit.models.convert import Names, fuse_qkv, split_qkv
from asrkit.models.fairseq import FAIRSEQ_NAMES
from asrkit.models.hf import hf_names
from asrkit.models.wav2vec2 import Wav2Vec2ForPreTraining


def test_a_table_maps_both_ways_with_layer_indices_and_leaves_other_keys_alone():
    names = Names([("encoder.layers.{i}.fc1.", "encoder.layers.{i}.feed_forward.intermediate_dense."),
                   ("mask_emb", "masked_spec_embed")])
    assert names.to_foreign("encoder.layers.11.fc1.weight") == "encoder.layers.11.feed_forward.intermediate_dense.weight"
    assert names.to_native("encoder.layers.11.feed_forward.intermediate_dense.bias") == "encoder.layers.11.fc1.bias"
    assert names.to_native("masked_spec_embed") == "mask_emb"
    assert names.to_native("encoder.layer_norm.weight") == "encoder.layer_norm.weight"


@pytest.mark.parametrize("extractor_mode", ["group_norm", "layer_norm"])
def test_every_native_weight_has_its_own_hugging_face_name_and_comes_back(micro_config, extractor_mode):
    model = Wav2Vec2ForPreTraining(micro_config(extractor_mode=extractor_mode))
    keys = [k.removeprefix("wav2vec2.") for k in split_qkv(model.state_dict())]
    names = hf_names(extractor_mode)
    foreign = [names.to_foreign(k) for k in keys]
    assert len(set(foreign)) == len(keys)
    assert [names.to_native(k) for k in foreign] == keys
    assert "feature_extractor.conv_layers.0.layer_norm.weight" in foreign
    assert "project_hid.weight" in foreign and "masked_spec_embed" in foreign


def test_fairseq_names_tell_group_norm_from_layer_norm_and_read_both_weight_norm_forms():
    assert FAIRSEQ_NAMES.to_native("feature_extractor.conv_layers.0.2.weight") == \
        "feature_encoder.conv_layers.0.group_norm.weight"
    assert FAIRSEQ_NAMES.to_native("feature_extractor.conv_layers.3.2.1.bias") == \
        "feature_encoder.conv_layers.3.layer_norm.bias"
    native = "encoder.pos_conv.conv.parametrizations.weight.original1"
    assert FAIRSEQ_NAMES.to_native("encoder.pos_conv.0.weight_v") == native
    assert FAIRSEQ_NAMES.to_native("encoder.pos_conv.0.parametrizations.weight.original1") == native
    assert FAIRSEQ_NAMES.to_foreign(native) == "encoder.pos_conv.0.weight_v"


def test_split_qkv_inverts_fuse_qkv_and_an_incomplete_triple_is_named():
    state = {f"encoder.layers.0.attention.{p}_proj.{t}": torch.randn(4, 4) if t == "weight" else torch.randn(4)
             for p in "qkv" for t in ("weight", "bias")}
    fused = fuse_qkv(state)
    assert set(fused) == {"encoder.layers.0.attention.in_proj.weight", "encoder.layers.0.attention.in_proj.bias"}
    back = split_qkv(fused)
    assert back.keys() == state.keys() and all(torch.equal(back[k], state[k]) for k in state)
    del state["encoder.layers.0.attention.v_proj.bias"]
    with pytest.raises(CheckpointError, match="v_proj.bias"):
        fuse_qkv(state)
