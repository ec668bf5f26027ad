"""asrkit.attribution: Grad-CAM finds the one region that carries the class of a toy model and
beats random deletion there; Captum's saliency and integrated gradients; CTC targets; layers
named, and inputs too short, with clear errors."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from asrkit import attribution as attr
from asrkit.models.classifier import ClassifierConfig, UtteranceClassifier
from asrkit.models.wav2vec2 import config_for
from asrkit.text.tokenizer import CharTokenizer

T, F, W = 64, 16, 12  # frames, bins, the width of the region that carries the class


def example(g: torch.Generator, label: int) -> tuple[torch.Tensor, int]:
    """Noise frames; class 1 has a burst in bins 4-10 over W frames starting at a random frame."""
    x = torch.randn(T, F, generator=g)
    start = int(torch.randint(4, T - W - 4, (1,), generator=g))
    if label:
        x[start:start + W, 4:10] += 2.0
    return x, start


class Toy(nn.Module):
    """A conv over frames ([B, C, T]), a per-frame layer ([B, T, D]), mean pooling, logits."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv1d(F, 8, 5, padding=2), nn.ReLU())
        self.frames = nn.Sequential(nn.Linear(8, 8), nn.ReLU())
        self.out = nn.Linear(8, 2)

    def forward(self, x, lengths):
        h = self.frames(self.conv(x.transpose(1, 2)).transpose(1, 2))
        return SimpleNamespace(logits=self.out(h.mean(1)))


@pytest.fixture(scope="module")
def toy() -> Toy:
    torch.manual_seed(0)
    model = Toy()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(1)
    for _ in range(50):
        labels = torch.randint(0, 2, (16,), generator=g)
        x = torch.stack([example(g, int(y))[0] for y in labels])
        loss = nn.functional.cross_entropy(model(x, None).logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return attr.prepare(model)


def positives(n: int = 6):
    g = torch.Generator().manual_seed(7)
    return [example(g, 1) for _ in range(n)]


def toy_layers(model: Toy) -> list[attr.Layer]:
    return [attr.Layer("conv", model.conv, True), attr.Layer("frames", model.frames, False)]


def test_the_toy_has_learned_its_class(toy):
    g = torch.Generator().manual_seed(3)
    pairs = [example(g, y % 2) for y in range(40)]
    predicted = toy(torch.stack([x for x, _ in pairs]), None).logits.argmax(-1)
    assert (predicted == torch.arange(40) % 2).float().mean() >= 0.95


@pytest.mark.parametrize("which", [0, 1], ids=["conv-channels-first", "frames-channels-last"])
def test_grad_cam_puts_its_mass_on_the_region_that_carries_the_class(toy, which):
    layer = toy_layers(toy)[which]
    for x, start in positives():
        score = attr.classifier_score(toy, 1)
        cam = attr.grad_cam(score, x[None], layer)
        assert cam.shape == (T,) and (cam >= 0).all()
        inside = cam[start:start + W].sum() / cam.sum()
        assert inside > 0.8, f"{inside:.2f} of Grad-CAM's mass on the {W / T:.0%} of frames carrying the class"


def test_grad_cam_is_captums_layer_grad_cam_on_a_conv(toy):
    from captum.attr import LayerGradCam

    x = positives(1)[0][0][None]
    score = attr.classifier_score(toy, 1)
    ours = attr.grad_cam(score, x, toy_layers(toy)[0])
    theirs = LayerGradCam(score, toy.conv).attribute(x, relu_attributions=True)[0, 0]
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-5, atol=1e-7)


def test_integrated_gradients_find_the_region_and_add_up_to_the_score(toy):
    x, start = positives(1)[0]
    x = x[None]
    score = attr.classifier_score(toy, 1)
    sal = attr.saliency(score, x)
    ig, error = attr.integrated_gradients(score, x, attr.baseline_of(x), steps=64)
    assert sal.shape == ig.shape == (T,) and (sal >= 0).all()
    # saliency is the local gradient, which the whole input has; IG's evidence is the region's
    assert np.clip(ig, 0, None)[start:start + W].sum() / np.clip(ig, 0, None).sum() > 0.5
    with torch.no_grad():
        gap = float(score(x) - score(attr.baseline_of(x)))
    assert error < 0.05 * abs(gap)  # completeness: the attributions add up to the score difference


