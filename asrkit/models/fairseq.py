"""fairseq wav2vec 2.0 checkpoints (``.pt``) into the native model, without fairseq.

Reads pretrained checkpoints (``wav2vec_small.pt``, ``xlsr_53_56k.pt``; model ``wav2vec2``)
and CTC fine-tuned ones (``wav2vec_ctc``: ``w2v_encoder.w2v_model.*`` plus the output
layer ``w2v_encoder.proj``). The config comes from the checkpoint's ``cfg`` (hydra era) or
``args`` (argparse era). Classes the checkpoint pickled from fairseq or omegaconf (meters,
numpy RNG state) are read as inert placeholders: nothing from the file is executed.
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path
from typing import Any

import torch
from torch.serialization import get_unsafe_globals_in_checkpoint, safe_globals

from asrkit.checkpoint import CheckpointError
from asrkit.models.convert import ImportedCheckpoint, Names, import_checkpoint, pos_conv_names
from asrkit.models.wav2vec2 import Wav2Vec2Config

FAIRSEQ_SPECIAL = ["<s>", "<pad>", "</s>", "<unk>"]  # fairseq Dictionary; CTC blank is "<s>"

# The keys whose fairseq names differ. fairseq's conv blocks are nn.Sequential: the conv is
# item 0, the GroupNorm item 2, and a LayerNorm item 1 of the Sequential at item 2.
FAIRSEQ_NAMES = Names([
    ("feature_encoder.conv_layers.{i}.conv.", "feature_extractor.conv_layers.{i}.0."),
    ("feature_encoder.conv_layers.{i}.layer_norm.", "feature_extractor.conv_layers.{i}.2.1."),
    ("feature_encoder.conv_layers.{i}.group_norm.", "feature_extractor.conv_layers.{i}.2."),
    ("feature_projection.projection.", "post_extract_proj."),
    ("feature_projection.layer_norm.", "layer_norm."),
    *pos_conv_names("encoder.pos_conv.0"),
    ("encoder.layers.{i}.attention.", "encoder.layers.{i}.self_attn."),
    ("quantizer.codevectors", "quantizer.vars"),
])


class _Placeholder:
    """Stands in for a pickled class this process does not (and need not) have."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args

    def __setstate__(self, state: Any) -> None:
        self.state = state


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """``torch.load`` in weights-only mode, with foreign pickled classes as placeholders."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"fairseq checkpoint {path} does not exist")
    try:
        names = get_unsafe_globals_in_checkpoint(path)
    except Exception as e:
        raise CheckpointError(f"{path}: not a readable torch checkpoint ({e})") from None
    allowed: list[Any] = []
    for name in names:
        if name == "argparse.Namespace":
            allowed.append(argparse.Namespace)
        else:
            allowed.append((type(name.rsplit(".", 1)[-1], (_Placeholder,), {}), name))
    with safe_globals(allowed):
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(ckpt, dict) or "model" not in ckpt:
        raise CheckpointError(f"{path}: no 'model' state dict; is this a fairseq checkpoint?")
    return ckpt


def _as_dict(cfg: Any) -> dict[str, Any]:
    if cfg is None:
        return {}
    if isinstance(cfg, argparse.Namespace):
        return vars(cfg)
    if isinstance(cfg, dict):
        return cfg
    raise CheckpointError(f"cannot read a fairseq config stored as {type(cfg).__name__}")


def parse_conv_layers(spec: str) -> list[tuple[int, int, int]]:
    """Evaluate fairseq's ``conv_feature_layers`` string (lists of tuples, ``+`` and ``*``)
    without ``eval``."""

    def value(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [value(e) for e in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            left, right = value(node.left), value(node.right)
            return left + right if isinstance(node.op, ast.Add) else left * right
        raise CheckpointError(f"conv_feature_layers {spec!r}: unsupported expression")

    try:
        layers = value(ast.parse(spec, mode="eval").body)
    except SyntaxError:
        raise CheckpointError(f"conv_feature_layers {spec!r} is not a list of (dim, kernel, stride)") from None
    return [tuple(int(v) for v in layer) for layer in layers]


def config_from_fairseq(model: dict[str, Any], task: dict[str, Any]) -> Wav2Vec2Config:
    """Native config from fairseq's model (``Wav2Vec2Config``) and task settings."""
    for key, ok in (
        ("layer_type", "transformer"), ("pos_conv_depth", 1), ("quantize_input", False),
        ("target_glu", False), ("activation_fn", "gelu"), ("negatives_from_everywhere", False),
    ):
        if model.get(key, ok) != ok:
            raise CheckpointError(f"fairseq option {key}={model[key]!r} is not supported (needs {ok!r})")
    if not model.get("quantize_targets", True):
        raise CheckpointError("fairseq models without quantized targets (quantize_targets=False) are not supported")
    dim = model.get("encoder_embed_dim", 768)
    final_dim = model.get("final_dim", 0) or dim
    mode = model.get("extractor_mode", "default")
    return Wav2Vec2Config(
        conv_layers=parse_conv_layers(
            model.get("conv_feature_layers", "[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512,2,2)] * 2")
        ),
        extractor_mode="layer_norm" if mode == "layer_norm" else "group_norm",
        conv_bias=bool(model.get("conv_bias", False)),
        normalize_waveform=bool(task.get("normalize", False)),
        encoder_dim=dim,
        encoder_layers=model.get("encoder_layers", 12),
        encoder_heads=model.get("encoder_attention_heads", 12),
        encoder_ffn_dim=model.get("encoder_ffn_embed_dim", 3072),
        layer_norm_first=bool(model.get("layer_norm_first", False)),
        dropout=float(model.get("dropout", 0.1)),
        attention_dropout=float(model.get("attention_dropout", 0.1)),
        activation_dropout=float(model.get("activation_dropout", 0.0)),
        dropout_input=float(model.get("dropout_input", 0.0)),
        dropout_features=float(model.get("dropout_features", 0.0)),
        layerdrop=float(model.get("encoder_layerdrop", 0.0)),
        pos_conv_kernel=model.get("conv_pos", 128),
        pos_conv_groups=model.get("conv_pos_groups", 16),
        feature_grad_mult=float(model.get("feature_grad_mult", 1.0)),
        mask_time_prob=float(model.get("mask_prob", 0.65)),
        mask_time_length=model.get("mask_length", 10),
        mask_channel_prob=float(model.get("mask_channel_prob", 0.0)),
        mask_channel_length=model.get("mask_channel_length", 10),
        num_codevector_groups=model.get("latent_groups", 2),
        num_codevectors_per_group=model.get("latent_vars", 320),
        codevector_dim=model.get("latent_dim", 0) or final_dim,
        gumbel_temperature=tuple(model.get("latent_temp", (2.0, 0.5, 0.999995))),
        final_dim=final_dim,
    )


