"""The training loop shared by every stage that optimises a model.

One update = ``accum_grad`` micro-batches on every rank. Each micro-batch's loss is a sum
over items and is back-propagated as is; before the optimizer step the gradients are
multiplied by ``world_size / Σ sample_size`` (all micro-batches, all ranks; DDP has
already averaged over ranks), fairseq's scheme: N ranks × B items give the same update as
one rank with N·B items, and accumulation is exact too.

A non-finite loss or gradient skips the update (the batch's utterance ids go to the log
and ``<exp>/bad_batches.txt``); ``max_bad_steps`` in a row stop training. So does a batch
that runs out of memory in a single-process run (under DDP the other ranks would wait
forever for its gradients, so there it stops the stage naming the batch). Under fp16, an
overflow in the gradients is the GradScaler's business (it lowers the scale and the
update is skipped) and is not a bad step.

Two streams (joint SSL + CTC training, :mod:`asrkit.bljust`): with ``unlabeled`` the trainer
reads a second data set with its own sampler, batch size (``unlabeled_data``), epoch and
position. Before each update it asks the task which streams the update reads
(:meth:`Task.streams`) and hands it a :class:`JointBatch` per micro-batch; the checkpoint keeps
both samplers' positions, so a resumed run reads exactly the batches the killed one would have.
``train.max_epochs`` counts the labeled stream's epochs; the unlabeled stream cycles.

Host-device syncs: a step's logs stay tensors until the update is done, then one
``tolist()`` reads them all (plus one collective for sizes and bad losses), so a GPU is
not stalled once per logged value.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from asrkit.config import ConfigError, to_dict
from asrkit.data.exclusions import Exclusions, TooManyExcluded
from asrkit.progress import progress
from asrkit.train import checkpoint, distributed
from asrkit.train.rng import fixed_rng, rng_state, seed_everything, seed_worker, set_rng_state
from asrkit.train.config import DataConfig, TrainConfig
from asrkit.train.datasets import Batch, FeatsDataset, JointBatch, shapes
from asrkit.plots import plot_curves
from asrkit.train.logbook import TrainingLog
from asrkit.train.metrics import Meter, StepOutput
from asrkit.train.optim import build_optimizer, set_lr
from asrkit.train.sampler import BucketBatchSampler, EpochTagged
from asrkit.train.schedules import LRSchedule
from asrkit.train.task import Task

logger = logging.getLogger(__name__)

EXCLUDED = "excluded_utts.txt"
BAD_BATCHES = "bad_batches.txt"


class TrainingDiverged(RuntimeError):
    """Too many updates in a row had a non-finite loss or gradient."""


def resolve_device(name: str) -> str:
    """``train.device`` (auto, cpu, cuda) as the device type this machine can use."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("train.device=cuda but no CUDA device is visible; use cpu")
    if name not in ("cpu", "cuda"):
        raise ConfigError(f"train.device must be auto, cpu or cuda, got {name!r}")
    return name


class Stream:
    """A second training set read alongside the first: its own sampler, epoch and position."""

    def __init__(self, name: str, dataset: FeatsDataset, sampler: BucketBatchSampler):
        self.name = name
        self.dataset = dataset
        self.sampler = sampler
        self.epoch = 0
        self.position = 0  # batches of this epoch already consumed

    def batches(self, loader: DataLoader) -> Iterator[Batch]:
        """Batches across epochs without end, tracking (epoch, position) as they are consumed."""
        while True:
            self.dataset.set_epoch(self.epoch)
            self.sampler.set_epoch(self.epoch, self.position)
            for batch in loader:
                self.position += 1
                yield batch
            self.epoch += 1
            self.position = 0

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])


