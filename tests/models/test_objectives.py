"""Contrastive, diversity, ICSL and feature-penalty objectives."""

from __future__ import annotations

import math

import torch

from asrkit.models import masking, objectives


def _logits(context, targets, mask, codes=None, k=100, seed=0):
    counts = mask.sum(1)
    first = counts.cumsum(0) - counts
    negatives, valid = masking.sample_negatives(mask, k, torch.Generator().manual_seed(seed))
    if codes is None:
        codes = torch.arange(context.shape[0])[:, None]  # every target distinct
    return objectives.contrastive_logits(context, targets, negatives, valid, codes, first, counts, 0.1), negatives


def test_contrastive_loss_of_unrelated_vectors_is_chance():
    gen = torch.Generator().manual_seed(0)
    mask = torch.ones(4, 300, dtype=torch.bool)
    context = torch.randn(1200, 512, generator=gen)
    targets = torch.randn(1200, 512, generator=gen)
    logits, _ = _logits(context, targets, mask)
    loss = objectives.contrastive_loss(logits) / 1200
    # random cosines have spread 1/√512, which adds ≈ (1/√512/κ)²/2 ≈ 0.1 to ln(K+1)
    assert abs(loss.item() - math.log(101)) < 0.2


def test_contrastive_logits_match_cosines_with_positive_first():
    gen = torch.Generator().manual_seed(1)
    mask = torch.zeros(2, 40, dtype=torch.bool)
    mask[0, 5:25], mask[1, 0:12] = True, True
    context, targets = torch.randn(32, 8, generator=gen), torch.randn(32, 8, generator=gen)
    logits, negatives = _logits(context, targets, mask, k=5)
    cos = torch.nn.functional.cosine_similarity
    torch.testing.assert_close(logits[:, 0], cos(context, targets, dim=-1) / 0.1)
    torch.testing.assert_close(logits[:, 1:], cos(context[:, None], targets[negatives], dim=-1) / 0.1)


def test_perfect_predictions_are_ranked_first():
    gen = torch.Generator().manual_seed(2)
    mask = torch.ones(2, 50, dtype=torch.bool)
    targets = torch.randn(100, 16, generator=gen)
    logits, _ = _logits(targets * 3.0, targets, mask)
    assert objectives.contrastive_accuracy(logits) == 1.0
    assert objectives.contrastive_loss(logits) / 100 < 1.0


def test_distractor_with_the_positives_codes_gets_minus_infinity():
    mask = torch.ones(1, 6, dtype=torch.bool)
    targets = torch.randn(6, 4)
    codes = torch.tensor([[0, 1], [0, 1], [2, 3], [2, 3], [4, 5], [6, 7]])
    logits, negatives = _logits(torch.randn(6, 4), targets, mask, codes=codes, k=20)
    same = (codes[negatives] == codes[:, None]).all(-1)
    assert same.any()
    assert torch.isinf(logits[:, 1:][same]).all() and torch.isfinite(logits[:, 1:][~same]).all()
    assert torch.isfinite(objectives.contrastive_loss(logits))


def test_diversity_loss_is_zero_for_uniform_use_and_maximal_for_one_entry():
    groups, entries = 2, 16
    uniform = torch.full((50, groups, entries), 1 / entries)
    collapsed = torch.zeros(50, groups, entries)
    collapsed[..., 3] = 1.0
    from asrkit.models.quantizer import perplexity

    assert abs(objectives.diversity_loss(perplexity(uniform), groups, entries).item()) < 1e-4
    worst = objectives.diversity_loss(perplexity(collapsed), groups, entries).item()
    assert abs(worst - (groups * entries - groups) / (groups * entries)) < 1e-4


def test_icsl_is_one_for_parallel_codebooks_and_zero_for_orthogonal_ones():
    direction = torch.randn(8)
    scales = torch.rand(3, 20, 1) + 0.5
    parallel = scales * direction  # every entry of every group points the same way
    assert abs(objectives.icsl(parallel).item() - 1.0) < 1e-5
    orthogonal = torch.zeros(2, 20, 8)
    orthogonal[0, :, :4] = torch.rand(20, 4)
    orthogonal[1, :, 4:] = torch.rand(20, 4)
    assert abs(objectives.icsl(orthogonal).item()) < 1e-6


def test_icsl_shows_the_uniform_init_trap_and_not_gaussian_init():
    gen = torch.Generator().manual_seed(3)
    uniform = torch.rand(4, 320, 64, generator=gen)
    gaussian = torch.randn(4, 320, 64, generator=gen)
    assert abs(objectives.icsl(uniform).item() - 0.75) < 0.02
    assert abs(objectives.icsl(gaussian).item()) < 0.02


def test_icsl_equals_the_mean_over_all_entry_pairs():
    gen = torch.Generator().manual_seed(4)
    books = torch.randn(3, 10, 6, generator=gen) + 0.3
    unit = torch.nn.functional.normalize(books, dim=-1)
    pairs = [(unit[i] @ unit[j].T).mean() for i in range(3) for j in range(i + 1, 3)]
    expected = 2 / (3 * 2) * torch.stack(pairs).sum()
    torch.testing.assert_close(objectives.icsl(books), expected)


def test_icsl_pushes_codebooks_apart_under_gradient_descent():
    books = torch.rand(4, 32, 8).requires_grad_()
    optimizer = torch.optim.Adam([books], lr=0.05)
    start = objectives.icsl(books).item()
    for _ in range(50):
        optimizer.zero_grad()
        objectives.icsl(books).backward()
        optimizer.step()
    assert start > 0.7 and objectives.icsl(books).item() < start - 0.3


def test_feature_penalty_ignores_padding():
    features = torch.ones(2, 10, 4)
    features[1, 6:] = 100.0  # padding
    padding = masking.lengths_to_padding_mask(torch.tensor([10, 6]), 10)
    assert objectives.feature_penalty(features, padding).item() == 1.0
