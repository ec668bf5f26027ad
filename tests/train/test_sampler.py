import numpy as np
import pytest

from asrkit.train import BucketBatchSampler

LENGTHS = np.random.default_rng(0).integers(5, 100, size=97)


def padded_size(batch):
    return len(batch) * max(LENGTHS[i] for i in batch)


def test_each_epoch_covers_every_utterance_once_within_batch_bins():
    sampler = BucketBatchSampler(LENGTHS, batch_bins=300, seed=3)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        batches = list(sampler)
        flat = [i for b in batches for i in b]
        assert sorted(flat) == list(range(len(LENGTHS)))
        assert all(padded_size(b) <= 300 for b in batches)
    assert len(sampler) == len(sampler.batches(sampler.epoch))


def test_max_batch_size_caps_utterances_per_batch():
    sampler = BucketBatchSampler([1] * 50, batch_bins=1000, max_batch_size=8)
    assert max(len(b) for b in sampler.batches(0)) == 8


def test_batch_order_depends_on_seed_and_epoch_only():
    a = BucketBatchSampler(LENGTHS, batch_bins=300, seed=3)
    b = BucketBatchSampler(LENGTHS, batch_bins=300, seed=3)
    assert a.batches(1) == b.batches(1)
    assert a.batches(0) != a.batches(1)
    assert BucketBatchSampler(LENGTHS, batch_bins=300, seed=4).batches(1) != a.batches(1)


def test_distributed_shards_are_disjoint_and_equal_in_count():
    world = 3
    shards = [BucketBatchSampler(LENGTHS, 300, seed=1, rank=r, world_size=world).batches(0)
              for r in range(world)]
    counts = {len(s) for s in shards}
    assert len(counts) == 1
    seen = [i for s in shards for b in s for i in b]
    assert len(seen) == len(set(seen))
    full = BucketBatchSampler(LENGTHS, 300, seed=1).batches(0)
    assert len(full) - sum(len(s) for s in shards) < world
    assert shards[1][0] == full[1]


def test_resuming_from_state_dict_mid_epoch_yields_the_rest_of_the_epoch():
    sampler = BucketBatchSampler(LENGTHS, 300, seed=5)
    sampler.set_epoch(2)
    it = iter(sampler)
    head = [next(it) for _ in range(4)]
    state = sampler.state_dict()
    rest = list(it)
    restored = BucketBatchSampler(LENGTHS, 300, seed=5)
    restored.load_state_dict(state)
    assert state == {"epoch": 2, "position": 4}
    assert list(restored) == rest
    assert head + rest == sampler.batches(2)


def test_utterance_longer_than_batch_bins_is_an_error():
    with pytest.raises(ValueError, match="longer than batch_bins"):
        BucketBatchSampler([10, 500], batch_bins=300)
