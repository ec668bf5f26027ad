"""AdamW with the usual split: no weight decay on norms, biases and other 1-d parameters.

Decaying a LayerNorm gain or a bias towards 0 only hurts (BERT, fairseq and ESPnet all
exempt them). Frozen parameters stay in the optimizer: a fine-tuning schedule that
unfreezes the Transformer after N updates then trains it without rebuilding anything,
and AdamW skips parameters whose gradient is None.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from asrkit.train.config import OptimConfig

_NORMS = tuple(
    cls
    for cls in (nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._NormBase, getattr(nn, "RMSNorm", None))
    if cls is not None
)


def no_decay_names(model: nn.Module, extra: Iterable[str] = ()) -> set[str]:
    """Names of parameters exempt from weight decay."""
    extra = tuple(extra)
    names = set()
    for module_name, module in model.named_modules():
        for name, param in module.named_parameters(recurse=False):
            full = f"{module_name}.{name}" if module_name else name
            if isinstance(module, _NORMS) or param.ndim <= 1 or name == "bias" or any(
                s in full for s in extra
            ):
                names.add(full)
    return names


def build_optimizer(
    model: nn.Module,
    cfg: OptimConfig,
    groups: list[dict] | None = None,
    fused: bool = False,
) -> torch.optim.AdamW:
    """AdamW over ``model``'s parameters in decay / no-decay groups.

    ``groups`` (from a task) are ``{"params": [names], "lr_scale": x}`` dicts that give
    parts of the model their own lr factor; parameters they do not name use factor 1.
    Every group keeps ``lr_scale``; the trainer sets ``lr = peak * schedule * lr_scale``.
    """
    named = dict(model.named_parameters())
    exempt = no_decay_names(model, cfg.no_decay)
    scale_of: dict[str, float] = {}
    for group in groups or []:
        for name in group["params"]:
            if name not in named:
                raise ValueError(f"optimizer group names unknown parameter '{name}'")
            scale_of[name] = float(group.get("lr_scale", 1.0))
    buckets: dict[tuple[float, bool], list[torch.Tensor]] = {}
    for name, param in named.items():
        key = (scale_of.get(name, 1.0), name not in exempt)
        buckets.setdefault(key, []).append(param)
    param_groups = [
        {"params": params, "lr_scale": scale, "weight_decay": cfg.weight_decay if decay else 0.0}
        for (scale, decay), params in sorted(buckets.items())
    ]
    return torch.optim.AdamW(
        param_groups, lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps, fused=fused or None
    )


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_scale", 1.0)