class Trainer:
    """Optimises ``task.model`` on ``train``, validating on ``valid``, writing into ``exp_dir``.

    ``unlabeled`` (with its batching in ``unlabeled_data``) adds a second stream for joint
    training (see the module docstring). ``fit()`` returns the run's summary (see :meth:`summary`).
    """

    def __init__(
        self,
        task: Task,
        cfg: TrainConfig,
        exp_dir: str | Path,
        train: FeatsDataset,
        valid: FeatsDataset | None = None,
        unlabeled: FeatsDataset | None = None,
        unlabeled_data: DataConfig | None = None,
    ):
        cfg.check()
        if not isinstance(task, Task):
            raise TypeError(f"{type(task).__name__} is not an asrkit.train.Task; subclass it "
                            "(it gives every optional hook a default)")
        self.task = task
        self.cfg = cfg
        self.exp_dir = Path(exp_dir)
        self.train_set = train
        self.valid_set = valid
        self.unlabeled_set = unlabeled

        device_type = resolve_device(cfg.device)
        self.dist = distributed.init(device_type, cfg.dist_timeout_minutes)
        self.device = torch.device(device_type, self.dist.device_index if device_type == "cuda" else None)
        self.is_main = self.dist.is_main
        if cfg.amp == "fp16" and self.device.type != "cuda":
            raise ConfigError("train.amp=fp16 needs a GPU; use bf16 or none on CPU")

        self.model = task.model.to(self.device)
        if self.dist.world_size > 1:
            task.model = distributed.ProxyDDP(
                self.model,
                device_ids=[self.device.index] if self.device.type == "cuda" else None,
                find_unused_parameters=cfg.find_unused_parameters,
            )
        groups = task.param_groups()
        # The fused AdamW kernel is ~4x faster than the per-tensor loop on CPU too (measured
        # in bench/finetune_throughput.py: 194 -> 50 ms per base update).
        self.optimizer = build_optimizer(
            self.model, cfg.optim, groups, fused=self.device.type in ("cuda", "cpu")
        )
        self.schedule = LRSchedule(cfg.schedule, cfg.max_updates)
        self.scaler = (
            torch.amp.GradScaler("cuda", init_scale=cfg.fp16_init_scale) if cfg.amp == "fp16" else None
        )
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(cfg.amp)

        if cfg.data.batch_bins is not None:
            self.batch_bins = cfg.data.batch_bins
        else:
            self.batch_bins = int(cfg.data.max_duration / train.seconds_per_unit)
        self._check_exclusions()
        try:
            self.sampler = BucketBatchSampler(
                train.lengths, self.batch_bins, max_batch_size=cfg.data.max_batch_size,
                seed=cfg.seed, rank=self.dist.rank, world_size=self.dist.world_size,
                weights=task.sampling_weights(train),
            )
        except ValueError as e:
            raise ValueError(f"{train.data_dir}: {e}") from None
        if not self.sampler.batches(0):
            raise ValueError(
                f"{train.data_dir}: {len(train)} utterances make fewer batches than the "
                f"{self.dist.world_size} processes; use fewer processes or a smaller batch_bins"
            )

        self.unlabeled: Stream | None = None
        if unlabeled is not None:
            self.unlabeled = Stream("unlabeled", unlabeled,
                                    self._unlabeled_sampler(unlabeled, unlabeled_data or cfg.data))

        self.num_updates = 0
        self.epoch = 0
        self.position = 0  # micro-batches of this epoch already consumed
        self.best: dict[str, Any] | None = None
        self.bad_in_a_row = 0
        self.bad_total = 0
        self.stats = {"wall_time": 0.0, "items": 0.0, "audio_seconds": 0.0}
        self.last_valid: dict[str, float] = {}
        self.last_train: dict[str, float] = {}
        self.stopped = ""
        self._started = 0.0
        self._wall_before = 0.0
        self._train_loader: DataLoader | None = None
        self._valid: DataLoader | None = None
        self._unlabeled_loader: DataLoader | None = None

    # ----------------------------------------------------------------- data

    def _check_exclusions(self) -> None:
        report = self.exp_dir / EXCLUDED
        excluded = Exclusions()
        sets = [d for d in (self.train_set, self.valid_set, self.unlabeled_set) if d is not None]
        for data in sets:
            excluded.extend(data.exclusions)
        if self.is_main:
            excluded.write(report)
        limit = self.cfg.data.max_excluded_fraction
        for data in sets:
            try:
                data.exclusions.check(data.total, limit, f"{data.name} ({data.data_dir})", report)
            except TooManyExcluded as e:
                raise TooManyExcluded(
                    f"{e}\nThe trainer's limit is train.data.max_excluded_fraction (now {limit})."
                ) from None
            if data.exclusions and self.is_main:
                logger.warning(
                    "%s: %d of %d utterances excluded (see %s)\n%s",
                    data.name, len(data.exclusions), data.total, report, data.exclusions.summary(data.total),
                )
        self.excluded = excluded

    def _unlabeled_sampler(self, data: FeatsDataset, batching: DataConfig) -> BucketBatchSampler:
        """The second stream's sampler; a stream the trainer cannot use is a clear error."""
        if data.unit != self.train_set.unit:
            raise ValueError(
                f"{data.data_dir} holds {data.unit} but {self.train_set.data_dir} holds "
                f"{self.train_set.unit}: the labeled and unlabeled dumps have different feature "
                "types; dump both with the same --feats-type (stage 2)")
        if batching.batch_bins is not None:
            bins = batching.batch_bins
        elif batching.max_duration is not None:
            bins = int(batching.max_duration / data.seconds_per_unit)
        else:
            raise ConfigError("the unlabeled stream needs batch_bins or max_duration")
        total = int(data.lengths.sum())
        if total < bins:
            raise ValueError(
                f"{data.data_dir}: the unlabeled stream ({len(data)} utterances, "
                f"{total * data.seconds_per_unit:.1f} s after exclusions) is smaller than one batch "
                f"({bins} {data.unit}): every update would read the same audio. Use a larger "
                "unlabeled set or a smaller unlabeled batch_bins")
        try:
            sampler = BucketBatchSampler(
                data.lengths, bins, max_batch_size=batching.max_batch_size, seed=self.cfg.seed,
                rank=self.dist.rank, world_size=self.dist.world_size)
        except ValueError as e:
            raise ValueError(f"{data.data_dir}: {e}") from None
        if not sampler.batches(0):
            raise ValueError(
                f"{data.data_dir}: {len(data)} unlabeled utterances make fewer batches than the "
                f"{self.dist.world_size} processes; use fewer processes or a smaller batch_bins")
        return sampler

    def _loader(self, dataset: FeatsDataset, sampler: Any, seed: int) -> DataLoader:
        """A loader whose workers live as long as the trainer (not forked again each epoch):
        the sampler tags each index with its epoch, so crops follow the epoch anyway."""
        workers = self.cfg.data.num_workers
        return DataLoader(
            dataset,
            batch_sampler=EpochTagged(sampler),
            collate_fn=dataset.collate,
            num_workers=workers,
            pin_memory=self.device.type == "cuda",
            worker_init_fn=seed_worker if workers else None,
            generator=torch.Generator().manual_seed(seed),
            persistent_workers=workers > 0,
        )

    def _micro_batches(self) -> Iterator[Batch | JointBatch]:
        """Train batches across epochs, tracking (epoch, position) as they are consumed.

        This is the seam for a stage that trains on two streams (joint SSL + CTC): each
        stream is a dataset with its own sampler, epoch and position, consumed here.
        """
        if self.unlabeled is not None:
            yield from self._joint_micro_batches()
        else:
            yield from self._labeled_batches()

    def _labeled_batches(self) -> Iterator[Batch]:
        """The (labeled) training stream; ends after ``max_epochs`` epochs."""
        if self._train_loader is None:
            self._train_loader = self._loader(self.train_set, self.sampler, self.cfg.seed)
        while self.cfg.max_epochs is None or self.epoch < self.cfg.max_epochs:
            self.train_set.set_epoch(self.epoch)
            self.sampler.set_epoch(self.epoch, self.position)
            for batch in self._train_loader:
                self.position += 1
                yield batch
            self.epoch += 1
            self.position = 0

    def _joint_micro_batches(self) -> Iterator[JointBatch]:
        """One :class:`JointBatch` per micro-batch, reading the streams the task asks for at
        this update (it asks again before every micro-batch: the phase may change)."""
        labeled = self._labeled_batches()
        if self._unlabeled_loader is None:
            self._unlabeled_loader = self._loader(self.unlabeled.dataset, self.unlabeled.sampler,
                                                  self.cfg.seed + 1)
        unlabeled = self.unlabeled.batches(self._unlabeled_loader)
        while True:
            streams = self.task.streams(self.num_updates)
            unknown = set(streams) - {"labeled", "unlabeled"}
            if unknown or not streams:
                raise ValueError(f"task.streams() gave {streams}; name 'labeled' and/or 'unlabeled'")
            batch = JointBatch()
            if "labeled" in streams:
                batch.labeled = next(labeled, None)
                if batch.labeled is None:
                    return  # max_epochs of the labeled stream
            if "unlabeled" in streams:
                batch.unlabeled = next(unlabeled)
            yield batch

    def _valid_loader(self) -> DataLoader:
        """This rank's shard of the validation set, in length order, from its start."""
        if self._valid is None:
            self._valid_sampler = BucketBatchSampler(
                self.valid_set.lengths, max(self.batch_bins, int(self.valid_set.lengths.max())),
                max_batch_size=self.cfg.data.max_batch_size, shuffle=False,
                rank=self.dist.rank, world_size=self.dist.world_size, drop_uneven=False,
            )
            self._valid = self._loader(self.valid_set, self._valid_sampler, self.cfg.seed)
        self._valid_sampler.set_epoch(0, 0)
        return self._valid

    # ------------------------------------------------------------ one update

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def train_update(self, micro_batches: list[Batch | JointBatch], meter: Meter | None = None) -> bool:
        """Forward/backward every micro-batch, then one optimizer step. True when it stepped."""
        try:
            return self._train_update(micro_batches, meter)
        except torch.OutOfMemoryError:
            return self._out_of_memory(micro_batches)

    def _train_update(self, micro_batches: list[Batch | JointBatch], meter: Meter | None) -> bool:
        model = self.task.model
        model.train()
        ddp = isinstance(model, torch.nn.parallel.DistributedDataParallel)
        outputs: list[StepOutput] = []
        losses: list[torch.Tensor] = []
        sample_size = torch.zeros((), dtype=torch.float64, device=self.device)
        audio = 0.0
        for i, batch in enumerate(micro_batches):
            audio += float(batch.lengths.numpy().sum()) * self.train_set.seconds_per_unit  # on the CPU
            batch = batch.to(self.device, non_blocking=True)
            last = i == len(micro_batches) - 1
            with model.no_sync() if ddp and not last else contextlib.nullcontext():
                with self._autocast():
                    out = self.task.step(batch, self.num_updates)
                loss = out.loss.float()
                if loss.requires_grad:
                    (self.scaler.scale(loss) if self.scaler else loss).backward()
            sample_size += out.sample_size
            outputs.append(out)
            losses.append(loss.detach())

        # one collective and one device sync: sizes, audio and bad losses of every rank
        finite = torch.stack([torch.isfinite(loss) for loss in losses])
        local = torch.stack([sample_size, sample_size.new_tensor(audio), (~finite).sum().double()])
        total_size, total_audio, n_bad = distributed.all_reduce_sum(local.clone()).tolist()
        if n_bad:
            flags = finite.tolist()
            bad = [u for b, ok in zip(micro_batches, flags) if not ok for u in b.utt_ids]
            self._bad_step("non-finite loss", bad)
            return False
        if total_size <= 0:
            logger.warning("update %d: sample_size is 0 on every rank; skipped", self.num_updates + 1)
            self.optimizer.zero_grad(set_to_none=True)
            return False

        params = [p for p in self.model.parameters() if p.grad is not None]
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        if params:
            torch._foreach_mul_([p.grad for p in params], self.dist.world_size / total_size)
        max_norm = self.cfg.clip_norm if self.cfg.clip_norm > 0 else float("inf")
        grad_norm = float(torch.nn.utils.clip_grad_norm_(params, max_norm)) if params else 0.0
        if not math.isfinite(grad_norm):
            if self.scaler is not None:
                return self._overflow()
            self._bad_step("non-finite gradient", [u for b in micro_batches for u in b.utt_ids])
            return False

        factor = self.task.lr_factor(self.num_updates + 1)  # a task with phases has its own
        lr = self.cfg.optim.lr * (self.schedule(self.num_updates + 1) if factor is None else factor)
        set_lr(self.optimizer, lr)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.num_updates += 1
        self.bad_in_a_row = 0

        self.stats["items"] += total_size
        self.stats["audio_seconds"] += total_audio
        if meter is not None:
            meter.add_steps(outputs, losses)
            meter.add_mean("grad_norm", grad_norm)
            meter.add_mean("lr", lr)
            meter.add_total("audio_seconds", audio)
            if self.scaler is not None:
                meter.add_mean("loss_scale", float(self.scaler.get_scale()))
        return True

    def _out_of_memory(self, micro_batches: list[Batch | JointBatch]) -> bool:
        """A batch that does not fit in memory: skipped and named like a bad step."""
        inputs = ", ".join(shapes(b) for b in micro_batches)
        ids = [u for b in micro_batches for u in b.utt_ids]
        for p in self.model.parameters():
            p.grad = None
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        if self.dist.world_size > 1:
            raise TrainingDiverged(
                f"update {self.num_updates + 1}: out of memory on rank {self.dist.rank} with "
                f"batch(es) {inputs} ({' '.join(ids)}); under DDP the other ranks cannot skip it. "
                "Lower train.data.batch_bins (or max_duration), set train.data.max_length, or "
                f"use more GPUs, then resume from {self.exp_dir / checkpoint.LAST}"
            )
        self._bad_step(f"out of memory, inputs {inputs}", ids)
        return False

    def _overflow(self) -> bool:
        """fp16 gradients overflowed: the scaler skips the step and lowers its scale."""
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        scale = float(self.scaler.get_scale())
        logger.info("update %d: fp16 gradient overflow, loss scale now %g", self.num_updates + 1, scale)
        if scale < self.cfg.min_loss_scale:
            raise TrainingDiverged(
                f"fp16 loss scale fell to {scale:g}, below train.min_loss_scale="
                f"{self.cfg.min_loss_scale:g}: the gradients overflow at any scale. Use amp: bf16, "
                f"lower the lr or set clip_norm, and resume from {self.exp_dir / checkpoint.LAST}"
            )
        return False

    def _bad_step(self, reason: str, local_ids: list[str]) -> None:
        ids = ([utt for rank_ids in distributed.all_gather(local_ids) for utt in rank_ids]
               if self.dist.world_size > 1 else local_ids)
        self.optimizer.zero_grad(set_to_none=True)
        self.bad_in_a_row += 1
        self.bad_total += 1
        update = self.num_updates + 1
        report = self.exp_dir / BAD_BATCHES
        if self.is_main:
            logger.warning(
                "update %d skipped (%s, %d in a row); batch: %s", update, reason, self.bad_in_a_row,
                " ".join(ids),
            )
            report.parent.mkdir(parents=True, exist_ok=True)
            with open(report, "a", encoding="utf-8") as f:
                f.write(f"{update}\t{reason}\t{' '.join(ids)}\n")
        if self.bad_in_a_row >= self.cfg.max_bad_steps:
            raise TrainingDiverged(
                f"{self.bad_in_a_row} updates in a row were skipped ({reason}) at update {update}; "
                f"the utterances of each bad batch are in {report}. Check those utterances "
                "(stage 2's bad_utts.txt, NaN/inf in the dump), lower the lr or set clip_norm, "
                f"then resume from {self.exp_dir / checkpoint.LAST}, or raise train.max_bad_steps"
            )

    # ------------------------------------------------------------ validation

    def validate(self) -> dict[str, float]:
        """Validation loss plus the task's own metrics, each rank on its shard of ``valid``.

        Both passes run under the training autocast. The task's counts (e.g. word errors)
        are summed over ranks before :meth:`Task.combine_validation` makes metrics of them.
        """
        if self.valid_set is None:
            return {}
        wrapped = self.task.model
        self.task.model = self.model  # no DDP collectives: ranks may see unequal shards
        meter = Meter()
        self.model.eval()
        try:
            with fixed_rng(self.cfg.seed + self.dist.rank), torch.no_grad(), self._autocast():
                outputs = [self.task.valid_step(batch.to(self.device, non_blocking=True),
                                                self.num_updates)
                           for batch in self._valid_loader()]
                meter.add_steps(outputs, [out.loss.float().detach() for out in outputs])
            with fixed_rng(self.cfg.seed + self.dist.rank), torch.no_grad(), self._autocast():
                counts = self.task.validate(self._valid_loader())
        finally:
            self.model.train()
            self.task.model = wrapped
        merged = Meter()
        summed: dict[str, float] = {}
        for part, part_counts in distributed.all_gather((meter, counts)):
            merged.merge(part)
            for name, value in part_counts.items():
                summed[name] = summed.get(name, 0.0) + value
        values = merged.result()
        values.update(self.task.combine_validation(summed))
        return values

    def _out_of_patience(self) -> bool:
        """Early stopping: ``patience`` validations in a row without a new best."""
        if self.cfg.patience is None or self.best is None:
            return False
        stale = (self.num_updates - self.best["updates"]) // self.cfg.valid_interval
        if stale < self.cfg.patience:
            return False
        self.stopped = (f"early stop: no better {self.best['metric']} than {self.best['value']:.4g} "
                        f"(update {self.best['updates']}) in {stale} validations")
        logger.info(self.stopped)
        return True

    def _is_better(self, values: dict[str, float]) -> bool:
        name = self.task.best_metric
        if name not in values:
            raise ValueError(
                f"the task's best_metric '{name}' is not among the validation metrics "
                f"({', '.join(sorted(values))})"
            )
        value = values[name]
        if not math.isfinite(value):
            return False
        lower = self.task.lower_is_better
        if self.best is None or (value < self.best["value"] if lower else value > self.best["value"]):
            self.best = {"metric": name, "value": value, "updates": self.num_updates}
            return True
        return False

    # ----------------------------------------------------------- checkpoints

    def state_dict(self) -> dict[str, Any]:
        """Everything an exact resume needs (call on every rank: it gathers RNG states)."""
        rng = distributed.all_gather(rng_state())
        model_config = self.task.model_config
        state = {
            "model": self.model.state_dict(),
            "model_config": to_dict(model_config) if model_config is not None else None,
            "kind": self.task.kind,
        }
        state.update(self.task.extra_state())
        state.update(
            num_updates=self.num_updates,
            epoch=self.epoch,
            position=self.position,
            world_size=self.dist.world_size,
            optimizer=self.optimizer.state_dict(),
            scaler=self.scaler.state_dict() if self.scaler is not None else None,
            rng=rng,
            best=self.best,
            bad_total=self.bad_total,
            stats=dict(self.stats),
            last_metrics={"train": self.last_train, "valid": self.last_valid},
            train_config=to_dict(self.cfg),
        )
        if self.unlabeled is not None:
            state["streams"] = {self.unlabeled.name: self.unlabeled.state_dict()}
        return state

    def save(self, best: bool = False) -> Path | None:
        state = self.state_dict()
        if not self.is_main:
            return None
        return checkpoint.save(state, self.exp_dir, self.num_updates, self.cfg.keep_last, best)

    def _load_model(self, state: dict[str, Any], path: Path) -> None:
        missing, unexpected = [], []
        try:
            result = self.model.load_state_dict(state["model"], strict=False)
            missing, unexpected = result.missing_keys, result.unexpected_keys
        except RuntimeError as e:
            raise checkpoint.CheckpointError(f"{path}: does not fit this model: {e}") from None
        if missing or unexpected:
            raise checkpoint.CheckpointError(
                f"{path}: does not fit this model (kind {state.get('kind')!r}); missing "
                f"{missing[:5]}{' ...' if len(missing) > 5 else ''}, unexpected "
                f"{unexpected[:5]}{' ...' if len(unexpected) > 5 else ''}. Is it from another model "
                "config?"
            )

    def _load_optimizer(self, state: dict[str, Any]) -> None:
        """Restore moments; hyper-parameters always come from the current config."""
        settings = [{k: v for k, v in g.items() if k != "params"} for g in self.optimizer.param_groups]
        try:
            self.optimizer.load_state_dict(state["optimizer"])
        except ValueError as e:
            raise checkpoint.CheckpointError(f"optimizer state does not fit: {e}") from None
        for group, setting in zip(self.optimizer.param_groups, settings):
            group.update(setting)

    def resume(self, path: Path) -> None:
        state = checkpoint.load(path)
        self._load_model(state, path)
        self._load_optimizer(state)
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.num_updates = int(state["num_updates"])
        self.best = state.get("best")
        self.bad_total = int(state.get("bad_total", 0))
        self.stats.update(state.get("stats", {}))
        last_metrics = state.get("last_metrics") or {}
        self.last_train = dict(last_metrics.get("train", {}))
        self.last_valid = dict(last_metrics.get("valid", {}))
        self.epoch = int(state["epoch"])
        streams = state.get("streams") or {}
        if self.unlabeled is not None:
            if self.unlabeled.name not in streams:
                raise checkpoint.CheckpointError(
                    f"{path} has no position of the {self.unlabeled.name} stream: it was not "
                    "written by a joint run; start a new experiment directory")
            self.unlabeled.load_state_dict(streams[self.unlabeled.name])
        if int(state.get("world_size", 1)) == self.dist.world_size:
            self.position = int(state["position"])
            set_rng_state(state["rng"][self.dist.rank])
        else:
            logger.warning(
                "%s was written by %s processes, this run has %d: epoch %d restarts from its "
                "first batch and the random state is not restored",
                path, state.get("world_size"), self.dist.world_size, self.epoch,
            )
            self.position = 0
            if self.unlabeled is not None:
                self.unlabeled.position = 0
        logger.info("resumed from %s at update %d (epoch %d)", path, self.num_updates, self.epoch)

    def init_from(self, path: Path, optimizer: bool) -> None:
        """A new training phase: weights (and moments) from ``path``, a fresh schedule."""
        state = checkpoint.load(path)
        self._load_model(state, path)
        if optimizer:
            self._load_optimizer(state)
        logger.info(
            "initialised from %s (update %s of its run)%s; counting updates from 0 with a new "
            "schedule", path, state.get("num_updates"), " with its optimizer state" if optimizer else "",
        )

    # ------------------------------------------------------------------- fit

    def fit(
        self,
        resume: bool = True,
        init_from: str | Path | None = None,
        init_optimizer: bool = False,
    ) -> dict[str, Any]:
        """Train to ``max_updates`` (or ``max_epochs``).

        ``resume``: continue from ``<exp>/checkpoint_last.pt`` when it exists (it wins over
        ``init_from``, so a killed second phase resumes itself). ``init_from``: start a new
        phase from another checkpoint's weights (and optimizer moments with
        ``init_optimizer``) with this config's schedule, counting updates from 0.
        """
        cfg = self.cfg
        seed_everything(cfg.seed + self.dist.rank)
        last = self.exp_dir / checkpoint.LAST
        resumed = resume and last.is_file()
        if resumed:
            self.resume(last)
        elif init_from is not None:
            self.init_from(Path(init_from), init_optimizer)
        self.task.on_update(self.num_updates)

        log = TrainingLog(self.exp_dir, self.num_updates, self.is_main, cfg.tensorboard)
        bar = progress(
            total=cfg.max_updates, initial=self.num_updates, file=sys.stderr, unit="update",
            desc="training", dynamic_ncols=True, disable=not (self.is_main and cfg.progress_bar),
        )
        meter = Meter()
        self._started = interval_start = time.time()
        self._wall_before = self.stats["wall_time"]
        validated_at = saved_at = self.num_updates if resumed else -1
        last_plot = time.time()
        batches = self._micro_batches()
        try:
            while self.num_updates < cfg.max_updates:
                micro = [b for _, b in zip(range(cfg.accum_grad), batches)]
                if not micro:
                    self.stopped = f"max_epochs={cfg.max_epochs}"
                    break
                if not self.train_update(micro, meter):
                    continue
                self.task.on_update(self.num_updates)
                bar.update(1)
                if self.num_updates % cfg.log_interval == 0:
                    self._log_train(log, meter, time.time() - interval_start, bar)
                    meter, interval_start = Meter(), time.time()
                new_best = False
                if self.valid_set is not None and self.num_updates % cfg.valid_interval == 0:
                    new_best = self._run_validation(log)
                    validated_at = self.num_updates
                    if self._out_of_patience():
                        self._checkpoint(best=new_best)
                        saved_at = self.num_updates
                        break
                    if self.is_main and cfg.plots and time.time() - last_plot > 600:
                        plot_curves(self.exp_dir)
                        last_plot = time.time()
                if self.num_updates % cfg.save_interval == 0:
                    self._checkpoint(best=new_best)
                    saved_at = self.num_updates
                elif new_best:
                    self._checkpoint_best()
            else:
                self.stopped = f"max_updates={cfg.max_updates}"
            if meter:
                self._log_train(log, meter, time.time() - interval_start, bar)
            new_best = False
            if self.valid_set is not None and validated_at != self.num_updates:
                new_best = self._run_validation(log)
            if saved_at != self.num_updates:
                self._checkpoint(best=new_best)
            elif new_best:
                self._checkpoint_best()
        finally:
            bar.close()
            log.close()
        if self.is_main and cfg.plots:
            plot_curves(self.exp_dir)
        return self.summary()

    def _checkpoint(self, best: bool) -> None:
        """Numbered checkpoint (+ last, + best when it is the best so far)."""
        self.stats["wall_time"] = self._wall_time()
        self.save(best=best or self.valid_set is None)

    def _checkpoint_best(self) -> None:
        """A new best between save intervals: only checkpoint_best.pt is written."""
        self.stats["wall_time"] = self._wall_time()
        state = self.state_dict()
        if self.is_main:
            checkpoint.save_atomic(state, self.exp_dir / checkpoint.BEST)

    def _wall_time(self) -> float:
        """Training time over every run of this experiment (resumed runs add up)."""
        return self._wall_before + time.time() - self._started

    def _run_validation(self, log: TrainingLog) -> bool:
        values = self.validate()
        self.last_valid = values
        new_best = self._is_better(values)
        log.write("valid", self.num_updates, self.epoch, values)
        return new_best

    def _log_train(self, log: TrainingLog, meter: Meter, elapsed: float, bar) -> None:
        merged = Meter()
        for part in distributed.all_gather(meter):
            merged.merge(part)
        values = merged.result()
        audio = values.pop("audio_seconds", 0.0)
        elapsed = max(elapsed, 1e-9)
        values["items_per_s"] = merged.sample_size / elapsed
        values["audio_s_per_s"] = audio / elapsed
        self.last_train = values
        log.write("train", self.num_updates, self.epoch, values)
        bar.set_postfix(loss=f"{values['loss']:.4g}", lr=f"{values.get('lr', 0.0):.2e}", refresh=False)

    # --------------------------------------------------------------- summary

    def summary(self) -> dict[str, Any]:
        """What the stage's summary.md reports about training."""
        wall = self._wall_time() if self._started else self.stats["wall_time"]
        epoch_batches = len(self.sampler.batches(self.epoch)) or 1
        return {
            "updates": self.num_updates,
            "epochs": round(self.epoch + self.position / epoch_batches, 3),
            "stopped": self.stopped,
            "wall_time_s": round(wall, 1),
            "items_per_s": self.stats["items"] / wall if wall > 0 else math.nan,
            "audio_s_per_s": self.stats["audio_seconds"] / wall if wall > 0 else math.nan,
            "audio_hours_seen": self.stats["audio_seconds"] / 3600,
            "world_size": self.dist.world_size,
            "train": dict(self.last_train),
            "valid": dict(self.last_valid),
            "best": dict(self.best) if self.best else None,
            "train_utterances": len(self.train_set),
            "valid_utterances": len(self.valid_set) if self.valid_set is not None else 0,
            "excluded": len(self.excluded),
            "excluded_by_reason": self.excluded.counts(),
            "bad_steps": self.bad_total,
            "checkpoint_last": str(self.exp_dir / checkpoint.LAST),
            "checkpoint_best": str(self.exp_dir / checkpoint.BEST),
            **({} if self.unlabeled is None else {
                "unlabeled_utterances": len(self.unlabeled.dataset),
                "unlabeled_epochs": round(self.unlabeled.epoch + self.unlabeled.position
                                          / (len(self.unlabeled.sampler.batches(self.unlabeled.epoch)) or 1), 3),
            }),
        }
