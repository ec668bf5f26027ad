"""asrkit-score: counts, alignments, missing hypotheses, breakdowns and RESULTS.md."""

from __future__ import annotations

import json

import jiwer
import pytest

from asrkit.results import collect, render, write_results
from asrkit.score import ScoreError, format_alignment, main, score
from asrkit.wer import align


def write(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data" / "test"
    write(d / "text", ["u1 The cat sat on the mat.", "u2 Hello world", "u3 a b c", "u4 bon dia"])
    write(d / "utt2spk", ["u1 s1", "u2 s1", "u3 s2", "u4 s2"])
    write(d / "utt2gender", ["u1 f", "u2 f", "u3 m", "u4 m"])
    return d


def test_counts_match_hand_computed_substitutions_deletions_insertions():
    (c, pairs), = align(["a b c d"], ["a x c d e"])
    assert (c.corr, c.sub, c.dele, c.ins, c.wrd, c.snt_err) == (3, 1, 0, 1, 4, 1)
    (c, _), = align(["a b c d"], ["a d"])
    assert (c.corr, c.sub, c.dele, c.ins) == (2, 0, 2, 0)
    assert c.error_rate == pytest.approx(50.0)


def test_empty_hypothesis_is_all_deletions():
    (c, pairs), = align(["one two three"], [""])
    assert (c.dele, c.err, c.snt_err) == (3, 3, 1)
    assert [op for _, _, op in pairs] == ["D", "D", "D"]


def test_totals_agree_with_jiwer():
    refs = ["the cat sat", "a b c d e", "hello", "x y"]
    hyps = ["the bat sat down", "a c d e", "", "x y"]
    result = score(dict(zip("abcd", refs)), dict(zip("abcd", hyps)))
    wer = result.summary()["WER normalized"]
    assert wer.error_rate == pytest.approx(100 * jiwer.wer(refs, hyps))
    cer = result.summary()["CER normalized"]
    assert cer.error_rate == pytest.approx(100 * jiwer.cer(refs, hyps))
    assert wer.snt_err == 3 and wer.sentence_error_rate == pytest.approx(75.0)


def test_raw_and_normalized_scores_differ_by_case_and_punctuation():
    result = score({"u": "Hello, World!"}, {"u": "hello world"})
    summary = result.summary()
    assert summary["WER raw"].err == 2
    assert summary["WER normalized"].err == 0


def test_alignment_block_is_sclite_style():
    (c, pairs), = align(["the cat sat on the mat"], ["the bat sat on on the"])
    from asrkit.score import Alignment

    block = format_alignment(Alignment("utt1", pairs, c)).splitlines()
    assert block[0] == "id: (utt1)"
    assert block[1] == f"Scores: (#C #S #D #I) {c.corr} {c.sub} {c.dele} {c.ins}"
    ref, hyp, marks = block[2][6:], block[3][6:], block[4][6:]
    assert len(ref) == len(hyp)  # columns line up
    assert "CAT" in ref and "BAT" in hyp and "the" in ref
    assert "***" in ref + hyp
    assert set(marks.split()) <= {"S", "D", "I"} and marks.split().count("S") == c.sub


def test_missing_hypotheses_fail_the_stage_with_their_ids(data_dir, tmp_path, capsys):
    hyp = write(tmp_path / "hyp", ["u1 the cat sat on the mat", "u2 hello world"])
    rc = main(["--ref", str(data_dir / "text"), "--hyp", str(hyp), "--out", str(tmp_path / "s")])
    assert rc == 1
    err = capsys.readouterr().err
    assert "2 of 4 utterances have no hypothesis" in err and "u3, u4" in err
    assert "--allow-missing" in err


def test_allow_missing_scores_them_as_empty_and_lists_them(data_dir, tmp_path):
    hyp = write(tmp_path / "hyp", ["u1 the cat sat on the mat", "u2 hello world", "u3"])
    out = tmp_path / "s"
    assert main(["--ref", str(data_dir / "text"), "--hyp", str(hyp), "--out", str(out),
                 "--allow-missing"]) == 0
    data = json.loads((out / "score.json").read_text())
    assert data["missing"] == ["u4"]
    assert (out / "missing_utts.txt").read_text() == "u4\n"
    wer = data["wer"]["normalized"]
    assert (wer["wrd"], wer["dele"], wer["corr"]) == (13, 5, 8)  # u3 (3) and u4 (2) deleted


def test_hypothesis_ids_not_in_reference_are_an_error(data_dir, tmp_path):
    with pytest.raises(ScoreError, match="zz9"):
        score({"u1": "a"}, {"u1": "a", "zz9": "b"})


def test_breakdowns_by_speaker_and_gender(data_dir, tmp_path):
    hyp = write(tmp_path / "hyp", ["u1 the cat sat on the mat", "u2 hello word", "u3 a b c",
                                   "u4 bon"])
    out = tmp_path / "s"
    assert main(["--ref", str(data_dir / "text"), "--hyp", str(hyp), "--data", str(data_dir),
                 "--out", str(out)]) == 0
    data = json.loads((out / "score.json").read_text())
    assert data["by"]["speaker"]["s1"]["sub"] == 1 and data["by"]["speaker"]["s1"]["wrd"] == 8
    assert data["by"]["speaker"]["s2"]["dele"] == 1 and data["by"]["speaker"]["s2"]["wrd"] == 5
    assert data["by"]["gender"]["f"]["err"] == 1
    result_txt = (out / "result.txt").read_text()
    assert "By gender" in result_txt and "| f " in result_txt
    header = next(line for line in result_txt.splitlines() if "Corr" in line)
    assert header.replace("|", " ").split()[-8:] == ["#", "Wrd", "Corr", "Sub", "Del", "Ins", "Err",
                                                     "S.Err"]
    assert "s2" in (out / "per_speaker.txt").read_text()
    assert "id: (u2)" in (out / "alignments.txt").read_text()


def _fake_experiment(root, name, hyps, model_info=None, decode_info=None, ref=None):
    dec = root / name / "decode_beam" / "test"
    hyp = write(dec / "hyp", hyps)
    assert main(["--ref", str(ref), "--hyp", str(hyp), "--out", str(dec / "score")]) == 0
    if model_info:
        (root / name / "model_info.json").write_text(json.dumps(model_info))
    if decode_info:
        (dec / "decode_info.json").write_text(json.dumps(decode_info))


def test_results_md_collects_two_experiments_sorted_with_their_info(data_dir, tmp_path):
    exp = tmp_path / "exp"
    ref = data_dir / "text"
    _fake_experiment(exp, "asr_b", ["u1 the cat sat on the mat", "u2 hello world", "u3 a b c",
                                    "u4 bon dia"], ref=ref)
    _fake_experiment(exp, "asr_a", ["u1 the cat", "u2 hello world", "u3 a b c", "u4 bon dia"],
                     {"model": "wav2vec2 tiny", "init": "ssl", "updates": 1200},
                     {"decoder": {"kind": "beam", "beam_size": 50}, "config": "conf/decode_beam.yaml"},
                     ref=ref)
    rows = collect(exp)
    assert [r["experiment"] for r in rows] == ["asr_a", "asr_b"]
    assert rows[0]["decode"] == "decode_beam" and rows[0]["dataset"] == "test"
    out = write_results(exp, tmp_path / "RESULTS.md")
    text = out.read_text()
    table = [line for line in text.splitlines() if line.startswith("| asr_")]
    assert len(table) == 2 and table[0].startswith("| asr_a | decode_beam | test | 4 | 13 |")
    assert table[1].endswith("| 23.08 | 0.00 | 6.52 | 0.00 |")  # raw text differs only by case
    assert "updates=1200" in text and "beam_size=50" in text and "no model_info.json" in text
    for key in ("git:", "torch:", "date:", "host:", "gpu:"):
        assert key in text


def test_results_without_scores_is_an_error(tmp_path, capsys):
    (tmp_path / "exp").mkdir()
    assert main(["results", str(tmp_path / "exp"), "--out", str(tmp_path / "R.md")]) == 1
    assert "no score.json" in capsys.readouterr().err


def test_render_marks_experiments_with_missing_utterances():
    row = {"experiment": "e", "decode": "d", "dataset": "t", "model": {}, "decode_info": {},
           "score": {"num_utts": 2, "missing": ["u2"],
                     "wer": {"raw": {"error_rate": 50.0},
                             "normalized": {"wrd": 2, "corr": 1, "sub": 0, "dele": 1, "ins": 0,
                                            "error_rate": 50.0, "sentence_error_rate": 50.0}},
                     "cer": {"raw": {"error_rate": 40.0}, "normalized": {"error_rate": 40.0}}}}
    assert "t (1 missing)" in render([row], "exp", env={"git": "x"})


def test_empty_reference_is_scored_as_insertions():
    result = score({"u1": "a b", "u2": ""}, {"u1": "a b", "u2": "uh oh"})
    wer = result.summary()["WER normalized"]
    assert (wer.wrd, wer.ins, wer.snt_err) == (2, 2, 1)
    assert wer.error_rate == 100.0


def test_results_subcommand_writes_results_md(data_dir, tmp_path):
    exp = tmp_path / "exp"
    _fake_experiment(exp, "asr", ["u1 the cat", "u2 hello world", "u3 a b c", "u4 bon dia"],
                     ref=data_dir / "text")
    assert main(["results", str(exp), "--out", str(tmp_path / "R.md")]) == 0
    assert "| asr | decode_beam | test | 4 |" in (tmp_path / "R.md").read_text()
