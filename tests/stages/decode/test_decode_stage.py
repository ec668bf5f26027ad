"""Stage 5, ``asrkit-decode`` (jobs through the local launcher), and stage 6 on its output
(the searches themselves: tests/decode; scoring: tests/score)."""

from __future__ import annotations

import json
import logging
import math
import shutil

import numpy as np
import pytest
import torch

from asrkit import decode, inference, lm, score
from asrkit.decoding import build_decoder
from asrkit.ngram import read_arpa_vocabulary

BEAM = {"decoder": {"kind": "beam", "beam_size": 8, "nbest": 3}}
# lexicon words only (unk_score -inf; the default 0 lets unknown words through)
BEAM_LM = {"decoder": {"kind": "beam", "beam_size": 8, "lm_weight": 0.5, "unk_score": float("-inf")}}


def _hyps(out) -> list[tuple[str, str]]:
    """``hyp`` lines as (utterance, text); the text of an empty hypothesis is ''."""
    return [tuple((line.split(" ", 1) + [""])[:2]) for line in (out / "hyp").read_text().splitlines()]


@pytest.fixture(scope="module")
def decoded(stages, stage_kit, tmp_path_factory):
    """The shared fine-tuned model decoded every way the tests look at, each run once.

    ``root/exp/asr_micro`` is a copy of the model's experiment (RESULTS.md collects
    ``root/exp``); the outputs are in its ``decode_greedy``, ``decode_beam``, ``decode_lm``
    and ``decode_odd`` (a 12 s and a 200-sample utterance, chunked at 0.5 s) folders.
    """
    root = tmp_path_factory.mktemp("decode")
    exp = root / "exp" / "asr_micro"
    with pytest.MonkeyPatch.context() as env:  # what the per-test fixtures do, for this module
        env.setenv("PATH", stage_kit.venv_on_path())
        env.setenv("OMP_NUM_THREADS", "1")
        shutil.copytree(stages.finetuned(), exp)
        test = stages.dump("test")
        waves = list(stage_kit.waves_of(test).values())
        odd = stage_kit.dump_waves(root / "odd", {
            "spk1-long": (np.concatenate(waves), None),
            "spk1-normal": (waves[0], None),
            "spk2-short": (waves[0][:200], None),
        })
        arpa = root / "lm" / "lm.arpa"
        assert lm.main(["--text", str(stages.data("train") / "text"), "--kaldi-text", "true",
                        "--order", "2", "--out", str(arpa)]) == 0
        runs = {
            "greedy": (test, 2, None, []),
            "beam": (test, 2, stage_kit.write_config(root / "beam.yaml", BEAM), []),
            "lm": (test, 1, stage_kit.write_config(root / "beam_lm.yaml", BEAM_LM), ["--lm", arpa]),
            "odd": (odd, 1, None, ["--set", "chunk_seconds=0.5"]),
        }
        for name, (data, nj, config, extra) in runs.items():
            argv = ["--nj", nj, "--model", exp, "--data", data, "--out", exp / f"decode_{name}" / "test"]
            argv += ["--config", config] if config else []
            assert stage_kit.run(decode.main, *argv, *extra) == 0, name
    return {"root": root, "exp": exp, "test": test, "odd": odd, "arpa": arpa,
            **{name: exp / f"decode_{name}" / "test" for name in runs}}


def test_greedy_decoding_in_two_jobs_gives_one_hypothesis_per_utterance_in_data_order(decoded, stage_kit):
    hyps = _hyps(decoded["greedy"])
    assert [u for u, _ in hyps] == list(stage_kit.read_table(decoded["test"] / "utt2spk"))
    assert len(list((decoded["greedy"] / "log").glob("decode.*.log"))) == 2
    assert not (decoded["greedy"] / "nbest").exists()


def test_decode_info_records_the_decoder_jobs_and_real_time_factor(decoded):
    info = json.loads((decoded["greedy"] / "decode_info.json").read_text())
    assert info["decoder"]["kind"] == "greedy" and info["checkpoint"] == "model.pt"
    timing = info["timing"]
    assert timing["jobs"] == 2 and timing["utterances"] == 3
    assert timing["audio_seconds"] > 1 and timing["decode_seconds"] > 0
    assert timing["rtf"] == round(timing["decode_seconds"] / timing["audio_seconds"], 5)

    beam = json.loads((decoded["beam"] / "decode_info.json").read_text())["decoder"]
    assert (beam["kind"], beam["beam_size"], beam["nbest"], beam["lm"]) == ("beam", 8, 3, None)


def test_finished_decode_is_skipped(decoded, stage_kit, caplog):
    caplog.set_level(logging.INFO)
    out = decoded["greedy"]
    before = (out / "hyp").stat().st_mtime_ns
    assert stage_kit.run(decode.main, "--model", decoded["exp"], "--data", decoded["test"], "--out", out) == 0
    assert "is decoded" in caplog.text and (out / "hyp").stat().st_mtime_ns == before


def test_beam_search_writes_a_ranked_nbest_list(decoded):
    lines = [line.split(" ", 3) for line in (decoded["beam"] / "nbest").read_text().splitlines()]
    by_utt: dict[str, list] = {}
    for utt, rank, value, *text in lines:
        by_utt.setdefault(utt, []).append((int(rank), float(value), text[0] if text else ""))
    hyps = dict(_hyps(decoded["beam"]))
    assert by_utt.keys() == hyps.keys()
    for utt, entries in by_utt.items():
        ranks, values, texts = zip(*entries)
        assert list(ranks) == list(range(1, len(entries) + 1)) and 1 <= len(entries) <= 3
        assert list(values) == sorted(values, reverse=True) and len(set(texts)) == len(texts)
        assert texts[0] == hyps[utt]


