"""Stage 4, ``asrkit-finetune``: CTC fine-tuning from each kind of start, its outputs, and the
bad inputs it must report (model pieces: tests/models; trainer: tests/train)."""

from __future__ import annotations

import json
import logging
import math

import pytest
import torch
import torch.nn.functional as F

from asrkit import finetune
from asrkit.checkpoint import average
from asrkit.models import load as load_model
from asrkit.models.ctc import CTCConfig, CTCModel
from asrkit.models.rvq import RVQConfig
from asrkit.models.wav2vec2 import Wav2Vec2Config
from asrkit.train.checkpoint import best_checkpoints
from asrkit.train.checkpoint import load as load_checkpoint


def _run(stages, stage_kit, tmp_path, *overrides, init="none", train=None, valid=None, extra=()):
    """A short fine-tuning run in ``tmp_path/exp`` (micro model, no plots); (status, exp dir)."""
    config = stage_kit.write_config(tmp_path / "finetune.yaml", stage_kit.FINETUNE, stage_kit.NO_EXTRAS,
                                    stage_kit.MICRO_SCRATCH if init == "none" else {}, *overrides)
    exp = tmp_path / "exp"
    argv = ["--ngpu", "0", "--config", config, "--init", init, "--exp-dir", exp,
            "--train-data", train or stages.dump("train")]
    if valid is not False:
        argv += ["--valid-data", valid or stages.dump("dev")]
    return stage_kit.run(finetune.main, *argv, *extra), exp


