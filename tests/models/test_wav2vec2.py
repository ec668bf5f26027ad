"""The native wav2vec 2.0 model: sizes, shapes, padding, masking, pretraining output."""

from __future__ import annotations

import math

import pytest
import torch

import asrkit.models
from asrkit import config as asrkit_config
from asrkit.models import ops, wav2vec2
from asrkit.models.wav2vec2 import Wav2Vec2ForPreTraining, Wav2Vec2Model


@pytest.mark.parametrize(
    "name, encoder_millions",
    [("tiny", 3.98), ("small", 28.5), ("base", 94.37), ("large", 315.44)],
)
def test_named_sizes_have_their_documented_parameter_counts(name, encoder_millions):
    with torch.device("meta"):  # no memory, no init cost
        model = Wav2Vec2Model(wav2vec2.config_for(name))
    count = sum(p.numel() for p in model.parameters()) / 1e6
    # base and large equal transformers' wav2vec2-base (94.4 M) and XLSR-53 (315.4 M)
    assert abs(count - encoder_millions) < 0.01


def test_base_and_large_follow_fairseq():
    b, large = wav2vec2.config_for("base"), wav2vec2.config_for("large")
    assert (b.encoder_layers, b.encoder_dim, b.encoder_heads, b.layer_norm_first) == (12, 768, 12, False)
    assert (b.extractor_mode, b.mask_time_prob, b.mask_time_length) == ("group_norm", 0.65, 10)
    assert (b.num_codevector_groups, b.num_codevectors_per_group, b.final_dim) == (2, 320, 256)
    assert (large.encoder_layers, large.encoder_dim, large.layer_norm_first) == (24, 1024, True)
    assert (large.extractor_mode, large.conv_bias) == ("layer_norm", True)
    with pytest.raises(ValueError, match="unknown wav2vec2 size 'huge'"):
        wav2vec2.config_for("huge")


def test_config_for_names_an_unknown_field_or_a_misfit_by_its_dotted_name():
    cfg = wav2vec2.config_for("tiny", {"frontend": "fbank", "encoder_layers": 2}, where="model.wav2vec2")
    assert (cfg.frontend, cfg.encoder_layers, cfg.encoder_dim) == ("fbank", 2, 256)
    with pytest.raises(asrkit_config.ConfigError, match=r"model\.size: unknown wav2vec2 size 'huge'"):
        wav2vec2.config_for("huge")
    with pytest.raises(asrkit_config.ConfigError, match=r"'model\.wav2vec2\.encoder_layer'"):
        wav2vec2.config_for("tiny", {"encoder_layer": 2}, where="model.wav2vec2")
    with pytest.raises(asrkit_config.ConfigError, match=r"model\.extractor_mode: 'default' is not one of"):
        wav2vec2.config_for("base", {"extractor_mode": "default"})
    with pytest.raises(asrkit_config.ConfigError, match=r"model: encoder_dim 256 is not divisible by encoder_heads 3"):
        wav2vec2.config_for("tiny", {"encoder_heads": 3})


def test_config_round_trips_through_yaml(tmp_path):
    cfg = wav2vec2.config_for("tiny", {"mask_channel_prob": 0.5})
    asrkit_config.save(cfg, tmp_path / "model.yaml")
    loaded = asrkit_config.load(wav2vec2.Wav2Vec2Config, tmp_path / "model.yaml", ["encoder_layers=2"])
    assert loaded.conv_layers == cfg.conv_layers and loaded.mask_channel_prob == 0.5
    assert loaded.encoder_layers == 2


def test_encoder_output_shapes_and_lengths(micro_config):
    model = Wav2Vec2Model(micro_config()).eval()
    wave = torch.randn(3, 4000)
    lengths = torch.tensor([4000, 3000, 999])
    out = model(wave, lengths, return_hidden_states=True)
    expected = [int(v) for v in model.output_lengths(lengths)]
    assert expected == [199, 149, 48]  # ⌊(⌊(⌊(L−10)/5⌋+1 − 3)/2⌋+1 − 3)/2⌋ + 1
    assert out.hidden.shape == (3, 199, 32) and out.lengths.tolist() == expected
    assert out.padding_mask.sum(1).tolist() == [0, 50, 151]
    assert len(out.hidden_states) == 3 and torch.equal(out.hidden_states[-1], out.hidden)


