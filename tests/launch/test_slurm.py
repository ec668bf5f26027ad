"""The SLURM backend against a real one-node cluster (see slurm_cluster.py)."""

import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asrkit.launch import JobArray, JobRange, JobsFailed, run_slurm, submit
from asrkit.launch.cli import main

pytestmark = pytest.mark.slurm


@pytest.fixture
def conf(repo_root: Path) -> Path:
    return repo_root / "conf" / "slurm.conf"


def test_array_runs_every_task_with_local_style_logs(slurm_cluster, in_tmp, conf, check_log):
    rc = main(["slurm", "--config", str(conf), "JOB=1:3", "exp/log/e.JOB.log",
               "echo", "task JOB", "|", "tr", "a-z", "A-Z"])
    assert rc == 0
    for t in (1, 2, 3):
        assert check_log(f"exp/log/e.{t}.log", f"echo 'task {t}' | tr a-z A-Z", 0) == [f"TASK {t}"]
    script = Path("exp/log/q/e.sh").read_text()
    assert "--array=1-3 " in script and "-p cpu" in script  # one array, mapped through the conf


def test_failed_task_is_named_with_exit_code_and_log(slurm_cluster, in_tmp, conf, capsys,
                                                     check_log):
    rc = main(["slurm", "--config", str(conf), "JOB=1:3", "exp/log/f.JOB.log",
               "echo oops JOB >&2; exit $((JOB == 2 ? 5 : 0))"])
    assert rc == 5
    err = capsys.readouterr().err
    assert "1/3 failed on SLURM job" in err
    assert ": JOB=2 (exit 5), see exp/log/f.2.log" in err
    assert "  oops 2" in err
    assert check_log("exp/log/f.2.log", "echo oops 2 >&2; exit $((2 == 2 ? 5 : 0))", 5) == [
        "oops 2"]


def test_max_jobs_run_throttles_the_array(slurm_cluster, in_tmp, conf, overlap, timed):
    jobs = JobArray(timed(0.5), "exp/log/m.JOB.log", JobRange("JOB", 1, 3))
    run_slurm(jobs, conf, max_jobs_run=1)
    assert overlap([jobs.log_for(t) for t in (1, 2, 3)]) == 1
    assert "--array=1-3%1 " in Path("exp/log/q/m.sh").read_text()


def test_resources_reach_the_job_through_the_config(slurm_cluster, in_tmp, conf, check_log):
    show = ('echo partition=$SLURM_JOB_PARTITION cpus=$SLURM_CPUS_PER_TASK '
            'omp=$OMP_NUM_THREADS name=$SLURM_JOB_NAME; scontrol show job $SLURM_JOB_ID')
    rc = main(["slurm", "--config", str(conf), "--gpu", "1", "--mem", "100M", "--time", "5:00",
               "exp/log/train.log", show])
    assert rc == 0
    out = check_log("exp/log/train.log", show, 0)
    assert out[0] == "partition=gpu cpus=8 omp=1 name=train"
    details = " ".join(out[1:])
    assert "TimeLimit=00:05:00" in details and "TresPerNode=gres:gpu:1" in details
    assert "MinMemoryCPU=100M" in details


def test_gpu_job_can_start_ranks_with_srun(slurm_cluster, in_tmp, conf):
    if slurm_cluster.cpus < 2:
        pytest.skip("needs 2 CPUs for --gpu 2")
    ranks = "srun --ntasks 2 --cpus-per-task 1 bash -c 'echo rank $SLURM_PROCID of $SLURM_NTASKS'"
    assert main(["slurm", "--config", str(conf), "--gpu", "2", "exp/log/ddp.log", ranks]) == 0
    out = Path("exp/log/ddp.log").read_text().splitlines()
    assert sorted(line for line in out if line.startswith("rank")) == ["rank 0 of 2", "rank 1 of 2"]


def test_option_missing_from_the_config_stops_before_submitting(slurm_cluster, in_tmp, capsys):
    Path("c.conf").write_text("command sbatch\noption mem=* --mem $0\n")
    assert main(["slurm", "--config", "c.conf", "--gpu", "1", "l.log", "true"]) == 1
    assert "--gpu 1 is not described in c.conf" in capsys.readouterr().err
    assert not Path("q").exists()


def test_sbatch_rejection_is_reported_with_its_reason(slurm_cluster, in_tmp, capsys):
    Path("c.conf").write_text("command sbatch -p no_such_partition\n")
    assert main(["slurm", "--config", "c.conf", "l.log", "true"]) == 1
    assert "sbatch failed (exit 1)" in capsys.readouterr().err


def test_submit_uses_slurm_when_cmd_says_so(slurm_cluster, in_tmp, conf):
    cmd = f"{shlex.quote(sys.executable)} -m asrkit.launch slurm --config {conf}"
    submit(cmd, "log/s.JOB.log", ["bash", "-c", "echo JOB > out.JOB"], nj=2)
    assert Path("out.2").read_text() == "2\n"
    with pytest.raises(JobsFailed, match=r"1/2 failed on SLURM job \d+: JOB=1 \(exit 3\)"):
        submit(cmd, "log/s.JOB.log", ["bash", "-c", "exit $((JOB == 1 ? 3 : 0))"], nj=2)


def test_sigterm_cancels_the_array(slurm_cluster, in_tmp, conf, check_log):
    proc = subprocess.Popen([sys.executable, "-m", "asrkit.launch", "slurm", "--config",
                             str(conf), "JOB=1:2", "log/c.JOB.log", "echo started; sleep 60"],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not Path("log/c.1.log").exists() or "started" not in Path("log/c.1.log").read_text():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    def queued() -> list[str]:
        return subprocess.run(["squeue", "-h", "-n", "c", "-o", "%i"], capture_output=True,
                              text=True, check=True).stdout.split()

    assert queued()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 143
    assert "interrupted" in proc.stderr.read()
    while queued():
        assert time.monotonic() < deadline, "the array is still queued after scancel"
        time.sleep(0.1)
    check_log("log/c.1.log", "echo started; sleep 60", 143)


def test_task_that_left_no_exit_status_is_explained_by_slurm(slurm_cluster, in_tmp, conf, capsys):
    # Killing the wrapper skips its footer and status file, as an OOM kill or node loss would.
    rc = main(["slurm", "--config", str(conf), "JOB=1:2", "log/k.JOB.log",
               "[ JOB = 1 ] || kill -9 $PPID"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "1/2 failed on SLURM job" in err
    assert f": JOB=2 (FAILED in SLURM, see also {in_tmp}/log/q/k.2.out), see log/k.2.log" in err