def _prefixed(state: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


# --------------------------------------------------------------------- from a stage-3 model


def test_finetuning_from_stage3_writes_the_model_tokenizer_and_reports(stages, stage_kit):
    exp = stages.finetuned()
    for name in ("model.pt", "model_info.json", "summary.md", "config.yaml", "excluded_utts.txt",
                 "tokenizer/tokenizer.json", "tokenizer/tokens.txt", "images/ctc.png", "images/wer.png",
                 "images/cer.png", ".done"):
        assert (exp / name).is_file(), name
    losses = [r["ctc"] for r in stage_kit.read_metrics(exp)]
    assert losses[-1] < losses[0]
    valid = stage_kit.read_metrics(exp, "valid")
    assert [r["updates"] for r in valid] == [4, 8] and all(math.isfinite(r["wer"]) for r in valid)

    info = json.loads((exp / "model_info.json").read_text())
    assert info["init"] == str(stages.pretrained() / "checkpoint_last.pt") and info["updates"] == 8
    assert info["model"] == "wav2vec2 2×64 + CTC" and info["tokenizer"].startswith("char (")
    summary = (exp / "summary.md").read_text()
    assert f"- init: {info['init']}" in summary and "| updates | 8" in summary

    model, ckpt = load_model(exp / "model.pt")
    assert isinstance(model, CTCModel) and ckpt["kind"] == "ctc"
    tokens = (exp / "tokenizer" / "tokens.txt").read_text().split()
    assert model.cfg.vocab_size == len(tokens) and tokens[:3] == ["<blank>", "<unk>", "|"]


def test_feature_encoder_keeps_the_pretrained_weights_and_the_transformer_is_tuned(stages):
    pretrained = load_checkpoint(stages.pretrained() / "checkpoint_last.pt")["model"]
    tuned = torch.load(stages.finetuned() / "model.pt", map_location="cpu", weights_only=True)["model"]
    ssl, ctc = _prefixed(pretrained, "wav2vec2."), _prefixed(tuned, "encoder.")
    frozen = [k for k in ctc if k.startswith("feature_encoder.")]
    assert frozen and all(torch.equal(ctc[k], ssl[k]) for k in frozen)
    transformer = [k for k in ctc if k.startswith("encoder.layers.")]
    assert any(not torch.equal(ctc[k], ssl[k]) for k in transformer)


def test_model_pt_is_the_mean_of_the_two_best_validated_checkpoints(stages):
    exp = stages.finetuned()
    best = best_checkpoints(exp, "wer", 2)
    assert sorted(u for u, _, _ in best) == [4, 8]
    expected = average([p for _, _, p in best])
    model = torch.load(exp / "model.pt", map_location="cpu", weights_only=True)["model"]
    assert model.keys() == expected.keys()
    for key, value in expected.items():
        torch.testing.assert_close(model[key], value, msg=key)
    assert "average of checkpoint_" in json.loads((exp / "model_info.json").read_text())["decode_model"]


# -------------------------------------------------------------------------- other starts


def test_random_init_trains_the_feature_encoder_too(stages, stage_kit, tmp_path):
    status, exp = _run(stages, stage_kit, tmp_path, {"train": {"max_updates": 2, "save_interval": 1}},
                       valid=False)
    assert status == 0
    first, second = (load_checkpoint(exp / f"checkpoint_{n}.pt")["model"] for n in (1, 2))
    convs = [k for k in first if k.startswith("encoder.feature_encoder.")]
    assert convs and all(not torch.equal(first[k], second[k]) for k in convs if k.endswith("weight"))
    info = json.loads((exp / "model_info.json").read_text())
    assert info["init"] == "none" and info["model"] == "wav2vec2 2×64 + CTC"


def test_encoder_lr_scale_slows_a_pretrained_encoder_and_not_a_random_one(stages, stage_kit, tmp_path):
    # lr × 0 for the encoder: a pretrained encoder stays as loaded while the head learns; from
    # random weights the setting is ignored (like freeze_*), so the encoder learns too.
    overrides = {"train": {"max_updates": 2, "save_interval": 1},
                 "finetune": {"encoder_lr_scale": 0.0, "freeze_feature_encoder": False,
                              "freeze_encoder_updates": 0}}
    init = stages.pretrained() / "checkpoint_last.pt"
    status, exp = _run(stages, stage_kit, tmp_path / "ssl", overrides, init=str(init), valid=False)
    assert status == 0
    pretrained = _prefixed(load_checkpoint(init)["model"], "wav2vec2.")
    tuned = load_checkpoint(exp / "checkpoint_2.pt")["model"]
    encoder = _prefixed(tuned, "encoder.")
    assert encoder and all(torch.equal(v, pretrained[k]) for k, v in encoder.items())
    first = load_checkpoint(exp / "checkpoint_1.pt")["model"]
    heads = [k for k in tuned if not k.startswith("encoder.")]
    assert heads and any(not torch.equal(first[k], tuned[k]) for k in heads)

    status, exp = _run(stages, stage_kit, tmp_path / "scratch", overrides, valid=False)
    assert status == 0
    first, second = (load_checkpoint(exp / f"checkpoint_{n}.pt")["model"] for n in (1, 2))
    assert any(not torch.equal(first[k], second[k]) for k in first if k.startswith("encoder."))


def _hf_model(tmp_path):
    """A random ``transformers`` wav2vec 2.0 (base-shaped, micro dims) saved as a HF directory."""
    transformers = pytest.importorskip("transformers")
    config = transformers.Wav2Vec2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        conv_dim=(32,) * 7, conv_kernel=(10, 3, 3, 3, 3, 2, 2), conv_stride=(5, 2, 2, 2, 2, 2, 2),
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4, num_codevector_groups=2,
        num_codevectors_per_group=8, codevector_dim=16, proj_codevector_dim=12,
        do_stable_layer_norm=False, feat_extract_norm="group", conv_bias=False, layerdrop=0.0,
    )
    torch.manual_seed(0)
    model = transformers.Wav2Vec2ForPreTraining(config)
    model.save_pretrained(tmp_path / "hf")
    return model.wav2vec2.eval(), tmp_path / "hf"


