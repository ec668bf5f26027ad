"""Gumbel-softmax product quantizer: the targets of wav2vec 2.0's contrastive task.

G codebooks ("groups") of V entries each; a frame picks one entry per group and the picks
are concatenated (fairseq ``GumbelVectorQuantizer`` with ``combine_groups=False``,
``weight_proj_depth=1``). Training uses the hard Gumbel sample in the forward pass and the
soft sample's gradient (straight-through); evaluation takes the argmax.

Codevectors start from N(0, 1) by default (``init="normal"``), not fairseq's U[0, 1)
(``init="uniform"``, for runs compared with fairseq): uniform entries all lie in the
positive orthant with pairwise cosine ≈ 0.75, so targets start nearly identical. Gaussian
entries are near-orthogonal (cosine ≈ 0), so groups start distinct. Imported checkpoints
keep their own values.

Codebook health (:func:`codebook_health`): perplexity comes from the selection logits and
counts entries by index, so it cannot see entries that point the same way. The straight-
through estimator gives contrastive gradient only to the entries picked; the rest move by
the other losses alone (ICSL), and may collapse unseen. The within-group mean cosine and
the number of picked entries that are distinct directions see it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from asrkit.models.objectives import icsl

CODEVECTOR_INITS = ("normal", "uniform")


@dataclass
class QuantizerOutput:
    vectors: torch.Tensor  # [N, G·d'] chosen codevectors, concatenated over groups
    codes: torch.Tensor  # [N, G] chosen entry per group
    probs: torch.Tensor  # [N, G, V] softmax (not Gumbel) probabilities, for the diversity loss
    code_perplexity: torch.Tensor  # perplexity of the hard choices, summed over groups
    prob_perplexity: torch.Tensor  # perplexity of the mean softmax, summed over groups


def perplexity(probs: torch.Tensor) -> torch.Tensor:
    """Σ_g exp(H(p̄_g)) for per-frame distributions ``probs [N, G, V]`` (p̄ = mean over N)."""
    mean = probs.float().mean(0)
    return torch.exp(-torch.sum(mean * torch.log(mean + 1e-7), dim=-1)).sum()


SAME_DIRECTION = 0.99  # cosine above which two codevectors count as one (≈ 8°)


def within_group_cosine(codevectors: torch.Tensor) -> torch.Tensor:
    """Mean cosine between different entries of the same group, averaged over groups
    (``[G, V, d']``): ≈0 for N(0, 1) entries, ≈0.75 for U[0, 1), 1 when each group has
    collapsed onto one direction. From the group means m_g of the unit rows:
    Σ_{a≠b} cos = V²|m_g|² − V."""
    entries = codevectors.shape[1]
    if entries < 2:
        return codevectors.new_zeros(())
    with torch.autocast(codevectors.device.type, enabled=False):
        means = F.normalize(codevectors.float(), dim=-1).mean(1)  # [G, d']
        square = means.pow(2).sum(-1)
    return ((entries * entries * square - entries) / (entries * (entries - 1))).mean()


@torch.no_grad()
def codebook_health(codevectors: torch.Tensor, codes: torch.Tensor) -> dict[str, torch.Tensor]:
    """What the batch's picks ``codes [N, G]`` say about the codebooks ``[G, V, d']``.

    0-dim tensors (no host read): ``cos_within`` (:func:`within_group_cosine`),
    ``cos_between`` (mean cosine between entries of different groups, the signed ICSL),
    ``codes_used`` (distinct entries picked, summed over groups) and
    ``codevectors_distinct`` (of those, the ones no lower-numbered picked entry of their
    group points the same way as, cosine > :data:`SAME_DIRECTION`): picks of a collapsed
    codebook differ in index but not in vector, so the second falls below the first.
    """
    groups, entries = codevectors.shape[:2]
    with torch.autocast(codevectors.device.type, enabled=False):
        unit = F.normalize(codevectors.detach().float(), dim=-1)  # [G, V, d']
        used = torch.zeros(groups, entries, device=codes.device)
        used.scatter_(1, codes.T, 1.0)  # [G, V]
        same = unit @ unit.transpose(1, 2) > SAME_DIRECTION  # [G, V, V]
        earlier = torch.ones(entries, entries, dtype=torch.bool, device=codes.device).tril(-1)
        copy = (same & earlier & (used[:, None, :] > 0)).any(-1)  # a picked earlier entry alike
    return {
        "cos_within": within_group_cosine(codevectors.detach()),
        "cos_between": icsl(codevectors.detach(), "signed"),
        "codes_used": used.sum(),
        "codevectors_distinct": (used * (~copy).float()).sum(),
    }


def gumbel_temperature(num_updates: int, schedule: tuple[float, float, float]) -> float:
    """τ = max(τ_max · decay^updates, τ_min) (fairseq ``latent_temp``)."""
    start, end, decay = schedule
    return max(start * decay**num_updates, end)


class GumbelVectorQuantizer(nn.Module):
    """Maps features ``[N, in_dim]`` to codevectors ``[N, codevector_dim]``.

    fairseq: ``GumbelVectorQuantizer(dim, num_vars=V, groups=G, vq_dim, temp)``;
    parameters ``vars`` ``[1, G·V, d']`` are stored here as ``codevectors [G, V, d']``.
    """

    def __init__(
        self,
        in_dim: int,
        num_groups: int,
        num_vars: int,
        codevector_dim: int,
        temperature: tuple[float, float, float] = (2.0, 0.5, 0.999995),
        init: str = "normal",
    ) -> None:
        super().__init__()
        if init not in CODEVECTOR_INITS:
            raise ValueError(f"codevector init '{init}' is not one of {', '.join(CODEVECTOR_INITS)}")
        self.init = init
        if codevector_dim % num_groups:
            raise ValueError(
                f"codevector_dim {codevector_dim} must be divisible by the number of "
                f"codebook groups {num_groups}"
            )
        self.num_groups = num_groups
        self.num_vars = num_vars
        self.schedule = tuple(temperature)
        self.temperature = float(temperature[0])
        self.codevectors = nn.Parameter(torch.empty(num_groups, num_vars, codevector_dim // num_groups))
        self.weight_proj = nn.Linear(in_dim, num_groups * num_vars)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.init == "uniform":
            nn.init.uniform_(self.codevectors)  # fairseq's ``nn.init.uniform_(self.vars)``
        else:
            nn.init.normal_(self.codevectors)
        nn.init.normal_(self.weight_proj.weight, mean=0.0, std=1.0)
        nn.init.zeros_(self.weight_proj.bias)

    def set_num_updates(self, num_updates: int) -> None:
        self.temperature = gumbel_temperature(num_updates, self.schedule)

    def forward(self, features: torch.Tensor) -> QuantizerOutput:
        n = features.shape[0]
        logits = self.weight_proj(features).view(n, self.num_groups, self.num_vars).float()
        codes = logits.argmax(-1)  # [N, G]
        probs = logits.softmax(-1)
        if self.training:
            onehot = F.gumbel_softmax(logits, tau=self.temperature, hard=True)
            codes = onehot.argmax(-1)
        else:
            onehot = F.one_hot(codes, self.num_vars).to(logits.dtype)
        hard = F.one_hot(logits.argmax(-1), self.num_vars).to(logits.dtype)
        # [G, N, V] @ [G, V, d'] -> [G, N, d']: a lookup that keeps the straight-through gradient.
        onehot = onehot.to(self.codevectors.dtype)
        vectors = torch.bmm(onehot.transpose(0, 1), self.codevectors).transpose(0, 1)
        return QuantizerOutput(
            vectors=vectors.reshape(n, -1),
            codes=codes,
            probs=probs,
            code_perplexity=perplexity(hard).detach(),
            prob_perplexity=perplexity(probs),
        )
