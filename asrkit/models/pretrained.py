"""The wav2vec 2.0 encoder a stage starts from (``--init``), whatever format it comes in.

::

    encoder, cfg, where = load_encoder("exp/ssl_tiny/checkpoint_best.pt", {"layerdrop": 0.05})

``--init`` is one of:

* an asrkit checkpoint of any kind holding a wav2vec 2.0 encoder (stage 3's pretraining,
  stage 4's CTC model, a classifier), or an experiment directory holding one
  (``model.pt``, ``checkpoint_best.pt`` or ``checkpoint_last.pt``, in that order);
* a Hugging Face wav2vec 2.0 directory (``config.json`` + weights) or a fairseq ``.pt``;
* ``none``: random initialisation, which the stage builds from its own config.

The encoder comes back with fairseq's fine-tuning defaults (:data:`FINETUNING_DEFAULTS`)
in place of the pretraining's dropouts and masks, then the stage's own ``overrides``.
Fine-tuning (stage 4) and classification (stage 7) both start here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from asrkit import config as configlib
from asrkit.checkpoint import CheckpointError, load_weights
from asrkit.layout import MODEL_FILE
from asrkit.models import load as load_checkpoint
from asrkit.models.wav2vec2 import Wav2Vec2Config, Wav2Vec2Model

#: What fine-tuning starts from, whatever the encoder was pretrained with: fairseq's
#: fine-tuning defaults (``Wav2Vec2AsrConfig``: no dropout of any kind, no layerdrop, no
#: masking unless ``apply_mask``; masks of 10 frames/channels when a config turns them on).
#: A config's ``model.wav2vec2`` sets what it wants on top (base_10h: masking 0.65/0.5,
#: layerdrop 0.05, activation dropout 0.1). ``feature_grad_mult`` 0.1 is a pretraining
#: setting too: fairseq freezes the feature encoder when fine-tuning, and where a stage trains
#: it (``finetune.freeze_feature_encoder: false``) it trains at the full rate, as from scratch;
#: kept at 0.1, the mini_cv pilot's pretrained arm sat at 78% dev CER after 800 updates
#: against 59% at 1.0 (egs/mini_cv/README.md, "Label efficiency").
FINETUNING_DEFAULTS: dict[str, Any] = {
    "dropout": 0.0, "attention_dropout": 0.0, "activation_dropout": 0.0, "dropout_input": 0.0,
    "layerdrop": 0.0, "mask_time_prob": 0.0, "mask_time_length": 10, "mask_channel_prob": 0.0,
    "mask_channel_length": 10, "feature_grad_mult": 1.0,
}

#: Where an experiment directory given as ``--init`` keeps its encoder, in order of preference.
EXPERIMENT_CHECKPOINTS = (MODEL_FILE, "checkpoint_best.pt", "checkpoint_last.pt")


def with_overrides(cfg: Wav2Vec2Config, overrides: dict[str, Any]) -> Wav2Vec2Config:
    """``cfg`` (pretrained) with fine-tuning's defaults, then the config's own settings."""
    data = {**configlib.to_dict(cfg), **FINETUNING_DEFAULTS, **overrides}
    return configlib.from_dict(Wav2Vec2Config, data, "model.wav2vec2")


def is_random(init: str) -> bool:
    return init in ("", "none")


def load_encoder(init: str, overrides: dict[str, Any]
                 ) -> tuple[Wav2Vec2Model | None, Wav2Vec2Config | None, str]:
    """The initial encoder for ``--init`` and a description of where it came from.

    Returns ``(None, None, ...)`` for ``none`` (built later from the stage's config).
    """
    if is_random(init):
        return None, None, "random initialisation"
    path = Path(init)
    if path.is_dir() and (path / "config.json").is_file():
        from asrkit.models.hf import load_hf

        imported = load_hf(path)
        encoder, desc = encoder_of(imported.model), f"Hugging Face checkpoint {path}"
    elif path.is_dir():
        candidates = [path / name for name in EXPERIMENT_CHECKPOINTS]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise CheckpointError(
                f"--init {path}: neither a Hugging Face directory (config.json) nor an experiment "
                f"directory with {', '.join(c.name for c in candidates)}"
            )
        return load_encoder(str(found), overrides)
    elif path.is_file():
        encoder, desc = _encoder_from_file(path)
    else:
        raise CheckpointError(f"--init {init}: no such file or directory (or 'none' for random init)")
    # Fine-tuning settings (masking, dropout, layerdrop) replace the pretraining ones;
    # architecture fields that differ make the weights not fit, which load_weights names.
    cfg = with_overrides(encoder.cfg, overrides)
    fresh = Wav2Vec2Model(cfg)
    load_weights(fresh, encoder.state_dict(), f"--init {init}",
                 hint="model.wav2vec2 overrides change the architecture: remove the architecture "
                      "fields from model.wav2vec2")
    return fresh, cfg, desc


def encoder_of(model: nn.Module) -> Wav2Vec2Model:
    """The wav2vec 2.0 encoder inside ``model`` (itself, or its ``wav2vec2``/``encoder``)."""
    if isinstance(model, Wav2Vec2Model):
        return model
    for name in ("wav2vec2", "encoder"):  # pretraining; CTC models and classifiers
        inner = getattr(model, name, None)
        if isinstance(inner, Wav2Vec2Model):
            return inner
    raise CheckpointError(f"cannot take a wav2vec 2.0 encoder from a {type(model).__name__}")


def _encoder_from_file(path: Path) -> tuple[Wav2Vec2Model, str]:
    try:
        model, ckpt = load_checkpoint(path)
        return encoder_of(model), f"asrkit checkpoint {path} ({ckpt['kind']})"
    except CheckpointError as asrkit_error:
        from asrkit.models.fairseq import load_fairseq

        try:
            imported = load_fairseq(path)
        except Exception as fairseq_error:  # noqa: BLE001 - both readers' reasons are reported
            raise CheckpointError(
                f"--init {path}: not a usable asrkit checkpoint ({asrkit_error}), nor a fairseq "
                f"one ({fairseq_error})"
            ) from None
        return encoder_of(imported.model), f"fairseq checkpoint {path}"
