"""Confusion counts and the metrics classification reports from them."""

from __future__ import annotations

import numpy as np
import pytest

from asrkit.confusion import Confusion

PAIRS = [("ca", "ca"), ("ca", "ca"), ("ca", "es"), ("es", "es"), ("es", "ca"), ("en", "es")]


def test_counts_are_true_by_predicted_with_the_given_labels_first():
    c = Confusion.of(PAIRS, labels=["es", "ca"])
    assert c.labels == ["es", "ca", "en"]
    assert c.counts.tolist() == [[1, 1, 0],
                                 [1, 2, 0],
                                 [1, 0, 0]]
    assert c.total == 6 and c.accuracy() == pytest.approx(3 / 6)


def test_per_class_precision_recall_and_macro_f1_by_hand():
    c = Confusion.of(PAIRS, labels=["ca", "es"])
    per = c.per_class()
    assert per["ca"] == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "support": 3})
    assert per["es"] == pytest.approx({"precision": 1 / 3, "recall": 1 / 2, "f1": 0.4, "support": 2})
    # a label never predicted (unseen in training) counts with F1 0, as scikit-learn's macro F1
    assert per["en"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert c.macro_f1() == pytest.approx((2 / 3 + 0.4 + 0) / 3)


def test_a_class_absent_from_references_and_predictions_is_not_averaged():
    c = Confusion.of([("a", "a"), ("b", "b")], labels=["a", "b", "c"])
    assert set(c.per_class()) == {"a", "b"} and c.macro_f1() == 1.0


def test_counts_add_up_from_parts_as_ranks_would_send_them():
    whole = Confusion.of(PAIRS, labels=["ca", "es"])
    parts = Confusion.of_counts({("ca", "ca"): 2, ("ca", "es"): 1, ("es", "es"): 1, ("es", "ca"): 1,
                                 ("en", "es"): 1}, labels=["ca", "es"])
    assert parts.labels == whole.labels and np.array_equal(parts.counts, whole.counts)


def test_text_table_has_a_row_per_true_label():
    lines = Confusion.of(PAIRS, labels=["ca", "es"]).as_text().splitlines()
    assert lines[0].split()[-3:] == ["ca", "es", "en"]
    assert [line.split()[-3:] for line in lines[1:]] == [["2", "1", "0"], ["1", "1", "0"], ["0", "1", "0"]]
