"""asrkit-transcribe --streaming on the shared fine-tuned micro model (tests/stages/conftest.py):
the incremental decoder's transcript, its recorded latency, and bad settings."""

from __future__ import annotations

import json

import soundfile as sf
import torch

from asrkit import transcribe
from asrkit.decoding import greedy_search
from asrkit.inference import load_for_inference
from asrkit.models.streaming import Chunking


def test_streaming_transcribes_what_the_chunked_model_computes_and_records_its_latency(
        stages, stage_kit, tmp_path):
    exp = stages.finetuned()
    wave = next(iter(stage_kit.waves_of(stages.dump("test")).values()))
    sf.write(tmp_path / "a.wav", wave, 16000, subtype="FLOAT")
    argv = [exp, tmp_path / "a.wav", "--streaming", "--chunk-ms", "160", "--left-chunks", "2",
            "--out", tmp_path / "a.json"]
    assert transcribe.main([str(a) for a in argv]) == 0
    out = json.loads((tmp_path / "a.json").read_text())
    # 8 frames of 20 ms; the micro waveform encoder reads 400 samples per 320-sample frame: 5 ms ahead
    assert out["streaming"] == {"chunk_ms": 160.0, "left_chunks": 2, "frontend_lookahead_ms": 5.0,
                                "latency_ms_worst": 165.0, "latency_ms_mean": 95.0}
    model, tokenizer = load_for_inference(exp)
    with torch.inference_mode():
        x = torch.from_numpy(wave.copy())[None]
        lp = model(x, torch.tensor([x.shape[1]]), chunking=Chunking(8, 2)).log_probs
    ids, _ = greedy_search(lp, torch.tensor([lp.shape[1]]), tokenizer.blank_id)
    assert out["files"][0]["text"] == tokenizer.decode(ids[0])
    words = out["files"][0]["words"]
    assert all(a["end"] <= b["start"] for a, b in zip(words, words[1:]))


def test_a_chunk_that_is_not_a_whole_number_of_frames_is_refused(stages, stage_kit, tmp_path, capsys):
    wave = next(iter(stage_kit.waves_of(stages.dump("test")).values()))
    sf.write(tmp_path / "a.wav", wave, 16000, subtype="FLOAT")
    argv = [stages.finetuned(), tmp_path / "a.wav", "--streaming", "--chunk-ms", "650"]
    assert transcribe.main([str(a) for a in argv]) == 1
    assert "--chunk-ms 650 is not a positive multiple of the model's 20 ms frame" in capsys.readouterr().err
