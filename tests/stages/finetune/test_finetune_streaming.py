"""Stage 4 with ``finetune.streaming`` (dynamic chunk training): chunked batches are drawn,
validation runs chunked, and the model decodes in streaming mode."""

from __future__ import annotations

import json
import math

import soundfile as sf

from asrkit import finetune, transcribe
from asrkit.models.streaming import StreamingTraining

STREAMING = {
    "finetune": {"streaming": {"chunk_frames": "dynamic", "max_chunk_frames": 6, "left_chunks": 2,
                               "valid_chunk_frames": 4}},
    "train": {"max_updates": 6, "valid_interval": 3, "save_interval": 3},
}


def test_dynamic_chunk_training_runs_and_its_model_decodes_in_streaming_mode(
        stages, stage_kit, tmp_path, monkeypatch):
    drawn = []
    draw = StreamingTraining.draw
    monkeypatch.setattr(StreamingTraining, "draw",
                        lambda self, *a: drawn.append(draw(self, *a)) or drawn[-1])
    config = stage_kit.write_config(tmp_path / "finetune.yaml", stage_kit.FINETUNE, stage_kit.NO_EXTRAS,
                                    stage_kit.MICRO_SCRATCH, STREAMING)
    exp = tmp_path / "exp"
    assert stage_kit.run(finetune.main, "--ngpu", "0", "--config", config, "--init", "none",
                         "--exp-dir", exp, "--train-data", stages.dump("train"),
                         "--valid-data", stages.dump("dev")) == 0
    # both kinds of batches were trained on: chunks of 1..6 frames and the full context
    assert None in drawn and {c.frames for c in drawn if c is not None} <= set(range(1, 7))
    assert any(c is not None and c.left_chunks == 2 for c in drawn)
    assert all(math.isfinite(r["ctc"]) for r in stage_kit.read_metrics(exp))
    assert [r["updates"] for r in stage_kit.read_metrics(exp, "valid")] == [3, 6]
    info = json.loads((exp / "model_info.json").read_text())
    assert info["streaming"]["chunk_frames"] == "dynamic" and info["streaming"]["left_chunks"] == 2

    wave = next(iter(stage_kit.waves_of(stages.dump("test")).values()))
    sf.write(tmp_path / "a.wav", wave, 16000, subtype="FLOAT")
    argv = [exp, tmp_path / "a.wav", "--streaming", "--chunk-ms", "80", "--left-chunks", "2",
            "--out", tmp_path / "a.json"]
    assert transcribe.main([str(a) for a in argv]) == 0
    out = json.loads((tmp_path / "a.json").read_text())
    assert out["streaming"]["chunk_ms"] == 80.0 and len(out["files"]) == 1
