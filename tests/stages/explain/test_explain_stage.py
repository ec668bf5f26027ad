"""Stage 8 (asrkit-explain) on micro classifiers of both front ends: pictures, the deletion
test's aopc.json/aopc.md, utterances too short skipped or (named with --utts) refused, an
unknown layer and a dump of the other front end refused with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from asrkit import explain
from asrkit.models import save as save_model
from asrkit.models.classifier import KIND, ClassifierConfig, UtteranceClassifier
from asrkit.models.wav2vec2 import config_for

FAST = ["--ig-steps", "4", "--random-repeats", "2", "--device", "cpu"]


def classifier(where: Path, frontend: str, micro: dict) -> Path:
    """An untrained micro language classifier, saved as stage 7 saves one."""
    torch.manual_seed(0)
    cfg = config_for("tiny", {**micro, "frontend": frontend, "fbank_conv_layers": [[32, 3, 1], [32, 3, 2]]})
    model = UtteranceClassifier(ClassifierConfig(num_classes=2, wav2vec2=cfg, hidden_dims=[8]))
    save_model(where / "model.pt", model, KIND, train_speakers=["spk9"],
               labels={"target": "lang", "classes": ["ca", "es"], "counts": [3, 4], "unknown": []})
    return where


@pytest.fixture(scope="module")
def dumps(tmp_path_factory, stage_kit) -> dict[str, Path]:
    """One utterance of 1.2 s (a chirp in noise) and one of 50 ms, dumped raw and fbank."""
    rng = np.random.default_rng(0)
    t = np.arange(19200) / 16000
    long = (0.3 * np.sin(2 * np.pi * (200 + 400 * t) * t) + 0.02 * rng.standard_normal(t.size))
    clips = {"spk1-long": (long.astype(np.float32), None),
             "spk1-short": (0.1 * rng.standard_normal(800).astype(np.float32), None)}
    root = tmp_path_factory.mktemp("explain_dumps")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", stage_kit.venv_on_path())
        return {kind: stage_kit.dump_waves(root / kind, clips, kind) for kind in ("raw", "fbank")}


@pytest.mark.parametrize("kind,frontend", [("raw", "waveform"), ("fbank", "fbank")])
def test_a_classifier_is_explained_with_pictures_and_a_deletion_test(kind, frontend, dumps, stage_kit,
                                                                     tmp_path, caplog):
    exp = classifier(tmp_path / "exp", frontend, stage_kit.MICRO_WAV2VEC2)
    out = tmp_path / "explain"
    assert stage_kit.run(explain.main, "--model", exp, "--data", dumps[kind], "--out", out,
                         "--num-utts", "2", *FAST) == 0
    result = json.loads((out / "aopc.json").read_text())
    assert result["kind"] == "classifier" and result["num_utts"] == 1
    assert result["layer"] == "conv:-1 = " + ("encoder.feature_encoder.conv_layers.6" if frontend == "waveform"
                                              else "encoder.feature_encoder.conv_layers.1")
    assert result["excluded"] == {"too-short": 1}
    assert (out / "excluded_utts.txt").read_text().startswith("spk1-short\ttoo-short\tspk1-short: ")
    (record,) = result["utterances"]
    assert record["utt"] == "spk1-long" and record["target"] in ("logit of ca", "logit of es")
    assert set(record["aopc"]) == set(result["aopc"]) == {"gradcam", "saliency", "ig", "random"}
    for method, curve in record["curves"].items():
        assert len(curve) == len(result["fractions"]) == 11 and result["fractions"][-1] == 0.5
        assert curve[0] == pytest.approx(record["score"], abs=1e-4)
        assert record["aopc"][method] == pytest.approx(np.mean(curve[0] - np.array(curve)), abs=1e-4)
    assert result["aopc"]["gradcam"]["beats_random"] in (0, 1)
    table = (out / "aopc.md").read_text()
    assert "| Grad-CAM (conv:-1 = encoder.feature_encoder.conv_layers" in table and "| random |" in table
    for png in ("spk1-long.png", "deletion_curves.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    assert "no waveform" not in caplog.text  # fbank: the picture's waveform comes from the dump's wav.scp
    assert (out / ".done").is_file()
    before = (out / "aopc.json").stat().st_mtime_ns
    assert stage_kit.run(explain.main, "--model", exp, "--data", dumps[kind], "--out", out, *FAST) == 0
    assert (out / "aopc.json").stat().st_mtime_ns == before  # finished: skipped


def test_a_named_short_utterance_an_unknown_layer_and_the_other_front_end_are_refused(dumps, stage_kit,
                                                                                       tmp_path, capsys):
    exp = classifier(tmp_path / "exp", "waveform", stage_kit.MICRO_WAV2VEC2)
    args = ["--model", exp, "--data", dumps["raw"], "--out", tmp_path / "out", *FAST]
    assert stage_kit.run(explain.main, *args, "--utts", "spk1-long,spk1-short") == 1
    err = capsys.readouterr().err
    assert "spk1-short: 800 samples (0.050 s) is too short to explain" in err
    assert not (tmp_path / "out" / "spk1-long.png").exists()  # refused before any work
    assert stage_kit.run(explain.main, *args, "--layer", "layer:7") == 1
    err = capsys.readouterr().err
    assert "layer 'layer:7' does not exist" in err and "layer:1 = encoder.encoder.layers.1" in err
    assert stage_kit.run(explain.main, *args, "--class-target", "eu") == 1
    assert "--class-target eu: not a class of the model (ca, es)" in capsys.readouterr().err
    assert stage_kit.run(explain.main, "--model", exp, "--data", dumps["fbank"], "--out", tmp_path / "o2",
                         *FAST) == 1
    assert "holds fbank features but the model reads raw" in capsys.readouterr().err
    assert not (tmp_path / "out" / ".done").exists()
