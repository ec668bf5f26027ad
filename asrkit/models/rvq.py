"""Residual vector quantization between the encoder and the CTC head (METHODS.md §3).

L quantizers in sequence, each coding what the previous ones left over::

    q_1 = Q_1(x),  r_1 = x - q_1,  q_l = Q_l(r_{l-1}),  r_l = r_{l-1} - q_l,  x̂ = Σ_l q_l

The head sees x̂ through a straight-through estimator, x̂ := x + sg(x̂ - x), so CTC
gradients reach the encoder unchanged, while the commitment loss
Σ_l ||r_{l-1} - sg(q_l)||² pulls the encoder towards its codes. Codebooks learn either by
exponential moving averages of the vectors assigned to them (``ema=True``, decay 0.99) or
by gradient through a codebook loss Σ_l ||sg(r_{l-1}) - q_l||². EMA codes that no frame
picked (on any rank) for ``dead_code_window`` codebook updates are replaced by residuals
from the current batch, so no level silently shrinks to a handful of codes; the number
replaced is reported per level.

Codebooks start from real frames of the first training batch: under DDP each code takes
a frame drawn on one rank (the ranks that have frames take turns), never an average of
frames from several ranks, which would lie between the data's clusters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    # EMA codebooks: a code no frame picked (on any rank) for this many codebook updates
    # (training forward passes) is replaced by a frame of the batch; 0 never. 100 is the
    # EMA's time constant 1/(1 - decay) at decay 0.99.
    dead_code_window: int = 100
    # also replace codes whose EMA cluster size is below this. The former only rule, at 1e-3:
    # a code had to go unused ~690 updates (0.99^690 ≈ 1e-3) and short runs never got there.
    dead_code_threshold: float = 0.0
    eps: float = 1e-5


@dataclass
class RVQOutput:
    quantized: torch.Tensor  # [B, T, D] x + sg(x̂ - x), in the input's dtype
    codes: torch.Tensor  # [B, T, L] code index per level, -1 on padding
    commitment_loss: torch.Tensor  # mean over valid frames, summed over levels (float32)
    codebook_loss: torch.Tensor  # 0 with EMA codebooks
    # 0-dim tensors, so that logging them costs no host-device sync inside the step:
    perplexity: list[torch.Tensor]  # code usage per level, exp(entropy) over the batch
    residual_norm: list[torch.Tensor]  # mean ||r_l|| after each level: falls with l
    replaced: list[torch.Tensor] = field(default_factory=list)  # dead codes replaced, per level


def _all_reduce(t: torch.Tensor) -> torch.Tensor:
    if dist.is_available() and dist.is_initialized():
        dist.all_reduce(t)
    return t


def _random_rows(x: torch.Tensor, weight: torch.Tensor, k: int) -> torch.Tensor:
    """``k`` rows of ``x`` [N, D] drawn uniformly from those with weight 1, with replacement.

    Drawn without reading the number of valid rows on the host: the valid rows are moved
    to the front by a stable sort and indices are scaled by their count as a tensor. With
    no valid row at all the draw returns padding rows, which callers mask out."""
    order = torch.argsort(weight, descending=True, stable=True)
    pos = (torch.rand(k, device=x.device) * weight.sum()).long().clamp(max=x.shape[0] - 1)
    return x[order[pos]]


class VectorQuantizer(nn.Module):
    """One codebook of ``codebook_size`` vectors; nearest-neighbour assignment.

    Runs in float32 (the caller turns autocast off): distances between nearby codes are
    differences of large squared norms, which half precision blurs, and the EMA sums over
    a batch overflow float16."""

    def __init__(self, dim: int, cfg: RVQConfig):
        super().__init__()
        self.cfg = cfg
        embed = torch.randn(cfg.codebook_size, dim) * 0.1
        if cfg.ema:
            self.register_buffer("embed", embed)
            self.register_buffer("cluster_size", torch.ones(cfg.codebook_size))
            self.register_buffer("embed_sum", embed.clone())
            # Updates since a frame last picked each code. Not saved: a resumed run counts
            # afresh (a code may be replaced up to one window later than without the break),
            # and checkpoints written before it existed still load.
            self.register_buffer("unused", torch.zeros(cfg.codebook_size), persistent=False)
        else:
            self.embed = nn.Parameter(embed)
        # Codebooks start from data (the first batch's vectors), not from noise far away.
        self.register_buffer("initialized", torch.tensor(False))
        # Python's copy of ``initialized`` once it has been read True: reading the buffer
        # is a host-device sync, which every later step skips. Loading a state forgets it.
        self._seen_initialized = False
        self.register_load_state_dict_post_hook(_forget_initialized)

    def _needs_init(self) -> bool:
        if not self._seen_initialized:
            self._seen_initialized = bool(self.initialized)
        return not self._seen_initialized

    @torch.no_grad()
    def _init_from(self, x: torch.Tensor, weight: torch.Tensor) -> None:
        size = self.cfg.codebook_size
        sample = _random_rows(x, weight, size)  # [V, D] frames of this rank
        ok = weight.sum() > 0
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            # Every rank draws V frames; code i takes its frame from the i-th rank that had
            # any (cycling), so the codebook is the same real frames on every rank.
            world = dist.get_world_size()
            draws = [torch.empty_like(sample) for _ in range(world)]
            dist.all_gather(draws, sample)
            had = [torch.empty(1, device=x.device) for _ in range(world)]
            dist.all_gather(had, ok.to(x.dtype).reshape(1))
            had = torch.cat(had)
            ranks = torch.argsort(had, descending=True, stable=True)  # ranks with frames first
            count = had.sum()
            codes = torch.arange(size, device=x.device)
            owner = ranks[torch.remainder(codes, count.clamp(min=1).long())]
            sample = torch.stack(draws)[owner, codes]
            ok = count > 0
        sample = torch.where(ok, sample, self.embed)
        self.embed.data.copy_(sample)
        if self.cfg.ema:
            self.embed_sum.copy_(sample)
            self.cluster_size.copy_(torch.where(ok, 1.0, self.cluster_size))
        self.initialized.copy_(ok | self.initialized)

    def assign(self, x: torch.Tensor) -> torch.Tensor:
        """Index of the nearest code for each row of ``x`` [N, D]."""
        e = self.embed
        dist2 = x.pow(2).sum(1, keepdim=True) - 2 * x @ e.t() + e.pow(2).sum(1)[None]
        return dist2.argmin(dim=1)

    def forward(self, x: torch.Tensor, weight: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Quantize rows of ``x`` [N, D] (float32); ``weight`` [N] is 1 on real frames and 0 on
        padding, which is coded but never counted. Returns (q [N, D], codes [N], counts [V],
        replaced): counts are this batch's frames per code, ``replaced`` (0-dim) the number
        of dead codes this step replaced."""
        if self.training and self._needs_init():
            self._init_from(x, weight)
        codes = self.assign(x.detach())
        q = F.embedding(codes, self.embed)
        counts = torch.zeros(self.cfg.codebook_size, device=x.device).index_add_(0, codes, weight)
        replaced = counts.new_zeros(())
        if self.training and self.cfg.ema:
            replaced = self._ema_update(x.detach(), codes, weight, counts)
        return q, codes, counts, replaced

    @torch.no_grad()
    def _ema_update(self, x: torch.Tensor, codes: torch.Tensor, weight: torch.Tensor,
                    counts: torch.Tensor) -> None:
        cfg = self.cfg
        onehot = F.one_hot(codes, cfg.codebook_size).float() * weight[:, None]  # [N, V]
        counts = _all_reduce(counts.clone())
        sums = _all_reduce(onehot.t() @ x)
        # A batch without frames on any rank leaves the averages where they were.
        coded = counts.sum() > 0
        decay = torch.where(coded, cfg.decay, 1.0)
        self.unused.add_(coded.float()).mul_(counts == 0)
        self.cluster_size.mul_(decay).add_(counts * (1 - decay))
        self.embed_sum.mul_(decay).add_(sums * (1 - decay))
        n = self.cluster_size.sum()
        smoothed = (self.cluster_size + cfg.eps) / (n + cfg.codebook_size * cfg.eps) * n
        self.embed.copy_(self.embed_sum / smoothed[:, None])
        return self._replace_dead(x, weight)

    @torch.no_grad()
    def _replace_dead(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """Give codes unused for ``dead_code_window`` updates (or with an EMA cluster size
        under ``dead_code_threshold``) a frame of the batch; returns how many (0-dim)."""
        # Every code gets a candidate row and the dead ones take theirs: no host-side count
        # of dead codes, and every rank takes part in the broadcast every step.
        size = self.cfg.codebook_size
        pick = _random_rows(x, weight, size)
        has = (weight.sum() > 0).to(x.dtype).expand(size, 1)
        if dist.is_available() and dist.is_initialized():  # every rank must agree: rank 0's
            both = torch.cat([pick, has], dim=1)
            dist.broadcast(both, src=0)
            pick, has = both[:, :-1], both[:, -1:]
        dead = self.cluster_size < self.cfg.dead_code_threshold
        if self.cfg.dead_code_window > 0:
            dead = dead | (self.unused >= self.cfg.dead_code_window)
        dead = dead[:, None] & (has > 0)  # [V, 1]
        self.embed.copy_(torch.where(dead, pick, self.embed))
        self.embed_sum.copy_(torch.where(dead, pick, self.embed_sum))
        self.cluster_size.copy_(torch.where(dead[:, 0], 1.0, self.cluster_size))
        self.unused.masked_fill_(dead[:, 0], 0.0)
        return dead.sum().float()


def _forget_initialized(module: VectorQuantizer, incompatible_keys) -> None:
    module._seen_initialized = False


class ResidualVQ(nn.Module):
    """L residual quantizers over encoder outputs [B, T, D] with a padding mask."""

    def __init__(self, dim: int, cfg: RVQConfig):
        super().__init__()
        self.cfg = cfg
        self.levels = nn.ModuleList(VectorQuantizer(dim, cfg) for _ in range(cfg.num_levels))

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None) -> RVQOutput:
        """``valid`` [B, T] is True on real frames; padding is neither coded nor counted.

        Codes are assigned and learned in float32 with autocast off, whatever the encoder
        ran in; the quantized output comes back in ``x``'s dtype. Padding frames go through
        the codebooks as zeros and are masked out of every sum, rather than selected away:
        selecting by mask makes the host wait for the GPU to know how many frames remain."""
        B, T, D = x.shape
        if valid is None:
            valid = torch.ones(B, T, dtype=torch.bool, device=x.device)
        keep = valid.reshape(B * T, 1)
        with torch.autocast(x.device.type, enabled=False):
            flat = torch.where(keep, x.reshape(B * T, D).float(), 0.0)  # [N, D]
            weight = keep[:, 0].float()
            frames = weight.sum()
            per_value = (frames * D).clamp(min=1)
            residual = flat
            quantized = torch.zeros_like(flat)
            codes, perplexity, residual_norm, replaced = [], [], [], []
            commit = flat.new_zeros(())
            codebook = flat.new_zeros(())
            for vq in self.levels:
                q, c, counts, fresh = vq(residual, weight)
                replaced.append(fresh)
                q = torch.where(keep, q, 0.0)
                commit = commit + F.mse_loss(residual, q.detach(), reduction="sum") / per_value
                if not self.cfg.ema:
                    codebook = codebook + F.mse_loss(residual.detach(), q, reduction="sum") / per_value
                # The next level codes what this one missed; codebooks see no gradient from it.
                residual = residual - q.detach()
                quantized = quantized + (q if not self.cfg.ema else q.detach())
                codes.append(c)
                perplexity.append(_perplexity(counts))
                residual_norm.append(residual.detach().norm(dim=-1).sum() / frames.clamp(min=1))
            # Straight-through: forward x̂, backward identity into the encoder. Learned codebooks
            # also get the CTC gradient through x̂ - sg(x̂), which is zero in value.
            st = flat + (quantized - flat).detach()
            if not self.cfg.ema:
                st = st + (quantized - quantized.detach())
        out = st.to(x.dtype).reshape(B, T, D)
        code_grid = torch.full((B, T, len(self.levels)), -1, dtype=torch.long, device=x.device)
        if codes:
            code_grid = torch.where(valid[..., None], torch.stack(codes, dim=-1).reshape(B, T, -1),
                                    code_grid)
        return RVQOutput(out, code_grid, commit, codebook, perplexity, residual_norm, replaced)


def _perplexity(counts: torch.Tensor) -> torch.Tensor:
    """exp(entropy) of the code distribution ``counts`` [V]; 0 when nothing was coded."""
    total = counts.sum()
    p = counts / total.clamp(min=1e-10)
    ppl = torch.exp(-(p * torch.log(p.clamp(min=1e-10))).sum())
    return torch.where(total > 0, ppl, 0.0)
