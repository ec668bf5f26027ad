import json
import logging
import os

import pytest
import torch

from asrkit.config import ConfigError
from asrkit.train import FeatsDataset, Task, Trainer, TrainingDiverged, collate, format_summary
from asrkit.train import checkpoint as ckpt


def fit(toy, exp, train_dir, cfg, valid_dir=None, task=None, **kw):
    task = task or toy.make_task(dropout=0.0)
    train = FeatsDataset(train_dir, min_length=10, max_length=cfg.data.max_length, seed=cfg.seed)
    valid = FeatsDataset(valid_dir) if valid_dir else None
    summary = Trainer(task, cfg, exp, train, valid).fit(**kw)
    return task, summary


def test_training_decreases_the_loss_and_reports_a_summary(tmp_path, toy, corpus, config):
    valid = toy.write_corpus(tmp_path / "dump" / "dev", n=6, seed=1)
    cfg = config(max_updates=30, log_interval=5, valid_interval=10, save_interval=10)
    _, summary = fit(toy, tmp_path / "exp", corpus, cfg, valid)
    records = [json.loads(line) for line in (tmp_path / "exp/log/metrics.jsonl").read_text().splitlines()]
    train = [r for r in records if r["split"] == "train"]
    valid_losses = [r["loss"] for r in records if r["split"] == "valid"]
    assert [r["updates"] for r in train] == [5, 10, 15, 20, 25, 30]
    assert train[-1]["loss"] < 0.6 * train[0]["loss"]
    assert valid_losses == sorted(valid_losses, reverse=True) and len(valid_losses) == 3
    assert {"abs_err", "frames", "const", "grad_norm", "lr", "items_per_s", "audio_s_per_s"} <= set(train[0])
    assert train[0]["const"] == 3.0  # a "means" log is averaged, not summed
    assert summary["updates"] == 30 and summary["stopped"] == "max_updates=30"
    assert summary["excluded"] == 3 and summary["excluded_by_reason"] == {"too-short": 3}
    assert summary["best"]["metric"] == "loss" and summary["best"]["updates"] == 30
    assert summary["audio_s_per_s"] > 0 and summary["items_per_s"] > 0
    assert "too-short: 3" in format_summary(summary)
    assert len((tmp_path / "exp/excluded_utts.txt").read_text().splitlines()) == 3


def test_resume_after_interruption_gives_the_same_parameters_as_an_uninterrupted_run(
    tmp_path, toy, corpus, config
):
    cfg = config(max_updates=12, save_interval=7, accum_grad=2)
    cfg.data.max_length = 25  # random crops must resume too
    straight, _ = fit(toy, tmp_path / "a", corpus, cfg, task=toy.make_task(dropout=0.3))

    with pytest.raises(toy.Killed):
        fit(toy, tmp_path / "b", corpus, cfg, task=toy.make_task(dropout=0.3, fail_at=7))
    assert ckpt.load(tmp_path / "b" / ckpt.LAST)["num_updates"] == 7
    resumed, summary = fit(toy, tmp_path / "b", corpus, cfg, task=toy.make_task(seed=99, dropout=0.3))

    assert summary["updates"] == 12
    for name, value in toy.params(straight.model).items():
        assert torch.equal(value, resumed.model.state_dict()[name]), name
    assert resumed.model.updates_seen == 12
    updates = [json.loads(x)["updates"] for x in (tmp_path / "b/log/metrics.jsonl").read_text().splitlines()
               if json.loads(x)["split"] == "train"]
    assert updates == sorted(set(updates))


def test_init_from_starts_a_new_phase_with_a_new_schedule(tmp_path, toy, corpus, config):
    first, _ = fit(toy, tmp_path / "phase1", corpus, config(max_updates=5))
    cfg = config(max_updates=3, log_interval=1)
    cfg.schedule.name = "constant"
    cfg.schedule.warmup_updates = 0
    cfg.optim.lr = 0.0
    second, summary = fit(toy, tmp_path / "phase2", corpus, cfg, task=toy.make_task(seed=5),
                          init_from=tmp_path / "phase1" / ckpt.LAST, init_optimizer=True)
    for name, value in toy.params(first.model).items():
        assert torch.equal(value, second.model.state_dict()[name]), name
    state = ckpt.load(tmp_path / "phase2" / ckpt.LAST)
    assert state["num_updates"] == 3 and summary["updates"] == 3
    assert next(iter(state["optimizer"]["state"].values()))["step"] == 8  # 5 + 3: moments kept
    assert state["optimizer"]["param_groups"][0]["lr"] == 0.0
    _, again = fit(toy, tmp_path / "phase3", corpus, cfg, init_from=tmp_path / "phase1" / ckpt.LAST)
    assert next(iter(ckpt.load(tmp_path / "phase3" / ckpt.LAST)["optimizer"]["state"].values()))["step"] == 3


