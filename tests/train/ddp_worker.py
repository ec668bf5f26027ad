"""Train the toy task as one rank under torchrun (DDP test); ``train`` runs it in-process.

Usage: ddp_worker.py CORPUS EXP ACCUM_GRAD MAX_UPDATES BATCH_BINS
"""

import importlib.util
import sys
from pathlib import Path

import torch

from asrkit.train import FeatsDataset, TrainConfig, Trainer


def train(corpus: str, exp: str, accum: int, updates: int, bins: int) -> dict:
    spec = importlib.util.spec_from_file_location("toy", Path(__file__).with_name("toy.py"))
    toy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(toy)
    cfg = TrainConfig(max_updates=int(updates), accum_grad=int(accum), device="cpu",
                      log_interval=2, valid_interval=1000, save_interval=1000,
                      tensorboard=False, plots=False, progress_bar=False)
    cfg.optim.lr = 1e-2
    cfg.data.batch_bins = int(bins)
    cfg.data.num_workers = 0
    return Trainer(toy.make_task(dropout=0.0), cfg, exp, FeatsDataset(corpus)).fit()


def main() -> None:
    torch.set_num_threads(1)
    summary = train(*sys.argv[1:3], *map(int, sys.argv[3:]))
    print("updates", summary["updates"], "world", summary["world_size"])


if __name__ == "__main__":
    main()
