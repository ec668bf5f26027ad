"""Feature encoders, one per front end: the paper's f: X → Z, input → latents ``[B, C, T]``
at 20 ms.

``Wav2Vec2Config.frontend`` picks the front end, i.e. what the model reads:

- ``"waveform"``: :class:`FeatureEncoder`, the paper's stack of 7 strided convs over
  16 kHz samples (×320);
- ``"fbank"``: :class:`FbankFeatureEncoder`, precomputed 80-dim log-mel at a 10 ms shift
  through a small conv stack whose strides multiply to 2.

Either way the rest of wav2vec 2.0 (projection, masking, quantizer targets, context
network) sees the same 20 ms frames. Both are padding-exact: an utterance's valid frames
do not depend on the batch it is in.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from asrkit.models import streaming
from asrkit.models.ops import masked_instance_norm, utterance_mvn


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


def prefix_normalize(x: torch.Tensor, lengths: torch.Tensor, chunk: int,
                     after: list[tuple[int, int, int]], eps: float = 1e-5) -> torch.Tensor:
    """Streaming's per-utterance normalization of ``[B, C, T]`` at a level of the feature
    encoder whose convs ``after`` it make output frames in chunks of ``chunk``: each frame
    with the statistics of what has arrived when its chunk is computed
    (:func:`asrkit.models.streaming.prefix_normalize`)."""
    out_lengths = conv_output_lengths(lengths, after)
    jump = math.prod(stride for _, _, stride in after)
    region, edges = streaming.norm_regions(lengths, out_lengths, x.shape[-1], chunk, jump,
                                           receptive_field(after))
    return streaming.prefix_normalize(x, lengths, region, edges, eps)


class ConvBlock(nn.Module):
    """One feature-encoder conv on ``[B, C, T]``: Conv1d → (GroupNorm over each channel's
    valid frames | LayerNorm over channels | nothing) → GELU."""

    def __init__(self, in_dim: int, out_dim: int, kernel: int, stride: int,
                 norm: Literal["group", "layer", "none"], bias: bool) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_dim, out_dim, kernel, stride=stride, bias=bias)
        nn.init.kaiming_normal_(self.conv.weight)
        self.norm = norm
        if norm == "group":
            self.group_norm = nn.GroupNorm(out_dim, out_dim)
        elif norm == "layer":
            self.layer_norm = nn.LayerNorm(out_dim)
        self.kernel, self.stride = kernel, stride

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        """``lengths``: valid output frames of this conv (None: nothing is padded)."""
        x = self.conv(x)
        if self.norm == "group":
            norm = self.group_norm
            x = masked_instance_norm(x, lengths, norm.weight, norm.bias, norm.eps)
        elif self.norm == "layer":
            x = self.layer_norm(x.transpose(1, 2)).transpose(1, 2)
        return F.gelu(x)


class FeatureEncoder(nn.Module):
    """Waveform ``[B, S]`` → latent speech representations ``[B, C, T]`` (fairseq
    ``ConvFeatureExtractionModel``). ``mode`` is fairseq's ``extractor_mode``:
    ``"group_norm"`` (fairseq ``"default"``) normalizes the first conv only, ``"layer_norm"``
    every conv."""

    def __init__(self, layers: list[tuple[int, int, int]], mode: str, bias: bool) -> None:
        super().__init__()
        self.layers = [tuple(layer) for layer in layers]
        blocks, in_dim = [], 1
        for i, (dim, kernel, stride) in enumerate(self.layers):
            norm = "layer" if mode == "layer_norm" else ("group" if i == 0 else "none")
            blocks.append(ConvBlock(in_dim, dim, kernel, stride, norm, bias))
            in_dim = dim
        self.conv_layers = nn.ModuleList(blocks)

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor | None,
                chunk: int | None = None) -> torch.Tensor:
        """``chunk``: streaming, the GroupNorm's statistics over what has arrived (``lengths``
        needed)."""
        x = wave[:, None, :]
        for i, block in enumerate(self.conv_layers):
            if lengths is not None:
                lengths = conv_output_lengths(lengths, [(0, block.kernel, block.stride)])
            if chunk is not None and block.norm == "group":
                norm = block.group_norm
                x = prefix_normalize(block.conv(x), lengths, chunk, self.layers[i + 1:], norm.eps)
                valid = torch.arange(x.shape[-1], device=x.device)[None] < lengths[:, None]
                x = F.gelu(x * norm.weight[:, None] + norm.bias[:, None] * valid[:, None])
            else:
                x = block(x, lengths)
        return x

    def prefix_mvn(self, wave: torch.Tensor, lengths: torch.Tensor, chunk: int) -> torch.Tensor:
        """Streaming's ``normalize_waveform`` of ``[B, 1, S]`` (samples so far)."""
        return prefix_normalize(wave, lengths, chunk, self.layers)


class FbankFeatureEncoder(nn.Module):
    """Fbank ``[B, T, n_mels]`` (10 ms) → latents ``[B, C, T']`` at 20 ms: per-utterance
    mean and variance normalization, then convs each followed by a per-frame LayerNorm and
    GELU, so an utterance's frames never see the batch's padding."""

    def __init__(self, n_mels: int, layers: list[tuple[int, int, int]], bias: bool = True) -> None:
        super().__init__()
        self.layers = [tuple(layer) for layer in layers]
        blocks, in_dim = [], n_mels
        for dim, kernel, stride in self.layers:
            blocks.append(ConvBlock(in_dim, dim, kernel, stride, "layer", bias))
            in_dim = dim
        self.conv_layers = nn.ModuleList(blocks)
        self.n_mels = n_mels

    def forward(self, fbank: torch.Tensor, lengths: torch.Tensor | None,
                chunk: int | None = None) -> torch.Tensor:
        """``chunk``: streaming, the utterance MVN over the frames that have arrived."""
        if fbank.dim() != 3 or fbank.shape[-1] != self.n_mels:
            raise ValueError(
                f"the fbank front end expects [batch, frames, {self.n_mels}] features, got "
                f"shape {tuple(fbank.shape)}; check dump's feature type and n_mels"
            )
        if lengths is None:
            lengths = torch.full((fbank.shape[0],), fbank.shape[1], device=fbank.device)
        if chunk is None:
            x = utterance_mvn(fbank, lengths).transpose(1, 2)
        else:
            x = prefix_normalize(fbank.transpose(1, 2), lengths, chunk, self.layers)
        for block in self.conv_layers:
            x = block(x, None)
        return x
