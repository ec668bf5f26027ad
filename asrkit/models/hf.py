"""Hugging Face wav2vec 2.0 checkpoints in and out of the native model.

Import reads a local directory as ``save_pretrained`` writes it (``config.json`` and
``model.safetensors`` or ``pytorch_model.bin``, sharded or not, optional ``vocab.json`` and
``preprocessor_config.json``) of a ``Wav2Vec2Model``, ``Wav2Vec2ForPreTraining`` or
``Wav2Vec2ForCTC``, e.g. ``facebook/wav2vec2-base`` or ``facebook/wav2vec2-large-xlsr-53``.
``transformers`` itself is not needed.

The architecture comes from ``config.json``; masking does not: the imported config keeps
asrkit's (fairseq's) time masking p = 0.65, M = 10, because checkpoints carry
``transformers``' default ``mask_time_prob=0.05`` which masks ~5% of frames and makes
pretraining learn almost nothing. Pass ``overrides`` to change any field.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch
from torch import nn

from asrkit.checkpoint import CheckpointError
from asrkit.models.convert import (
    PRETRAINING_HEAD,
    ImportedCheckpoint,
    Names,
    import_checkpoint,
    pos_conv_names,
    split_qkv,
)
from asrkit.models.wav2vec2 import Wav2Vec2Config, Wav2Vec2ForPreTraining

log = logging.getLogger(__name__)


def hf_names(extractor_mode: str) -> Names:
    """The keys whose Hugging Face names differ (without the ``wav2vec2.`` prefix); the
    feature encoder's norms are all ``layer_norm`` there, GroupNorm or not."""
    norm = "group_norm" if extractor_mode == "group_norm" else "layer_norm"
    return Names([
        ("mask_emb", "masked_spec_embed"),
        ("feature_encoder.conv_layers.{i}.conv.", "feature_extractor.conv_layers.{i}.conv."),
        (f"feature_encoder.conv_layers.{{i}}.{norm}.", "feature_extractor.conv_layers.{i}.layer_norm."),
        *pos_conv_names("encoder.pos_conv_embed.conv"),
        ("encoder.layers.{i}.self_attn_layer_norm.", "encoder.layers.{i}.layer_norm."),
        ("encoder.layers.{i}.fc1.", "encoder.layers.{i}.feed_forward.intermediate_dense."),
        ("encoder.layers.{i}.fc2.", "encoder.layers.{i}.feed_forward.output_dense."),
        ("final_proj.", "project_hid."),
    ])


def config_from_hf(hf: dict[str, Any], normalize: bool | None = None) -> Wav2Vec2Config:
    """Native config for a ``transformers`` ``Wav2Vec2Config`` dict (architecture and dropouts;
    masking stays at asrkit's defaults, see the module docstring)."""
    model_type = hf.get("model_type", "wav2vec2")
    if model_type != "wav2vec2":
        raise CheckpointError(f"model_type '{model_type}' is not supported (only 'wav2vec2')")
    for key in ("hidden_act", "feat_extract_activation"):
        if hf.get(key, "gelu") != "gelu":
            raise CheckpointError(f"{key}={hf[key]!r} is not supported (only gelu)")
    if hf.get("add_adapter") or hf.get("adapter_attn_dim"):
        raise CheckpointError("checkpoints with adapter layers (add_adapter / MMS adapters) are not supported")
    convs = list(zip(hf["conv_dim"], hf["conv_kernel"], hf["conv_stride"]))
    layer_norm = hf.get("feat_extract_norm", "group") == "layer"
    return Wav2Vec2Config(
        conv_layers=convs,
        extractor_mode="layer_norm" if layer_norm else "group_norm",
        conv_bias=bool(hf.get("conv_bias", False)),
        normalize_waveform=layer_norm if normalize is None else normalize,
        encoder_dim=hf["hidden_size"],
        encoder_layers=hf["num_hidden_layers"],
        encoder_heads=hf["num_attention_heads"],
        encoder_ffn_dim=hf["intermediate_size"],
        layer_norm_first=bool(hf.get("do_stable_layer_norm", False)),
        layer_norm_eps=float(hf.get("layer_norm_eps", 1e-5)),
        dropout=float(hf.get("hidden_dropout", 0.1)),
        attention_dropout=float(hf.get("attention_dropout", 0.1)),
        activation_dropout=float(hf.get("activation_dropout", 0.0)),
        dropout_input=float(hf.get("feat_proj_dropout", 0.0)),
        dropout_features=float(hf.get("feat_quantizer_dropout", 0.0)),
        layerdrop=float(hf.get("layerdrop", 0.0)),
        pos_conv_kernel=hf.get("num_conv_pos_embeddings", 128),
        pos_conv_groups=hf.get("num_conv_pos_embedding_groups", 16),
        feature_grad_mult=1.0 if layer_norm else 0.1,
        num_codevector_groups=hf.get("num_codevector_groups", 2),
        num_codevectors_per_group=hf.get("num_codevectors_per_group", 320),
        codevector_dim=hf.get("codevector_dim", 256),
        final_dim=hf.get("proj_codevector_dim", 256),
    )