@pytest.mark.parametrize(
    "overrides",
    [{}, {"extractor_mode": "layer_norm", "layer_norm_first": True, "normalize_waveform": True},
     {"frontend": "fbank"}],
    ids=["group_norm", "layer_norm", "fbank"],
)
def test_padded_utterance_gives_the_same_hidden_states_as_alone(micro_config, overrides):
    torch.manual_seed(0)
    model = Wav2Vec2Model(micro_config(**overrides)).eval()
    fbank = overrides.get("frontend") == "fbank"
    long, short = (torch.randn(1, 120, 80), torch.randn(1, 70, 80)) if fbank else (
        torch.randn(1, 4000), torch.randn(1, 2500))
    batch = torch.zeros(2, *long.shape[1:])
    batch[0], batch[1, : short.shape[1]] = long[0], short[0]
    with torch.no_grad():
        together = model(batch, torch.tensor([long.shape[1], short.shape[1]]))
        alone = model(short)
    n = alone.hidden.shape[1]
    assert int(together.lengths[1]) == n
    torch.testing.assert_close(together.hidden[1, :n], alone.hidden[0], atol=1e-5, rtol=1e-5)


def test_fbank_front_end_gives_20ms_frames(micro_config):
    model = Wav2Vec2ForPreTraining(micro_config(frontend="fbank"))
    fbank = torch.randn(2, 100, 80)  # 1 s at 10 ms
    out = model.wav2vec2(fbank, torch.tensor([100, 80]))
    assert out.hidden.shape == (2, 48, 32) and out.lengths.tolist() == [48, 38]
    result = model(fbank, torch.tensor([100, 80]))
    result.loss.backward()
    assert model.wav2vec2.feature_encoder.conv_layers[0].conv.weight.grad is not None
    with pytest.raises(ValueError, match=r"\[batch, frames, 80\]"):
        model.wav2vec2(torch.randn(2, 100, 40))


def test_time_masking_replaces_frames_with_the_mask_embedding(micro_config):
    model = Wav2Vec2Model(micro_config()).eval()
    feats = model.extract_features(torch.randn(2, 4000), torch.tensor([4000, 2000]))
    masked, mask = model.apply_masks(feats.projected, feats.lengths)
    assert mask.any() and not (mask & feats.padding_mask).any()
    torch.testing.assert_close(masked[mask], model.mask_emb.expand(int(mask.sum()), -1))
    torch.testing.assert_close(masked[~mask], feats.projected[~mask])


def test_channel_masking_zeroes_whole_channels(micro_config):
    model = Wav2Vec2Model(micro_config(mask_channel_prob=0.5, mask_channel_length=4))
    x = torch.randn(3, 20, 32)
    masked, _ = model.apply_masks(x, torch.full((3,), 20), mask_time=False)
    zero = (masked == 0).all(1)  # [B, C]
    assert zero.any() and torch.equal(masked[~zero[:, None, :].expand_as(x)], x[~zero[:, None, :].expand_as(x)])


def test_feature_grad_mult_scales_and_freezing_stops_feature_encoder_gradients(micro_config):
    wave = torch.randn(2, 4000)
    grads = {}
    for mult in (1.0, 0.1):
        torch.manual_seed(0)
        model = Wav2Vec2Model(micro_config(feature_grad_mult=mult, dropout=0.0, attention_dropout=0.0,
                                           dropout_input=0.0))
        model(wave).hidden.sum().backward()
        grads[mult] = model.feature_encoder.conv_layers[0].conv.weight.grad
    torch.testing.assert_close(grads[0.1], 0.1 * grads[1.0], rtol=1e-4, atol=1e-6)
    model.freeze_feature_encoder()
    model.zero_grad()
    model(wave).hidden.sum().backward()
    assert all(p.grad is None for p in model.feature_encoder.parameters())
    assert model.encoder.layers[0].fc1.weight.grad is not None