def test_nan_batch_is_skipped_and_its_utterances_reported(tmp_path, toy, config, caplog):
    data = toy.write_corpus(tmp_path / "dump", nan_utts=("utt004",))
    with caplog.at_level(logging.WARNING):
        task, summary = fit(toy, tmp_path / "exp", data, config(max_updates=12))
    lines = (tmp_path / "exp" / "bad_batches.txt").read_text().splitlines()
    assert lines and all("utt004" in line and "non-finite loss" in line for line in lines)
    assert summary["bad_steps"] == len(lines) and summary["updates"] == 12
    assert all(torch.isfinite(p).all() for p in task.model.parameters())
    assert any("utt004" in r.message and "skipped" in r.message for r in caplog.records)


def test_consecutive_bad_steps_stop_training_with_a_clear_message(tmp_path, toy, config):
    data = toy.write_corpus(tmp_path / "dump", lengths=[20] * 8, nan_utts=tuple(f"utt{i:03d}" for i in range(8)))
    with pytest.raises(TrainingDiverged, match=r"3 updates in a row were skipped.*bad_batches.txt"):
        fit(toy, tmp_path / "exp", data, config(max_bad_steps=3))
    assert len((tmp_path / "exp" / "bad_batches.txt").read_text().splitlines()) == 3


def test_gradient_accumulation_of_two_batches_equals_one_batch_of_both(tmp_path, toy, corpus, config):
    data = FeatsDataset(corpus)
    first, second = [data[i] for i in (0, 1, 2)], [data[i] for i in (3, 4)]
    trainers = []
    for micro in ([collate(first), collate(second)], [collate(first + second)]):
        t = Trainer(toy.make_task(dropout=0.0), config(), tmp_path / f"exp{len(trainers)}", data)
        assert t.train_update(micro)
        trainers.append(t)
    a, b = (t.model.state_dict() for t in trainers)
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=1e-6)


def test_checkpoints_keep_the_last_k_and_link_last_and_best(tmp_path, toy, corpus, config):
    valid = toy.write_corpus(tmp_path / "dev", n=4, seed=3)
    cfg = config(max_updates=9, save_interval=2, valid_interval=3, keep_last=2, tensorboard=True,
                 plots=True)
    fit(toy, tmp_path / "exp", corpus, cfg, valid)
    exp = tmp_path / "exp"
    assert [n for n, _ in ckpt.numbered(exp)] == [8, 9]
    assert os.path.samefile(exp / ckpt.LAST, exp / "checkpoint_9.pt")
    state = ckpt.load(exp / ckpt.BEST)
    assert state["kind"] == "toy" and state["model_config"] == {"feat_dim": 4}
    assert state["best"]["updates"] == state["num_updates"]
    assert (exp / "images" / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list((exp / "tensorboard").glob("events.out.tfevents.*"))
    assert not list(exp.glob(".*.tmp"))


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint_3.pt"
    ckpt.save_atomic({"v": torch.ones(2)}, path)

    def broken_save(obj, f):
        f.write(b"partial")
        raise OSError("No space left on device")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="No space"):
        ckpt.save_atomic({"v": torch.zeros(2)}, path)
    assert torch.equal(ckpt.load(path)["v"], torch.ones(2))
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint_3.pt"]


def test_task_metric_decides_the_best_checkpoint(tmp_path, toy, corpus, config):
    class Scored(toy.ToyTask):
        best_metric = "score"
        lower_is_better = False

        def validate(self, loader):
            return {"score": float(-sum(len(b) for b in loader)) + self.model.updates_seen}

    cfg = config(max_updates=6, valid_interval=2, save_interval=6)
    valid = toy.write_corpus(tmp_path / "dev", n=4, seed=3)
    task = Scored(toy.ToyModel(dropout=0.0))
    _, summary = fit(toy, tmp_path / "exp", corpus, cfg, valid, task=task)
    assert summary["best"] == {"metric": "score", "value": 2.0, "updates": 6}
    assert summary["valid"]["score"] == 2.0 and "loss" in summary["valid"]


