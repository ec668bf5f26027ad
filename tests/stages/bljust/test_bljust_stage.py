"""asrkit-bljust on the shared micro corpus: three phases into a normal fine-tuned experiment,
γ = 0 is CTC training, a constant v* changes nothing, a run killed mid-joint resumes to the
same bits, and bad input is named."""

from __future__ import annotations

import json
import logging

import pytest
import torch

from asrkit import bljust, finetune
from asrkit.inference import load_for_inference
from asrkit.train import checkpoint as ckpt
from asrkit.train.rng import seed_everything
from asrkit.text.tokenizer import load_tokenizer


def config(stage_kit, path, *overrides):
    base = {
        "model": {"size": "tiny", "wav2vec2": {**stage_kit.MICRO_WAV2VEC2, "feature_grad_mult": 1.0},
                  "ssl_masking": {"mask_time_prob": 0.65, "mask_time_length": 4},
                  "ctc_masking": {"mask_time_prob": 0.0, "mask_channel_prob": 0.0}},
        "loss": {"num_negatives": 10},
        "tokenizer": {"kind": "char", "normalizer": "default"},
        "bljust": {"explore": {"updates": 2, "lr_scale": 2.0},
                   "joint": {"updates": 4},
                   "final": {"updates": 2, "lr_scale": 0.1},
                   "gamma": {"start": 0.0, "max": 1.0}},
        "options": {"average_best": 2, "valid_metric": "wer"},
        "train": {"optim": {"lr": 2.0e-3}, "data": {"batch_bins": 200000},
                  "log_interval": 1, "valid_interval": 4, "save_interval": 4, "keep_last": 4},
        "unlabeled_data": {"batch_bins": 48000, "max_length": 24000},
    }
    return stage_kit.write_config(path, base, stage_kit.NO_EXTRAS, *overrides)


def train(stages, cfg, exp, *more):
    return bljust.main([str(a) for a in ("--ngpu", "0", "--config", cfg, "--init", "none",
                                         "--train-data", stages.dump("train"),
                                         "--unlabeled-data", stages.dump("unlabeled"),
                                         "--valid-data", stages.dump("dev"), "--exp-dir", exp, *more)])


def weights(exp, name=ckpt.LAST):
    return ckpt.load(exp / name)["model"]


@pytest.mark.slow
def test_three_phases_leave_a_fine_tuned_experiment_with_curves_and_a_collapse_check(
        stages, stage_kit, tmp_path):
    cfg = config(stage_kit, tmp_path / "bljust.yaml", {"train": {"plots": True}})
    exp = tmp_path / "exp"
    assert train(stages, cfg, exp) == 0
    records = stage_kit.read_metrics(exp)
    assert [r["updates"] for r in records] == list(range(1, 9))
    explore, joint, final = records[:2], records[2:6], records[6:]
    assert all("ssl" in r and "ctc" not in r and "gamma" not in r for r in explore)
    assert all({"ssl", "ctc", "gamma", "code_perplexity"} <= set(r) for r in joint)
    assert [r["gamma"] for r in joint] == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])
    assert all("ctc" in r and "ssl" not in r for r in final)
    assert [r["lr"] for r in records] == pytest.approx([4e-3] * 2 + [2e-3] * 4 + [2e-4] * 2)
    assert "ssl_gap" not in joint[0]  # v* not given: nothing to log
    valid = stage_kit.read_metrics(exp, "valid")
    assert [r["updates"] for r in valid] == [4, 8] and all({"cer", "wer", "ssl", "ctc"} <= set(r) for r in valid)

    model, tokenizer = load_for_inference(exp)  # what stages 5-6 read
    assert type(model).__name__ == "CTCModel" and tokenizer.vocab_size > 2
    assert (exp / "feature_config.yaml").is_file()
    info = json.loads((exp / "model_info.json").read_text())
    assert info["passes"] == 2 + 2 * 4 + 2 and "joint: updates 3-6" in info["phases"]
    summary = (exp / "summary.md").read_text()
    assert "## Collapse check" in summary and "passes: 12" in summary and "unlabeled data" in summary
    images = {p.name for p in (exp / "images").glob("*.png")}
    assert {"ctc.png", "ssl.png", "gamma.png", "cer.png", "code_perplexity.png"} <= images, images