def test_too_short_input_names_the_receptive_field(micro_config):
    model = Wav2Vec2Model(micro_config())
    with pytest.raises(ValueError, match=r"39 samples is shorter than .* receptive field \(40 samples\)"):
        model(torch.randn(2, 200), torch.tensor([200, 39]))


def test_pretraining_output_is_a_sum_over_masked_frames(micro_config):
    torch.manual_seed(0)
    model = Wav2Vec2ForPreTraining(micro_config())
    wave, lengths = torch.randn(3, 4000), torch.tensor([4000, 3000, 2000])
    out = model(wave, lengths)
    logs = out.logs
    assert set(logs) == {"contrastive", "diversity", "icsl", "feature_pen", "code_perplexity",
                         "prob_perplexity", "accuracy", "temperature", "num_masked",
                         "cos_within", "cos_between", "codes_used", "codevectors_distinct"}
    n = out.sample_size
    assert n == int(out.time_mask.sum()) == logs["num_masked"]
    assert out.logits.shape == (n, 101)
    frac = n / int(model.wav2vec2.output_lengths(lengths).sum())
    assert 0.3 < frac < 0.7
    expected = n * (logs["contrastive"] + 0.1 * logs["diversity"] + 10 * logs["feature_pen"])
    assert math.isclose(out.loss.item(), expected, rel_tol=1e-4)
    out.loss.backward()
    assert model.quantizer.codevectors.grad is not None and model.wav2vec2.mask_emb.grad is not None


def test_icsl_weight_enters_the_loss(micro_config):
    from asrkit.models.objectives import PreTrainingLossConfig

    torch.manual_seed(0)
    model = Wav2Vec2ForPreTraining(micro_config(), PreTrainingLossConfig(icsl_weight=0.1)).eval()
    with torch.no_grad():
        model.quantizer.codevectors.uniform_()  # the trap: ICSL ≈ 0.75
    out = model(torch.randn(2, 4000))
    base = out.sample_size * (out.logs["contrastive"] + 0.1 * out.logs["diversity"] + 10 * out.logs["feature_pen"])
    assert out.logs["icsl"] > 0.6
    assert math.isclose(out.loss.item() - base, out.sample_size * 0.1 * out.logs["icsl"], rel_tol=1e-3)


def test_contrastive_loss_starts_near_chance_for_tiny():
    torch.manual_seed(0)
    model = Wav2Vec2ForPreTraining(wav2vec2.config_for("tiny")).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 32000))
    # chance is ln(K + 1); cosines of an untrained model spread a little and add a few tenths
    assert abs(out.logs["contrastive"] - math.log(101)) < 0.5
    assert out.logs["accuracy"] < 0.1


def test_set_num_updates_anneals_the_gumbel_temperature(micro_config):
    model = Wav2Vec2ForPreTraining(micro_config())
    model.set_num_updates(50_000)
    assert math.isclose(model(torch.randn(1, 4000)).logs["temperature"], 2.0 * 0.999995**50_000)


