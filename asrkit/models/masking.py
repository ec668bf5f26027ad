"""Span masking and distractor sampling for wav2vec 2.0, vectorized on the model's device.

fairseq and Hugging Face draw masks and negatives with numpy loops over the batch on the
host; here both are a handful of tensor operations, so they cost nothing next to the model
and run where the features are.

Masking follows fairseq's ``compute_mask_indices`` with ``mask_selection=static``: an
utterance of ``L`` valid frames gets ``⌊p·L/M + U(0,1)⌋`` spans (at least ``min_masks``)
of ``M`` frames whose starts are drawn uniformly *without replacement* from the ``L − M + 1``
positions where a span fits; spans may overlap, so ≈1 − e^{−p} (≈49% at p = 0.65, M = 10)
of the frames end up masked. Padding is never masked.
"""

from __future__ import annotations

import math

import torch

from asrkit.models.frontend import receptive_field


def lengths_to_padding_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """``[B, max_len]`` bool, True on padded frames (fairseq's ``padding_mask``)."""
    steps = torch.arange(max_len, device=lengths.device)
    return steps[None, :] >= lengths[:, None]


def compute_span_mask(
    lengths: torch.Tensor,
    max_len: int,
    prob: float,
    span: int,
    min_masks: int = 0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Random span mask ``[B, max_len]`` (True = masked) for utterances of ``lengths`` frames.

    fairseq: ``compute_mask_indices(shape, padding_mask, mask_prob, mask_length, "static",
    min_masks=...)``. Used for time masking (``lengths`` = valid frames) and channel masking
    (``lengths`` = number of channels for every item).
    """
    if span < 1:
        raise ValueError(f"mask span length must be >= 1, got {span}")
    device = lengths.device
    batch = lengths.shape[0]
    lengths = lengths.long()
    if prob <= 0 or max_len == 0:
        return torch.zeros(batch, max_len, dtype=torch.bool, device=device)
    # Where a span fits entirely; an utterance shorter than a span gets one start at 0
    # (its span is cut at the utterance end).
    num_starts = (lengths - span + 1).clamp(min=1)
    jitter = torch.rand(batch, device=device, generator=generator)
    num_spans = torch.floor(prob * lengths.float() / span + jitter).long()
    num_spans = torch.minimum(num_spans.clamp(min=min_masks), num_starts)
    num_spans = torch.where(lengths > 0, num_spans, torch.zeros_like(num_spans))
    most = int(num_spans.max())
    if most == 0:
        return torch.zeros(batch, max_len, dtype=torch.bool, device=device)
    # A uniform subset without replacement: the `n` largest of i.i.d. uniform scores.
    scores = torch.rand(batch, max_len, device=device, generator=generator)
    steps = torch.arange(max_len, device=device)
    scores = scores.masked_fill(steps[None, :] >= num_starts[:, None], -1.0)
    chosen = scores.topk(most, dim=1).indices  # [B, most], best first
    keep = torch.arange(most, device=device)[None, :] < num_spans[:, None]
    starts = torch.zeros(batch, max_len + 1, dtype=torch.int32, device=device)
    starts.scatter_(1, torch.where(keep, chosen, max_len), 1)
    # frame t is masked if a span starts in (t - span, t]: a windowed count of starts.
    count = starts[:, :max_len].cumsum(1)
    before = torch.nn.functional.pad(count, (span, 0))[:, :max_len]
    mask = (count - before) > 0
    return mask & (steps[None, :] < lengths[:, None])


def sample_negatives(
    mask: torch.Tensor, num_negatives: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw distractors for every masked step from the *other* masked steps of its utterance.

    ``mask`` is ``[B, T]`` (True = masked). Masked steps are numbered in row-major order
    (``features[mask]``); returns ``(negatives [N, K], valid [N, K])`` with indices into that
    numbering. Sampling is uniform with replacement over the utterance's ``n − 1`` other
    masked steps (fairseq's ``sample_negatives``: draw from ``n − 1`` and shift indices at or
    past the positive up by one). An utterance with a single masked step has no distractor:
    its row is all invalid.
    """
    device = mask.device
    counts = mask.sum(1)  # [B]
    first = counts.cumsum(0) - counts  # index of each utterance's first masked step
    total = int(counts.sum())
    utt = torch.repeat_interleave(torch.arange(mask.shape[0], device=device), counts)
    rank = torch.arange(total, device=device) - first[utt]  # position within the utterance
    others = (counts[utt] - 1).clamp(min=1)
    draw = torch.rand(total, num_negatives, device=device, generator=generator)
    pick = (draw * others[:, None]).long().clamp(max=others[:, None] - 1)
    pick = pick + (pick >= rank[:, None]).long()
    valid = (counts[utt] > 1)[:, None].expand(total, num_negatives)
    pick = torch.where(valid, pick, torch.zeros_like(pick))
    return first[utt][:, None] + pick, valid


def negatives_from_flat(flat: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Convert Hugging Face ``sampled_negative_indices`` ``[B, T, K]`` (indices into the
    flattened ``B·T`` frames) to this module's ``[N, K]`` masked-step numbering.

    Lets a run reuse exactly the distractors ``transformers`` drew (for comparisons).
    """
    position = mask.flatten().long().cumsum(0) - 1  # frame -> masked-step number
    rows = flat[mask]  # [N, K]
    if not bool(mask.flatten()[rows].all()):
        raise ValueError("a distractor index points at an unmasked frame")
    return position[rows]


def min_input_length(cfg) -> int:
    """Shortest input (samples, or fbank frames) of a ``Wav2Vec2Config`` that gives its time
    masking room to work: a span of M masked frames must fit with a frame to spare (fairseq's
    rule), so shorter utterances are excluded (and reported) by the stages that pretrain."""
    frames = cfg.mask_time_length + 1
    stride = math.prod(s for _, _, s in cfg.feature_encoder_layers)
    return receptive_field(cfg.feature_encoder_layers) + (frames - 1) * stride
