"""The collapse check of self-supervised training (METHODS.md §1: report both failure modes),
shared by every stage that trains the contrastive objective (pretraining, BL-JUST).

Code perplexity counts picks by index, so it cannot see codevectors that point the same way
(METHODS.md §2: only picked entries get contrastive gradient, the rest move by ICSL alone).
The codebook's health logs (:func:`asrkit.models.quantizer.codebook_health`) can: the
within-group mean cosine, and how many of the picked entries are distinct directions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass
class CollapseConfig:
    """When to call a run collapsed or stuck."""

    min_code_perplexity: float = 0.1  # as a fraction of G·V codes in use
    chance_margin: float = 0.05  # contrastive loss within 5% of ln(K+1) = learned nothing
    # Codevector collapse: the within-group mean cosine rose more than this fraction of the
    # way from its value at initialization (≈0 for normal, ≈0.75 for uniform codevectors)
    # to 1 (every entry of a group alike)
    max_within_cosine_rise: float = 0.5
    # fewer than this fraction of the entries a batch picks are distinct directions
    min_distinct_fraction: float = 0.5


def collapse_warnings(train: dict[str, Any], num_negatives: int, codes: int,
                      cfg: CollapseConfig, initial_cos_within: float = 0.0,
                      advice: str = "") -> list[str]:
    """Warnings for training logs (``contrastive``, ``code_perplexity``, ``cos_within``,
    ``codes_used``, ``codevectors_distinct``) whose loss never left chance or whose codebook
    (``codes`` = G·V codevectors) collapsed; empty when neither. ``initial_cos_within``: the
    codebook's within-group cosine at initialization; ``advice`` ends the warning about
    codevectors drawn together."""
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
    within = train.get("cos_within")
    limit = initial_cos_within + cfg.max_within_cosine_rise * (1 - initial_cos_within)
    if within is not None and within > limit:
        warnings.append(
            f"the codevectors of each group point alike: their mean cosine rose from "
            f"{initial_cos_within:.2f} at initialization to {within:.2f} (limit {limit:.2f}), "
            f"the codebooks collapsed onto few directions{advice}"
        )
    used, distinct = train.get("codes_used"), train.get("codevectors_distinct")
    if used and distinct is not None and distinct < cfg.min_distinct_fraction * used:
        warnings.append(
            f"of the {used:.1f} codevectors a batch picks only {distinct:.1f} point different ways "
            f"(under {100 * cfg.min_distinct_fraction:.0f}%): the picks differ in index, not in "
            "vector; the codebooks collapsed"
        )
    return warnings
