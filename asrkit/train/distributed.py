"""Data-parallel training across processes: set-up from torchrun or SLURM, DDP wrapper, launch.

Two ways to start N processes run the same code:

- ``torchrun`` (single node: ``--ngpu N`` on a stage CLI re-launches itself through
  :func:`relaunch`, i.e. ``python -m torch.distributed.run --standalone --nproc_per_node N
  -m asrkit.<stage> ...``; multi-node: call torchrun yourself with ``--nnodes``/``--rdzv-*``)
  sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``;
- ``srun`` with one task per GPU (``#SBATCH --ntasks-per-node=G --gpus-per-node=G``) sets
  ``SLURM_PROCID``, ``SLURM_NTASKS``, ``SLURM_LOCALID``; the master is the first host of
  the step's node list (``SLURM_STEP_NODELIST``, else ``SLURM_JOB_NODELIST``: a step may
  run on part of the job's nodes) and the port is derived from the job id unless
  ``MASTER_PORT`` is set.

A process's GPU is its local rank modulo the GPUs it sees (:attr:`DistInfo.device_index`):
clusters that bind one GPU per task (``--gpus-per-task=1``, ``--gpu-bind``) show each
task only its own GPU, as device 0, while ``SLURM_LOCALID`` still counts 0..G-1.

The backend is nccl on GPUs and gloo on CPU.
"""

from __future__ import annotations

import atexit
import datetime
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


class DistributedSetupError(RuntimeError):
    """The launcher's environment does not describe a usable process group."""


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    master_addr: str | None = None
    master_port: int | None = None
    launcher: str = "none"  # "torchrun", "slurm" or "none"

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def device_index(self) -> int:
        """This process's CUDA device: the local rank among the GPUs it can see."""
        visible = torch.cuda.device_count()
        return self.local_rank % visible if visible else 0


_BRACKETS = re.compile(r"\[[^\[\]]*\]")


def expand_hostlist(nodelist: str) -> list[str]:
    """Host names of a SLURM hostlist expression, as ``scontrol show hostnames`` prints them:
    ``node[01-03,07]`` -> node01 node02 node03 node07; ``a1,b2``; ``rack[1-2]-gpu[3-4]``."""
    outside = _BRACKETS.sub("", nodelist)
    if not outside.strip(",") or "[" in outside or "]" in outside:
        raise DistributedSetupError(f"cannot read the SLURM node list {nodelist!r}; "
                                    "set MASTER_ADDR to the first node's host name")
    hosts: list[str] = []
    for item in re.findall(r"(?:[^,\[]|\[[^\]]*\])+", nodelist):  # commas outside brackets
        names = [""]
        for part in re.split(r"(\[[^\]]*\])", item):
            choices = _bracket_values(part[1:-1], nodelist) if part.startswith("[") else [part]
            names = [name + choice for name in names for choice in choices]
        hosts += names
    return hosts


def _bracket_values(ranges: str, nodelist: str) -> list[str]:
    """``01-03,7`` -> 01 02 03 7 (zero padding kept from the range's first number)."""
    values = []
    for piece in ranges.split(","):
        first, dash, last = piece.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise DistributedSetupError(f"cannot read {piece!r} in the SLURM node list {nodelist!r}; "
                                        "set MASTER_ADDR to the first node's host name")
        if not dash:
            values.append(first)
        else:
            values += [str(n).zfill(len(first)) for n in range(int(first), int(last) + 1)]
    return values


def first_host(nodelist: str) -> str:
    """First host of a SLURM node list such as ``gpu[01-04]``: ``scontrol show hostnames``
    where SLURM's tools are installed (it knows every hostlist form), else
    :func:`expand_hostlist`."""
    if shutil.which("scontrol") is None:
        return expand_hostlist(nodelist)[0]
    try:
        out = subprocess.run(
            ["scontrol", "show", "hostnames", nodelist], capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError) as e:
        raise DistributedSetupError(
            f"cannot expand the SLURM node list {nodelist!r} with 'scontrol show hostnames' ({e}); "
            "set MASTER_ADDR to the first node's host name"
        ) from None
    if not out:
        raise DistributedSetupError(f"'scontrol show hostnames {nodelist}' printed no host")
    return out[0]


def _int(env: Mapping[str, str], name: str) -> int:
    try:
        return int(env[name])
    except ValueError:
        raise DistributedSetupError(f"{name}={env[name]!r} is not an integer") from None


