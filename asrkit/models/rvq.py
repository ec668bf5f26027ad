"""Residual vector quantization between the encoder and the CTC head (METHODS.md §3).

L quantizers in sequence, each coding what the previous ones left over::

    q_1 = Q_1(x),  r_1 = x - q_1,  q_l = Q_l(r_{l-1}),  r_l = r_{l-1} - q_l,  x̂ = Σ_l q_l

The head sees x̂ through a straight-through estimator, x̂ := x + sg(x̂ - x), so CTC
gradients reach the encoder unchanged, while the commitment loss
Σ_l ||r_{l-1} - sg(q_l)||² pulls the encoder towards its codes. Codebooks learn either by
exponential moving averages of the vectors assigned to them (``ema=True``, decay 0.99) or
by gradient through a codebook loss Σ_l ||sg(r_{l-1}) - q_l||². Codes that stop being used
(EMA cluster size below ``dead_code_threshold``) are replaced by residuals from the
current batch, so no level silently shrinks to a handful of codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn


@dataclass
class RVQConfig:
    num_levels: int = 4  # L; 0 disables the quantizer
    codebook_size: int = 256
    ema: bool = True  # EMA codebooks (else learned through the codebook loss)
    decay: float = 0.99
    commitment_weight: float = 0.25
    codebook_weight: float = 1.0  # only for learned codebooks
    dead_code_threshold: float = 1e-3  # EMA cluster size below which a code is replaced
    eps: float = 1e-5


@dataclass
class RVQOutput:
    quantized: torch.Tensor  # [B, T, D] x + sg(x̂ - x)
    codes: torch.Tensor  # [B, T, L] code index per level
    commitment_loss: torch.Tensor  # mean over valid frames, summed over levels
    codebook_loss: torch.Tensor  # 0 with EMA codebooks
    perplexity: list[float]  # code usage per level, exp(entropy) over the batch
    residual_norm: list[float]  # mean ||r_l|| after each level: falls with l


def _all_reduce(t: torch.Tensor) -> torch.Tensor:
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(t)
    return t


class VectorQuantizer(nn.Module):
    """One codebook of ``codebook_size`` vectors; nearest-neighbour assignment."""

    def __init__(self, dim: int, cfg: RVQConfig):
        super().__init__()
        self.cfg = cfg
        embed = torch.randn(cfg.codebook_size, dim) * 0.1
        if cfg.ema:
            self.register_buffer("embed", embed)
            self.register_buffer("cluster_size", torch.ones(cfg.codebook_size))
            self.register_buffer("embed_sum", embed.clone())
        else:
            self.embed = nn.Parameter(embed)
        # Codebooks start from data (the first batch's vectors), not from noise far away.
        self.register_buffer("initialized", torch.tensor(False))

    def _init_from(self, x: torch.Tensor) -> None:
        idx = torch.randint(0, x.shape[0], (self.cfg.codebook_size,), device=x.device)
        sample = x[idx].detach().clone()
        _all_reduce(sample)
        if dist.is_available() and dist.is_initialized():
            sample /= dist.get_world_size()
        with torch.no_grad():
            self.embed.data.copy_(sample)
            if self.cfg.ema:
                self.embed_sum.copy_(sample)
                self.cluster_size.fill_(1.0)
        self.initialized.fill_(True)

    def assign(self, x: torch.Tensor) -> torch.Tensor:
        """Index of the nearest code for each row of ``x`` [N, D]."""
        e = self.embed
        dist2 = x.pow(2).sum(1, keepdim=True) - 2 * x @ e.t() + e.pow(2).sum(1)[None]
        return dist2.argmin(dim=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Quantize rows of ``x`` [N, D] (valid frames only); returns (q [N, D], codes [N])."""
        if self.training and not bool(self.initialized) and x.shape[0] > 0:
            self._init_from(x)
        codes = self.assign(x.detach())
        q = F.embedding(codes, self.embed)
        if self.training and self.cfg.ema and x.shape[0] > 0:
            self._ema_update(x.detach(), codes)
        return q, codes

    @torch.no_grad()
    def _ema_update(self, x: torch.Tensor, codes: torch.Tensor) -> None:
        cfg = self.cfg
        onehot = F.one_hot(codes, cfg.codebook_size).type(x.dtype)  # [N, V]
        counts = _all_reduce(onehot.sum(0))
        sums = _all_reduce(onehot.t() @ x)
        self.cluster_size.mul_(cfg.decay).add_(counts, alpha=1 - cfg.decay)
        self.embed_sum.mul_(cfg.decay).add_(sums, alpha=1 - cfg.decay)
        n = self.cluster_size.sum()
        smoothed = (self.cluster_size + cfg.eps) / (n + cfg.codebook_size * cfg.eps) * n
        self.embed.copy_(self.embed_sum / smoothed[:, None])
        self._replace_dead(x)

    @torch.no_grad()
    def _replace_dead(self, x: torch.Tensor) -> None:
        dead = self.cluster_size < self.cfg.dead_code_threshold
        n_dead = int(dead.sum())
        if n_dead == 0 or x.shape[0] == 0:
            return
        pick = x[torch.randint(0, x.shape[0], (n_dead,), device=x.device)]
        if dist.is_available() and dist.is_initialized():  # every rank must agree
            dist.broadcast(pick, src=0)
        self.embed[dead] = pick
        self.embed_sum[dead] = pick
        self.cluster_size[dead] = 1.0


