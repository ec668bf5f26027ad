"""Codebook health: what perplexity cannot see (codevectors drawn together)."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from asrkit.models.objectives import icsl
from asrkit.models.quantizer import codebook_health, within_group_cosine
from asrkit.models.wav2vec2 import Wav2Vec2ForPreTraining


def _collapsed(groups: int = 2, entries: int = 16, dim: int = 8, noise: float = 1e-3) -> torch.Tensor:
    """Each group's entries all along one direction of its own (lengths vary, directions barely)."""
    gen = torch.Generator().manual_seed(0)
    directions = torch.randn(groups, 1, dim, generator=gen)
    scales = torch.rand(groups, entries, 1, generator=gen) + 0.5
    return scales * directions + noise * torch.randn(groups, entries, dim, generator=gen)


def test_within_group_cosine_is_the_mean_over_pairs_of_different_entries():
    books = torch.randn(3, 6, 5, generator=torch.Generator().manual_seed(1)) + 0.3
    expected = torch.stack([
        torch.stack([F.cosine_similarity(g[a], g[b], dim=0)
                     for a, b in itertools.permutations(range(6), 2)]).mean()
        for g in books]).mean()
    assert within_group_cosine(books).item() == pytest.approx(expected.item(), abs=1e-5)


def test_within_group_cosine_is_one_for_a_collapsed_codebook_and_near_zero_for_gaussian_entries():
    assert within_group_cosine(_collapsed()).item() == pytest.approx(1.0, abs=1e-3)
    gaussian = torch.randn(2, 320, 128, generator=torch.Generator().manual_seed(2))
    assert abs(within_group_cosine(gaussian).item()) < 0.01


def test_a_collapsed_codebook_uses_many_indices_but_one_direction_per_group():
    codes = torch.arange(16).repeat(3)[:, None].expand(-1, 2)  # every entry picked, both groups
    sick = codebook_health(_collapsed(), codes)
    assert sick["codes_used"].item() == 32  # perplexity by index would call this healthy
    assert sick["codevectors_distinct"].item() == 2  # one direction per group
    healthy = codebook_health(torch.randn(2, 16, 8, generator=torch.Generator().manual_seed(3)), codes)
    assert healthy["codevectors_distinct"].item() == healthy["codes_used"].item() == 32
    assert abs(healthy["cos_within"].item()) < 0.3 and sick["cos_within"].item() > 0.99


def test_only_picked_entries_count_and_between_is_the_signed_icsl():
    books = _collapsed()
    codes = torch.tensor([[0, 3], [0, 5], [7, 5]])  # group 0 picks entries 0 and 7, group 1 picks 3 and 5
    health = codebook_health(books, codes)
    assert health["codes_used"].item() == 4 and health["codevectors_distinct"].item() == 2
    assert health["cos_between"].item() == pytest.approx(icsl(books, "signed").item())


def test_pretraining_logs_the_codebook_health_as_device_scalars(micro_config):
    torch.manual_seed(0)
    model = Wav2Vec2ForPreTraining(micro_config())
    logs = model(torch.randn(2, 4000)).logs
    for name in ("cos_within", "cos_between", "codes_used", "codevectors_distinct"):
        assert isinstance(logs[name], torch.Tensor) and logs[name].dim() == 0, name
    assert 1 <= logs["codevectors_distinct"].item() <= logs["codes_used"].item() <= 16