def test_patience_stops_training_when_validation_stops_improving(tmp_path, toy, corpus, config):
    class Plateau(toy.ToyTask):
        best_metric = "score"

        def validate(self, loader):
            # improves until update 4, then gets worse: patience 2 stops at update 8
            return {"score": abs(self.model.updates_seen - 4)}

    cfg = config(max_updates=50, valid_interval=2, save_interval=50, patience=2)
    valid = toy.write_corpus(tmp_path / "dev", n=4, seed=3)
    _, summary = fit(toy, tmp_path / "exp", corpus, cfg, valid, task=Plateau(toy.ToyModel(dropout=0.0)))
    assert summary["updates"] == 8
    assert summary["stopped"].startswith("early stop")
    assert summary["best"]["updates"] == 4
    assert ckpt.load(tmp_path / "exp" / ckpt.LAST)["num_updates"] == 8


def test_fp16_on_cpu_is_a_config_error(tmp_path, toy, corpus, config):
    with pytest.raises(ConfigError, match="fp16 needs a GPU"):
        Trainer(toy.make_task(), config(amp="fp16"), tmp_path / "exp", FeatsDataset(corpus))


def test_bf16_autocast_trains_on_cpu(tmp_path, toy, corpus, config):
    task, summary = fit(toy, tmp_path / "exp", corpus, config(amp="bf16", max_updates=3))
    assert summary["updates"] == 3 and all(torch.isfinite(p).all() for p in task.model.parameters())


def test_too_many_exclusions_stop_the_stage(tmp_path, toy, config):
    data = toy.write_corpus(tmp_path / "dump", lengths=[5, 6, 7, 30])
    with pytest.raises(RuntimeError, match=r"(?s)3 of 4 items excluded.*max_excluded_fraction"):
        fit(toy, tmp_path / "exp", data, config())
    assert len((tmp_path / "exp" / "excluded_utts.txt").read_text().splitlines()) == 3


def test_worker_processes_load_the_same_batches_and_crops_as_the_main_process(
    tmp_path, toy, corpus, config
):
    runs = []
    for workers in (0, 2):
        cfg = config(max_updates=6)
        cfg.data.num_workers = workers
        cfg.data.max_length = 25
        task, _ = fit(toy, tmp_path / f"exp{workers}", corpus, cfg, task=toy.make_task(dropout=0.3))
        runs.append(toy.params(task.model))
    for name, value in runs[0].items():
        assert torch.equal(value, runs[1][name]), name


def test_fit_on_a_finished_experiment_resumes_instead_of_starting_over(tmp_path, toy, corpus, config):
    cfg = config(max_updates=4)
    first, _ = fit(toy, tmp_path / "exp", corpus, cfg)
    mtime = (tmp_path / "exp" / ckpt.LAST).stat().st_mtime_ns
    again, summary = fit(toy, tmp_path / "exp", corpus, cfg, task=toy.make_task(seed=7),
                         init_from=tmp_path / "exp" / "checkpoint_4.pt")
    assert summary["updates"] == 4 and again.steps == 0
    assert (tmp_path / "exp" / ckpt.LAST).stat().st_mtime_ns == mtime
    for name, value in toy.params(first.model).items():
        assert torch.equal(value, again.model.state_dict()[name]), name


class NanGradient(Task):
    """A finite loss whose gradient is NaN: d sqrt(u)/du is infinite at u = 0."""

    def __init__(self, task):
        self.task = task

    def __getattr__(self, name):
        return getattr(self.task, name)

    def step(self, batch, num_updates):
        out = self.task.step(batch, num_updates)
        bias = self.task.model.out.bias
        out.loss = out.loss + torch.sqrt((bias * 0) ** 2).sum()
        return out


def test_non_finite_gradient_is_a_bad_step_without_fp16(tmp_path, toy, corpus, config):
    with pytest.raises(TrainingDiverged, match="non-finite gradient"):
        fit(toy, tmp_path / "exp", corpus, config(max_bad_steps=2), task=NanGradient(toy.make_task()))
    assert "non-finite gradient" in (tmp_path / "exp" / "bad_batches.txt").read_text()


