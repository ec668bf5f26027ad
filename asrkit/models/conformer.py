"""A small Conformer CTC encoder on log-mel fbank: the conventional no-SSL reference.

fbank [B, T, F] (10 ms) → SpecAugment (training) → global CMVN → 2-layer conv2d
subsampling (×4, 40 ms frames) → N Conformer blocks → hidden [B, T/4, D].

A Conformer block (Gulati et al., 2020) is, with half-step feed-forward modules::

    x = x + ½ FFN(x);  x = x + MHSA(x);  x = x + Conv(x);  x = x + ½ FFN(x);  x = LN(x)

Positions enter as sinusoidal encodings added after subsampling (ESPnet's "abs_pos"); the
attention runs through ``F.scaled_dot_product_attention`` with a key-padding mask.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ConformerConfig:
    input_dim: int = 80  # fbank bins
    dim: int = 144
    num_layers: int = 4
    num_heads: int = 4
    ffn_dim: int = 576
    conv_kernel: int = 15
    dropout: float = 0.1
    # SpecAugment (Park et al., 2019), applied to fbank frames in training
    freq_masks: int = 2
    freq_mask_width: int = 27
    time_masks: int = 2
    time_mask_ratio: float = 0.05  # max width as a fraction of the utterance


def _uniform_int(high: torch.Tensor) -> torch.Tensor:
    """One draw from {0, ..., high - 1} per element of ``high`` (>= 1), made on its device."""
    u = torch.rand(high.shape, dtype=torch.float64, device=high.device)
    return torch.minimum((u * high).long(), high - 1)


def _spans(count: int, max_width: torch.Tensor, extent: torch.Tensor, size: int) -> torch.Tensor:
    """Masks [B, size] of ``count`` spans per row: width ~ U{0..max_width}, start ~
    U{0..max(extent - width, 1) - 1}; ``max_width`` and ``extent`` are [B, 1]."""
    shape = (max_width.shape[0], count)
    width = _uniform_int((max_width + 1).expand(shape))
    start = _uniform_int((extent - width).clamp(min=1))
    pos = torch.arange(size, device=max_width.device)[None, None]  # [1, 1, size]
    inside = (pos >= start[..., None]) & (pos < (start + width)[..., None])  # [B, count, size]
    return inside.any(dim=1)


def spec_augment(x: torch.Tensor, lengths: torch.Tensor, cfg: ConformerConfig) -> torch.Tensor:
    """Zero random frequency bands and time spans of fbank ``x`` [B, T, F]; ``x`` is untouched.

    Per utterance, ``freq_masks`` bands of width U{0..freq_mask_width} and ``time_masks``
    spans of width U{0..max(⌊time_mask_ratio · length⌋, 1)} inside the utterance. The masks
    of the whole batch are drawn as tensors on ``x``'s device: the widths depend on each
    utterance's length, and reading them on the host would make it wait for the GPU."""
    B, T, Fdim = x.shape
    lengths = lengths.to(x.device, torch.long)[:, None]  # [B, 1]
    bands = _spans(cfg.freq_masks, torch.full_like(lengths, cfg.freq_mask_width),
                   torch.full_like(lengths, Fdim), Fdim)
    # float64, as Python's int(ratio * n): float32 rounds some products up to the next integer
    max_span = (cfg.time_mask_ratio * lengths.double()).long().clamp(min=1)
    spans = _spans(cfg.time_masks, max_span, lengths, T)
    return x.masked_fill(spans[:, :, None] | bands[:, None, :], 0.0)


