"""wav2vec 2.0 training objectives (METHODS.md §1–2).

Total loss, summed over the N masked steps (fairseq's ``wav2vec`` criterion, extra losses
scaled by the sample size so they keep their weight when the trainer divides by N):

    L = Σ_t L_m(t) + N · (α·L_d + λ_s·L_ICSL + β·mean(z²))

- contrastive L_m: cross-entropy of the positive among itself and K distractors, logits =
  cos(c_t, q)/κ; distractors identical to the positive get logit −∞.
- diversity L_d = (G·V − Σ_g exp(H(p̄_g))) / (G·V) on the batch-mean *softmax* probabilities.
- ICSL = 2/(G(G−1)) · Σ_{i<j} mean(f(E_i E_jᵀ)) over L2-row-normalized codebooks, with
  f the identity (``signed``, the seed's form), max(·, 0) (``positive``) or (·)²
  (``squared``); see :func:`icsl` for why the signed form's minimum is a collapse.
- feature penalty: mean squared feature-encoder output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F

ICSL_FORMS = ("signed", "positive", "squared")


@dataclass
class PreTrainingLossConfig:
    """Loss weights and contrastive-task settings (fairseq names in comments)."""

    num_negatives: int = 100  # K, ``num_negatives``
    logit_temp: float = 0.1  # κ, ``logit_temp``
    diversity_weight: float = 0.1  # α, ``loss_weights[0]``
    feature_pen_weight: float = 10.0  # β, ``loss_weights[1]``
    icsl_weight: float = 0.0  # λ_s; METHODS §2 uses 0.1 when ICSL is on (fairseq has none)
    # f in ICSL = mean f(cos) between groups: signed (the seed's), positive or squared (see
    # :func:`icsl`: the signed form's minimum collapses each codebook onto one direction)
    icsl_form: Literal["signed", "positive", "squared"] = "signed"

    def __post_init__(self) -> None:
        if self.icsl_form not in ICSL_FORMS:
            raise ValueError(f"icsl_form '{self.icsl_form}' is not one of {', '.join(ICSL_FORMS)}")


def contrastive_logits(
    context: torch.Tensor,
    targets: torch.Tensor,
    negatives: torch.Tensor,
    valid: torch.Tensor,
    codes: torch.Tensor,
    first: torch.Tensor,
    counts: torch.Tensor,
    logit_temp: float,
) -> torch.Tensor:
    """Logits ``[N, 1 + K]`` (positive first) of each masked step's prediction.

    ``context``/``targets`` are ``[N, F]`` in masked-step order; ``negatives [N, K]`` index
    the same order (see :func:`asrkit.models.masking.sample_negatives`), ``valid [N, K]``
    flags real distractors. ``codes [N, G]`` identify each target's codevectors: a distractor
    with the positive's codes is the same vector and gets −∞ (comparing codes also catches
    equal picks that the straight-through arithmetic leaves a rounding error apart).

    Distractors only come from the same utterance, so cosines are computed per utterance as
    one batched matmul ``[B, n, F] @ [B, F, n]`` and then gathered, instead of gathering K
    copies of every target (``N·K·F`` memory in fairseq and ``transformers``).
    """
    batch = counts.shape[0]
    most = int(counts.max())
    utt = torch.repeat_interleave(torch.arange(batch, device=counts.device), counts)
    rank = torch.arange(context.shape[0], device=counts.device) - first[utt]
    with torch.autocast(context.device.type, enabled=False):  # cosines/κ need fp32 (as fairseq)
        c = F.normalize(context.float(), dim=-1, eps=1e-8)
        q = F.normalize(targets.float(), dim=-1, eps=1e-8)
        packed_c = c.new_zeros(batch, most, c.shape[1]).index_put((utt, rank), c)
        packed_q = q.new_zeros(batch, most, q.shape[1]).index_put((utt, rank), q)
        cosine = torch.bmm(packed_c, packed_q.transpose(1, 2))  # [B, n, n]
    rows = cosine[utt, rank]  # [N, n]: step t against every target of its utterance
    positive = rows.gather(1, rank[:, None])
    distractors = rows.gather(1, negatives - first[utt][:, None])
    same = (codes[negatives] == codes[:, None, :]).all(-1)
    distractors = distractors.masked_fill(same | ~valid, float("-inf"))
    return torch.cat([positive, distractors], dim=1) / logit_temp


def contrastive_loss(logits: torch.Tensor) -> torch.Tensor:
    """Σ over masked steps of −log softmax(logits)[0]."""
    target = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)
    return F.cross_entropy(logits, target, reduction="sum")


def contrastive_accuracy(logits: torch.Tensor) -> torch.Tensor:
    """Fraction of masked steps whose positive scores strictly highest (fairseq's
    ``correct``: argmax is the positive and not every logit ties)."""
    if logits.shape[0] == 0:
        return logits.new_zeros(())
    best = logits.argmax(-1) == 0
    worst = logits.argmin(-1) == 0
    return (best & ~worst).float().mean()


def diversity_loss(prob_perplexity: torch.Tensor, num_groups: int, num_vars: int) -> torch.Tensor:
    """(G·V − Σ_g exp(H(p̄_g))) / (G·V): 0 when every entry is equally used, → (GV − G)/GV
    when each group always picks the same entry."""
    total = num_groups * num_vars
    return (total - prob_perplexity) / total


def icsl(codevectors: torch.Tensor, form: str = "signed") -> torch.Tensor:
    """Inter-codebook similarity ``2/(G(G−1)) Σ_{i<j} mean f(E_i E_jᵀ)`` for ``[G, V, d']``.

    ``form`` picks f, applied to each of the V×V cosines between two groups:

    - ``signed`` (f(c) = c, METHODS.md §2 as written): the mean of all cosines between
      groups i and j equals ``m_i · m_j`` with m_g the mean of group g's unit rows, so no
      V×V matrix is formed. It is 1 when every entry of both groups points the same way,
      ≈0 for independent Gaussian codebooks and ≈0.75 for U[0, 1) ones. Its minimum,
      −1/(G−1), needs |m_g| = 1, i.e. every entry of a group pointing the same way: pushed
      down, it collapses each codebook onto one direction. Kept as the default for
      fidelity with the seed.
    - ``squared`` (f(c) = c²): even in every entry, so flipping any entry changes nothing and
      the loss cannot prefer a common direction within a group; its minimum, 0, is reached
      when the groups span orthogonal subspaces, with the entries of a group spread freely
      inside theirs. Computed without V×V matrices as ``tr(C_i C_j) / V²`` with
      ``C_g = E_gᵀE_g`` [d', d'].
    - ``positive`` (f(c) = max(c, 0)): only similar pairs are penalized, so an entry is not
      rewarded for pointing away from the other groups. It is 0 once no cross-group pair
      has a positive cosine, which a group can also reach by bunching into a cone opposite
      the others: a weaker pull together than the signed form's, not none. Forms the
      ``G(G−1)/2 × V × V`` cosines.

    Measured (AdamW, LR 5e-4, weight decay 0.01, 10k steps on ICSL alone, G=2, V=320,
    d'=128, seed 0), the within-group mean cosine
    (:func:`asrkit.models.quantizer.within_group_cosine`) from N(0, 1) / U[0, 1) codevectors:
    signed 0 → 1.00 / 0.75 → 1.00 (collapse); positive 0 → 0.14 / 0.75 → 0.25; squared
    0 → 0.00 / 0.75 → 0.32. ``squared`` is the form to use to reduce redundancy between
    codebooks without drawing a codebook together; ``positive`` is offered to compare.
    """
    if form not in ICSL_FORMS:
        raise ValueError(f"ICSL form '{form}' is not one of {', '.join(ICSL_FORMS)}")
    groups, entries = codevectors.shape[:2]
    if groups < 2:
        return codevectors.new_zeros(())
    pairs = groups * (groups - 1) / 2
    with torch.autocast(codevectors.device.type, enabled=False):
        unit = F.normalize(codevectors.float(), dim=-1)  # [G, V, d']
        if form == "signed":
            means = unit.mean(1)  # [G, d']
            gram = means @ means.T
            return 2.0 * torch.triu(gram, diagonal=1).sum() / (groups * (groups - 1))
        i, j = torch.triu_indices(groups, groups, offset=1, device=unit.device)
        if form == "squared":
            moments = unit.transpose(1, 2) @ unit  # C_g [G, d', d']
            return (moments[i] * moments[j]).sum() / (entries * entries) / pairs
        cosines = unit[i] @ unit[j].transpose(1, 2)  # [pairs, V, V]
        return F.relu(cosines).mean()


def feature_penalty(features: torch.Tensor, padding_mask: torch.Tensor | None) -> torch.Tensor:
    """mean(z²) of feature-encoder outputs ``[B, T, C]`` over valid frames only (fairseq's
    ``features_pen`` also averages over padding)."""
    squares = features.float().pow(2).mean(-1)
    if padding_mask is None:
        return squares.mean()
    valid = ~padding_mask
    return squares.masked_select(valid).sum() / valid.sum().clamp(min=1)
