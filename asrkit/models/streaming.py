"""Chunked attention for streaming: what a frame may see when audio arrives chunk by chunk.

A stream is cut into chunks of ``chunk`` output frames (20 ms each for wav2vec 2.0). Every
part of the model that looks along time is bounded the same way (WeNet's "U2" scheme,
Zhang et al. 2020; the mask is their ``subsequent_chunk_mask``):

- **attention**: a frame of chunk ``c`` attends to the frames of chunks
  ``max(0, c − left_chunks) … c``: never past its chunk's right edge (no look-ahead beyond
  the chunk) and never further back than ``left_chunks`` chunks (``-1``: all of the past);
- **positional convolution** (wav2vec 2.0's 128-tap conv reads 64 frames back and 63,
  about 1.26 s, ahead): its taps past the chunk's right edge read zeros, as at the end of
  an utterance; its 64 past frames are a cache (:func:`chunked_pos_conv`);
- **per-utterance normalization** in the feature encoder (fbank utterance MVN, the waveform
  encoder's first-layer GroupNorm, ``normalize_waveform``): each frame is normalized with
  the mean and variance of everything received up to the right edge of the chunk that first
  needs it (:func:`prefix_normalize`), so frames already used are never changed later.

A chunk that holds the whole utterance is the full-context model. The algorithmic latency
of a frame is then the wait until its chunk's last frame can be computed: at most the
chunk's duration plus the feature encoder's look-ahead past a frame's end
(:func:`algorithmic_latency_ms`). Dynamic chunk training (:class:`StreamingTraining`) draws
a chunk size per batch so one model serves every chunk size and the full context.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from asrkit.config import ConfigError


@dataclass(frozen=True)
class Chunking:
    """Chunked mode of a forward pass: ``frames`` output frames per chunk, ``left_chunks``
    chunks of left context (-1: unbounded)."""

    frames: int
    left_chunks: int = -1

    def __post_init__(self) -> None:
        if self.frames < 1:
            raise ValueError(f"a chunk holds at least one frame, not {self.frames}")
        if self.left_chunks < -1:
            raise ValueError(f"left_chunks is -1 (all) or >= 0, not {self.left_chunks}")

    def covers(self, steps: int) -> bool:
        """True when one chunk holds all ``steps`` frames: the full-context model."""
        return self.frames >= steps


def chunk_attention_mask(steps: int, chunk: int, left_chunks: int = -1,
                         device: torch.device | str = "cpu") -> torch.Tensor:
    """``[steps, steps]`` bool, True where query frame ``i`` may attend to key frame ``j``:
    ``j`` lies in ``i``'s chunk or one of the ``left_chunks`` chunks before it (-1: any
    earlier chunk)."""
    pos = torch.arange(steps, device=device)
    block = torch.div(pos, chunk, rounding_mode="floor")
    visible = block[None, :] <= block[:, None]
    if left_chunks >= 0:
        visible &= block[None, :] >= block[:, None] - left_chunks
    return visible


def chunked_pos_conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, groups: int,
                     chunk: int, conv) -> torch.Tensor:
    """wav2vec 2.0's positional conv ``[B, D, T]`` with every frame's taps limited to its
    chunk's right edge; the past taps see all earlier frames (a cache when streaming).

    The ``K``-tap conv with SamePad computes ``y_t = Σ_k W_k x_{t+k−K/2}``. Split at the
    centre tap, it is a causal conv over the whole sequence (taps ``k < K/2``: the ``K/2``
    past frames) plus a look-ahead conv inside each chunk (taps ``k ≥ K/2``) whose input
    past the chunk's end is zero. Each part is a plain conv, so the cost is that of the
    full-context conv. ``conv(x, w, b, left)`` is the ``y_t = Σ_k w_k x_{t+k−left}`` kernel
    (direct or FFT; see :class:`~asrkit.models.wav2vec2.PositionalConvEmbedding`).
    """
    batch, dim, steps = x.shape
    half = weight.shape[-1] // 2
    past = conv(x, weight[..., :half], bias, half)  # [B, D, T]: frames t − K/2 … t − 1
    pad = -steps % chunk
    blocks = F.pad(x, (0, pad)).view(batch, dim, -1, chunk).transpose(1, 2)  # [B, N, D, C]
    ahead = conv(blocks.reshape(-1, dim, chunk), weight[..., half:], None, 0)  # t … chunk end
    ahead = ahead.view(batch, -1, dim, chunk).transpose(1, 2).reshape(batch, dim, -1)
    return past + ahead[..., :steps]


class AttentionCache:
    """One attention layer's keys and values ``[B, H, M, d]`` of the frames the next chunk
    may attend to: the last ``keep`` frames (None: all)."""

    def __init__(self, keep: int | None) -> None:
        self.keep = keep
        self.keys: torch.Tensor | None = None
        self.values: torch.Tensor | None = None

    def extend(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The cached keys and values followed by ``k``/``v``; keeps the last ``keep``."""
        if self.keys is not None:
            k, v = torch.cat([self.keys, k], 2), torch.cat([self.values, v], 2)
        first = 0 if self.keep is None else max(0, k.shape[2] - self.keep)
        self.keys, self.values = k[:, :, first:], v[:, :, first:]
        return k, v