class Conv2dSubsampling(nn.Module):
    """Two stride-2 3×3 convolutions: [B, T, F] → [B, T', D] with T' = ((T-1)//2 - 1)//2."""

    def __init__(self, input_dim: int, dim: int):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, dim, 3, 2), nn.ReLU(), nn.Conv2d(dim, dim, 3, 2), nn.ReLU())
        self.out = nn.Linear(dim * (((input_dim - 1) // 2 - 1) // 2), dim)

    @staticmethod
    def output_lengths(lengths: torch.Tensor) -> torch.Tensor:
        return ((lengths - 1) // 2 - 1) // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x.unsqueeze(1))  # [B, D, T', F']
        b, d, t, f = x.shape
        return self.out(x.transpose(1, 2).reshape(b, t, d * f))


def sinusoidal_positions(length: int, dim: int, device: torch.device) -> torch.Tensor:
    pos = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(length, dim, device=device)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


class FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(
            nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.SiLU(), nn.Dropout(dropout),
            nn.Linear(hidden, dim), nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.heads = heads
        self.dropout = dropout

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        q, k, v = self.qkv(self.norm(x)).view(B, T, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        mask = valid[:, None, None, :]  # keys: True = attend
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0)
        return F.dropout(self.out(y.transpose(1, 2).reshape(B, T, D)), self.dropout, self.training)


class ConvModule(nn.Module):
    """Pointwise conv + GLU → depthwise conv → BatchNorm → SiLU → pointwise conv."""

    def __init__(self, dim: int, kernel: int, dropout: float):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.pointwise_in = nn.Conv1d(dim, 2 * dim, 1)
        self.depthwise = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=dim)
        self.batch_norm = nn.BatchNorm1d(dim)
        self.pointwise_out = nn.Conv1d(dim, dim, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        y = F.glu(self.pointwise_in(self.norm(x).transpose(1, 2)), dim=1)  # [B, D, T]
        # Padding must read as zeros to the depthwise conv, as it would past the end alone.
        y = y.masked_fill(~valid[:, None, :], 0.0)
        y = F.silu(self.batch_norm(self.depthwise(y)))
        return self.dropout(self.pointwise_out(y).transpose(1, 2))


class ConformerBlock(nn.Module):
    def __init__(self, cfg: ConformerConfig):
        super().__init__()
        self.ffn1 = FeedForward(cfg.dim, cfg.ffn_dim, cfg.dropout)
        self.attn = SelfAttention(cfg.dim, cfg.num_heads, cfg.dropout)
        self.conv = ConvModule(cfg.dim, cfg.conv_kernel, cfg.dropout)
        self.ffn2 = FeedForward(cfg.dim, cfg.ffn_dim, cfg.dropout)
        self.norm = nn.LayerNorm(cfg.dim)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        x = x + 0.5 * self.ffn1(x)
        x = x + self.attn(x, valid)
        x = x + self.conv(x, valid)
        x = x + 0.5 * self.ffn2(x)
        return self.norm(x)


class ConformerEncoder(nn.Module):
    """fbank [B, T, F] + lengths → hidden [B, T', D] + lengths (T' ≈ T/4)."""

    def __init__(self, cfg: ConformerConfig, cmvn: tuple[torch.Tensor, torch.Tensor] | None = None):
        super().__init__()
        self.cfg = cfg
        mean, std = cmvn if cmvn is not None else (torch.zeros(cfg.input_dim), torch.ones(cfg.input_dim))
        self.register_buffer("cmvn_mean", mean.float().clone())
        self.register_buffer("cmvn_std", std.float().clone())
        self.subsample = Conv2dSubsampling(cfg.input_dim, cfg.dim)
        self.dropout = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(ConformerBlock(cfg) for _ in range(cfg.num_layers))
        self.output_dim = cfg.dim

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return Conv2dSubsampling.output_lengths(lengths)

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = (feats - self.cmvn_mean) / self.cmvn_std
        if self.training:
            x = spec_augment(x, lengths, self.cfg)
        x = self.subsample(x)
        out_lengths = self.output_lengths(lengths).clamp(min=1)
        T = x.shape[1]
        valid = torch.arange(T, device=x.device)[None] < out_lengths[:, None]
        x = self.dropout(x * math.sqrt(self.cfg.dim) + sinusoidal_positions(T, self.cfg.dim, x.device))
        for block in self.blocks:
            x = block(x, valid)
        return x, out_lengths
