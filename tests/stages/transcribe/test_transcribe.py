"""asrkit-transcribe on the shared fine-tuned micro model (tests/stages/conftest.py) and on a
constructed model whose receptive field is local, where chunked decoding must be exact."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr
import torch
import yaml

from asrkit import lm, transcribe
from asrkit.data import read_table
from asrkit.layout import FEATURE_CONFIG, MODEL_FILE, TOKENIZER_DIR
from asrkit.model_input import FeatureMismatch, InputSpec, check_same, recorded_spec
from asrkit.models import save as save_model
from asrkit.models.ctc import KIND, CTCConfig, CTCModel
from asrkit.models.wav2vec2 import Wav2Vec2Config
from asrkit.ngram import read_arpa_vocabulary
from asrkit.text.tokenizer import load_tokenizer


@pytest.fixture
def exp(stages) -> Path:
    return stages.finetuned()


@pytest.fixture
def clips(stages, stage_kit) -> list[np.ndarray]:
    return list(stage_kit.waves_of(stages.dump("test")).values())


def _transcribe(*argv, capsys=None) -> tuple[int, str]:
    status = transcribe.main([str(a) for a in argv])
    return status, (capsys.readouterr().err if capsys else "")


def _words_are_ordered_and_inside(entry: dict) -> None:
    words = entry["words"]
    assert all(0 <= w["start"] < w["end"] <= entry["duration"] for w in words), words
    assert all(a["end"] <= b["start"] for a, b in zip(words, words[1:])), words
    assert all(0 <= w["confidence"] <= 1 for w in words)
    assert " ".join(w["word"] for w in words) == entry["text"]


# ------------------------------------------------------------------- formats and rates


def test_fine_tuning_records_the_training_dump_settings(exp, stages):
    assert (exp / FEATURE_CONFIG).read_text() == (stages.dump("train") / "config.yaml").read_text()
    assert recorded_spec(exp) == InputSpec(type="raw", sample_rate=16000)


def test_any_format_rate_and_channel_count_is_transcribed_with_ordered_word_times(
        exp, clips, tmp_path, capsys):
    wave = clips[0]
    cases = {"a8k.wav": (8000, 1, "WAV"), "b44k.flac": (44100, 2, "FLAC"),
             "c48k.wav": (48000, 2, "WAV"), "d16k_stereo.flac": (16000, 2, "FLAC")}
    if "MP3" in sf.available_formats():
        cases["e44k.mp3"] = (44100, 2, "MP3")
    (tmp_path / "in").mkdir()
    for name, (rate, channels, fmt) in cases.items():
        x = soxr.resample(wave, 16000, rate) if rate != 16000 else wave
        sf.write(tmp_path / "in" / name, np.stack([x] * channels, 1) * 0.5, rate, format=fmt)
    sf.write(tmp_path / "mono16k.wav", wave * 0.5, 16000, subtype="FLOAT")
    (tmp_path / "in" / "notes.txt").write_text("not audio\n")

    status, err = _transcribe(exp, tmp_path / "in", tmp_path / "mono16k.wav", "--out",
                              tmp_path / "hyp.json", capsys=capsys)
    assert status == 0, err
    out = json.loads((tmp_path / "hyp.json").read_text())
    by_id = {f["id"]: f for f in out["files"]}
    assert sorted(by_id) == sorted([Path(n).stem for n in cases] + ["mono16k"])
    for entry in out["files"]:
        assert entry["duration"] == pytest.approx(len(wave) / 16000, abs=0.06), entry["id"]
        _words_are_ordered_and_inside(entry)
    # a downmix of identical channels is the mono signal, so its transcript is the same
    assert by_id["d16k_stereo"]["text"] == by_id["mono16k"]["text"]
    assert by_id["mono16k"]["words"], "the model says something on a test utterance"
    assert out["failed"] == [] and out["decoder"]["kind"] == "greedy"
    assert f"transcribing: {len(cases) + 1}/{len(cases) + 1} file" in err  # the progress line


def test_wav_scp_with_a_pipe_and_kaldi_text_plain_text_and_srt_outputs(exp, clips, tmp_path):
    for i, wave in enumerate(clips[:2]):
        sf.write(tmp_path / f"u{i}.wav", wave, 16000, subtype="FLOAT")
    (tmp_path / "wav.scp").write_text(f"utt0 {tmp_path}/u0.wav\nutt1 cat {tmp_path}/u1.wav |\n")
    assert _transcribe(exp, "--wav-scp", tmp_path / "wav.scp", "--out", tmp_path / "hyp")[0] == 0
    kaldi = read_table(tmp_path / "hyp", allow_empty_value=True)
    assert list(kaldi) == ["utt0", "utt1"]
    assert _transcribe(exp, "--wav-scp", tmp_path / "wav.scp", "--out", tmp_path / "hyp.txt")[0] == 0
    assert (tmp_path / "hyp.txt").read_text().splitlines() == list(kaldi.values())
    assert _transcribe(exp, "--wav-scp", tmp_path / "wav.scp", "--out", tmp_path / "srt",
                       "--format", "srt")[0] == 0
    for utt in kaldi:
        cues = _parse_srt((tmp_path / "srt" / f"{utt}.srt").read_text())
        assert " ".join(text for _, _, text in cues) == kaldi[utt]


def _srt_seconds(stamp: str) -> float:
    h, m, rest = stamp.split(":")
    s, ms = rest.split(",")
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def _parse_srt(text: str) -> list[tuple[float, float, str]]:
    """Cues of a well-formed SRT file (numbered from 1, times in order); fails otherwise."""
    cues = []
    for n, block in enumerate(filter(None, text.strip().split("\n\n")), 1):
        index, times, *lines = block.split("\n")
        assert index == str(n)
        m = re.fullmatch(r"(\d\d:\d\d:\d\d,\d\d\d) --> (\d\d:\d\d:\d\d,\d\d\d)", times)
        assert m, times
        start, end = _srt_seconds(m[1]), _srt_seconds(m[2])
        assert start < end and (not cues or cues[-1][1] <= start) and lines
        cues.append((start, end, " ".join(lines)))
    return cues


def test_srt_cues_break_at_pauses_and_length():
    words = [transcribe.WordTiming(w, s, e, 1.0) for w, s, e in
             [("a", 0.0, 0.5), ("b", 0.6, 1.0), ("c", 3.0, 3.5), ("d", 3.6, 11.0)]]
    assert transcribe.srt_cues(words) == [(0.0, 1.0, "a b"), (3.0, 3.5, "c"), (3.6, 11.0, "d")]
    srt = transcribe.format_srt(transcribe.Transcript("x", "x.wav", 11.0, "a b c d", words))
    assert srt.startswith("1\n00:00:00,000 --> 00:00:01,000\na b\n\n2\n00:00:03,000 --> ")
    assert len(_parse_srt(srt)) == 3


def test_an_unreadable_file_is_named_and_skipped_while_the_others_succeed(exp, clips, tmp_path,
                                                                         capsys, caplog):
    sf.write(tmp_path / "good1.wav", clips[0], 16000)
    sf.write(tmp_path / "good2.flac", clips[1], 16000)
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk")
    status, err = _transcribe(exp, tmp_path / "good1.wav", tmp_path / "broken.wav",
                              tmp_path / "missing.mp3", tmp_path / "good2.flac", "--out",
                              tmp_path / "hyp.json", capsys=capsys)
    assert status == 1
    assert f"skipped {tmp_path / 'broken.wav'}: unreadable (" in caplog.text
    assert f"skipped {tmp_path / 'missing.mp3'}: missing-file (no such file)" in caplog.text
    assert (f"2 of 4 files transcribed, 2 failed: {tmp_path / 'broken.wav'}, "
            f"{tmp_path / 'missing.mp3'}") in err
    out = json.loads((tmp_path / "hyp.json").read_text())
    assert [f["id"] for f in out["files"]] == ["good1", "good2"]
    assert [(f["id"], f["reason"]) for f in out["failed"]] == [("broken", "unreadable"),
                                                                ("missing", "missing-file")]


# ------------------------------------------------------------------------- decoding


def test_the_experiments_beam_search_with_its_lm_is_the_default(exp, stages, clips, tmp_path,
                                                                   monkeypatch):
    recipe = tmp_path / "recipe"
    shutil.copytree(exp, recipe / "exp" / "asr_x")
    arpa = recipe / "exp" / "lm_word_2gram" / "lm.arpa"
    assert lm.main(["--text", str(stages.data("train") / "text"), "--kaldi-text", "true",
                    "--order", "2", "--out", str(arpa)]) == 0
    (recipe / "conf").mkdir()
    (recipe / "conf" / "decode_beam.yaml").write_text(yaml.safe_dump(
        {"decoder": {"kind": "beam", "beam_size": 4, "lm_weight": 0.5, "unk_score": float("-inf")}}))
    info = {"decoder": {"kind": "beam", "nbest": 1, "beam_size": 6, "lm_weight": 0.5,
                        "unk_score": float("-inf"), "lm": "exp/lm_word_2gram/lm.arpa", "lm_unit": "word"},
            "config": "conf/decode_beam.yaml", "lm": "exp/lm_word_2gram/lm.arpa"}
    decode_dir = recipe / "exp" / "asr_x" / "decode_beam_lm_word_2gram" / "test"
    decode_dir.mkdir(parents=True)
    (decode_dir / "decode_info.json").write_text(json.dumps(info))
    sf.write(tmp_path / "a.wav", clips[0], 16000)
    monkeypatch.chdir(tmp_path)  # the recorded paths are found from above the experiment
    assert _transcribe(recipe / "exp" / "asr_x", tmp_path / "a.wav", "--out", tmp_path / "a.json")[0] == 0
    out = json.loads((tmp_path / "a.json").read_text())
    assert (out["decoder"]["kind"], out["decoder"]["beam_size"], out["decoder"]["lm"]) == (
        "beam", 6, str(arpa))
    assert out["decoder"]["unk_score"] == "-inf"
    assert set(out["files"][0]["text"].split()) <= set(read_arpa_vocabulary(arpa))
    _words_are_ordered_and_inside(out["files"][0])
    # flags override: greedy from a config file, or another beam width
    greedy = recipe / "conf" / "decode_greedy.yaml"
    greedy.write_text("decoder:\n  kind: greedy\n")
    assert _transcribe(recipe / "exp" / "asr_x", tmp_path / "a.wav", "--decode-config", greedy,
                       "--out", tmp_path / "g.json")[0] == 0
    assert json.loads((tmp_path / "g.json").read_text())["decoder"]["kind"] == "greedy"
    assert _transcribe(recipe / "exp" / "asr_x", tmp_path / "a.wav", "--set", "decoder.beam_size=3",
                       "--out", tmp_path / "b.json")[0] == 0
    assert json.loads((tmp_path / "b.json").read_text())["decoder"]["beam_size"] == 3


def test_decoding_refuses_a_dump_made_with_other_feature_settings(tmp_path):
    (tmp_path / "dump").mkdir()
    (tmp_path / "dump" / "config.yaml").write_text("type: raw\nsample_rate: 8000\ndtype: int16\n")
    with pytest.raises(FeatureMismatch, match="sample_rate: 8000 vs 16000"):
        check_same(InputSpec(), tmp_path / "dump", "exp/asr_x")
    check_same(InputSpec(sample_rate=8000), tmp_path / "dump", "exp/asr_x")  # dtype is storage
    check_same(None, tmp_path / "dump", "exp/asr_x")  # nothing recorded: nothing to check


# ----------------------------------------------------------- long recordings in chunks


def local_model_exp(exp: Path, where: Path) -> Path:
    """An experiment whose model sees a bounded window: per-frame LayerNorm convs, the
    positional conv, no attention. Every bias is 0, so silence (zeros) gives a zero hidden
    vector, which the head maps to the word delimiter: silence separates words."""
    tokenizer = load_tokenizer(exp / TOKENIZER_DIR)
    cfg = Wav2Vec2Config(conv_layers=[(32, 10, 5)] + [(32, 3, 2)] * 4 + [(32, 2, 2)] * 2,
                         extractor_mode="layer_norm", encoder_dim=32, encoder_layers=0,
                         encoder_heads=2, encoder_ffn_dim=64, pos_conv_kernel=16, pos_conv_groups=4,
                         dropout=0.0, dropout_input=0.0, layerdrop=0.0)
    torch.manual_seed(0)
    model = CTCModel(CTCConfig(tokenizer.vocab_size, "wav2vec2", wav2vec2=cfg))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.zero_()
        model.head.weight.normal_(0, 1.0)
        model.head.bias[tokenizer.word_delimiter_id] = 5.0
    save_model(where / MODEL_FILE, model, KIND, tokenizer=tokenizer.to_info())
    shutil.copytree(exp / TOKENIZER_DIR, where / TOKENIZER_DIR)
    shutil.copy(exp / FEATURE_CONFIG, where / FEATURE_CONFIG)
    return where


def test_stitched_chunks_equal_the_full_context_log_probs(exp, clips, tmp_path):
    local = local_model_exp(exp, tmp_path / "local")
    t = transcribe.Transcriber(local, MODEL_FILE, transcribe.DecodeConfig(), None,
                               torch.device("cpu"), chunk_seconds=1.0, overlap_seconds=0.3)
    wave = np.concatenate(clips[:3])
    inputs = torch.from_numpy(wave)
    with torch.inference_mode():
        full = t.model(inputs[None], torch.tensor([len(wave)])).log_probs[0]
    stitched = t.log_probs(wave)
    assert stitched.shape == full.shape and len(wave) / 16000 > 4  # several chunks
    torch.testing.assert_close(stitched, full, atol=1e-4, rtol=0)
    # without enough overlap the chunk edges see padding instead of their neighbours
    cut = transcribe.chunked_log_probs(t.model, inputs, t.chunk, 0, torch.device("cpu"))
    assert (cut - full).abs().max() > 1e-3


def test_a_long_recording_in_chunks_equals_the_concatenated_short_decodes(exp, clips, tmp_path):
    local = local_model_exp(exp, tmp_path / "local")
    stride, pad = 320, np.zeros(6400, dtype=np.float32)  # 0.4 s, a whole number of frames
    pieces = [np.concatenate([c, np.zeros(-len(c) % stride, dtype=np.float32)]) for c in clips]
    for i, piece in enumerate(pieces):
        sf.write(tmp_path / f"short{i}.wav", np.concatenate([pad, piece, pad]), 16000, subtype="FLOAT")
    long = np.concatenate([x for piece in pieces for x in (pad, piece, pad)] * 2)
    sf.write(tmp_path / "long.wav", long, 16000, subtype="FLOAT")
    shorts = [str(tmp_path / f"short{i}.wav") for i in range(len(pieces))]
    assert _transcribe(local, *shorts, "--out", tmp_path / "short.json")[0] == 0
    # 0.7 s chunks: their edges fall inside words
    assert _transcribe(local, tmp_path / "long.wav", "--chunk-seconds", "0.7", "--overlap-seconds",
                       "0.3", "--out", tmp_path / "long.json")[0] == 0
    short = json.loads((tmp_path / "short.json").read_text())["files"]
    long_out = json.loads((tmp_path / "long.json").read_text())["files"][0]
    expected = " ".join(f["text"] for f in short + short)
    assert len(expected.split()) > 10
    assert long_out["text"] == expected
    _words_are_ordered_and_inside(long_out)
    # word times are the short files' times shifted by where each file starts in the long one
    offset, shifted = 0.0, []
    for f in short + short:
        shifted += [(w["word"], round(w["start"] + offset, 3), round(w["end"] + offset, 3)) for w in f["words"]]
        offset += f["duration"]
    got = [(w["word"], w["start"], w["end"]) for w in long_out["words"]]
    assert [w for w, *_ in got] == [w for w, *_ in shifted]
    assert np.allclose([g[1:] for g in got], [s[1:] for s in shifted], atol=0.002)
