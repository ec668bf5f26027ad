"""RESULTS.md's classification section: every classify_score.json under the root."""

from __future__ import annotations

import json

from asrkit.results import collect_classification, write_results


def _score(path, accuracy, macro_f1, unseen=None):
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({
        "target": "accent", "data": "dump/fbank/test", "num_utts": 40, "accuracy": accuracy,
        "macro_f1": macro_f1, "majority_baseline": {"label": "central", "accuracy": 0.5, "macro_f1": 0.2},
        "unseen_labels": unseen or {}}))


def test_classification_scores_get_a_table_with_the_majority_baseline(tmp_path):
    exp = tmp_path / "exp"
    _score(exp / "cls_accent_b" / "eval_test" / "classify_score.json", 0.75, 0.6125, {"x": 2})
    _score(exp / "cls_accent_a" / "eval_test" / "classify_score.json", 0.5, 0.25)
    (exp / "cls_accent_a" / "eval_test" / "junk").mkdir()
    (exp / "cls_accent_a" / "eval_test" / "junk" / "classify_score.json").write_text("{}")
    rows = collect_classification(exp)
    assert [r["experiment"] for r in rows] == ["cls_accent_a", "cls_accent_b"]  # junk skipped
    text = write_results(exp, tmp_path / "RESULTS.md").read_text()
    assert "## Utterance classification (%)" in text
    assert "| cls_accent_b | accent | test | 40 | 75.00 | 61.25 | central | 50.00 | 20.00 | 2 |" in text
