"""The trainer's config sections, loadable with :func:`asrkit.config.load`.

A stage embeds :class:`TrainConfig` as one section of its own config (``train:`` in
``conf/pretrain.yaml``), so ``--set train.optim.lr=1e-4`` works from every stage CLI.
Defaults follow fairseq's wav2vec 2.0 recipes where one exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from asrkit.config import ConfigError


@dataclass
class OptimConfig:
    """AdamW. Norm weights, biases and 1-d parameters never get weight decay."""

    lr: float = 5e-4  # peak learning rate; the schedule scales it
    betas: tuple[float, float] = (0.9, 0.98)
    eps: float = 1e-6
    weight_decay: float = 0.01
    no_decay: list[str] = field(default_factory=list)  # extra name substrings without decay


@dataclass
class ScheduleConfig:
    """Learning-rate schedule; see :mod:`asrkit.train.schedules` for the formulas."""

    name: Literal["constant", "linear", "polynomial", "tri_stage"] = "polynomial"
    warmup_updates: int = 0  # constant/linear/polynomial
    warmup_ratio: float | None = None  # of max_updates; overrides warmup_updates
    power: float = 1.0  # polynomial decay exponent (linear is power 1)
    end_lr_scale: float = 0.0  # linear/polynomial: lr at max_updates, as a fraction of lr
    phase_ratio: tuple[float, float, float] = (0.1, 0.4, 0.5)  # tri_stage warmup/hold/decay
    init_lr_scale: float = 0.01  # tri_stage: lr at update 0, as a fraction of lr
    final_lr_scale: float = 0.05  # tri_stage: lr at the end of the decay


@dataclass
class DataConfig:
    """Batching and loading. Lengths are in the dump's unit: samples (raw) or frames (fbank)."""

    batch_bins: int | None = 1_400_000  # max Σ padded length per batch (ESPnet's numel)
    max_duration: float | None = None  # max Σ padded seconds per batch; replaces batch_bins
    max_batch_size: int | None = None  # cap on utterances per batch
    min_length: int = 0  # shorter utterances are excluded (the task may ask for more)
    max_length: int | None = None  # longer ones are cropped (crop: true) or excluded
    crop: bool = True  # random crop to max_length; needs no targets
    num_workers: int = 2
    max_excluded_fraction: float = 0.2  # stop when more of a set than this is excluded


@dataclass
class TrainConfig:
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    data: DataConfig = field(default_factory=DataConfig)
    max_updates: int = 10_000
    max_epochs: int | None = None  # stop earlier when this many epochs are done
    patience: int | None = None  # stop after this many validations without a better best_metric
    accum_grad: int = 1  # micro-batches per update
    clip_norm: float = 0.0  # 0: no clipping (the norm is still logged)
    amp: Literal["none", "bf16", "fp16"] = "none"  # fp16 uses a GradScaler; bf16 also on CPU
    fp16_init_scale: float = 128.0
    min_loss_scale: float = 1e-4  # fp16: stop when overflows push the scale below this
    log_interval: int = 100  # updates
    valid_interval: int = 1000
    save_interval: int = 1000
    keep_last: int = 5  # numbered checkpoints kept (checkpoint_last/best are extra)
    seed: int = 1
    max_bad_steps: int = 10  # consecutive non-finite updates before training stops
    find_unused_parameters: bool = False  # DDP: needed when parts of the model skip steps
    dist_timeout_minutes: float = 30.0  # a collective waiting longer fails instead of hanging
    device: str = "auto"  # auto (cuda when present), cpu, cuda
    tensorboard: bool = True
    plots: bool = True  # PNG curves in <exp>/images at the end (and every 10 min of validation)
    progress_bar: bool = True

    def check(self) -> None:
        """Raise :class:`ConfigError` for values no run can use."""
        positive = {
            "max_updates": self.max_updates, "accum_grad": self.accum_grad,
            "log_interval": self.log_interval, "valid_interval": self.valid_interval,
            "save_interval": self.save_interval, "keep_last": self.keep_last,
            "max_bad_steps": self.max_bad_steps,
        }
        for name, value in positive.items():
            if value < 1:
                raise ConfigError(f"train.{name} must be at least 1, got {value}")
        if self.data.batch_bins is None and self.data.max_duration is None:
            raise ConfigError("set train.data.batch_bins or train.data.max_duration")
        if self.data.batch_bins is not None and self.data.max_duration is not None:
            raise ConfigError(
                "train.data.batch_bins and train.data.max_duration are both set; "
                "keep one (set the other to null)"
            )
        if self.data.num_workers < 0:
            raise ConfigError(f"train.data.num_workers must be >= 0, got {self.data.num_workers}")
        if self.patience is not None and self.patience < 1:
            raise ConfigError(f"train.patience must be at least 1 (or null), got {self.patience}")
        if self.clip_norm < 0:
            raise ConfigError(f"train.clip_norm must be >= 0, got {self.clip_norm}")