@pytest.mark.slow
def test_gamma_zero_trains_theta_and_phi_as_ctc_fine_tuning_and_psi_on_ssl(stages, stage_kit, tmp_path):
    joint = config(stage_kit, tmp_path / "bljust.yaml", {
        "bljust": {"explore": {"updates": 0}, "final": {"updates": 0}, "joint": {"updates": 3},
                   "gamma": {"start": 0.0, "max": 0.0}},
        "train": {"valid_interval": 100, "save_interval": 100}})
    assert train(stages, joint, tmp_path / "bljust") == 0
    ctc = stage_kit.write_config(tmp_path / "finetune.yaml", stage_kit.FINETUNE, stage_kit.NO_EXTRAS, {
        "model": {"wav2vec2": {**stage_kit.MICRO_WAV2VEC2, "feature_grad_mult": 1.0,
                               "mask_time_prob": 0.0, "mask_channel_prob": 0.0}},
        "finetune": {"freeze_feature_encoder": False, "freeze_encoder_updates": 0, "average_best": 1},
        "train": {"max_updates": 3, "optim": {"lr": 2.0e-3}, "data": {"batch_bins": 200000},
                  "schedule": {"name": "constant", "warmup_updates": 0},
                  "valid_interval": 100, "save_interval": 100, "log_interval": 1}})
    assert finetune.main([str(a) for a in ("--ngpu", "0", "--config", ctc, "--init", "none",
                                           "--train-data", stages.dump("train"), "--valid-data",
                                           stages.dump("dev"), "--exp-dir", tmp_path / "ft")]) == 0
    joint_w, ft_w = weights(tmp_path / "bljust"), weights(tmp_path / "ft")
    shared = [k for k in joint_w if k.startswith("ctc.")]
    assert shared and all(k[len("ctc."):] in ft_w for k in shared)
    for key in shared:
        if key.endswith("mask_emb"):
            continue  # ψ's: trained by L_SSL here, unused by CTC without masks there
        assert torch.equal(joint_w[key], ft_w[key[len("ctc."):]]), key

    # ψ trained on L_SSL all the same
    cfg = bljust.configlib.load(bljust.BLJustConfig, joint)
    seed_everything(cfg.train.seed)
    fresh, _, _ = bljust.build_model("none", cfg, load_tokenizer(tmp_path / "bljust" / "tokenizer").vocab_size)
    start = fresh.state_dict()
    psi = [k for k in joint_w if k.startswith("ssl.") and not k.startswith("ssl.wav2vec2.")]
    assert psi and any(not torch.equal(joint_w[k], start[k]) for k in psi)
    assert torch.equal(start["ctc.head.weight"], fresh.state_dict()["ctc.head.weight"])


@pytest.mark.slow
def test_a_constant_v_star_leaves_every_update_unchanged(stages, stage_kit, tmp_path):
    short = {"bljust": {"explore": {"updates": 1}, "joint": {"updates": 3}, "final": {"updates": 0}},
             "train": {"valid_interval": 100, "save_interval": 100}}
    plain = config(stage_kit, tmp_path / "plain.yaml", short)
    shifted = config(stage_kit, tmp_path / "shifted.yaml", short, {"bljust": {"v_star": 3.5}})
    assert train(stages, plain, tmp_path / "a") == 0
    assert train(stages, shifted, tmp_path / "b") == 0
    a, b = weights(tmp_path / "a"), weights(tmp_path / "b")
    for key in a:
        assert torch.equal(a[key], b[key]), key
    records = stage_kit.read_metrics(tmp_path / "b")
    gaps = [r for r in records if "ssl_gap" in r]
    assert len(gaps) == 4 and all(r["ssl_gap"] == pytest.approx(r["ssl"] - 3.5) for r in gaps)


class Killed(RuntimeError):
    pass


@pytest.mark.slow
def test_a_run_killed_in_the_joint_phase_resumes_bit_for_bit(stages, stage_kit, tmp_path, monkeypatch):
    cfg = config(stage_kit, tmp_path / "bljust.yaml", {
        "bljust": {"explore": {"updates": 1}, "joint": {"updates": 5}, "final": {"updates": 1}},
        "train": {"valid_interval": 100, "save_interval": 3, "log_interval": 1},
        "unlabeled_data": {"max_length": 16000}})
    assert train(stages, cfg, tmp_path / "straight") == 0

    step = bljust.BLJustTask.step

    def killed_at_5(self, batch, num_updates):
        if num_updates == 5:
            raise Killed("killed in the joint phase")
        return step(self, batch, num_updates)

    monkeypatch.setattr(bljust.BLJustTask, "step", killed_at_5)
    with pytest.raises(Killed):
        train(stages, cfg, tmp_path / "resumed")
    state = ckpt.load(tmp_path / "resumed" / ckpt.LAST)
    assert state["num_updates"] == 3 and state["streams"]["unlabeled"]["position"] > 0
    monkeypatch.setattr(bljust.BLJustTask, "step", step)
    assert train(stages, cfg, tmp_path / "resumed") == 0

    straight, resumed = weights(tmp_path / "straight"), weights(tmp_path / "resumed")
    for key in straight:
        assert torch.equal(straight[key], resumed[key]), key
    a = ckpt.load(tmp_path / "straight" / ckpt.LAST)
    b = ckpt.load(tmp_path / "resumed" / ckpt.LAST)
    assert a["streams"] == b["streams"] and (a["epoch"], a["position"]) == (b["epoch"], b["position"])


