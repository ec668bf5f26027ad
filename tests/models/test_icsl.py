"""ICSL's forms (METHODS.md §2) and where the codevectors start."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from asrkit.config import ConfigError, from_dict
from asrkit.models import objectives, wav2vec2
from asrkit.models.objectives import PreTrainingLossConfig, icsl
from asrkit.models.quantizer import GumbelVectorQuantizer, within_group_cosine

SHAPES = {"signed": lambda c: c, "positive": lambda c: max(c, 0.0), "squared": lambda c: c * c}


@pytest.mark.parametrize("form", sorted(SHAPES))
def test_each_form_is_the_mean_of_f_over_every_pair_of_entries_from_two_groups(form):
    gen = torch.Generator().manual_seed(4)
    books = torch.randn(3, 5, 4, generator=gen, dtype=torch.float64) + 0.2
    groups, entries = books.shape[:2]
    f = SHAPES[form]
    total = 0.0
    for i, j in itertools.combinations(range(groups), 2):
        for a, b in itertools.product(range(entries), repeat=2):
            total += f(float(F.cosine_similarity(books[i, a], books[j, b], dim=0))) / entries**2
    expected = total / (groups * (groups - 1) / 2)
    assert icsl(books.float(), form).item() == pytest.approx(expected, abs=1e-5)


def test_the_forms_differ_where_they_should():
    direction = torch.randn(8)
    parallel = (torch.rand(2, 6, 1) + 0.5) * direction  # every entry of both groups alike
    opposite = torch.stack([parallel[0], -parallel[1]])
    assert icsl(parallel, "signed").item() == pytest.approx(1.0, abs=1e-5)
    assert icsl(opposite, "signed").item() == pytest.approx(-1.0, abs=1e-5)  # the signed minimum
    assert icsl(opposite, "positive").item() == pytest.approx(0.0, abs=1e-6)
    assert icsl(opposite, "squared").item() == pytest.approx(1.0, abs=1e-5)  # as alike as parallel
    assert icsl(torch.randn(1, 6, 8), "squared").item() == 0.0  # one group: nothing to compare


def _optimize(books: torch.Tensor, form: str, steps: int = 150) -> torch.Tensor:
    books = books.clone().requires_grad_()
    optimizer = torch.optim.AdamW([books], lr=2e-2)
    for _ in range(steps):
        optimizer.zero_grad()
        icsl(books, form).backward()
        optimizer.step()
    return books.detach()


@pytest.mark.parametrize("init", ["normal", "uniform"])
def test_signed_icsl_alone_collapses_each_group_and_squared_icsl_does_not(init):
    gen = torch.Generator().manual_seed(0)
    books = torch.randn(2, 32, 16, generator=gen) if init == "normal" else torch.rand(2, 32, 16, generator=gen)
    start = within_group_cosine(books).item()
    signed = _optimize(books, "signed")
    squared = _optimize(books, "squared")
    # The signed form's minimum: each group onto one direction, the groups opposite.
    assert within_group_cosine(signed).item() > 0.9
    # The squared form separates the groups without drawing a group's entries together.
    assert icsl(squared, "squared").item() < 0.2 * icsl(books, "squared").item()
    assert within_group_cosine(squared).item() < max(start, 0.0) + 0.05


def test_positive_icsl_lowers_a_uniform_codebooks_within_group_cosine():
    books = torch.rand(2, 32, 16, generator=torch.Generator().manual_seed(0))
    assert within_group_cosine(_optimize(books, "positive")).item() < 0.5 < within_group_cosine(books).item()


def test_an_unknown_form_is_refused_by_name():
    with pytest.raises(ValueError, match="ICSL form 'cosine'"):
        icsl(torch.randn(2, 4, 3), "cosine")
    with pytest.raises(ValueError, match="icsl_form 'cosine'"):
        PreTrainingLossConfig(icsl_form="cosine")
    with pytest.raises(ConfigError, match="loss.icsl_form"):
        from_dict(PreTrainingLossConfig, {"icsl_form": "cosine"}, "loss")


def test_the_pretraining_loss_uses_the_configured_form(micro_config):
    torch.manual_seed(0)
    cfg = micro_config(num_codevector_groups=4, codevector_dim=16)
    losses = {}
    for form in ("signed", "squared"):
        torch.manual_seed(0)
        model = wav2vec2.Wav2Vec2ForPreTraining(cfg, PreTrainingLossConfig(icsl_weight=0.5, icsl_form=form)).eval()
        torch.manual_seed(1)
        out = model(torch.randn(2, 4000))
        assert out.logs["icsl"].item() == pytest.approx(objectives.icsl(model.quantizer.codevectors, form).item())
        losses[form] = (out.loss - out.sample_size * 0.5 * out.logs["icsl"]).item()
    assert losses["signed"] == pytest.approx(losses["squared"], rel=1e-5)  # only the ICSL term differs


# ------------------------------------------------------------------------ codevector init


def test_codevectors_start_normal_by_default_and_uniform_as_fairseq_when_asked():
    torch.manual_seed(0)
    normal = GumbelVectorQuantizer(8, num_groups=2, num_vars=320, codevector_dim=256).codevectors
    torch.manual_seed(0)
    uniform = GumbelVectorQuantizer(8, num_groups=2, num_vars=320, codevector_dim=256, init="uniform").codevectors
    assert normal.min() < -2 and normal.std().item() == pytest.approx(1.0, abs=0.02)
    assert 0 <= uniform.min() and uniform.max() < 1
    assert abs(within_group_cosine(normal).item()) < 0.02
    assert within_group_cosine(uniform).item() == pytest.approx(0.75, abs=0.02)


def test_the_default_init_draws_what_it_drew_before_the_option_existed():
    torch.manual_seed(0)
    default = GumbelVectorQuantizer(8, num_groups=2, num_vars=5, codevector_dim=6)
    torch.manual_seed(0)
    torch.nn.Linear(8, 10)  # weight_proj is built (and draws its own init) before the codevectors
    expected = torch.empty(2, 5, 3).normal_()  # the former reset_parameters' draw
    assert torch.equal(default.codevectors.detach(), expected)


def test_codevector_init_is_a_model_setting_checked_by_name():
    model = wav2vec2.Wav2Vec2ForPreTraining(wav2vec2.config_for("tiny", {"codevector_init": "uniform",
                                                                         "encoder_layers": 1}))
    assert model.quantizer.codevectors.min() >= 0
    with pytest.raises(ConfigError, match="model.codevector_init"):
        wav2vec2.config_for("tiny", {"codevector_init": "zeros"})
    with pytest.raises(ValueError, match="codevector_init 'zeros'"):
        wav2vec2.Wav2Vec2Config(codevector_init="zeros")