def _read_weights(directory: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    for index_name, reader in (
        ("model.safetensors.index.json", load_file),
        ("pytorch_model.bin.index.json", lambda p: torch.load(p, map_location="cpu", weights_only=True)),
    ):
        index = directory / index_name
        if index.is_file():
            files = sorted(set(json.loads(index.read_text())["weight_map"].values()))
            state = {}
            for name in files:
                state.update(reader(directory / name))
            return state
    if (directory / "model.safetensors").is_file():
        return load_file(directory / "model.safetensors")
    if (directory / "pytorch_model.bin").is_file():
        return torch.load(directory / "pytorch_model.bin", map_location="cpu", weights_only=True)
    raise CheckpointError(
        f"{directory}: no model.safetensors or pytorch_model.bin (download the whole model "
        "directory, e.g. `huggingface-cli download facebook/wav2vec2-base --local-dir DIR`)"
    )


def _read_vocab(directory: Path) -> list[str] | None:
    path = directory / "vocab.json"
    if not path.is_file():
        return None
    vocab = json.loads(path.read_text(encoding="utf-8"))
    if vocab and all(isinstance(v, dict) for v in vocab.values()):  # multilingual: {lang: vocab}
        raise CheckpointError(f"{path}: per-language vocabularies are not supported; pick one language")
    tokens = [None] * (max(vocab.values()) + 1)
    for token, index in vocab.items():
        tokens[index] = token
    return tokens


def load_hf(directory: str | Path, overrides: dict[str, Any] | None = None) -> ImportedCheckpoint:
    """Import a Hugging Face wav2vec 2.0 directory into the native model (see module docs)."""
    directory = Path(directory)
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise CheckpointError(f"{directory}: no config.json; is this a Hugging Face model directory?")
    hf_cfg = json.loads(config_path.read_text(encoding="utf-8"))
    normalize = None
    pre = directory / "preprocessor_config.json"
    if pre.is_file():
        normalize = bool(json.loads(pre.read_text(encoding="utf-8")).get("do_normalize", False))
    cfg = config_from_hf(hf_cfg, normalize)

    state, head = {}, {}
    for key, value in _read_weights(directory).items():
        if key.startswith("lm_head."):
            head[key[len("lm_head."):]] = value.float()
        else:
            state[key[len("wav2vec2."):] if key.startswith("wav2vec2.") else key] = value
    vocab = _read_vocab(directory) if head else None
    if head and vocab is not None and len(vocab) != head["weight"].shape[0]:
        raise CheckpointError(
            f"{directory}: vocab.json has {len(vocab)} tokens but lm_head has {head['weight'].shape[0]} outputs"
        )
    # transformers leaves out masked_spec_embed when its config masks nothing
    imported = import_checkpoint(
        cfg, state, hf_names(cfg.extractor_mode), str(directory), overrides=overrides,
        head=head, vocab=vocab, source=hf_cfg, optional=("mask_emb",),
    )
    if hf_cfg.get("mask_time_prob", 0.05) != imported.config.mask_time_prob:
        log.info(
            "%s: ignoring its mask_time_prob=%s; using %s (span %d)", directory,
            hf_cfg.get("mask_time_prob", 0.05), imported.config.mask_time_prob,
            imported.config.mask_time_length,
        )
    return imported


# ---------------------------------------------------------------- export


def config_to_hf(cfg: Wav2Vec2Config, architecture: str) -> dict[str, Any]:
    """``transformers`` ``Wav2Vec2Config`` fields for a native config."""
    if cfg.frontend != "waveform":
        raise ValueError("Hugging Face wav2vec2 has no fbank front end; only waveform models export")
    dims, kernels, strides = (list(v) for v in zip(*cfg.conv_layers))
    return {
        "architectures": [architecture],
        "model_type": "wav2vec2",
        "conv_dim": dims,
        "conv_kernel": kernels,
        "conv_stride": strides,
        "num_feat_extract_layers": len(dims),
        "conv_bias": cfg.conv_bias,
        "feat_extract_norm": "layer" if cfg.extractor_mode == "layer_norm" else "group",
        "feat_extract_activation": "gelu",
        "hidden_act": "gelu",
        "hidden_size": cfg.encoder_dim,
        "num_hidden_layers": cfg.encoder_layers,
        "num_attention_heads": cfg.encoder_heads,
        "intermediate_size": cfg.encoder_ffn_dim,
        "do_stable_layer_norm": cfg.layer_norm_first,
        "layer_norm_eps": cfg.layer_norm_eps,
        "hidden_dropout": cfg.dropout,
        "attention_dropout": cfg.attention_dropout,
        "activation_dropout": cfg.activation_dropout,
        "feat_proj_dropout": cfg.dropout_input,
        "feat_quantizer_dropout": cfg.dropout_features,
        "final_dropout": 0.0,
        "layerdrop": cfg.layerdrop,
        "num_conv_pos_embeddings": cfg.pos_conv_kernel,
        "num_conv_pos_embedding_groups": cfg.pos_conv_groups,
        "apply_spec_augment": True,
        "mask_time_prob": cfg.mask_time_prob,
        "mask_time_length": cfg.mask_time_length,
        "mask_time_min_masks": cfg.mask_time_min_masks,
        "mask_feature_prob": cfg.mask_channel_prob,
        "mask_feature_length": cfg.mask_channel_length,
        "mask_feature_min_masks": cfg.mask_channel_min_masks,
        "num_codevector_groups": cfg.num_codevector_groups,
        "num_codevectors_per_group": cfg.num_codevectors_per_group,
        "codevector_dim": cfg.codevector_dim,
        "proj_codevector_dim": cfg.final_dim,
        "contrastive_logits_temperature": 0.1,
        "num_negatives": 100,
        "diversity_loss_weight": 0.1,
    }


def export_hf(
    model: nn.Module,
    directory: str | Path,
    head: dict[str, torch.Tensor] | None = None,
    vocab: list[str] | None = None,
) -> Path:
    """Write ``model`` (``Wav2Vec2ForPreTraining`` or ``Wav2Vec2Model``, with an optional CTC
    ``head``/``vocab``) as a directory ``transformers.*.from_pretrained`` loads."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    pretrain = isinstance(model, Wav2Vec2ForPreTraining)
    encoder = model.wav2vec2 if pretrain else model
    cfg = encoder.cfg
    names = hf_names(cfg.extractor_mode)
    prefix = "wav2vec2." if pretrain or head is not None else ""  # the encoder inside a head model
    state = {prefix + names.to_foreign(k): v for k, v in split_qkv(encoder.state_dict()).items()}
    if pretrain:
        state.update({names.to_foreign(k): v for k, v in model.state_dict().items()
                      if k.startswith(PRETRAINING_HEAD)})
        # transformers keeps the codebooks flat: [1, G·V, d / G]
        codevectors = state["quantizer.codevectors"]
        state["quantizer.codevectors"] = codevectors.reshape(1, -1, codevectors.shape[-1])
    if head is not None:
        state["lm_head.weight"], state["lm_head.bias"] = head["weight"], head["bias"]
    architecture = "Wav2Vec2ForCTC" if head is not None else (
        "Wav2Vec2ForPreTraining" if pretrain else "Wav2Vec2Model"
    )
    hf_cfg = config_to_hf(cfg, architecture)
    if head is not None:
        hf_cfg["vocab_size"] = int(head["weight"].shape[0])
    state = {k: v.detach().contiguous().cpu() for k, v in state.items()}
    save_file(state, directory / "model.safetensors", metadata={"format": "pt"})
    (directory / "config.json").write_text(json.dumps(hf_cfg, indent=2) + "\n", encoding="utf-8")
    preprocessor = {
        "feature_extractor_type": "Wav2Vec2FeatureExtractor",
        "feature_size": 1,
        "sampling_rate": 16000,
        "padding_side": "right",
        "padding_value": 0.0,
        "do_normalize": cfg.normalize_waveform,
        "return_attention_mask": cfg.extractor_mode == "layer_norm",
    }
    (directory / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2) + "\n")
    if vocab is not None:
        tokens = {token: i for i, token in enumerate(vocab)}
        (directory / "vocab.json").write_text(json.dumps(tokens, ensure_ascii=False) + "\n", encoding="utf-8")
    return directory