def _configs(ckpt: dict[str, Any], where: str) -> tuple[dict, dict, bool]:
    """(model cfg, task cfg, fine-tuned?) from a hydra ``cfg`` or an argparse ``args``."""
    if ckpt.get("cfg") is not None:
        cfg = _as_dict(ckpt["cfg"])
        model, task = _as_dict(cfg.get("model")), _as_dict(cfg.get("task"))
    elif ckpt.get("args") is not None:
        model = task = _as_dict(ckpt["args"])
    else:
        raise CheckpointError(f"{where}: no 'cfg' or 'args' with the model configuration")
    name = model.get("_name") or model.get("arch", "wav2vec2")
    if not (name.startswith("wav2vec_ctc") or "w2v_args" in model):
        return model, task, False
    inner = model.get("w2v_args")
    if inner is None:
        raise CheckpointError(
            f"{where}: this fine-tuned checkpoint does not embed its pretraining config (w2v_args); "
            "load the pretrained checkpoint it was fine-tuned from instead"
        )
    inner = _as_dict(inner)
    if "model" in inner:
        return _as_dict(inner["model"]), _as_dict(inner.get("task")) or task, True
    return inner, inner, True


def load_fairseq(
    path: str | Path, dictionary: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> ImportedCheckpoint:
    """Import a fairseq wav2vec 2.0 checkpoint.

    Pretrained checkpoints give a ``Wav2Vec2ForPreTraining``; fine-tuned CTC ones give the
    encoder (``Wav2Vec2Model``) plus ``head`` (``w2v_encoder.proj``). ``dictionary`` is the
    fine-tuning ``dict.ltr.txt``; the vocabulary is then fairseq's ``<s> <pad> </s> <unk>``
    followed by its tokens (``<s>`` is the CTC blank).
    """
    where = str(path)
    ckpt = read_checkpoint(path)
    model_cfg, task_cfg, finetuned = _configs(ckpt, where)
    cfg = config_from_fairseq(model_cfg, task_cfg)
    state = ckpt["model"]
    head = None
    if finetuned:
        prefix, proj = "w2v_encoder.w2v_model.", "w2v_encoder.proj."
        head = {k[len(proj):]: v.float() for k, v in state.items() if k.startswith(proj)}
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    if "post_extract_proj.weight" not in state and cfg.feature_dim == cfg.encoder_dim:
        # fairseq has no post_extract_proj when the widths already agree: an identity
        state = {**state, "post_extract_proj.weight": torch.eye(cfg.encoder_dim),
                 "post_extract_proj.bias": torch.zeros(cfg.encoder_dim)}
    vocab = None
    if dictionary is not None:
        vocab = FAIRSEQ_SPECIAL + [
            line.split()[0] for line in Path(dictionary).read_text(encoding="utf-8").splitlines() if line.strip()
        ]
        if head and len(vocab) != head["weight"].shape[0]:
            raise CheckpointError(
                f"{dictionary}: {len(vocab)} tokens (with fairseq's 4 specials) but {where}'s "
                f"output layer has {head['weight'].shape[0]}"
            )
    return import_checkpoint(
        cfg, state, FAIRSEQ_NAMES, where, encoder_only=finetuned, overrides=overrides,
        head=head, vocab=vocab, source={"model": model_cfg, "task": task_cfg},
    )
