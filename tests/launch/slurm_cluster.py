"""A throw-away one-node SLURM cluster for tests: munged, slurmctld and slurmd in a temp dir.

Debian's ``slurm-wlm`` and ``munge`` are installed with apt-get when missing (as root only).
The cluster uses its own munge key and socket, free TCP ports and ``SLURM_CONF``, so it
touches nothing under ``/etc`` and can run beside a system SLURM or another test session.
It has three partitions on the one node: ``debug`` (the default), ``cpu`` and ``gpu`` (two
fake GPUs as a count-only GRES), so the repository's ``conf/slurm.conf`` works unchanged.

Run as a script it starts a cluster, prints the ``export SLURM_CONF=...`` line and waits
for Ctrl-C, which is handy when developing against it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CLIENTS = ("sbatch", "squeue", "scancel", "sinfo", "srun")
DAEMONS = ("munged", "slurmctld", "slurmd")
PACKAGES = ("slurm-wlm", "munge")
SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")


class ClusterUnavailable(RuntimeError):
    """SLURM cannot be installed here (not root, no apt-get); tests skip with this reason."""


class ClusterError(RuntimeError):
    """SLURM was installed but the cluster did not come up; the message holds the daemon logs."""


def _which(name: str) -> str | None:
    path = os.environ.get("PATH", "") + os.pathsep + os.pathsep.join(SBIN)
    return shutil.which(name, path=path)


def missing_programs() -> list[str]:
    return [name for name in CLIENTS + DAEMONS if _which(name) is None]


def ensure_installed(timeout: float = 600) -> None:
    """Install SLURM and munge with apt-get unless every program is already present."""
    missing = missing_programs()
    if not missing:
        return
    if os.geteuid() != 0:
        raise ClusterUnavailable(f"SLURM is not installed ({', '.join(missing)} missing) and "
                                 "installing it needs root: run `apt-get install slurm-wlm munge`")
    if _which("apt-get") is None:
        raise ClusterUnavailable(f"SLURM is not installed ({', '.join(missing)} missing) and "
                                 "there is no apt-get to install it with")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    lock = ["-o", "DPkg::Lock::Timeout=300"]
    for argv in (["apt-get", *lock, "update", "-qq"],
                 ["apt-get", *lock, "install", "-y", "-qq", "--no-install-recommends", *PACKAGES]):
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise ClusterError(f"`{' '.join(argv)}` failed (exit {proc.returncode}):\n"
                               f"{(proc.stdout + proc.stderr)[-3000:]}")
    still = missing_programs()
    if still:
        raise ClusterError(f"apt-get installed {' '.join(PACKAGES)} but {', '.join(still)} "
                           "are still not found")


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _memory_mb() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return 1024


class LocalCluster:
    """One node (this machine) with partitions debug (default), cpu and gpu."""

    def __init__(self, root: str | Path | None = None, cpus: int | None = None):
        self.root = Path(root or tempfile.mkdtemp(prefix="asrkit-slurm-"))
        self.cpus = cpus or len(os.sched_getaffinity(0))
        self.host = socket.gethostname().split(".")[0]
        self.conf = self.root / "slurm.conf"
        self.procs: dict[str, subprocess.Popen] = {}

    @property
    def env(self) -> dict[str, str]:
        """What client commands need: ``SLURM_CONF`` pointing at this cluster."""
        return {"SLURM_CONF": str(self.conf)}

    def _write_config(self) -> None:
        r = self.root
        ctld_port, slurmd_port = _free_ports(2)
        memory = max(256, int(_memory_mb() * 0.8))
        # slurmd drops GPUs without a device file; empty files stand in for /dev/nvidia*.
        (r / "dev").mkdir(exist_ok=True)
        for i in range(2):
            (r / "dev" / f"gpu{i}").touch()
        (r / "gres.conf").write_text(f"NodeName={self.host} Name=gpu File={r}/dev/gpu[0-1]\n")
        # conf/slurm.conf asks 8 CPUs per GPU; config_overrides lets the node claim them.
        cpus = max(self.cpus, 16)
        self.conf.write_text(f"""\
ClusterName=asrkit-test
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={r}/munge/munge.sock
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/slurmctld.log
SlurmdLogFile={r}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=30
KillWait=2
InactiveLimit=0
NodeName={self.host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=cpu Nodes=ALL MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=ALL MaxTime=INFINITE State=UP
""")

    def _start(self, name: str, argv: list[str]) -> None:
        with open(self.root / f"{name}.out", "wb") as log:
            self.procs[name] = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=dict(os.environ, **self.env), start_new_session=True)

    def start(self, timeout: float = 60) -> "LocalCluster":
        """Install if needed, start the daemons and wait until the node is idle."""
        ensure_installed()
        try:
            self._start_daemons(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_daemons(self, timeout: float) -> None:
        r = self.root
        for d in ("munge", "state", "spool"):
            (r / d).mkdir(parents=True, exist_ok=True)
        os.chmod(r, 0o755)
        os.chmod(r / "munge", 0o755)
        key = r / "munge" / "munge.key"
        if not key.exists():
            key.write_bytes(os.urandom(1024))
            os.chmod(key, 0o400)
        self._write_config()
        env = dict(os.environ, **self.env)
        self._start("munged", [_which("munged"), "--foreground", "--force",
                               f"--socket={r}/munge/munge.sock", f"--key-file={key}",
                               f"--pid-file={r}/munge/munged.pid",
                               f"--log-file={r}/munge/munged.log", f"--seed-file={r}/munge/seed"])
        self._wait(lambda: (r / "munge" / "munge.sock").exists(), timeout, "munged socket")
        conf = str(self.conf)
        self._start("slurmctld", [_which("slurmctld"), "-D", "-c", "-i", "-f", conf])
        self._start("slurmd", [_which("slurmd"), "-D", "-f", conf])
        self._wait(lambda: self._node_state(env) == "idle", timeout, "the node to be idle")

    def _node_state(self, env: dict[str, str]) -> str:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise ClusterError(f"{name} exited with code {proc.returncode}\n{self.logs()}")
        out = subprocess.run([_which("sinfo"), "-h", "-N", "-o", "%t"], env=env,
                             capture_output=True, text=True)
        return out.stdout.split()[0].rstrip("*~#") if out.returncode == 0 and out.stdout else ""

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise ClusterError(f"timed out after {timeout:.0f}s waiting for {what}\n{self.logs()}")
            time.sleep(0.2)

    def logs(self, tail: int = 2000) -> str:
        parts = []
        for path in sorted(self.root.glob("*.out")) + sorted(self.root.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-tail:]}")
        return "\n".join(parts)

    def _cancel_all_jobs(self, timeout: float = 15) -> None:
        """Jobs outlive slurmd (slurmstepd is detached), so cancel them first."""
        env = dict(os.environ, **self.env)
        user = pwd.getpwuid(os.geteuid()).pw_name
        subprocess.run([_which("scancel"), "--user", user], env=env, capture_output=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run([_which("squeue"), "-h", "-o", "%i"], env=env,
                                 capture_output=True, text=True)
            if out.returncode != 0 or not out.stdout.strip():
                return
            time.sleep(0.2)

    def stop(self) -> None:
        """Cancel leftover jobs, then stop the daemons this object started, by pid."""
        if all(name in self.procs and self.procs[name].poll() is None
               for name in ("munged", "slurmctld")):
            self._cancel_all_jobs()
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _serve() -> None:
    """Run a cluster until Ctrl-C or SIGTERM (a background job ignores SIGINT)."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with LocalCluster() as cluster:
        print(f"export SLURM_CONF={cluster.conf}", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    _serve()
