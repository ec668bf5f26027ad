"""Stage 3, ``asrkit-pretrain``, on a tiny synthesized corpus (model and trainer: tests/models,
tests/train)."""

from __future__ import annotations

import logging
import math
import shutil

import pytest
import torch

from asrkit import pretrain
from asrkit.models import load as load_model
from asrkit.models import wav2vec2
from asrkit.train.checkpoint import load as _checkpoint


def _same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_short_run_lowers_the_loss_and_writes_every_output(stages, stage_kit):
    exp = stages.pretrained()
    losses = [r["loss"] for r in stage_kit.read_metrics(exp)]
    assert len(losses) == 4 and losses[-1] < losses[0]
    assert [r["updates"] for r in stage_kit.read_metrics(exp, "valid")] == [4, 8]

    for name in ("config.yaml", "checkpoint_4.pt", "checkpoint_8.pt", "checkpoint_last.pt",
                 "checkpoint_best.pt", "excluded_utts.txt", ".done"):
        assert (exp / name).is_file(), name
    assert list((exp / "tensorboard").glob("events.out.tfevents.*"))
    for curve in ("loss", "contrastive", "diversity", "code_perplexity", "accuracy", "lr"):
        assert (exp / "images" / f"{curve}.png").stat().st_size > 0, curve
    saved = pretrain.configlib.load(pretrain.PretrainConfig, exp / "config.yaml")
    assert saved.model["encoder_dim"] == 64 and saved.train.max_updates == 8

    model, ckpt = load_model(exp / "checkpoint_last.pt")
    assert isinstance(model, wav2vec2.Wav2Vec2ForPreTraining)
    assert ckpt["kind"] == "wav2vec2_pretrain" and ckpt["num_updates"] == 8

    summary = (exp / "summary.md").read_text()
    collapse = summary.split("## Collapse check")[1].split("##")[0]
    assert "**WARNING**" in collapse or "- ok:" in collapse
    assert "2 layers × 64" in summary and "| updates | 8" in summary