def from_env(
    env: Mapping[str, str] | None = None,
    first_host: Callable[[str], str] = first_host,
) -> DistInfo:
    """Where this process sits in the job, from torchrun's or SLURM's variables."""
    env = os.environ if env is None else env
    if "RANK" in env and "WORLD_SIZE" in env:
        return DistInfo(
            rank=_int(env, "RANK"),
            world_size=_int(env, "WORLD_SIZE"),
            local_rank=_int(env, "LOCAL_RANK") if "LOCAL_RANK" in env else 0,
            master_addr=env.get("MASTER_ADDR"),
            master_port=_int(env, "MASTER_PORT") if "MASTER_PORT" in env else None,
            launcher="torchrun",
        )
    # Only inside an srun step (SLURM_STEP_ID set): the batch script itself also sees
    # SLURM_PROCID=0 and SLURM_NTASKS, and would wait for ranks that never start.
    ntasks = env.get("SLURM_STEP_NUM_TASKS", env.get("SLURM_NTASKS"))
    if "SLURM_STEP_ID" in env and "SLURM_PROCID" in env and ntasks is not None and int(ntasks) > 1:
        addr = env.get("MASTER_ADDR")
        if addr is None:
            # The step's nodes: rank 0 runs on the first of them, not of the job's.
            nodes = env.get("SLURM_STEP_NODELIST", env.get("SLURM_JOB_NODELIST"))
            if nodes is None:
                raise DistributedSetupError("neither SLURM_STEP_NODELIST nor SLURM_JOB_NODELIST "
                                            "is set; set MASTER_ADDR")
            addr = first_host(nodes)
        if "MASTER_PORT" in env:
            port = _int(env, "MASTER_PORT")
        else:
            port = 15000 + _int(env, "SLURM_JOB_ID") % 20000 if "SLURM_JOB_ID" in env else 29500
        return DistInfo(
            rank=_int(env, "SLURM_PROCID"),
            world_size=int(ntasks),
            local_rank=_int(env, "SLURM_LOCALID") if "SLURM_LOCALID" in env else 0,
            master_addr=addr,
            master_port=port,
            launcher="slurm",
        )
    return DistInfo()


def init(device_type: str, timeout_minutes: float = 30.0) -> DistInfo:
    """Join the process group described by the environment (a no-op for one process).

    A collective that waits longer than ``timeout_minutes`` (a rank that died, or one
    stuck on a bad batch) fails with an error instead of hanging the job until its
    time limit.
    """
    info = from_env()
    if info.world_size <= 1 or dist.is_initialized():
        return info
    if not 0 <= info.rank < info.world_size:
        raise DistributedSetupError(f"rank {info.rank} is outside world size {info.world_size}")
    if info.master_addr is None or info.master_port is None:
        raise DistributedSetupError("MASTER_ADDR and MASTER_PORT must be set for a multi-process run")
    if device_type == "cuda":
        torch.cuda.set_device(info.device_index)
    dist.init_process_group(
        backend="nccl" if device_type == "cuda" else "gloo",
        init_method=f"tcp://{info.master_addr}:{info.master_port}",
        rank=info.rank,
        world_size=info.world_size,
        timeout=datetime.timedelta(minutes=timeout_minutes),
    )
    atexit.register(shutdown)
    return info


def shutdown() -> None:
    """Leave the process group (a no-op when there is none); safe to call twice."""
    if dist.is_initialized():
        dist.destroy_process_group()


def enabled() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's rank in the process group (0 without one)."""
    return dist.get_rank() if enabled() else 0


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    if enabled():
        dist.all_reduce(tensor)
    return tensor


def all_gather(obj: Any) -> list[Any]:
    """Every rank's ``obj`` (picklable), in rank order; ``[obj]`` for one process."""
    if not enabled():
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def barrier() -> None:
    if enabled():
        dist.barrier()


class ProxyDDP(DistributedDataParallel):
    """DDP that forwards unknown attributes to the wrapped model.

    The trainer puts this in ``task.model``, so a task keeps calling its model's own
    methods (``self.model.set_num_updates(n)``) while the forward pass goes through DDP.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name == "module":
                raise
            return getattr(self.module, name)


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DDP wrapper (or the model itself)."""
    return model.module if isinstance(model, DistributedDataParallel) else model


def launched() -> bool:
    """True inside a process started by torchrun or a multi-task srun."""
    return from_env(first_host=lambda nodes: "unused").world_size > 1


def torchrun_argv(module: str, argv: list[str], nproc: int) -> list[str]:
    return [
        sys.executable, "-m", "torch.distributed.run", "--standalone",
        "--nproc_per_node", str(nproc), "-m", module, *argv,
    ]


def relaunch(module: str, argv: list[str], nproc: int | None) -> int | None:
    """Run ``python -m module argv`` in ``nproc`` local processes via torchrun.

    Returns torchrun's exit status, or None when nothing was launched (``nproc`` <= 1 or
    this process is already one of the workers); a stage CLI's ``main`` does::

        status = distributed.relaunch("asrkit.pretrain", argv, args.ngpu)
        if status is not None:
            return status
    """
    if nproc is None or nproc <= 1 or launched():
        return None
    return subprocess.run(torchrun_argv(module, argv, nproc)).returncode