class ResidualVQ(nn.Module):
    """L residual quantizers over encoder outputs [B, T, D] with a padding mask."""

    def __init__(self, dim: int, cfg: RVQConfig):
        super().__init__()
        self.cfg = cfg
        self.levels = nn.ModuleList(VectorQuantizer(dim, cfg) for _ in range(cfg.num_levels))

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> RVQOutput:
        """``valid`` [B, T] is True on real frames; padding is neither coded nor counted."""
        B, T, D = x.shape
        if valid is None:
            valid = torch.ones(B, T, dtype=torch.bool, device=x.device)
        flat = x[valid]  # [N, D]
        residual = flat
        quantized = torch.zeros_like(flat)
        codes, perplexity, residual_norm = [], [], []
        commit = flat.new_zeros(())
        codebook = flat.new_zeros(())
        for vq in self.levels:
            q, c = vq(residual)
            commit = commit + F.mse_loss(residual, q.detach(), reduction="sum") / max(flat.numel(), 1)
            if not self.cfg.ema:
                codebook = codebook + F.mse_loss(residual.detach(), q, reduction="sum") / max(flat.numel(), 1)
            # The next level codes what this one missed; codebooks see no gradient from it.
            residual = residual - q.detach()
            quantized = quantized + (q if not self.cfg.ema else q.detach())
            codes.append(c)
            perplexity.append(_perplexity(c, self.cfg.codebook_size))
            residual_norm.append(float(residual.detach().norm(dim=-1).mean()) if residual.numel() else 0.0)
        # Straight-through: forward x̂, backward identity into the encoder. Learned codebooks
        # also get the CTC gradient through x̂ - sg(x̂), which is zero in value.
        st = flat + (quantized - flat).detach()
        if not self.cfg.ema:
            st = st + (quantized - quantized.detach())
        out = x.new_zeros(B, T, D)
        out[valid] = st.to(out.dtype)
        code_grid = torch.full((B, T, len(self.levels)), -1, dtype=torch.long, device=x.device)
        if codes:
            code_grid[valid] = torch.stack(codes, dim=-1)
        return RVQOutput(out, code_grid, commit, codebook, perplexity, residual_norm)


def _perplexity(codes: torch.Tensor, size: int) -> float:
    if codes.numel() == 0:
        return 0.0
    p = torch.bincount(codes, minlength=size).float()
    p = p / p.sum()
    return float(torch.exp(-(p * torch.log(p.clamp(min=1e-10))).sum()))
