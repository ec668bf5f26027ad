import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from asrkit.train import BucketBatchSampler, distributed
from asrkit.train import checkpoint as ckpt

WORKER = Path(__file__).with_name("ddp_worker.py")


def test_torchrun_environment_is_read():
    info = distributed.from_env({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1",
                                 "MASTER_ADDR": "node1", "MASTER_PORT": "29400"})
    assert info == distributed.DistInfo(3, 4, 1, "node1", 29400, "torchrun")
    assert not info.is_main


def test_slurm_environment_uses_the_first_host_and_a_port_from_the_job_id():
    env = {"SLURM_PROCID": "5", "SLURM_NTASKS": "8", "SLURM_LOCALID": "1", "SLURM_STEP_ID": "0",
           "SLURM_JOB_NODELIST": "gpu[01-02]", "SLURM_JOB_ID": "123456"}
    asked = []
    info = distributed.from_env(env, first_host=lambda nodes: asked.append(nodes) or "gpu01")
    assert asked == ["gpu[01-02]"]
    assert (info.rank, info.world_size, info.local_rank) == (5, 8, 1)
    assert (info.master_addr, info.master_port, info.launcher) == ("gpu01", 15000 + 123456 % 20000, "slurm")


def test_a_slurm_batch_script_outside_srun_is_one_process():
    # sbatch --ntasks 4 runs the script once, with SLURM_NTASKS=4 but no job step yet
    env = {"SLURM_PROCID": "0", "SLURM_NTASKS": "4", "SLURM_JOB_NODELIST": "gpu01"}
    assert distributed.from_env(env, first_host=lambda n: "gpu01").world_size == 1


def test_single_task_or_no_launcher_is_one_process():
    assert distributed.from_env({"SLURM_PROCID": "0", "SLURM_NTASKS": "1"}).world_size == 1
    assert distributed.from_env({}) == distributed.DistInfo()


def test_bad_launcher_variables_are_named():
    with pytest.raises(distributed.DistributedSetupError, match="WORLD_SIZE='two'"):
        distributed.from_env({"RANK": "0", "WORLD_SIZE": "two"})


def test_ngpu_relaunches_the_stage_under_torchrun(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "SLURM_NTASKS", "SLURM_PROCID"):
        monkeypatch.delenv(name, raising=False)
    assert distributed.relaunch("asrkit.pretrain", ["--x"], 1) is None
    argv = distributed.torchrun_argv("asrkit.pretrain", ["--config", "c.yaml"], 4)
    assert argv[1:] == ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "4",
                        "-m", "asrkit.pretrain", "--config", "c.yaml"]
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "4")
    assert distributed.relaunch("asrkit.pretrain", [], 4) is None  # already a worker


def run(argv, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.timeout(300)
def test_two_gloo_processes_match_one_process_with_their_combined_batches(tmp_path, toy):
    lengths = [10 + (7 * i) % 23 for i in range(24)]
    data = toy.write_corpus(tmp_path / "dump", lengths=lengths)
    bins = 120
    per_epoch = len(BucketBatchSampler(lengths, bins, seed=1).batches(0))
    assert per_epoch % 2 == 0 and len(BucketBatchSampler(lengths, bins, seed=1).batches(1)) == per_epoch
    updates = per_epoch  # two epochs: each update takes two batches
    out = run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               str(WORKER), str(data), str(tmp_path / "ddp"), "1", str(updates), str(bins)], tmp_path)
    assert "world 2" in out
    spec = importlib.util.spec_from_file_location("asrkit_tests_train_ddp_worker", WORKER)
    worker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(worker)
    assert worker.train(str(data), str(tmp_path / "one"), 2, updates, bins)["world_size"] == 1
    ddp, one = (ckpt.load(tmp_path / d / ckpt.LAST) for d in ("ddp", "one"))
    assert ddp["num_updates"] == one["num_updates"] == updates
    assert len(ddp["rng"]) == 2 and ddp["world_size"] == 2
    moved = 0.0
    for name, value in one["model"].items():
        torch.testing.assert_close(ddp["model"][name], value, rtol=0, atol=1e-5)
        moved += float((value - toy.make_task(dropout=0.0).model.state_dict()[name]).abs().max())
    assert moved > 0.01