def test_finished_run_is_skipped_and_force_without_resume_trains_again(stages, stage_kit, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    exp = tmp_path / "exp"
    shutil.copytree(stages.pretrained(), exp)
    config = stage_kit.write_config(tmp_path / "pretrain.yaml", stage_kit.PRETRAIN, stage_kit.NO_EXTRAS)
    args = stages.pretrain_args(exp, config)
    before = (exp / "checkpoint_last.pt").read_bytes()

    assert stage_kit.run(pretrain.main, *args) == 0
    assert "is finished" in caplog.text
    assert (exp / "checkpoint_last.pt").read_bytes() == before

    caplog.clear()
    assert stage_kit.run(pretrain.main, *args, "--force", "--no-resume", "--set", "train.max_updates=2") == 0
    assert "resumed" not in caplog.text
    assert _checkpoint(exp / "checkpoint_last.pt")["num_updates"] == 2
    assert [r["updates"] for r in stage_kit.read_metrics(exp)] == [2]


def test_interrupted_run_resumes_to_the_weights_of_an_uninterrupted_run(stages, stage_kit, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    exp = tmp_path / "exp"
    config = stage_kit.write_config(tmp_path / "pretrain.yaml", stage_kit.PRETRAIN, stage_kit.NO_EXTRAS)
    args = stages.pretrain_args(exp, config)
    assert stage_kit.run(pretrain.main, *args, "--set", "train.max_updates=4") == 0
    (exp / ".done").unlink()  # as if killed after the checkpoint at update 4

    assert stage_kit.run(pretrain.main, *args) == 0
    assert f"resumed from {exp / 'checkpoint_last.pt'} at update 4" in caplog.text
    resumed = _checkpoint(exp / "checkpoint_last.pt")
    assert resumed["num_updates"] == 8
    assert [r["updates"] for r in stage_kit.read_metrics(exp)] == [2, 4, 6, 8]
    uninterrupted = _checkpoint(stages.pretrained() / "checkpoint_last.pt")
    for key, value in uninterrupted["model"].items():
        torch.testing.assert_close(resumed["model"][key], value, rtol=1e-5, atol=1e-6, msg=key)


def test_too_short_utterances_are_excluded_and_counted(stages, stage_kit, tmp_path):
    waves = stage_kit.waves_of(stages.dump("train"))
    clips = {f"spk{i}-long{i}": (w, None) for i, w in enumerate(list(waves.values())[:5])}
    clips["spk9-short"] = (next(iter(waves.values()))[:1600], None)  # 0.1 s: no room for a mask span
    dump = stage_kit.dump_waves(tmp_path / "short", clips)
    config = stage_kit.write_config(tmp_path / "pretrain.yaml", stage_kit.PRETRAIN, stage_kit.NO_EXTRAS,
                                    {"train": {"max_updates": 1}})
    exp = tmp_path / "exp"
    assert stage_kit.run(pretrain.main, "--ngpu", "0", "--config", config, "--train-data", dump,
                         "--exp-dir", exp) == 0

    lines = (exp / "excluded_utts.txt").read_text().splitlines()
    assert len(lines) == 1
    utt, reason, where = lines[0].split("\t")
    assert (utt, reason) == ("spk9-short", "too-short")
    assert "1600 samples < min_length" in where and "feats.scp" in where
    assert "| excluded | 1" in (exp / "summary.md").read_text()


def test_a_set_with_every_utterance_too_short_stops_the_stage_with_a_message(stages, stage_kit, tmp_path,
                                                                             capsys):
    wave = next(iter(stage_kit.waves_of(stages.dump("dev")).values()))
    dump = stage_kit.dump_waves(tmp_path / "short", {f"spk1-short{i}": (wave[:2000 + i], None)
                                                     for i in range(2)})
    config = stage_kit.write_config(tmp_path / "pretrain.yaml", stage_kit.PRETRAIN)
    assert stage_kit.run(pretrain.main, "--ngpu", "0", "--config", config, "--train-data", dump,
                         "--exp-dir", tmp_path / "exp") == 1
    err = capsys.readouterr().err
    assert f"{dump}: no utterance left of 2 after exclusions" in err and "too-short: 2" in err
    assert "Traceback" not in err


def test_unknown_config_key_fails_with_its_dotted_name(stages, stage_kit, tmp_path, capsys):
    config = stage_kit.write_config(tmp_path / "typo.yaml", stage_kit.PRETRAIN,
                                    {"train": {"optim": {"lrr": 1.0}}})
    exp = tmp_path / "exp"
    assert stage_kit.run(pretrain.main, *stages.pretrain_args(exp, config)) == 1
    err = capsys.readouterr().err
    assert "unknown config key 'train.optim.lrr'" in err and str(config) in err
    assert "Traceback" not in err

    good = stage_kit.write_config(tmp_path / "good.yaml", stage_kit.PRETRAIN)
    assert stage_kit.run(pretrain.main, *stages.pretrain_args(exp, good), "--set", "loss.num_negativs=5") == 1
    err = capsys.readouterr().err
    assert "loss.num_negativs" in err and "Traceback" not in err
    assert not (exp / "checkpoint_last.pt").exists()


def test_init_from_starts_a_new_phase_with_the_new_schedule(stages, stage_kit, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    source = stages.pretrained() / "checkpoint_last.pt"
    # lr 0 in the new phase: the weights must stay exactly those of the source checkpoint
    config = stage_kit.write_config(tmp_path / "phase2.yaml", stage_kit.PRETRAIN, stage_kit.NO_EXTRAS, {
        "train": {"max_updates": 2, "optim": {"lr": 0.0}, "schedule": {"warmup_updates": 0}}})
    exp = tmp_path / "phase2"
    assert stage_kit.run(pretrain.main, *stages.pretrain_args(exp, config), "--init-from", source) == 0
    assert f"initialised from {source}" in caplog.text

    phase2 = _checkpoint(exp / "checkpoint_last.pt")
    assert phase2["num_updates"] == 2  # counted from 0, not from the source's 8
    assert [r["lr"] for r in stage_kit.read_metrics(exp)] == [0.0]
    assert _same_weights(phase2["model"], _checkpoint(source)["model"])


def _summary(contrastive: float, code_perplexity: float) -> dict:
    return {"train": {"contrastive": contrastive, "code_perplexity": code_perplexity}}


def test_collapse_verdict_flags_chance_level_loss_and_collapsed_codebook():
    cfg = pretrain.PretrainConfig()  # K = 100 distractors: chance is ln 101
    mcfg = wav2vec2.tiny()  # G=2 × V=64 = 128 codevectors; collapse below 10% of them
    chance = math.log(cfg.loss.num_negatives + 1)

    assert pretrain.collapse_verdict(_summary(0.5 * chance, 60.0), cfg, mcfg) == []
    stuck = pretrain.collapse_verdict(_summary(0.99 * chance, 60.0), cfg, mcfg)
    assert len(stuck) == 1 and "chance level" in stuck[0]
    collapsed = pretrain.collapse_verdict(_summary(0.5 * chance, 5.0), cfg, mcfg)
    assert len(collapsed) == 1 and "collapsed" in collapsed[0] and "128 codevectors" in collapsed[0]
    assert len(pretrain.collapse_verdict(_summary(chance, 1.0), cfg, mcfg)) == 2
    assert pretrain.collapse_verdict({"train": {}}, cfg, mcfg) == []


def test_min_input_length_leaves_room_for_a_mask_span():
    mcfg = wav2vec2.tiny()  # receptive field 400 samples, stride 320, mask span M=10
    assert pretrain.min_input_length(mcfg) == 400 + 10 * 320
    frames = wav2vec2.Wav2Vec2Model(mcfg).output_lengths(torch.tensor([3599, 3600])).tolist()
    assert frames == [mcfg.mask_time_length, mcfg.mask_time_length + 1]


def test_gumbel_anneal_fraction_scales_the_temperature_schedule_to_the_run():
    from asrkit.models.quantizer import gumbel_temperature

    cfg = pretrain.PretrainConfig()
    cfg.train.max_updates = 1000
    mcfg = wav2vec2.tiny()  # fairseq's (2, 0.5, 0.999995): made for 400k updates
    warning = pretrain.anneal_gumbel(cfg, mcfg)
    assert "1.99" in warning and "gumbel_anneal_fraction" in warning
    assert mcfg.gumbel_temperature == (2.0, 0.5, 0.999995)  # left as configured

    cfg.gumbel_anneal_fraction = 0.7
    assert pretrain.anneal_gumbel(cfg, mcfg) is None
    schedule = mcfg.gumbel_temperature
    assert gumbel_temperature(0, schedule) == 2.0
    assert math.isclose(gumbel_temperature(350, schedule), 1.0, rel_tol=1e-6)  # halfway in log τ
    assert gumbel_temperature(699, schedule) > 0.5 and gumbel_temperature(700, schedule) == 0.5
    assert "τ_min at update 700" in pretrain.gumbel_schedule(mcfg, 1000)


def test_gumbel_anneal_fraction_outside_zero_one_is_a_config_error():
    from asrkit.config import ConfigError

    with pytest.raises(ConfigError, match="gumbel_anneal_fraction 1.5"):
        pretrain.anneal_gumbel(pretrain.PretrainConfig(gumbel_anneal_fraction=1.5), wav2vec2.tiny())
