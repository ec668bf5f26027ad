"""What every checkpoint converter shares: a rename table read both ways, the q/k/v fusion,
the positional conv's weight norm, and the import skeleton.

The converters (:mod:`asrkit.models.hf`, :mod:`asrkit.models.fairseq`) depend on the model,
never the other way round, and keep only what is specific to their format: how to read
the files, the config translation, and one :class:`Names` table of the keys that differ.
A table row is ``(native prefix, foreign prefix)``, where ``{i}`` stands for a layer index;
both directions are derived from it, the first matching row wins (so a longer prefix is
listed before a shorter one it starts with), and a key no row matches keeps its name.
Hugging Face's table (:func:`asrkit.models.hf.hf_names`) maps, for example::

    native (asrkit)                                               Hugging Face
    mask_emb                                                      masked_spec_embed
    feature_encoder.conv_layers.0.conv.weight                     feature_extractor.conv_layers.0.conv.weight
    feature_encoder.conv_layers.0.group_norm.bias                 feature_extractor.conv_layers.0.layer_norm.bias
    encoder.pos_conv.conv.parametrizations.weight.original0       encoder.pos_conv_embed.conv.weight_g
    encoder.layers.3.self_attn_layer_norm.weight                  encoder.layers.3.layer_norm.weight
    encoder.layers.3.fc1.bias                                     encoder.layers.3.feed_forward.intermediate_dense.bias
    final_proj.weight                                             project_hid.weight
    feature_projection.projection.weight                          (same name)

and fairseq's ``feature_encoder.conv_layers.0.conv.weight`` is
``feature_extractor.conv_layers.0.0.weight``. The attention projections are not renamed
but fused: ``encoder.layers.3.attention.{q,k,v}_proj.weight`` (both formats) are
concatenated into the native ``encoder.layers.3.attention.in_proj.weight``
(:func:`fuse_qkv`, inverse :func:`split_qkv`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from asrkit.checkpoint import CheckpointError, load_weights
from asrkit.config import from_dict, to_dict
from asrkit.models.wav2vec2 import Wav2Vec2Config, Wav2Vec2ForPreTraining, Wav2Vec2Model

# native names of the weights only pretraining has (quantizer and contrastive projections)
PRETRAINING_HEAD = ("quantizer.", "project_q.", "final_proj.")
POS_CONV = "encoder.pos_conv.conv"  # native positional conv; weight norm as a parametrization


class Names:
    """One rename table of key prefixes, ``(native, foreign)`` rows, applied either way."""

    def __init__(self, table: Sequence[tuple[str, str]]) -> None:
        self.table = list(table)
        self._to_native = [_rule(foreign, native) for native, foreign in self.table]
        self._to_foreign = [_rule(native, foreign) for native, foreign in self.table]

    def to_native(self, key: str) -> str:
        return _apply(key, self._to_native)

    def to_foreign(self, key: str) -> str:
        return _apply(key, self._to_foreign)


def _rule(source: str, target: str) -> tuple[re.Pattern, str]:
    pattern = re.escape(source).replace(re.escape("{i}"), r"(\d+)")
    return re.compile(f"^{pattern}"), target.replace("{i}", r"\1")


def _apply(key: str, rules: list[tuple[re.Pattern, str]]) -> str:
    for pattern, replacement in rules:
        new, n = pattern.subn(replacement, key, count=1)
        if n:
            return new
    return key


def pos_conv_names(foreign: str) -> list[tuple[str, str]]:
    """Rows for a foreign positional conv module ``foreign``. Its weight norm is saved as
    ``weight_g``/``weight_v`` (older torch) or as a parametrization (torch ≥ 2.1); both
    import, and export writes ``weight_g``/``weight_v``, which every version reads."""
    norm = f"{POS_CONV}.parametrizations.weight"
    return [
        (f"{norm}.original0", f"{foreign}.weight_g"),
        (f"{norm}.original0", f"{foreign}.parametrizations.weight.original0"),
        (f"{norm}.original1", f"{foreign}.weight_v"),
        (f"{norm}.original1", f"{foreign}.parametrizations.weight.original1"),
        (f"{POS_CONV}.bias", f"{foreign}.bias"),
    ]


def fuse_qkv(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Concatenate ``*.attention.{q,k,v}_proj.*`` into the native fused ``*.attention.in_proj.*``."""
    out = {}
    for key, value in state.items():
        m = re.fullmatch(r"(.*\.attention)\.([qkv])_proj\.(weight|bias)", key)
        if not m:
            out[key] = value
        elif m.group(2) == "q":
            parts = [f"{m.group(1)}.{p}_proj.{m.group(3)}" for p in "qkv"]
            missing = [p for p in parts if p not in state]
            if missing:
                raise CheckpointError(f"attention projection incomplete: missing {missing}")
            out[f"{m.group(1)}.in_proj.{m.group(3)}"] = torch.cat([state[p] for p in parts], 0)
    return out