# ------------------------------------------------------- the feature encoder's statistics


def norm_regions(level_lengths: torch.Tensor, out_lengths: torch.Tensor, steps: int, chunk: int,
                 jump: int, field_: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Which prefix normalizes each frame of a level of the feature encoder (per item).

    Output frame ``j`` reads frames ``[j·jump, j·jump + field)`` of the level (the convs
    after it), so a full chunk ``c`` (``(c+1)·chunk ≤ T``) needs the level's first
    ``e_c = ((c+1)·chunk − 1)·jump + field`` frames and a last, partial chunk all of them
    (``level_lengths``). Frames in ``[e_{c−1}, e_c)`` arrive with chunk ``c`` and are
    normalized with the statistics of ``[0, e_c)``.

    Returns ``region [B, steps]`` (each frame's chunk) and ``edges [B, N]`` (``e_c``). The
    last region holds what comes after the last full chunk's edge and no output frame reads
    (it must not count for that chunk).
    """
    count = int(torch.div(out_lengths.max() + chunk - 1, chunk, rounding_mode="floor")) + 1
    c = torch.arange(count, device=level_lengths.device)
    full = ((c + 1) * chunk - 1) * jump + field_  # [N]
    is_full = (c[None] + 1) * chunk <= out_lengths[:, None]  # [B, N]
    edges = torch.where(is_full, full[None].expand(len(out_lengths), -1), level_lengths[:, None])
    edges = torch.minimum(edges, level_lengths[:, None])
    pos = torch.arange(steps, device=level_lengths.device).expand(len(out_lengths), -1).contiguous()
    region = torch.searchsorted(edges.contiguous(), pos, right=True).clamp(max=count - 1)
    return region, edges


def prefix_normalize(x: torch.Tensor, lengths: torch.Tensor, region: torch.Tensor,
                     edges: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """``[B, C, T]`` normalized per channel with prefix statistics: frame ``t`` with the
    mean and (biased) variance of the item's frames ``[0, edges[region[t]])``. Padding
    frames come out as 0. Region sums in float32, their running totals in float64 (an
    incremental decoder adds the same region sums one chunk at a time)."""
    batch, channels, steps = x.shape
    valid = (torch.arange(steps, device=x.device)[None] < lengths[:, None]).to(x.dtype)
    xv = x * valid[:, None]
    index = region[:, None, :].expand(-1, channels, -1)
    count = edges.shape[1]
    sums = x.new_zeros(batch, channels, count).scatter_add_(2, index, xv)
    squares = x.new_zeros(batch, channels, count).scatter_add_(2, index, xv * xv)
    mean, rstd = prefix_stats(sums.double().cumsum(2), squares.double().cumsum(2),
                              edges[:, None, :].double(), eps)
    mean, rstd = mean.gather(2, index), rstd.gather(2, index)
    return (x - mean.to(x.dtype)) * rstd.to(x.dtype) * valid[:, None]


def prefix_stats(total: torch.Tensor, total_sq: torch.Tensor, count: torch.Tensor,
                 eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and ``1/sqrt(var + eps)`` from running sums (float64) over ``count`` frames."""
    count = count.clamp(min=1)
    mean = total / count
    var = (total_sq / count - mean * mean).clamp(min=0)
    return mean, torch.rsqrt(var + eps)


# -------------------------------------------------------------------------------- latency


def algorithmic_latency_ms(chunk: int, frame_ms: float, lookahead_ms: float) -> tuple[float, float]:
    """(worst, mean) algorithmic latency of chunked decoding: a frame is emitted when its
    chunk's last frame can be computed, i.e. ``chunk·frame_ms + lookahead_ms`` after the
    start of the chunk's first frame (worst) and half a chunk less on average. Compute time
    comes on top."""
    worst = chunk * frame_ms + lookahead_ms
    return worst, worst - (chunk - 1) * frame_ms / 2


# ------------------------------------------------------------------ dynamic chunk training


@dataclass
class StreamingTraining:
    """``finetune.streaming``: train for chunked (streaming) decoding. Off by default.

    ``chunk_frames``: a list of chunk sizes in output frames (20 ms) drawn uniformly per
    batch, where 0 stands for the full context (e.g. ``[8, 16, 32, 0]``), or ``dynamic``:
    WeNet's dynamic chunk training, the full context with probability
    ``full_context_prob``, else a chunk of ``min_chunk_frames`` … ``max_chunk_frames``.
    ``left_chunks``: chunks of left context (-1: all); ``dynamic_left``: draw it per batch
    from 0 … all. ``valid_chunk_frames``: validate in chunked mode (0: full context).
    """

    chunk_frames: Any = None  # None / [] (off), a list of ints, or "dynamic"
    min_chunk_frames: int = 1
    max_chunk_frames: int = 50
    full_context_prob: float = 0.5
    left_chunks: int = -1
    dynamic_left: bool = False
    valid_chunk_frames: int = 0

    def __post_init__(self) -> None:
        where = "finetune.streaming"
        spec = self.chunk_frames
        if isinstance(spec, str) and spec != "dynamic":
            raise ConfigError(f"{where}.chunk_frames: '{spec}' is not 'dynamic' or a list of frame counts")
        if isinstance(spec, (list, tuple)):
            if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in spec):
                raise ConfigError(f"{where}.chunk_frames: {spec!r} must list frame counts >= 0 "
                                  "(0: full context)")
            self.chunk_frames = list(spec)
        elif spec is not None and not isinstance(spec, str):
            raise ConfigError(f"{where}.chunk_frames: {spec!r} is not 'dynamic' or a list")
        if not 1 <= self.min_chunk_frames <= self.max_chunk_frames:
            raise ConfigError(f"{where}: need 1 <= min_chunk_frames <= max_chunk_frames")
        if not 0.0 <= self.full_context_prob <= 1.0:
            raise ConfigError(f"{where}.full_context_prob: {self.full_context_prob} is not in [0, 1]")
        if self.left_chunks < -1:
            raise ConfigError(f"{where}.left_chunks: -1 (all) or >= 0, not {self.left_chunks}")
        if self.valid_chunk_frames < 0:
            raise ConfigError(f"{where}.valid_chunk_frames: 0 (full context) or a frame count")

    @property
    def sizes(self) -> list[int]:
        return self.chunk_frames if isinstance(self.chunk_frames, list) else []

    @property
    def enabled(self) -> bool:
        return self.chunk_frames == "dynamic" or bool(self.sizes)

    def draw(self, seed: int, num_updates: int, steps: int) -> Chunking | None:
        """The chunking of update ``num_updates`` (None: full context) for a batch of
        ``steps`` frames; the same for every micro-batch and rank of an update, and on resume."""
        if not self.enabled:
            return None
        rng = random.Random(f"streaming-{seed}-{num_updates}")
        if self.chunk_frames == "dynamic":
            if rng.random() < self.full_context_prob:
                return None
            chunk = rng.randint(self.min_chunk_frames, self.max_chunk_frames)
        else:
            chunk = rng.choice(self.sizes)
            if chunk == 0:
                return None
        left = self.left_chunks
        if self.dynamic_left:
            left = rng.randint(0, max(0, (steps - 1) // chunk))
        return None if chunk >= steps else Chunking(chunk, left)

    def validation(self) -> Chunking | None:
        if self.valid_chunk_frames <= 0:
            return None
        return Chunking(self.valid_chunk_frames, self.left_chunks)
