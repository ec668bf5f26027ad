"""The classifier's pieces on hand-made inputs, and predictions that do not depend on padding
or on the other utterances of a batch."""

from __future__ import annotations

import math

import pytest
import torch

from asrkit.models import load, save
from asrkit.models.classifier import (
    AttentiveStatsPooling,
    ClassifierConfig,
    ClassifierHead,
    MeanPooling,
    UtteranceClassifier,
    WeightedLayerSum,
)
from asrkit.models.wav2vec2 import config_for

MICRO = {"conv_layers": [[16, 10, 5]] + [[16, 3, 2]] * 4 + [[16, 2, 2]] * 2, "encoder_dim": 32,
         "encoder_layers": 2, "encoder_heads": 2, "encoder_ffn_dim": 64, "pos_conv_kernel": 16,
         "pos_conv_groups": 4, "dropout": 0.0, "attention_dropout": 0.0, "dropout_input": 0.0}


def test_mean_pooling_averages_the_valid_frames_only():
    x = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [float("inf"), float("nan")]],
                      [[5.0, 6.0], [7.0, 8.0], [9.0, 10.0]]])
    pooled = MeanPooling()(x, torch.tensor([2, 3]))
    assert torch.equal(pooled, torch.tensor([[2.0, 3.0], [7.0, 8.0]]))


def test_attentive_pooling_with_equal_scores_gives_the_mean_and_the_standard_deviation():
    pool = AttentiveStatsPooling(dim=1, attention_dim=4)
    torch.nn.init.zeros_(pool.attention[2].weight)  # every frame scores the same
    x = torch.tensor([[[1.0], [3.0], [float("nan")]]])
    out = pool(x, torch.tensor([2]))
    assert torch.allclose(pool.weights(x, torch.tensor([2]))[0, :, 0], torch.tensor([0.5, 0.5, 0.0]))
    assert torch.allclose(out, torch.tensor([[2.0, 1.0]]))  # mean 2, population sd 1


def test_attentive_pooling_follows_the_attention_to_the_frame_it_prefers():
    pool = AttentiveStatsPooling(dim=1, attention_dim=1)
    with torch.no_grad():  # score = 100 * tanh(x): the larger frame takes all the weight
        pool.attention[0].weight.fill_(1.0)
        pool.attention[0].bias.zero_()
        pool.attention[2].weight.fill_(100.0)
        pool.attention[2].bias.zero_()
    out = pool(torch.tensor([[[-2.0], [2.0]]]), torch.tensor([2])).detach()
    assert out[0, 0] == pytest.approx(2.0, abs=1e-4)
    assert out[0, 1] == pytest.approx(math.sqrt(1e-5), rel=1e-2)  # σ floored, never NaN


def test_weighted_layer_sum_starts_as_the_mean_and_follows_its_softmax_weights():
    states = [torch.full((1, 2, 3), float(v)) for v in (0.0, 3.0, 6.0)]
    layer_sum = WeightedLayerSum(3)
    assert torch.allclose(layer_sum(states), torch.full((1, 2, 3), 3.0))
    with torch.no_grad():
        layer_sum.weights.copy_(torch.log(torch.tensor([1.0, 1.0, 2.0])))  # softmax 1/4 1/4 1/2
    assert torch.allclose(layer_sum(states), torch.full((1, 2, 3), 0.75 + 3.0))
    with pytest.raises(ValueError, match="2 hidden states for 3"):
        layer_sum(states[:2])


def test_head_is_a_small_mlp_to_the_classes():
    head = ClassifierHead(8, [16, 4], 3, dropout=0.0)
    linears = [m for m in head.mlp if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(8, 16), (16, 4), (4, 3)]
    assert head(torch.zeros(5, 8)).shape == (5, 3)


def _classifier(**kw) -> UtteranceClassifier:
    torch.manual_seed(0)
    return UtteranceClassifier(ClassifierConfig(num_classes=3, wav2vec2=config_for("tiny", MICRO),
                                                dropout=0.0, **kw)).eval()


@pytest.mark.parametrize("kw", [{"pooling": "mean"}, {"pooling": "attentive", "weighted_layers": True},
                                {"pooling": "attentive", "layer": 1}])
def test_logits_do_not_change_with_padding_or_batch_composition(kw):
    model = _classifier(**kw)
    torch.manual_seed(1)
    waves = [torch.randn(n) for n in (4000, 6400, 9000)]
    with torch.no_grad():
        alone = [model(w[None], torch.tensor([len(w)])).logits[0] for w in waves]
        batch = torch.zeros(3, 12000).uniform_(-5, 5)  # padding is noise, not zeros
        for i, w in enumerate(waves):
            batch[i, : len(w)] = w
        together = model(batch, torch.tensor([len(w) for w in waves])).logits
        reordered = model(batch[[2, 0]], torch.tensor([9000, 4000])).logits
    for i in range(3):
        assert torch.allclose(together[i], alone[i], atol=1e-5), (i, together[i], alone[i])
    assert torch.allclose(reordered[0], alone[2], atol=1e-5)
    assert torch.allclose(reordered[1], alone[0], atol=1e-5)


def test_fbank_features_baseline_normalizes_with_the_training_cmvn_and_ignores_padding():
    cmvn = (torch.full((4,), 2.0), torch.full((4,), 0.5))
    model = UtteranceClassifier(ClassifierConfig(num_classes=2, encoder="features", input_dim=4,
                                                 dropout=0.0), cmvn).eval()
    feats = torch.full((1, 3, 4), 3.0)
    states, lengths = model.hidden_states(feats, torch.tensor([3]))
    assert torch.allclose(states[0], torch.full((1, 3, 4), 2.0)) and lengths.tolist() == [3]
    padded = torch.cat([feats, torch.full((1, 2, 4), 99.0)], dim=1)
    with torch.no_grad():
        assert torch.allclose(model(padded, torch.tensor([3])).logits, model(feats, torch.tensor([3])).logits)


def test_a_layer_the_encoder_lacks_is_named():
    with pytest.raises(ValueError, match="model.layer 3 does not exist.*0..2"):
        _classifier(layer=3)


def test_a_saved_classifier_rebuilds_from_its_checkpoint(tmp_path):
    model = _classifier(pooling="attentive", weighted_layers=True)
    save(tmp_path / "model.pt", model, "classifier", labels={"classes": ["a", "b", "c"]})
    loaded, ckpt = load(tmp_path / "model.pt")
    wave = torch.randn(1, 5000)
    with torch.no_grad():
        assert torch.equal(loaded.eval()(wave, torch.tensor([5000])).logits,
                           model(wave, torch.tensor([5000])).logits)
    assert ckpt["labels"]["classes"] == ["a", "b", "c"]
