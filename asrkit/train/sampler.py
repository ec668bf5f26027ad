"""Length-bucketed batches bounded by total padded length, seeded and shardable.

Each epoch: shuffle the utterances (seed, epoch), stable-sort them by length so equal
lengths land in different batches each epoch (fairseq's trick), cut the sorted list into
batches whose ``size * longest`` stays within ``batch_bins`` (ESPnet's ``numel`` batch
type), then shuffle the order of the batches. Every rank computes the same list and
takes every ``world_size``-th batch; the last ``len % world_size`` batches are dropped
(different ones every epoch) so that every rank runs the same number of steps.

An epoch's batches depend only on (seed, epoch), so resuming needs just
``{"epoch", "position"}``.

With ``weights`` (one per utterance, e.g. :func:`class_balanced_weights`), an epoch is as
many utterances drawn with replacement in proportion to their weights instead of a
permutation: class-balanced sampling, where a rare class is seen as often as a common one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler


class BucketBatchSampler(Sampler[list[int]]):
    def __init__(
        self,
        lengths: Sequence[int] | np.ndarray,
        batch_bins: int,
        *,
        max_batch_size: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        drop_uneven: bool = True,
        weights: Sequence[float] | np.ndarray | None = None,
    ):
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.probabilities = None
        if weights is not None:
            weights = np.asarray(weights, dtype=np.float64)
            if weights.shape != self.lengths.shape or (weights < 0).any() or not weights.sum() > 0:
                raise ValueError(f"sampling weights must be {len(self.lengths)} non-negative numbers, "
                                 "not all zero")
            self.probabilities = weights / weights.sum()
        too_long = np.flatnonzero(self.lengths > batch_bins)
        if too_long.size:
            raise ValueError(
                f"{too_long.size} utterance(s) are longer than batch_bins={batch_bins} (the longest "
                f"has {int(self.lengths.max())}); raise batch_bins or set max_length"
            )
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside world_size {world_size}")
        self.batch_bins = batch_bins
        self.max_batch_size = max_batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.drop_uneven = drop_uneven
        self.epoch = 0
        self.position = 0
        self._cache: tuple[int, list[list[int]]] | None = None

    def _all_batches(self, epoch: int) -> list[list[int]]:
        rng = np.random.default_rng([self.seed, epoch])
        n = len(self.lengths)
        if self.probabilities is not None:
            order = rng.choice(n, size=n, p=self.probabilities)
        else:
            order = rng.permutation(n) if self.shuffle else np.arange(n)
        order = order[np.argsort(self.lengths[order], kind="stable")]
        batches: list[list[int]] = []
        current: list[int] = []
        for index in order.tolist():
            size = len(current) + 1
            longest = self.lengths[index]  # sorted ascending: the newest is the longest
            full = size * longest > self.batch_bins or (
                self.max_batch_size is not None and size > self.max_batch_size
            )
            if full and current:
                batches.append(current)
                current = []
            current.append(index)
        if current:
            batches.append(current)
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches

    def batches(self, epoch: int) -> list[list[int]]:
        """This rank's batches of ``epoch``, in order."""
        if self._cache is None or self._cache[0] != epoch:
            batches = self._all_batches(epoch)
            if self.world_size > 1:
                end = len(batches) - len(batches) % self.world_size if self.drop_uneven else len(batches)
                batches = batches[self.rank : end : self.world_size]
            self._cache = (epoch, batches)
        return self._cache[1]

    def set_epoch(self, epoch: int, position: int = 0) -> None:
        """Start ``epoch`` at batch ``position`` (batches already consumed when resuming)."""
        self.epoch = epoch
        self.position = position

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.set_epoch(int(state["epoch"]), int(state["position"]))

    def __iter__(self) -> Iterator[list[int]]:
        batches = self.batches(self.epoch)
        while self.position < len(batches):
            batch = batches[self.position]
            self.position += 1
            yield batch

    def __len__(self) -> int:
        return len(self.batches(self.epoch))


def class_balanced_weights(labels: Sequence[int] | np.ndarray) -> np.ndarray:
    """One weight per item, 1 / (items of its class): every class is drawn equally often."""
    labels = np.asarray(labels)
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    return 1.0 / counts[inverse]


class EpochTagged(Sampler[list[tuple[int, int]]]):
    """``sampler``'s batches with each index tagged by the epoch it was drawn in.

    Loader workers that persist across epochs hold a copy of the dataset made when they
    started; the tag tells them the epoch (which picks the crop windows) without
    forking them again.
    """

    def __init__(self, sampler: BucketBatchSampler):
        self.sampler = sampler

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        epoch = self.sampler.epoch
        for batch in self.sampler:
            yield [(epoch, i) for i in batch]

    def __len__(self) -> int:
        return len(self.sampler)
