"""Stage 7 (asrkit-classify) on the shared synthesized corpus: training from the micro
pretrained encoder, evaluation outputs, labels training never saw, and splits that share
speakers refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from asrkit import classify
from asrkit.data import read_table, write_table

MICRO_CLASSIFY = {
    "model": {"pooling": "attentive", "weighted_layers": True, "attention_dim": 16,
              "hidden_dims": [16], "dropout": 0.0},
    "classify": {"balance": "sampling", "train_encoder_after": 2, "valid_metric": "accuracy"},
    "train": {"max_updates": 4, "optim": {"lr": 2.0e-3}, "schedule": {"name": "constant"},
              "data": {"batch_bins": 200000}, "log_interval": 2, "valid_interval": 2,
              "save_interval": 2, "keep_last": 2, "plots": False, "tensorboard": False},
}


@pytest.fixture(scope="module")
def trained(stages, stage_kit, tmp_path_factory) -> Path:
    """A language-ID classifier: 4 updates from the shared pretraining run."""
    where = tmp_path_factory.mktemp("cls")
    config = stage_kit.write_config(where / "classify.yaml", MICRO_CLASSIFY)
    exp = where / "exp"
    with pytest.MonkeyPatch.context() as mp:  # dump jobs (the shared corpus) run console scripts
        mp.setenv("PATH", stage_kit.venv_on_path())
        status = stage_kit.run(classify.main, "train", "--ngpu", "0", "--config", config, "--target",
                               "lang", "--init", stages.pretrained(), "--train-data", stages.dump("train"),
                               "--valid-data", stages.dump("dev"), "--exp-dir", exp)
    assert status == 0
    return exp


def relabel(src: Path, dst: Path, table: str, values: dict[str, str]) -> Path:
    """A copy of dump dir ``src`` (sharing its arks) with some labels of ``table`` replaced."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.ark", "log", "data", "split*"))
    scp = read_table(src / "feats.scp")
    write_table(dst / "feats.scp", scp)  # absolute ark paths stay valid
    labels = read_table(dst / table, allow_empty_value=True)
    labels.update(values)
    write_table(dst / table, labels)
    return dst


def test_training_writes_a_classifier_with_its_classes_and_speakers(trained, stages):
    assert (trained / ".done").is_file() and (trained / "model.pt").is_file()
    model, ckpt = classify.load_classifier(trained)
    assert ckpt["labels"]["classes"] == ["ca", "es"] and sum(ckpt["labels"]["counts"]) > 0
    assert set(ckpt["train_speakers"]) == set(read_table(stages.dump("train") / "utt2spk").values())
    assert model.layer_sum is not None and model.cfg.pooling == "attentive"
    info = json.loads((trained / "model_info.json").read_text())
    assert info["target"] == "lang" and "weighted layers" in info["model"]
    summary = (trained / "summary.md").read_text()
    assert "Classification (lang)" in summary and "training utterances per class: ca" in summary
    valid = [json.loads(line) for line in (trained / "log" / "metrics.jsonl").read_text().splitlines()
             if json.loads(line)["split"] == "valid"]
    assert valid and all(0.0 <= r["accuracy"] <= 1.0 and 0.0 <= r["macro_f1"] <= 1.0 for r in valid)


def test_evaluation_writes_scores_predictions_and_a_confusion_matrix(trained, stages, stage_kit, tmp_path):
    out = tmp_path / "eval_test"
    assert stage_kit.run(classify.main, "eval", "--model", trained, "--data", stages.dump("test"),
                         "--out", out, "--device", "cpu") == 0
    result = json.loads((out / "classify_score.json").read_text())
    langs = read_table(stages.dump("test") / "utt2lang")
    assert result["num_utts"] == len(langs) and result["target"] == "lang"
    counts = np.array(result["confusion"]["counts"])
    assert counts.sum() == len(langs) and result["confusion"]["labels"][:2] == ["ca", "es"]
    assert result["accuracy"] == pytest.approx(np.trace(counts) / counts.sum())
    assert result["majority_baseline"]["label"] in ("ca", "es")
    assert set(result["breakdown"]) >= {"gender"}  # the test set has utt2gender
    rows = [line.split("\t") for line in (out / "predictions.tsv").read_text().splitlines()]
    assert rows[0] == ["utt", "true", "predicted", "p(ca)", "p(es)"] and len(rows) == len(langs) + 1
    for utt, true, predicted, *probs in rows[1:]:
        assert true == langs[utt] and predicted in ("ca", "es")
        assert sum(map(float, probs)) == pytest.approx(1.0, abs=1e-4)
        assert predicted == ("ca", "es")[int(np.argmax([float(p) for p in probs]))]
    assert (out / "confusion.png").stat().st_size > 0 and (out / ".done").is_file()
    assert "true \\ predicted" in (out / "confusion.txt").read_text()
    assert "majority class" in (out / "result.txt").read_text()


