"""Models: wav2vec 2.0 and its heads, and checkpoints that rebuild them.

A checkpoint is ``torch.save({"model": state_dict, "model_config": dict, "kind": str, ...})``
(docs/DESIGN.md). :func:`load` rebuilds the model from it; each kind has a builder
registered with :func:`register` (this module registers the wav2vec 2.0 kinds; stage-4
modules register theirs when imported, and ``asrkit.models.<kind>`` is imported on demand).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable

from torch import nn

from asrkit.config import from_dict, to_dict
from asrkit.checkpoint import CheckpointError, load_weights, save_atomic
from asrkit.checkpoint import load as read_checkpoint


Builder = Callable[[dict[str, Any]], nn.Module]
_BUILDERS: dict[str, Builder] = {}


def register(kind: str) -> Callable[[Builder], Builder]:
    """Register ``builder(checkpoint) -> nn.Module`` (weights not loaded) for ``kind``."""

    def wrap(builder: Builder) -> Builder:
        _BUILDERS[kind] = builder
        return builder

    return wrap


@register("wav2vec2")
def _build_encoder(ckpt: dict[str, Any]) -> nn.Module:
    from asrkit.models.wav2vec2 import Wav2Vec2Config, Wav2Vec2Model

    return Wav2Vec2Model(from_dict(Wav2Vec2Config, ckpt["model_config"]))


@register("wav2vec2_pretrain")
def _build_pretraining(ckpt: dict[str, Any]) -> nn.Module:
    from asrkit.models.objectives import PreTrainingLossConfig
    from asrkit.models.wav2vec2 import Wav2Vec2Config, Wav2Vec2ForPreTraining

    loss_cfg = from_dict(PreTrainingLossConfig, ckpt.get("loss_config") or {})
    return Wav2Vec2ForPreTraining(from_dict(Wav2Vec2Config, ckpt["model_config"]), loss_cfg)


def save(path: str | Path, model: nn.Module, kind: str, **extra: Any) -> Path:
    """Write ``model`` with its config (``model.cfg``, and ``model.loss_cfg`` if present)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ckpt = {"model": model.state_dict(), "model_config": to_dict(model.cfg), "kind": kind}
    if getattr(model, "loss_cfg", None) is not None:
        ckpt["loss_config"] = to_dict(model.loss_cfg)
    ckpt.update(extra)
    return save_atomic(ckpt, path)


def load(path: str | Path) -> tuple[nn.Module, dict]:
    """Rebuild the model stored at ``path``; returns ``(model, checkpoint dict)``."""
    path = Path(path)
    ckpt = read_checkpoint(path)
    if not isinstance(ckpt, dict) or "model" not in ckpt or "kind" not in ckpt:
        raise CheckpointError(
            f"{path}: not an asrkit checkpoint (needs 'model', 'model_config' and 'kind'); "
            "import Hugging Face or fairseq checkpoints with asrkit.models.hf / asrkit.models.fairseq"
        )
    kind = ckpt["kind"]
    if kind not in _BUILDERS and isinstance(kind, str) and kind.isidentifier():
        _import_kind(kind)
    if kind not in _BUILDERS:
        raise CheckpointError(f"{path}: unknown model kind '{kind}'; known: {', '.join(sorted(_BUILDERS))}")
    model = _BUILDERS[kind](ckpt)
    load_weights(model, ckpt["model"], str(path),
                 hint=f"A '{kind}' model built from its model_config has other weights "
                      "(saved by an older asrkit?).")
    return model, ckpt


def _import_kind(kind: str) -> None:
    """Import ``asrkit.models.<kind>``, which registers its builder. Only the absence of
    that very module means "no such kind": an import failing inside it is a bug to see."""
    name = f"{__name__}.{kind}"
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name != name:
            raise
