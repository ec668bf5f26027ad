"""Fixtures for the trainer tests: the toy corpus/task module and a small config."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from asrkit.train import TrainConfig

TOY = Path(__file__).with_name("toy.py")


def load_toy():
    name = "asrkit_tests_train_toy"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, TOY)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(autouse=True)
def _one_thread():
    # the toy models are tiny: a second thread only adds synchronisation on a busy machine
    torch.set_num_threads(1)
    yield


@pytest.fixture(scope="session")
def toy():
    return load_toy()


@pytest.fixture
def corpus(tmp_path, toy):
    return toy.write_corpus(tmp_path / "dump" / "train")


def small_config(**overrides) -> TrainConfig:
    cfg = TrainConfig()
    cfg.optim.lr = 1e-2
    cfg.schedule.name = "polynomial"
    cfg.schedule.warmup_updates = 2
    cfg.data.batch_bins = 120
    cfg.data.num_workers = 0
    cfg.max_updates = 12
    cfg.log_interval = 2
    cfg.valid_interval = 4
    cfg.save_interval = 4
    cfg.keep_last = 2
    cfg.device = "cpu"
    cfg.tensorboard = False
    cfg.plots = False
    cfg.progress_bar = False
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


@pytest.fixture
def config():
    return small_config