def test_beam_search_with_an_lm_trained_by_asrkit_lm_spells_only_its_words(decoded):
    info = json.loads((decoded["lm"] / "decode_info.json").read_text())
    assert info["lm"] == str(decoded["arpa"]) and info["decoder"]["lm_weight"] == 0.5
    assert info["decoder"]["unk_score"] == float("-inf")
    words = {w for _, text in _hyps(decoded["lm"]) for w in text.split()}
    assert words and words <= set(read_arpa_vocabulary(decoded["arpa"]))


def test_long_utterance_is_decoded_chunk_by_chunk(decoded):
    model, tokenizer = inference.load_for_inference(decoded["exp"], "model.pt")
    rec = inference.Recognizer(model, build_decoder(tokenizer), torch.device("cpu"), 16000, 0.5)
    seen = []
    forward = model.forward

    def spy(inputs, lengths, *args, **kwargs):
        seen.append(inputs.shape[1])
        return forward(inputs, lengths, *args, **kwargs)

    model.forward = spy
    wave = torch.randn(1, 48000, generator=torch.Generator().manual_seed(0))
    log_probs, lengths = rec.log_probs(wave, torch.tensor([48000]))
    assert seen == [8000] * 6  # 3 s in 0.5 s pieces, never the whole input
    frames = int(model.output_lengths(torch.tensor([8000]))[0])
    assert log_probs.shape[1] == int(lengths[0]) == 6 * frames
    with torch.inference_mode():
        first = forward(wave[:, :8000], torch.tensor([8000])).log_probs
    torch.testing.assert_close(log_probs[:, :frames], first)
    assert len(rec(wave, torch.tensor([48000]))[0]) == 1


def test_every_utterance_of_any_length_gets_a_line_in_hyp(decoded):
    assert [u for u, _ in _hyps(decoded["odd"])] == ["spk1-long", "spk1-normal", "spk2-short"]
    info = json.loads((decoded["odd"] / "decode_info.json").read_text())
    assert info["timing"]["audio_seconds"] > 12


def test_utterance_shorter_than_the_receptive_field_gets_an_empty_hypothesis_and_is_reported(decoded):
    assert dict(_hyps(decoded["odd"]))["spk2-short"] == ""
    info = json.loads((decoded["odd"] / "decode_info.json").read_text())
    assert info["timing"]["too_short"] == ["spk2-short"]
    log = (decoded["odd"] / "log" / "decode.1.log").read_text()
    assert "1 utterances shorter than one frame were decoded as empty: spk2-short" in log


def test_pretraining_checkpoint_is_refused_with_a_clear_message(stages, stage_kit, tmp_path, capsys):
    status = stage_kit.run(decode.main, "--model", stages.pretrained() / "checkpoint_last.pt",
                           "--data", stages.dump("test"), "--out", tmp_path / "out")
    assert status == 1
    err = capsys.readouterr().err
    assert "holds a 'wav2vec2_pretrain' model; inference needs a fine-tuned CTC model" in err
    assert "Traceback" not in err and not (tmp_path / "out" / "hyp").exists()


def test_scoring_the_decode_writes_reports_and_results_md_with_a_finite_wer(decoded, stages, stage_kit):
    out = decoded["greedy"]
    assert stage_kit.run(score.main, "--ref", stages.data("test") / "text", "--hyp", out / "hyp",
                         "--data", stages.data("test"), "--out", out / "score") == 0
    for name in ("result.txt", "alignments.txt", "per_speaker.txt", "score.json"):
        assert (out / "score" / name).is_file(), name
    results = decoded["root"] / "RESULTS.md"
    assert stage_kit.run(score.main, "results", decoded["root"] / "exp", "--out", results) == 0

    rows = [line.split("|")[1:-1] for line in results.read_text().splitlines()
            if line.startswith("| asr_micro ")]
    assert len(rows) == 1
    cells = [c.strip() for c in rows[0]]
    assert cells[:5] == ["asr_micro", "decode_greedy", "test", "3", str(json.loads(
        (out / "score" / "score.json").read_text())["wer"]["normalized"]["wrd"])]
    wer_raw, wer_norm = float(cells[11]), float(cells[12])
    assert math.isfinite(wer_raw) and math.isfinite(wer_norm) and wer_norm >= 0
    assert "model=wav2vec2 2×64 + CTC" in results.read_text()


def test_local_decode_jobs_take_the_visible_gpus_in_turn(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert [str(decode.job_device("auto", job)) for job in (1, 2, 3)] == ["cuda:0", "cuda:1", "cuda:0"]
    assert str(decode.job_device("cuda:1", 1)) == "cuda:1" and str(decode.job_device("cpu", 2)) == "cpu"
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)  # a launcher bound one GPU per job
    assert str(decode.job_device("auto", 3)) == "cuda"


def test_a_pretraining_checkpoint_is_refused_for_inference(tmp_path):
    from asrkit.models import save
    from asrkit.models.wav2vec2 import Wav2Vec2ForPreTraining, config_for

    save(tmp_path / "model.pt", Wav2Vec2ForPreTraining(config_for("tiny")), "wav2vec2_pretrain")
    with pytest.raises(inference.NotACTCModel, match="wav2vec2_pretrain"):
        inference.load_for_inference(tmp_path)
