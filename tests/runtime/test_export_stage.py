"""asrkit-export (stage 9) on micro experiments: what it writes, the parity report it checks
itself by, skipping finished work, and clear errors for bad input."""

from __future__ import annotations

import json
import shutil

import pytest

from asrkit import export
from asrkit.runtime.quantize import load_torch_int8

pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (asrkit's 'export' extra)")


def test_export_writes_graph_tokens_int8_models_and_a_parity_report(fbank_exp, dumped, tmp_path):
    out = tmp_path / "export"
    argv = [str(fbank_exp), "--out", str(out), "--check-data", str(dumped("fbank")),
            "--calib-utts", "2", "--sherpa", "no"]
    assert export.main(argv) == 0
    for name in ("model.onnx", "model.int8.onnx", "model.int8.pt", "tokens.txt", "export_info.json",
                 "parity.json", "parity.md", "feature_config.yaml", "tokenizer/tokenizer.json", ".done"):
        assert (out / name).is_file(), name
    report = json.loads((out / "parity.json").read_text())
    runtimes = report["runtimes"]
    assert list(runtimes) == ["pytorch fp32", "onnxruntime fp32", "onnxruntime int8", "pytorch int8"]
    assert report["utterances"] == 6
    fp32 = runtimes["onnxruntime fp32"]
    assert fp32["max_abs_diff"] < 1e-3 and fp32["same_transcripts"] == 6
    assert fp32["wer"] == runtimes["pytorch fp32"]["wer"]
    assert runtimes["onnxruntime int8"]["size_bytes"] < fp32["size_bytes"]
    info = json.loads((out / "export_info.json").read_text())
    assert set(info["fallback"]) == {"onnxruntime", "pytorch"}
    assert info["metadata"]["model_type"] == "wenet_ctc"
    assert "| onnxruntime int8 |" in (out / "parity.md").read_text()
    load_torch_int8(out / "model.int8.pt")
    # finished: a second run skips
    before = (out / "model.onnx").stat().st_mtime_ns
    assert export.main(argv) == 0 and (out / "model.onnx").stat().st_mtime_ns == before


def test_a_waveform_model_exports_and_checks_without_sherpa(waveform_exp, dumped, tmp_path):
    out = tmp_path / "export"
    assert export.main([str(waveform_exp), "--out", str(out), "--format", "onnx",
                        "--check-data", str(dumped("raw"))]) == 0
    assert not (out / "model.int8.onnx").exists() and not (out / "model.int8.pt").exists()
    report = json.loads((out / "parity.json").read_text())
    assert "sherpa_onnx" not in report
    assert report["runtimes"]["onnxruntime fp32"]["same_transcripts"] == 6


def test_the_stage_fails_when_the_graph_does_not_match(fbank_exp, dumped, tmp_path, capsys):
    out = tmp_path / "export"
    argv = [str(fbank_exp), "--out", str(out), "--format", "onnx", "--check-data", str(dumped("fbank")),
            "--max-abs-diff", "0"]  # no float graph is bit-exact
    assert export.main(argv) == 1
    err = capsys.readouterr().err
    assert "does not match PyTorch" in err and "parity.md" in err and not (out / ".done").exists()


def test_bad_input_gets_a_clear_error(fbank_exp, dumped, tmp_path, capsys):
    empty = tmp_path / "exp_empty"
    shutil.copytree(fbank_exp, empty, ignore=shutil.ignore_patterns("model.pt", "export"))
    assert export.main([str(empty)]) == 1
    assert "exp_empty: no model.pt" in capsys.readouterr().err
    assert export.main([str(fbank_exp), "--format", "onnx,tflite"]) == 1
    err = capsys.readouterr().err
    assert "unknown format(s) ['tflite']" in err and "onnx-int8" in err
    assert export.main([str(fbank_exp), "--check-data", str(fbank_exp)]) == 1
    assert "not a dumped data dir" in capsys.readouterr().err