def split_qkv(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Inverse of :func:`fuse_qkv`."""
    out = {}
    for key, value in state.items():
        m = re.fullmatch(r"(.*\.attention)\.in_proj\.(weight|bias)", key)
        if not m:
            out[key] = value
            continue
        for name, chunk in zip("qkv", value.chunk(3, dim=0)):
            out[f"{m.group(1)}.{name}_proj.{m.group(2)}"] = chunk.contiguous()
    return out


@dataclass
class ImportedCheckpoint:
    model: nn.Module  # Wav2Vec2ForPreTraining when the checkpoint has a quantizer, else Wav2Vec2Model
    config: Wav2Vec2Config
    kind: str  # "wav2vec2_pretrain" | "wav2vec2" | "ctc"
    head: dict[str, torch.Tensor] | None = None  # CTC output layer {"weight", "bias"}
    vocab: list[str] | None = None  # CTC tokens by id, when the checkpoint has them
    source: dict[str, Any] | None = None  # the original config


def import_checkpoint(
    cfg: Wav2Vec2Config,
    state: Mapping[str, torch.Tensor],
    names: Names,
    where: str,
    *,
    encoder_only: bool = False,
    overrides: dict[str, Any] | None = None,
    head: dict[str, torch.Tensor] | None = None,
    vocab: list[str] | None = None,
    source: dict[str, Any] | None = None,
    optional: tuple[str, ...] = (),
) -> ImportedCheckpoint:
    """The native model of a foreign checkpoint: ``cfg`` (its config in native terms) with
    ``overrides`` applied, and ``state`` (its encoder's and pretraining head's weights under
    foreign names, without a model prefix) renamed, fused and loaded.

    A ``state`` with the pretraining head (quantizer, ``project_q``, ``final_proj``) gives a
    :class:`Wav2Vec2ForPreTraining`, any other a :class:`Wav2Vec2Model`, as does
    ``encoder_only`` (for a fine-tuned model: a pretraining head left in it is dropped). Weights
    whose native names end with one of ``optional`` may be absent (they keep their
    initialization); any other missing, unexpected or misshapen weight is named in a
    :class:`~asrkit.checkpoint.CheckpointError` that starts with ``where``.
    """
    if overrides:
        cfg = from_dict(Wav2Vec2Config, {**to_dict(cfg), **overrides}, "overrides")
    native = fuse_qkv({names.to_native(key): value for key, value in state.items()})
    if not encoder_only and any(k.startswith(PRETRAINING_HEAD) for k in native):
        model: nn.Module = Wav2Vec2ForPreTraining(cfg)
        native = {k if k.startswith(PRETRAINING_HEAD) else f"wav2vec2.{k}": v for k, v in native.items()}
        if "quantizer.codevectors" in native:  # stored flat: [1, G·V, d / G]
            native["quantizer.codevectors"] = native["quantizer.codevectors"].reshape(
                cfg.num_codevector_groups, cfg.num_codevectors_per_group, -1
            )
        kind = "wav2vec2_pretrain"
    else:
        model = Wav2Vec2Model(cfg)
        native = {k: v for k, v in native.items() if not k.startswith(PRETRAINING_HEAD)}
        kind = "ctc" if head else "wav2vec2"
    if optional:
        own = model.state_dict()
        native.update({k: v for k, v in own.items() if k not in native and k.endswith(optional)})
    load_weights(model, native, where,
                 hint="Check that the checkpoint is a wav2vec 2.0 model and its config matches its weights.")
    return ImportedCheckpoint(model, cfg, kind, head or None, vocab, source)
