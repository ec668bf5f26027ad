"""A training run's checkpoints as a stage ships them: the best validated ones, averaged
(:mod:`asrkit.train.checkpoint`, :func:`asrkit.checkpoint.average`)."""

from __future__ import annotations

import json
import math

import torch

from asrkit.checkpoint import average
from asrkit.train.checkpoint import best_checkpoints, final_weights


def _fake_run(exp, wers: dict[int, float]) -> None:
    """Checkpoints whose weight ``w`` is their update count, and a metrics log of their WERs."""
    (exp / "log").mkdir(parents=True)
    records = [{"split": "train", "updates": 1, "loss": 3.0}]
    for updates, wer in wers.items():
        records.append({"split": "valid", "updates": updates, "wer": wer})
        state = {"w": torch.full((3,), float(updates)), "steps": torch.tensor(updates)}
        torch.save({"model": state, "kind": "ctc"}, exp / f"checkpoint_{updates}.pt")
    (exp / "log" / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def test_best_checkpoints_are_the_lowest_validated_ones_still_on_disk(tmp_path):
    _fake_run(tmp_path, {2: 0.5, 4: 0.3, 6: 0.4, 8: math.nan, 10: 0.1})
    (tmp_path / "checkpoint_10.pt").unlink()  # removed by keep_last
    best = best_checkpoints(tmp_path, "wer", 2)
    assert [(u, v) for u, v, _ in best] == [(4, 0.3), (6, 0.4)]
    assert best[0][2] == tmp_path / "checkpoint_4.pt"
    assert [u for u, _, _ in best_checkpoints(tmp_path, "wer", 5)] == [4, 6, 2]


def test_average_checkpoints_is_the_elementwise_mean_of_float_weights(tmp_path):
    _fake_run(tmp_path, {4: 0.3, 6: 0.4})
    avg = average([tmp_path / "checkpoint_4.pt", tmp_path / "checkpoint_6.pt"])
    torch.testing.assert_close(avg["w"], torch.full((3,), 5.0))
    assert avg["steps"] == 4  # integer buffers come from the first checkpoint


def test_final_weights_average_the_k_best_or_take_checkpoint_best(tmp_path):
    _fake_run(tmp_path, {4: 0.3, 6: 0.4, 8: 0.9})
    weights, how = final_weights(tmp_path, "wer", 2)
    torch.testing.assert_close(weights["w"], torch.full((3,), 5.0))
    assert how == "average of checkpoint_4.pt (wer 0.3000), checkpoint_6.pt (wer 0.4000)"
    (tmp_path / "checkpoint_best.pt").hardlink_to(tmp_path / "checkpoint_4.pt")
    weights, how = final_weights(tmp_path, "wer", 1)
    assert how == "checkpoint_best.pt" and torch.equal(weights["w"], torch.full((3,), 4.0))


def test_higher_is_better_metrics_pick_the_highest(tmp_path):
    _fake_run(tmp_path, {2: 0.5, 4: 0.9, 6: 0.7})
    assert [u for u, _, _ in best_checkpoints(tmp_path, "wer", 2, lower_is_better=False)] == [4, 6]