def test_deletion_by_grad_cam_beats_random_deletion_on_the_toy(toy):
    rng = np.random.default_rng(0)
    ours, randoms = [], []
    for x, _ in positives():
        x = x[None]
        score = attr.classifier_score(toy, 1)
        baseline = attr.baseline_of(x)
        cam = attr.to_frames(attr.grad_cam(score, x, toy_layers(toy)[0]), 1)
        curve = attr.deletion_curve(score, x, attr.ranking(cam, rng), attr.FRACTIONS, baseline, 1)
        with torch.no_grad():
            assert curve[0] == pytest.approx(float(score(x)), rel=1e-5)  # 0 % deleted: the score itself
        ours.append(attr.aopc(curve))
        randoms.append(np.mean([attr.aopc(attr.deletion_curve(score, x, rng.permutation(T), attr.FRACTIONS,
                                                              baseline, 1)) for _ in range(5)]))
    assert np.mean(ours) > 1.5 * np.mean(randoms) > 0
    assert sum(a > b for a, b in zip(ours, randoms)) == len(ours)


def test_deletion_replaces_the_ranked_frames_by_the_baseline():
    seen = []
    x = torch.arange(10, dtype=torch.float32)[None] + 1  # a "waveform" of 10 units, 2 per frame

    def score(batch):
        seen.append(batch.clone())
        return batch.sum(-1)

    order = np.array([4, 0, 1, 2, 3])
    curve = attr.deletion_curve(score, x, order, [0.0, 0.2, 0.4], torch.zeros_like(x), units_per_frame=2)
    masked = torch.cat(seen)
    assert masked[1].tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 0, 0]  # frame 4 first
    assert masked[2].tolist() == [0, 0, 3, 4, 5, 6, 7, 8, 0, 0]
    assert curve.tolist() == [55, 36, 33]
    assert attr.aopc(curve) == pytest.approx((0 + 19 + 22) / 3)


def test_ties_are_broken_at_random_not_by_position():
    rng = np.random.default_rng(0)
    firsts = {int(attr.ranking(np.array([0.0, 0.0, 0.0, 0.0, 1.0]), rng)[1]) for _ in range(30)}
    assert len(firsts) > 1
    assert all(attr.ranking(np.array([0.0, 0.0, 0.0, 0.0, 1.0]), rng)[0] == 4 for _ in range(5))


# --------------------------------------------------------------- wav2vec 2.0 classifiers

MICRO = {"conv_layers": [[16, 10, 5]] + [[16, 3, 2]] * 4 + [[16, 2, 2]] * 2, "encoder_dim": 32,
         "encoder_layers": 2, "encoder_heads": 2, "encoder_ffn_dim": 64, "pos_conv_kernel": 8,
         "pos_conv_groups": 4, "fbank_conv_layers": [[16, 3, 1], [16, 3, 2]]}


def micro_classifier(frontend: str) -> UtteranceClassifier:
    torch.manual_seed(0)
    cfg = config_for("tiny", {**MICRO, "frontend": frontend})
    model = UtteranceClassifier(ClassifierConfig(num_classes=3, wav2vec2=cfg, hidden_dims=[8]))
    model.encoder.freeze_feature_encoder()  # as stage 7 leaves it: explanations need input gradients anyway
    return attr.prepare(model)


@pytest.mark.parametrize("frontend,shape", [("waveform", (1, 8000)), ("fbank", (1, 60, 80))])
def test_every_layer_of_both_front_ends_gives_a_map_on_the_input_time(frontend, shape):
    model = micro_classifier(frontend)
    x = torch.randn(*shape)
    target = attr.classifier_target(model, x, 2, ["a", "b", "c"], 0.5)
    assert target.description == "logit of c" and target.labels[0][0].startswith("predicted: ")
    names = [n.split(" = ")[0] for n in attr.layer_names(model)]
    assert names == [f"conv:{i}" for i in range(7 if frontend == "waveform" else 2)] + ["layer:0", "layer:1"]
    for name in [*names, "encoder.encoder.layers.0"]:
        cam = attr.grad_cam(target.score, x, attr.find_layer(model, name))
        assert cam.shape == (shape[1],) and np.isfinite(cam).all() and (cam >= 0).all() and cam.max() > 0
    assert attr.saliency(target.score, x).shape == (shape[1],)
    ig, error = attr.integrated_gradients(target.score, x, attr.baseline_of(x), steps=16)
    assert ig.shape == (shape[1],) and np.isfinite(error)


def test_an_unknown_layer_is_named_with_the_valid_ones():
    model = micro_classifier("fbank")
    for name in ("layer:2", "conv:-3", "encoder.encoder.layers.9", "attention"):
        with pytest.raises(attr.UnknownLayer) as e:
            attr.find_layer(model, name)
        message = str(e.value)
        assert f"layer '{name}' does not exist" in message
        assert "conv:0 = encoder.feature_encoder.conv_layers.0" in message
        assert "layer:1 = encoder.encoder.layers.1" in message
    assert attr.find_layer(model, "layer:-1").name == "encoder.encoder.layers.1"


