"""Span masking and distractor sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from asrkit.models import masking


def _runs(row: torch.Tensor) -> list[tuple[int, int]]:
    """(start, length) of each run of True."""
    padded = np.concatenate([[0], row.numpy().astype(int), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return [(int(s), int(e - s)) for s, e in zip(edges[::2], edges[1::2])]


def test_span_mask_masks_about_half_the_frames_at_p065_m10():
    gen = torch.Generator().manual_seed(0)
    lengths = torch.full((64,), 1500)
    mask = masking.compute_span_mask(lengths, 1500, 0.65, 10, min_masks=2, generator=gen)
    fraction = mask.float().mean().item()
    # spans of 10 starting at ⌊0.65·L/10 + U⌋ random positions cover ≈ 1 − e^{−0.65}
    assert abs(fraction - (1 - math.exp(-0.65))) < 0.015
    assert 0.46 < fraction < 0.51


def test_span_mask_never_touches_padding_and_masks_every_utterance():
    gen = torch.Generator().manual_seed(1)
    lengths = torch.tensor([300, 120, 37, 11, 4])
    mask = masking.compute_span_mask(lengths, 300, 0.65, 10, min_masks=2, generator=gen)
    assert not (mask & masking.lengths_to_padding_mask(lengths, 300)).any()
    assert (mask.sum(1) >= 1).all()
    assert int(mask[4].sum()) == 4  # shorter than one span: the span is cut at the end


def test_span_mask_runs_are_whole_spans():
    gen = torch.Generator().manual_seed(2)
    lengths = torch.full((16,), 400)
    mask = masking.compute_span_mask(lengths, 400, 0.3, 10, generator=gen)
    for row in mask:
        for start, length in _runs(row):
            assert length >= 10 and start + length <= 400


def test_span_mask_is_empty_at_zero_probability():
    mask = masking.compute_span_mask(torch.tensor([50, 20]), 50, 0.0, 10)
    assert not mask.any()


def _random_mask(seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([200, 90, 30])
    return masking.compute_span_mask(lengths, 200, 0.65, 10, min_masks=2, generator=gen)


def test_negatives_never_include_the_positive_and_stay_in_the_utterance():
    mask = _random_mask(3)
    negatives, valid = masking.sample_negatives(mask, 100, torch.Generator().manual_seed(4))
    n = int(mask.sum())
    assert negatives.shape == (n, 100) and valid.all()
    utt_of = torch.repeat_interleave(torch.arange(3), mask.sum(1))
    own = torch.arange(n)[:, None]
    assert not (negatives == own).any()
    assert (utt_of[negatives] == utt_of[:, None]).all()


def test_negatives_are_uniform_over_the_other_masked_steps():
    mask = torch.zeros(1, 20, dtype=torch.bool)
    mask[0, [2, 3, 4, 10, 11]] = True
    negatives, _ = masking.sample_negatives(mask, 50_000, torch.Generator().manual_seed(5))
    counts = torch.bincount(negatives[0], minlength=5).float()
    assert counts[0] == 0
    assert torch.allclose(counts[1:] / 50_000, torch.full((4,), 0.25), atol=0.01)


def test_single_masked_step_has_no_valid_distractor():
    mask = torch.zeros(2, 30, dtype=torch.bool)
    mask[0, 5] = True
    mask[1, 3:13] = True
    negatives, valid = masking.sample_negatives(mask, 8)
    assert not valid[0].any() and valid[1:].all()


def test_transformers_negatives_convert_to_masked_step_numbering():
    mask = torch.tensor([[0, 1, 1, 0, 1], [1, 0, 0, 1, 0]], dtype=torch.bool)
    flat = torch.zeros(2, 5, 2, dtype=torch.long)
    flat[0, 1], flat[0, 2], flat[0, 4] = torch.tensor([2, 4]), torch.tensor([1, 4]), torch.tensor([1, 2])
    flat[1, 0], flat[1, 3] = torch.tensor([8, 8]), torch.tensor([5, 5])
    got = masking.negatives_from_flat(flat, mask)
    assert got.tolist() == [[1, 2], [0, 2], [0, 1], [4, 4], [3, 3]]
    flat[0, 1, 0] = 0  # an unmasked frame
    with pytest.raises(ValueError, match="unmasked"):
        masking.negatives_from_flat(flat, mask)
