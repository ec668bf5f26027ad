"""The collapse check of self-supervised training (METHODS.md §1: report both failure modes),
shared by every stage that trains the contrastive objective (pretraining, BL-JUST)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass
class CollapseConfig:
    """When to call a run collapsed or stuck."""

    min_code_perplexity: float = 0.1  # as a fraction of G·V codes in use
    chance_margin: float = 0.05  # contrastive loss within 5% of ln(K+1) = learned nothing


def collapse_warnings(train: dict[str, Any], num_negatives: int, codes: int,
                      cfg: CollapseConfig) -> list[str]:
    """Warnings for training logs (``contrastive``, ``code_perplexity``) whose loss never left
    chance or whose codebook (``codes`` = G·V codevectors) collapsed; empty when neither."""
    warnings = []
    chance = math.log(num_negatives + 1)
    contrastive = train.get("contrastive")
    if contrastive is not None and contrastive > (1 - cfg.chance_margin) * chance:
        warnings.append(
            f"contrastive loss {contrastive:.3f} is still at chance level ln(K+1) = {chance:.3f}: "
            "the model learned nothing; train longer, raise the LR, or check the data"
        )
    ppl = train.get("code_perplexity")
    if ppl is not None and ppl < cfg.min_code_perplexity * codes:
        warnings.append(
            f"code perplexity {ppl:.1f} uses under {100 * cfg.min_code_perplexity:.0f}% of "
            f"the {codes} codevectors: the quantizer collapsed; raise loss.diversity_weight or "
            "lower the LR"
        )
    return warnings
