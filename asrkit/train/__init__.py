"""The shared trainer: a task turns a batch into a loss, the trainer does the rest.

A stage (pretraining, CTC fine-tuning, classification, ...) writes a small *task* and
hands it to :class:`Trainer` with its datasets::

    from asrkit.train import FeatsDataset, StepOutput, Task, TrainConfig, Trainer, seed_everything

    class PretrainTask(Task):
        kind = "wav2vec2_pretrain"                  # stored in checkpoints

        def __init__(self, model, model_cfg):
            self.model = model                      # the trainer may wrap it in DDP
            self.model_config = model_cfg           # dataclass or dict, stored in checkpoints

        def step(self, batch, num_updates):         # batch: Batch(inputs [B,T(,F)], lengths [B],
            res = self.model(batch.inputs, batch.lengths)   # utt_ids, targets, target_lengths)
            return StepOutput(res.loss, res.sample_size, res.logs,   # logs may stay tensors
                              means=frozenset({"temperature", "code_perplexity"}),  # per step
                              totals=frozenset({"num_masked"}))

        def on_update(self, num_updates):           # an optional hook (Task has defaults)
            self.model.set_num_updates(num_updates)

    seed_everything(cfg.train.seed)                 # before building the model
    task = PretrainTask(Wav2Vec2ForPreTraining(model_cfg, loss_cfg), model_cfg)
    data = cfg.train.data
    train = FeatsDataset("dump/raw/train", min_length=max(data.min_length, 400),
                         max_length=data.max_length, crop=data.crop, seed=cfg.train.seed)
    valid = FeatsDataset("dump/raw/dev", min_length=400, max_length=data.max_length)
    summary = Trainer(task, cfg.train, "exp/pretrain", train, valid).fit(
        resume=True, init_from=args.init_from, init_optimizer=args.init_optimizer)

The contract (see :mod:`asrkit.train.task`): a task subclasses :class:`Task`.

- ``step(batch, num_updates) -> StepOutput(loss, sample_size, logs, means, totals)``:
  ``loss`` is the SUM over the batch's items, ``sample_size`` their number. Logs are sums
  reported per item unless named in ``means`` (averaged over steps) or ``totals`` (summed);
  see :mod:`asrkit.train.metrics`. Logs may be device tensors: the trainer reads them all
  once per update. The trainer scales gradients by ``world_size / Σ sample_size`` over
  micro-batches and ranks.
- hooks with defaults in :class:`Task`: ``valid_step`` (``step`` in eval mode without
  gradients), ``validate(loader) -> counts`` and ``combine_validation(counts) -> metrics``
  (extra metrics such as WER: every rank counts on its shard, the sums become metrics),
  ``on_update(num_updates)``, ``param_groups()`` (lr factors for parts of the model),
  ``extra_state()`` (more checkpoint entries, e.g. the tokenizer), ``best_metric``
  (``"loss"``) and ``lower_is_better`` (True) for ``checkpoint_best.pt``.
- Under DDP, ``task.model`` holds a wrapper that forwards attribute access to the model;
  call the model itself once per step (the forward must go through the wrapper), and
  :func:`unwrap` gives the bare model. A part of the model that is frozen for some updates
  (fine-tuning) runs under ``torch.no_grad()`` then, and needs
  ``train.find_unused_parameters: true`` with more than one process.

``TrainConfig`` (``train:`` section of a stage config) holds optim, schedule, data
(``batch_bins`` or ``max_duration``, ``min_length``, ``max_length``, ``crop``,
``num_workers``), ``max_updates``, ``accum_grad``, ``clip_norm``, ``amp``, intervals,
``keep_last``, ``seed``, ``max_bad_steps``.

Files in the experiment directory: ``checkpoint_<updates>.pt`` (the last ``keep_last``),
``checkpoint_last.pt``, ``checkpoint_best.pt`` (the last one when there is no validation
set; each with ``model``, ``model_config``, ``kind`` and everything an exact resume needs), ``excluded_utts.txt``, ``bad_batches.txt``,
``log/metrics.jsonl``, ``tensorboard/``, ``images/*.png`` (redraw any time with
``python -m asrkit.plots <exp>``).

``fit`` returns a summary dict (updates, epochs, wall time, items/s, audio-seconds/s,
last train/valid metrics, best, excluded counts); :func:`format_summary` renders it as
Markdown for the stage's ``summary.md``.

Stage CLIs share ``--ngpu``, ``--resume/--no-resume``, ``--init-from`` and
``--init-optimizer`` through :mod:`asrkit.train.cli`. ``--ngpu N`` (N > 1) calls
``distributed.relaunch(module, argv, N)``, which re-runs the stage under ``torchrun
--standalone --nproc_per_node N``; under SLURM, ``srun`` one task per GPU. See
:mod:`asrkit.train.distributed`.
"""

from asrkit.train import cli, distributed
from asrkit.train.checkpoint import CheckpointError
from asrkit.train.config import DataConfig, OptimConfig, ScheduleConfig, TrainConfig
from asrkit.train.datasets import (
    TARGET_PAD,
    Batch,
    DatasetError,
    EmptyDatasetError,
    Example,
    FeatsDataset,
    collate,
)
from asrkit.train.distributed import unwrap
from asrkit.train.logbook import read_metrics
from asrkit.train.metrics import Meter, StepOutput
from asrkit.train.sampler import BucketBatchSampler
from asrkit.train.schedules import LRSchedule
from asrkit.train.summary import format_summary
from asrkit.train.task import Task
from asrkit.train.rng import seed_everything
from asrkit.plots import plot_curves
from asrkit.train.trainer import Trainer, TrainingDiverged

__all__ = [
    "TARGET_PAD", "Batch", "BucketBatchSampler", "CheckpointError", "DataConfig", "DatasetError",
    "EmptyDatasetError", "Example", "FeatsDataset", "LRSchedule", "Meter", "OptimConfig",
    "ScheduleConfig", "StepOutput", "Task", "TrainConfig", "Trainer", "TrainingDiverged",
    "cli", "collate", "distributed", "format_summary", "plot_curves", "read_metrics", "seed_everything",
    "unwrap",
]
