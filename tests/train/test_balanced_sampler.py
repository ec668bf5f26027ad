"""Class-balanced epochs: utterances drawn in proportion to 1 / (size of their class)."""

from __future__ import annotations

import numpy as np
import pytest

from asrkit.train.sampler import BucketBatchSampler, class_balanced_weights


def test_weights_are_one_over_the_class_size():
    assert class_balanced_weights([0, 0, 0, 1]).tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3, 1.0])
    assert class_balanced_weights(["b", "a", "b"]).tolist() == pytest.approx([0.5, 1.0, 0.5])


def test_a_rare_class_is_drawn_as_often_as_a_common_one():
    labels = np.array([0] * 90 + [1] * 10)
    sampler = BucketBatchSampler(np.full(100, 10), batch_bins=80, seed=3,
                                 weights=class_balanced_weights(labels))
    drawn = np.concatenate([np.concatenate(sampler.batches(epoch)) for epoch in range(20)])
    assert len(drawn) == 20 * 100  # an epoch is still as long as the data set
    rare = np.mean(labels[drawn] == 1)
    assert 0.45 < rare < 0.55, rare
    unweighted = BucketBatchSampler(np.full(100, 10), batch_bins=80, seed=3)
    assert sorted(np.concatenate(unweighted.batches(0)).tolist()) == list(range(100))


def test_balanced_epochs_are_reproducible_and_differ_between_epochs():
    weights = class_balanced_weights([0] * 30 + [1] * 5)
    a = BucketBatchSampler(np.arange(1, 36), batch_bins=100, seed=1, weights=weights)
    b = BucketBatchSampler(np.arange(1, 36), batch_bins=100, seed=1, weights=weights)
    assert a.batches(2) == b.batches(2) and a.batches(0) != a.batches(1)
    for batch in a.batches(0):  # still bucketed by length within bins
        assert len(batch) * max(np.arange(1, 36)[batch]) <= 100


def test_bad_weights_are_refused():
    with pytest.raises(ValueError, match="3 non-negative numbers"):
        BucketBatchSampler([1, 2, 3], batch_bins=10, weights=[1.0, 0.0])
    with pytest.raises(ValueError, match="not all zero"):
        BucketBatchSampler([1, 2, 3], batch_bins=10, weights=[0.0, 0.0, 0.0])
