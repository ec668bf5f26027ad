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


@pytest.mark.parametrize("nodelist, hosts", [
    ("gpu01", ["gpu01"]),
    ("node[01-04,07]", ["node01", "node02", "node03", "node04", "node07"]),
    ("a1,b2", ["a1", "b2"]),
    ("gpu-[3-5]", ["gpu-3", "gpu-4", "gpu-5"]),
    ("node[8-10]", ["node8", "node9", "node10"]),
    ("x[1-2]y[01-02],z", ["x1y01", "x1y02", "x2y01", "x2y02", "z"]),
])
def test_slurm_hostlists_expand_as_scontrol_does(nodelist, hosts):
    assert distributed.expand_hostlist(nodelist) == hosts


@pytest.mark.parametrize("nodelist", ["", "node[01-", "node]1", "node[a-b]", "node[1-x]"])
def test_unreadable_hostlists_say_to_set_master_addr(nodelist):
    with pytest.raises(distributed.DistributedSetupError, match="MASTER_ADDR"):
        distributed.expand_hostlist(nodelist)


def test_without_scontrol_the_first_host_comes_from_the_parser(monkeypatch):
    monkeypatch.setattr(distributed.shutil, "which", lambda name: None)
    assert distributed.first_host("gpu-[3-5],cpu1") == "gpu-3"


SRUN_ENV = {"SLURM_PROCID": "6", "SLURM_NTASKS": "8", "SLURM_STEP_NUM_TASKS": "8", "SLURM_LOCALID": "2",
            "SLURM_STEP_ID": "0", "SLURM_JOB_ID": "123456",
            "SLURM_JOB_NODELIST": "login[1-2],gpu[05-08]", "SLURM_STEP_NODELIST": "gpu[07-08]"}


@pytest.mark.parametrize("visible, device", [(4, 2), (1, 0), (0, 0)])
def test_slurm_ranks_and_device_under_both_gpu_bindings(visible, device, monkeypatch):
    # 4 visible: the task sees its node's GPUs; 1: --gpus-per-task=1 binds it to its own,
    # which it sees as device 0 although SLURM_LOCALID is 2; 0: a CPU run.
    monkeypatch.setattr(distributed.torch.cuda, "device_count", lambda: visible)
    monkeypatch.setattr(distributed.shutil, "which", lambda name: None)
    info = distributed.from_env(SRUN_ENV)
    assert (info.rank, info.world_size, info.local_rank, info.launcher) == (6, 8, 2, "slurm")
    assert info.device_index == device
    assert (info.master_addr, info.master_port) == ("gpu07", 15000 + 123456 % 20000)


def test_master_is_the_first_node_of_the_step_else_of_the_job(monkeypatch):
    monkeypatch.setattr(distributed.shutil, "which", lambda name: None)
    assert distributed.from_env(SRUN_ENV).master_addr == "gpu07"
    job_only = {k: v for k, v in SRUN_ENV.items() if k != "SLURM_STEP_NODELIST"}
    assert distributed.from_env(job_only).master_addr == "login1"
    assert distributed.from_env({**SRUN_ENV, "MASTER_ADDR": "h", "MASTER_PORT": "1"}).master_addr == "h"


def test_torchrun_local_rank_is_also_taken_modulo_the_visible_gpus(monkeypatch):
    monkeypatch.setattr(distributed.torch.cuda, "device_count", lambda: 2)
    info = distributed.from_env({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "3"})
    assert (info.local_rank, info.device_index) == (3, 1)


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


def test_the_process_group_gets_a_timeout_instead_of_waiting_forever(monkeypatch):
    seen = {}
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(distributed.dist, "init_process_group", lambda **kw: seen.update(kw))
    monkeypatch.setattr(distributed.atexit, "register", lambda fn: None)
    for name, value in {"RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
                        "MASTER_PORT": "29500"}.items():
        monkeypatch.setenv(name, value)
    distributed.init("cpu", timeout_minutes=7)
    assert seen["backend"] == "gloo" and seen["timeout"].total_seconds() == 7 * 60