def test_an_unlabeled_set_smaller_than_one_batch_is_a_clear_error(stages, stage_kit, tmp_path, capsys):
    cfg = config(stage_kit, tmp_path / "bljust.yaml", {"unlabeled_data": {"batch_bins": 10 ** 9,
                                                                          "max_length": None}})
    assert train(stages, cfg, tmp_path / "exp") == 1
    err = capsys.readouterr().err
    assert "unlabeled stream" in err and "smaller than one batch" in err and str(stages.dump("unlabeled")) in err


def test_dumps_of_different_feature_types_are_a_clear_error(stages, stage_kit, tmp_path, capsys):
    waves = stage_kit.waves_of(stages.dump("unlabeled"))
    clips = {f"spk{i}-u{i}": (w, None) for i, w in enumerate(list(waves.values())[:4])}
    fbank = stage_kit.dump_waves(tmp_path / "fbank", clips, feats_type="fbank")
    cfg = config(stage_kit, tmp_path / "bljust.yaml")
    status = bljust.main([str(a) for a in ("--ngpu", "0", "--config", cfg, "--train-data", stages.dump("train"),
                                           "--unlabeled-data", fbank, "--exp-dir", tmp_path / "exp")])
    assert status == 1
    err = capsys.readouterr().err
    assert str(fbank) in err and "fbank" in err and "raw" in err


def test_a_labeled_set_sharing_speakers_with_a_held_out_set_is_warned_about(stages, tmp_path):
    assert bljust.speaker_overlap(stages.dump("train"), [stages.dump("dev"), stages.dump("test")]) == []
    (warning,) = bljust.speaker_overlap(stages.dump("train"), [stages.dump("train")])
    assert "shares" in warning and "optimistic" in warning


@pytest.mark.slow
def test_init_from_a_pretraining_skips_exploration_and_continues_its_gumbel_schedule(
        stages, stage_kit, tmp_path):
    cfg = config(stage_kit, tmp_path / "bljust.yaml", {
        "model": {"wav2vec2": {}},  # the checkpoint's architecture
        "bljust": {"explore": {"updates": 3}, "joint": {"updates": 2}, "final": {"updates": 0}},
        "train": {"valid_interval": 100, "save_interval": 100}})
    init = stages.pretrained() / "checkpoint_last.pt"
    assert train(stages, cfg, tmp_path / "exp", "--init", init) == 0
    records = stage_kit.read_metrics(tmp_path / "exp")
    assert [r["updates"] for r in records] == [1, 2] and all("gamma" in r for r in records)
    pretrained = [r for r in stage_kit.read_metrics(stages.pretrained()) if "temperature" in r]
    assert records[0]["temperature"] < pretrained[0]["temperature"]  # τ continues, not restarts


def test_init_must_be_a_pretraining_checkpoint(stages, stage_kit, tmp_path, capsys):
    from asrkit.models import save
    from asrkit.models.ctc import CTCConfig, CTCModel
    from asrkit.models.wav2vec2 import config_for

    path = save(tmp_path / "ctc.pt", CTCModel(CTCConfig(5, wav2vec2=config_for("tiny", stage_kit.MICRO_WAV2VEC2))),
                "ctc")
    cfg = config(stage_kit, tmp_path / "bljust.yaml")
    status = train(stages, cfg, tmp_path / "exp", "--init", path)
    assert status == 1 and "'ctc' checkpoint" in capsys.readouterr().err


def test_the_phases_warn_when_gamma_never_reaches_gamma_max(stages, stage_kit, tmp_path, caplog):
    cfg = config(stage_kit, tmp_path / "bljust.yaml", {"bljust": {"gamma": {"rise": 50}},
                                                      "unlabeled_data": {"batch_bins": 10 ** 9}})
    with caplog.at_level(logging.WARNING):
        train(stages, cfg, tmp_path / "exp")  # stops at the unlabeled set, after the plan's check
    assert any("never reaches γ_max" in r.getMessage() for r in caplog.records)