def test_unknown_labels_are_left_out_and_unseen_ones_scored_wrong(trained, stages, stage_kit, tmp_path):
    utts = sorted(read_table(stages.dump("test") / "utt2lang"))
    data = relabel(stages.dump("test"), tmp_path / "test", "utt2lang",
                   {utts[0]: "", utts[1]: "unknown", utts[2]: "eu"})
    out = tmp_path / "eval"
    assert stage_kit.run(classify.main, "eval", "--model", trained, "--data", data, "--out", out,
                         "--device", "cpu") == 0
    result = json.loads((out / "classify_score.json").read_text())
    assert result["excluded"] == {"total": len(utts), "empty-label": 1, "unknown-label": 1}
    assert result["num_utts"] == len(utts) - 2 and result["unseen_labels"] == {"eu": 1}
    assert result["per_class"]["eu"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert result["accuracy"] == 0.0
    assert "labels training never saw (scored wrong): eu (1)" in (out / "result.txt").read_text()


def test_a_test_set_sharing_speakers_with_training_is_refused_unless_forced(trained, stages, stage_kit,
                                                                             tmp_path, capsys):
    status = stage_kit.run(classify.main, "eval", "--model", trained, "--data", stages.dump("train"),
                           "--out", tmp_path / "a", "--device", "cpu")
    err = capsys.readouterr().err
    speaker = sorted(set(read_table(stages.dump("train") / "utt2spk").values()))[0]
    assert status == 1 and "shares" in err and speaker in err and "--force-speaker-overlap" in err
    assert not (tmp_path / "a").exists()
    assert stage_kit.run(classify.main, "eval", "--model", trained, "--data", stages.dump("train"),
                         "--out", tmp_path / "b", "--device", "cpu", "--force-speaker-overlap") == 0


def test_training_refuses_a_validation_set_sharing_speakers(stages, stage_kit, tmp_path, capsys):
    config = stage_kit.write_config(tmp_path / "c.yaml", MICRO_CLASSIFY)
    status = stage_kit.run(classify.main, "train", "--ngpu", "0", "--config", config, "--target", "lang",
                           "--train-data", stages.dump("train"), "--valid-data", stages.dump("train"),
                           "--exp-dir", tmp_path / "exp")
    assert status == 1 and "shares" in capsys.readouterr().err
    assert not (tmp_path / "exp").exists()


def test_a_target_without_its_table_or_with_one_label_is_named(stages, stage_kit, tmp_path, capsys):
    config = stage_kit.write_config(tmp_path / "c.yaml", MICRO_CLASSIFY)
    args = ["train", "--ngpu", "0", "--config", config, "--valid-data", stages.dump("dev"),
            "--exp-dir", tmp_path / "exp"]
    assert stage_kit.run(classify.main, *args, "--target", "dialect", "--train-data",
                         stages.dump("train")) == 1
    assert "utt2dialect: no such file" in capsys.readouterr().err
    langs = read_table(stages.dump("train") / "utt2lang")
    one = relabel(stages.dump("train"), tmp_path / "one", "utt2lang", {u: "ca" for u in langs})
    assert stage_kit.run(classify.main, *args, "--target", "lang", "--train-data", one) == 1
    assert "1 usable label(s) (ca)" in capsys.readouterr().err