def test_hugging_face_directory_initialises_the_encoder(stages, stage_kit, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    reference, hf_dir = _hf_model(tmp_path)
    # the Transformer stays frozen for the whole run: the encoder must still be the HF one
    status, exp = _run(stages, stage_kit, tmp_path, {
        "finetune": {"freeze_encoder_updates": 100},
        "train": {"max_updates": 2, "save_interval": 1},
    }, init=hf_dir, valid=False)
    assert status == 0
    assert f"encoder from Hugging Face checkpoint {hf_dir}" in caplog.text

    model, _ = load_model(exp / "model.pt")
    wave = torch.randn(1, 8000, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        ours = model.eval().encoder(wave, torch.tensor([8000])).hidden
        theirs = reference(wave).last_hidden_state
    torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=1e-4)
    head = [load_checkpoint(exp / f"checkpoint_{n}.pt")["model"]["head.weight"] for n in (1, 2)]
    assert not torch.equal(*head)  # while the CTC head trains


@pytest.fixture(scope="module")
def fbank_dumps(stages, stage_kit, tmp_path_factory):
    """The shared corpus's train and dev sets dumped as 80-bin fbank (asrkit-dump --type fbank)."""
    from asrkit import dump

    out = tmp_path_factory.mktemp("fbank")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PATH", stage_kit.venv_on_path())
        for name in ("train", "dev"):
            assert dump.main(["--type", "fbank", str(stages.data(name)), str(out / name)]) == 0
    return out


def test_fbank_conformer_trains_from_scratch(stages, stage_kit, tmp_path, fbank_dumps):
    status, exp = _run(stages, stage_kit, tmp_path, {
        "model": {"encoder": "conformer",
                  "conformer": {"dim": 32, "num_layers": 2, "num_heads": 2, "ffn_dim": 64, "conv_kernel": 7}},
        "finetune": {"freeze_feature_encoder": False, "freeze_encoder_updates": 0},
        "train": {"max_updates": 6, "data": {"batch_bins": 2000}, "valid_interval": 3, "save_interval": 3},
    }, train=fbank_dumps / "train", valid=fbank_dumps / "dev")
    assert status == 0
    assert json.loads((exp / "model_info.json").read_text())["model"] == "fbank Conformer 2×32 + CTC"
    losses = [r["ctc"] for r in stage_kit.read_metrics(exp)]
    assert losses[-1] < losses[0]
    model, _ = load_model(exp / "model.pt")
    assert model.cfg.encoder == "conformer"


def test_fbank_conformer_refuses_a_pretrained_init(stages, stage_kit, tmp_path, capsys):
    status, _ = _run(stages, stage_kit, tmp_path, {"model": {"encoder": "conformer"}},
                     init=stages.pretrained() / "checkpoint_last.pt")
    assert status == 1
    err = capsys.readouterr().err
    assert "conformer trains from scratch; use --init none" in err and "Traceback" not in err


def test_rvq_between_encoder_and_head_trains_and_logs_code_usage(stages, stage_kit, tmp_path):
    status, exp = _run(stages, stage_kit, tmp_path, {"train": {"max_updates": 4}}, valid=False,
                       init=stages.pretrained() / "checkpoint_last.pt",
                       extra=["--set", "model.rvq.num_levels=2", "--set", "model.rvq.codebook_size=16"])
    assert status == 0
    records = stage_kit.read_metrics(exp)
    assert records and all(1.0 <= r[f"rvq_ppl_{level}"] <= 16.0 for r in records for level in (1, 2))
    assert all(r["rvq_commit"] > 0 for r in records)
    assert json.loads((exp / "model_info.json").read_text())["model"] == "wav2vec2 2×64 + RVQ L=2×16 + CTC"
    model, _ = load_model(exp / "model.pt")
    assert model.rvq is not None and len(model.rvq.levels) == 2


def test_rvq_passes_ctc_gradients_to_the_encoder():
    w2v = Wav2Vec2Config(conv_layers=[(32, 10, 5), (32, 3, 2), (32, 3, 2)], encoder_dim=32,
                         encoder_layers=1, encoder_heads=2, encoder_ffn_dim=64, pos_conv_kernel=8,
                         pos_conv_groups=4, layerdrop=0.0, mask_time_prob=0.0)
    torch.manual_seed(0)
    model = CTCModel(CTCConfig(8, "wav2vec2", wav2vec2=w2v, rvq=RVQConfig(num_levels=2, codebook_size=8)))
    wave, lengths = torch.randn(2, 4000), torch.tensor([4000, 3000])
    out = model(wave, lengths)
    targets = torch.tensor([[3, 4, 5], [6, 7, 3]])
    ctc = F.ctc_loss(out.log_probs.transpose(0, 1), targets, out.lengths, torch.tensor([3, 3]))
    ctc.backward()  # CTC alone: the commitment loss plays no part here
    for name, p in model.encoder.named_parameters():
        if p.requires_grad and name.startswith(("encoder.", "feature_projection.")):
            assert p.grad is not None and p.grad.abs().sum() > 0, name


# ------------------------------------------------------------------------------ bad input


def test_characters_outside_the_vocabulary_become_unk_and_are_counted(stages, stage_kit, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    dev = stages.dump("dev")
    utt = sorted(stage_kit.read_table(dev / "text"))[0]
    valid = stage_kit.copy_dump(dev, tmp_path / "dev", {utt: "ørsted øre"})  # no ø in train
    status, exp = _run(stages, stage_kit, tmp_path, {"train": {"max_updates": 1}}, valid=valid)
    assert status == 0
    assert "characters outside the vocabulary mapped to <unk>: 'ø'×2" in caplog.text
    assert "'ø'×2" in (exp / "summary.md").read_text()
    assert (exp / "excluded_utts.txt").read_text() == ""  # mapped, never dropped


def test_transcript_longer_than_the_ctc_frames_is_excluded_with_a_message(stages, stage_kit, tmp_path):
    train = stages.dump("train")
    lengths = {u: int(n) for u, n in stage_kit.read_table(train / "utt2num_samples").items()}
    utt = min(lengths, key=lengths.get)
    frames = lengths[utt] // 320
    bad = stage_kit.copy_dump(train, tmp_path / "train", {utt: " ".join(["la"] * frames)})
    status, exp = _run(stages, stage_kit, tmp_path, {"train": {"max_updates": 1}}, train=bad, valid=False)
    assert status == 0
    lines = (exp / "excluded_utts.txt").read_text().splitlines()
    assert len(lines) == 1
    key, reason, where = lines[0].split("\t")
    assert key == utt and reason.startswith("target-longer-than-frames (")
    assert f"{bad / 'feats.scp'}:" in where
    assert "| excluded | 1" in (exp / "summary.md").read_text()


@pytest.mark.parametrize("change, named", [
    ({"encoder_dim": 32, "encoder_heads": 2}, "feature_projection.projection.weight (64, 32) vs (32, 32)"),
    ({"encoder_layers": 3}, "missing ['encoder.layers.2."),
])
def test_checkpoint_of_another_architecture_fails_naming_the_keys(stages, stage_kit, tmp_path, capsys,
                                                                   change, named):
    status, exp = _run(stages, stage_kit, tmp_path, {"model": {"wav2vec2": change}},
                       init=stages.pretrained() / "checkpoint_last.pt")
    assert status == 1
    err = capsys.readouterr().err
    assert "weights do not fit" in err and named in err and "Traceback" not in err
    assert not (exp / "checkpoint_last.pt").exists()


def test_patience_stops_training_when_validation_wer_stops_improving(stages, stage_kit, tmp_path):
    # lr 0: the validation WER never changes, so it stops improving after the first validation
    status, exp = _run(stages, stage_kit, tmp_path, {"train": {
        "max_updates": 20, "patience": 1, "valid_interval": 1, "save_interval": 100,
        "optim": {"lr": 0.0}}})
    assert status == 0
    assert [r["updates"] for r in stage_kit.read_metrics(exp, "valid")] == [1, 2]
    assert load_checkpoint(exp / "checkpoint_last.pt")["num_updates"] == 2
    assert "early stop: no better wer" in (exp / "summary.md").read_text()


# -------------------------------------------------------------------- best-K averaging


def test_bf16_autocast_validates_through_the_frozen_front_ends_cache(stages, stage_kit, tmp_path):
    # The loss pass under autocast fills the validation cache; the WER pass reads it.
    status, exp = _run(stages, stage_kit, tmp_path, {"train": {"amp": "bf16"}},
                       init=str(stages.pretrained() / "checkpoint_last.pt"))
    assert status == 0
    valid = stage_kit.read_metrics(exp, "valid")
    assert valid and all(math.isfinite(r["wer"]) and math.isfinite(r["loss"]) for r in valid)
