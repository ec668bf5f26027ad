"""Filterbank front end: precomputed log-mel features in place of the waveform encoder.

80-dim fbank at a 10 ms shift goes through a small 1-D conv stack whose strides multiply
to 2, giving the 20 ms frames the rest of wav2vec 2.0 expects (projection, masking,
quantizer targets, context network). Each conv is followed by a per-frame LayerNorm and
GELU, so an utterance's frames never see the batch's padding.
"""

from __future__ import annotations

import torch
from torch import nn


def conv_output_lengths(lengths: torch.Tensor, layers: list[tuple[int, int, int]]) -> torch.Tensor:
    """Valid output frames after unpadded convs ``(dim, kernel, stride)``: ⌊(L − k)/s⌋ + 1."""
    for _, kernel, stride in layers:
        lengths = torch.div(lengths - kernel, stride, rounding_mode="floor") + 1
    return lengths


def receptive_field(layers: list[tuple[int, int, int]]) -> int:
    """Input samples (or frames) one output frame sees; shorter inputs give no frame."""
    field, jump = 1, 1
    for _, kernel, stride in layers:
        field += (kernel - 1) * jump
        jump *= stride
    return field


class ConvLayerNormBlock(nn.Module):
    """Conv1d → LayerNorm over channels → GELU, on ``[B, C, T]``."""

    def __init__(self, in_dim: int, out_dim: int, kernel: int, stride: int, bias: bool) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_dim, out_dim, kernel, stride=stride, bias=bias)
        self.layer_norm = nn.LayerNorm(out_dim)
        nn.init.kaiming_normal_(self.conv.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        x = self.layer_norm(x.transpose(1, 2)).transpose(1, 2)
        return nn.functional.gelu(x)


def utterance_mvn(fbank: torch.Tensor, lengths: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Zero mean, unit variance per utterance and mel bin over its valid frames (ESPnet's
    ``UtteranceMVN``); padding stays 0.

    Log-mel energies sit around +13 with most of their variance shared by all bins; left
    as they are, the untrained quantizer sends most frames to the same few codes (code
    perplexity ~11 of 128 at init on the demo corpus, ~38 after normalization).
    """
    valid = (torch.arange(fbank.shape[1], device=fbank.device)[None] < lengths[:, None])[..., None]
    n = lengths.clamp(min=1).to(fbank.dtype)[:, None, None]
    mean = (fbank * valid).sum(1, keepdim=True) / n
    var = (((fbank - mean) * valid) ** 2).sum(1, keepdim=True) / n
    return (fbank - mean) * torch.rsqrt(var + eps) * valid


class FbankFrontend(nn.Module):
    """``[B, T, n_mels]`` fbank (10 ms) → ``[B, C, T']`` features at 20 ms."""

    def __init__(self, n_mels: int, layers: list[tuple[int, int, int]], bias: bool = True) -> None:
        super().__init__()
        self.layers = [tuple(layer) for layer in layers]
        blocks, in_dim = [], n_mels
        for dim, kernel, stride in self.layers:
            blocks.append(ConvLayerNormBlock(in_dim, dim, kernel, stride, bias))
            in_dim = dim
        self.conv_layers = nn.ModuleList(blocks)
        self.n_mels = n_mels

    def forward(self, fbank: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if fbank.dim() != 3 or fbank.shape[-1] != self.n_mels:
            raise ValueError(
                f"the fbank front end expects [batch, frames, {self.n_mels}] features, got "
                f"shape {tuple(fbank.shape)}; check dump's feature type and n_mels"
            )
        x = utterance_mvn(fbank, lengths).transpose(1, 2)
        for block in self.conv_layers:
            x = block(x)
        return x, conv_output_lengths(lengths, self.layers)