def test_fp16_overflow_lowers_the_loss_scale_instead_of_counting_bad_steps(tmp_path, toy, corpus, config):
    cfg = config(max_bad_steps=2, min_loss_scale=0.1)
    task = NanGradient(toy.make_task())
    trainer = Trainer(task, cfg, tmp_path / "exp", FeatsDataset(corpus))
    trainer.scaler = torch.amp.GradScaler("cpu", init_scale=1.0)  # stands in for CUDA fp16
    with pytest.raises(TrainingDiverged, match=r"loss scale fell to 0.0625"):
        trainer.fit()
    assert trainer.bad_total == 0 and trainer.num_updates == 0
    assert not (tmp_path / "exp" / "bad_batches.txt").exists()


class NoisyValidation(Task):
    """Validation that draws random numbers, as masking and negative sampling do."""

    def __init__(self, task):
        self.task = task

    def __getattr__(self, name):
        return getattr(self.task, name)

    def step(self, batch, num_updates):
        return self.task.step(batch, num_updates)

    def valid_step(self, batch, num_updates):
        out = self.task.step(batch, num_updates)
        out.loss = out.loss + torch.rand(())
        return out


def test_validation_is_repeatable_and_leaves_training_unchanged(tmp_path, toy, corpus, config):
    valid = FeatsDataset(toy.write_corpus(tmp_path / "dev", n=4, seed=3))
    cfg = config(max_updates=6, valid_interval=2)
    with_valid = NoisyValidation(toy.make_task(dropout=0.3))
    trainer = Trainer(with_valid, cfg, tmp_path / "a", FeatsDataset(corpus, min_length=10), valid)
    trainer.fit()
    without, _ = fit(toy, tmp_path / "b", corpus, cfg, task=toy.make_task(dropout=0.3))
    for name, value in toy.params(without.model).items():
        assert torch.equal(value, with_valid.model.state_dict()[name]), name
    assert trainer.validate() == trainer.validate()


def test_max_epochs_stops_at_the_end_of_an_epoch(tmp_path, toy, corpus, config):
    cfg = config(max_updates=1000, max_epochs=2, accum_grad=2)
    data = FeatsDataset(corpus, min_length=10)
    _, summary = fit(toy, tmp_path / "exp", corpus, cfg)
    per_epoch = len(Trainer(toy.make_task(), cfg, tmp_path / "x", data).sampler.batches(0))
    assert summary["stopped"] == "max_epochs=2" and summary["epochs"] == 2.0
    assert summary["updates"] == per_epoch  # two epochs of batches, two batches per update
    assert ckpt.load(tmp_path / "exp" / ckpt.LAST)["num_updates"] == summary["updates"]


class OutOfMemoryAt(Task):
    """Runs out of memory at its ``at``-th step, as a GPU would on a long batch."""

    def __init__(self, task, at):
        self.task, self.at, self.calls, self.oom_batch = task, at, 0, None

    def __getattr__(self, name):
        return getattr(self.task, name)

    def step(self, batch, num_updates):
        self.calls += 1
        if self.calls == self.at or self.at == "always":
            self.oom_batch = batch.utt_ids
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return self.task.step(batch, num_updates)


def test_a_batch_that_runs_out_of_memory_is_skipped_and_named(tmp_path, toy, corpus, config):
    task, summary = fit(toy, tmp_path / "exp", corpus, config(max_updates=6),
                        task=OutOfMemoryAt(toy.make_task(), 2))
    assert summary["updates"] == 6 and summary["bad_steps"] == 1
    update, reason, utts = (tmp_path / "exp" / "bad_batches.txt").read_text().rstrip("\n").split("\t")
    assert update == "2" and reason.startswith("out of memory, inputs (") and utts.split() == task.oom_batch


def test_out_of_memory_in_every_batch_stops_the_stage(tmp_path, toy, corpus, config):
    with pytest.raises(TrainingDiverged, match="3 updates in a row were skipped"):
        fit(toy, tmp_path / "exp", corpus, config(max_bad_steps=3),
            task=OutOfMemoryAt(toy.make_task(), "always"))
