"""FeatsDataset's augment hook: seeded per (seed, epoch, utterance), crops untouched."""

import numpy as np
import torch

from asrkit.data.augment import NoiseAugment, NoiseConfig
from asrkit.train import FeatsDataset


def _noise():
    return NoiseAugment(NoiseConfig(prob=1.0, snr_db=(10.0, 10.0)))


def test_augmented_items_repeat_within_an_epoch_and_change_across_epochs(tmp_path, toy):
    path = toy.write_corpus(tmp_path / "d", lengths=[30, 40, 50])
    clean = FeatsDataset(path)[1].inputs
    ds = FeatsDataset(path, augment=_noise(), seed=3)
    first = ds[1].inputs
    assert not torch.equal(first, clean) and first.shape == clean.shape
    assert torch.equal(FeatsDataset(path, augment=_noise(), seed=3)[1].inputs, first)
    assert torch.equal(ds[(0, 1)].inputs, first)  # a persistent worker told the epoch
    ds.set_epoch(1)
    assert not torch.equal(ds[1].inputs, first)
    assert not torch.equal(FeatsDataset(path, augment=_noise(), seed=4)[1].inputs, first)


def test_augmentation_leaves_the_crop_windows_as_they_were(tmp_path, toy):
    path = toy.write_corpus(tmp_path / "raw", lengths=[400], feat_dim=None)
    plain = FeatsDataset(path, max_length=100, seed=5)[0].inputs.numpy().astype(np.float64)
    noisy = FeatsDataset(path, max_length=100, seed=5, augment=_noise())[0].inputs.numpy().astype(np.float64)
    noise = noisy - plain
    # the noise sits 10 dB below the same window the clean item has
    assert abs(10 * np.log10(np.sum(plain**2) / np.sum(noise**2)) - 10.0) < 0.01