def _phones(batch: int, samples: int, gen: torch.Generator) -> torch.Tensor:
    """Piecewise tones: a 'phone' of 25 ms from one of six frequencies, plus noise."""
    freqs = torch.tensor([300.0, 500.0, 800.0, 1200.0, 1800.0, 2500.0])
    ids = torch.randint(0, 6, (batch, samples // 400), generator=gen)
    f = freqs[ids].repeat_interleave(400, 1)
    t = torch.arange(samples) / 16000
    return torch.sin(2 * math.pi * f * t) + 0.05 * torch.randn(batch, samples, generator=gen)


def test_pretraining_learns_structured_audio_beyond_chance(micro_config):
    torch.manual_seed(0)
    cfg = micro_config(dropout=0.0, attention_dropout=0.0, dropout_input=0.0, dropout_features=0.0,
                       feature_grad_mult=1.0)
    model = Wav2Vec2ForPreTraining(cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(0)
    history = []
    for _ in range(50):
        out = model(_phones(4, 4000, gen))
        optimizer.zero_grad()
        (out.loss / out.sample_size).backward()
        optimizer.step()
        history.append(out.logs)
    late = history[-5:]
    assert sum(h["contrastive"] for h in late) / 5 < math.log(101) - 0.5
    assert sum(h["accuracy"] for h in late) / 5 > 0.2
    assert min(h["prob_perplexity"] for h in late) > 4  # codebook use has not collapsed


def test_checkpoint_save_and_load_rebuild_the_model(tmp_path, micro_config):
    torch.manual_seed(0)
    model = Wav2Vec2ForPreTraining(micro_config()).eval()
    asrkit.models.save(tmp_path / "ckpt.pt", model, "wav2vec2_pretrain", num_updates=7)
    loaded, ckpt = asrkit.models.load(tmp_path / "ckpt.pt")
    assert ckpt["num_updates"] == 7 and isinstance(loaded, Wav2Vec2ForPreTraining)
    wave = torch.randn(1, 4000)
    with torch.no_grad():
        torch.testing.assert_close(loaded.eval().wav2vec2(wave).hidden, model.wav2vec2(wave).hidden)
    torch.save({"weights": {}}, tmp_path / "other.pt")
    with pytest.raises(asrkit.models.CheckpointError, match="not an asrkit checkpoint"):
        asrkit.models.load(tmp_path / "other.pt")


def test_bf16_autocast_keeps_the_contrastive_scores_in_fp32(micro_config):
    from asrkit.models import masking

    torch.manual_seed(0)
    model = Wav2Vec2ForPreTraining(micro_config()).eval()
    wave, lengths = torch.randn(2, 4000), torch.tensor([4000, 3000])
    mask = model(wave, lengths).time_mask
    negatives, _ = masking.sample_negatives(mask, 100, torch.Generator().manual_seed(0))
    with torch.no_grad():
        full = model(wave, lengths, time_mask=mask, negatives=negatives)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            half = model(wave, lengths, time_mask=mask, negatives=negatives)
    assert half.logits.dtype == torch.float32 and torch.isfinite(half.loss)
    assert abs(half.logs["contrastive"] - full.logs["contrastive"]) < 0.05 * full.logs["contrastive"]


@pytest.mark.parametrize("kernel", [128, 7])
def test_fft_positional_conv_matches_the_direct_conv_in_values_and_gradients(kernel):
    torch.manual_seed(0)
    pos = wav2vec2.PositionalConvEmbedding(dim=64, kernel=kernel, groups=4)
    assert pos.use_fft  # 16 channels per group
    x = torch.randn(3, 150, 64, requires_grad=True)
    fft_out = pos(x)
    fft_grads = torch.autograd.grad(fft_out.square().sum(), [x, *pos.parameters()])
    pos.use_fft = False
    direct_out = pos(x)
    direct_grads = torch.autograd.grad(direct_out.square().sum(), [x, *pos.parameters()])
    assert fft_out.shape == direct_out.shape == x.shape
    torch.testing.assert_close(fft_out, direct_out, rtol=1e-4, atol=1e-5)
    for a, b in zip(fft_grads, direct_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_fft_positional_conv_is_kept_for_narrow_groups_in_training_only(monkeypatch):
    assert wav2vec2.PositionalConvEmbedding(256, 128, 16).use_fft  # tiny
    assert not wav2vec2.PositionalConvEmbedding(768, 128, 16).use_fft  # base: direct conv is faster
    pos = wav2vec2.PositionalConvEmbedding(64, 16, 4)
    calls = []
    monkeypatch.setattr(ops, "fft_conv1d", lambda *a: calls.append(1) or torch.zeros(2, 64, 30))
    pos(torch.randn(2, 30, 64))  # parameters need gradients: the FFT form
    with torch.no_grad():  # no backward (decoding, validation): oneDNN's forward
        pos(torch.randn(2, 30, 64))
    assert calls == [1]
