"""Gumbel-softmax product quantizer: the targets of wav2vec 2.0's contrastive task.

G codebooks ("groups") of V entries each; a frame picks one entry per group and the picks
are concatenated (fairseq ``GumbelVectorQuantizer`` with ``combine_groups=False``,
``weight_proj_depth=1``). Training uses the hard Gumbel sample in the forward pass and the
soft sample's gradient (straight-through); evaluation takes the argmax.

Codevectors start from N(0, 1), not fairseq's U[0, 1): uniform entries all lie in the
positive orthant with pairwise cosine ≈ 0.75, so targets start nearly identical and the
inter-codebook similarity loss (ICSL) sits at ≈0.75 doing nothing. Gaussian entries are
near-orthogonal (cosine ≈ 0), so groups start distinct. Imported checkpoints keep their
own values.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


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
    ) -> None:
        super().__init__()
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