def test_a_layer_the_target_does_not_depend_on_is_refused():
    cfg = config_for("tiny", {**MICRO, "frontend": "fbank"})
    model = attr.prepare(UtteranceClassifier(ClassifierConfig(num_classes=2, wav2vec2=cfg, layer=1,
                                                              hidden_dims=[8])))
    x = torch.randn(1, 40, 80)
    with pytest.raises(attr.ExplainError, match="encoder.encoder.layers.1 does not lead to the target"):
        attr.grad_cam(attr.classifier_score(model, 0), x, attr.find_layer(model, "layer:1"))


def test_a_too_short_utterance_is_named():
    with pytest.raises(attr.TooShort, match=r"spk1-utt7: 1500 samples \(0.094 s\) is too short to explain: it "
                                            r"needs at least 1600 samples \(0.100 s\), the larger of the "
                                            r"model's receptive field \(400 samples\) and the deletion "
                                            r"test's 10 steps"):
        attr.check_length("spk1-utt7", 1500, 400, 160, "samples", 16000)
    with pytest.raises(attr.TooShort, match=r"u2: 12 frames .* at least 15 frames .* receptive field \(15 frames"):
        attr.check_length("u2", 12, 15, 1, "frames", 100)
    attr.check_length("u3", 1600, 400, 160, "samples", 16000)


# ------------------------------------------------------------------------- CTC targets

PATTERN = ["a", "a", "<blank>", "b", "|", "|", "c", "c", "<blank>", "<blank>"]  # greedy: "ab c"


class FakeCTC(nn.Module):
    """Log-probs whose best path is PATTERN whatever the input (20 units, 2 per output frame),
    differentiable in the input."""

    def __init__(self, tokenizer: CharTokenizer):
        super().__init__()
        ids = torch.tensor([tokenizer.tokens.index(t) for t in PATTERN])
        self.register_buffer("bias", 10 * nn.functional.one_hot(ids, len(tokenizer.tokens)).float())
        self.weight = nn.Parameter(torch.linspace(-1, 1, len(tokenizer.tokens)))

    def forward(self, x, lengths):
        frames = x.reshape(x.shape[0], 10, 2).sum(-1)
        logits = self.bias + 0.1 * frames[..., None] * self.weight
        return SimpleNamespace(log_probs=logits.log_softmax(-1), lengths=torch.full((x.shape[0],), 10))


@pytest.fixture
def fake_ctc():
    tokenizer = CharTokenizer(["<blank>", "<unk>", "|", "a", "b", "c"])
    return attr.prepare(FakeCTC(tokenizer)), tokenizer


def test_a_ctc_word_is_the_log_probability_of_its_frames_on_the_greedy_path(fake_ctc):
    model, tokenizer = fake_ctc
    x = torch.randn(1, 20)
    lp = model(x, None).log_probs[0]
    path = [tokenizer.tokens.index(t) for t in PATTERN]
    first = attr.ctc_target(model, tokenizer, x, "word:0", 0.02, "u1")
    assert first.description == "word 'ab' (output frames 0-3)"
    assert first.value == pytest.approx(float(sum(lp[t, path[t]] for t in range(4))))
    assert [w for w, _, _ in first.labels] == ["ab", "c"] and first.highlight == pytest.approx((0.0, 0.08))
    last = attr.ctc_target(model, tokenizer, x, "word:-1", 0.02, "u1")
    assert last.description == "word 'c' (output frames 6-7)"
    assert float(last.score(x)) == pytest.approx(last.value, rel=1e-5)
    token = attr.ctc_target(model, tokenizer, x, "token:1", 0.02, "u1")  # "b" at frame 3
    assert token.description == "token 'b' (output frames 3-3)"
    assert token.value == pytest.approx(float(lp[3, path[3]]))
    whole = attr.ctc_target(model, tokenizer, x, "path", 0.02, "u1")
    assert whole.value == pytest.approx(float(sum(lp[t, path[t]] for t in range(10))))
    assert attr.saliency(first.score, x)[8:].max() == 0  # frames after the word play no part
    assert attr.saliency(first.score, x)[:8].min() > 0


def test_a_ctc_target_the_hypothesis_lacks_is_named(fake_ctc):
    model, tokenizer = fake_ctc
    with pytest.raises(attr.ExplainError, match=r"u9: --ctc-target word:2: the greedy hypothesis has 2 word\(s\) "
                                                r"\(ab c\)"):
        attr.ctc_target(model, tokenizer, torch.randn(1, 20), "word:2", 0.02, "u9")
    with pytest.raises(attr.ExplainError, match="expected word:K, token:K"):
        attr.parse_ctc_target("words")
