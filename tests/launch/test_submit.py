"""submit(): what stage drivers call with the cmd.sh string."""

import shlex
import sys

import pytest

from asrkit.launch import JobsFailed, LaunchError, submit
from asrkit.launch.submit import launcher_argv

LOCAL = f"{shlex.quote(sys.executable)} -m asrkit.launch local --max-jobs-run 2"


def test_launcher_argv_appends_range_log_and_argv():
    assert launcher_argv("asrkit-launch slurm --mem '2 G'", "l/x.JOB.log", ["a", 1], nj=4) == [
        "asrkit-launch", "slurm", "--mem", "2 G", "JOB=1:4", "l/x.JOB.log", "a", "1"]
    assert launcher_argv("run.pl", "l/x.log", ["a"]) == ["run.pl", "l/x.log", "a"]


def test_submit_runs_nj_jobs_through_the_configured_launcher(in_tmp):
    submit(LOCAL, in_tmp / "log/w.JOB.log", ["bash", "-c", "echo JOB > out.JOB"], nj=3)
    assert [(in_tmp / f"out.{t}").read_text() for t in (1, 2, 3)] == ["1\n", "2\n", "3\n"]


def test_submit_raises_jobs_failed_with_the_launcher_message(in_tmp, capsys):
    with pytest.raises(JobsFailed) as e:
        submit(LOCAL, "log/f.JOB.log", ["bash", "-c", "exit $((JOB == 2 ? 4 : 0))"], nj=2)
    assert "1/2 failed: JOB=2 (exit 4), see log/f.2.log" in str(e.value)
    assert isinstance(e.value, RuntimeError) and e.value.exit_code == 4
    assert "1/2 failed" in capsys.readouterr().err  # also shown as it happens


def test_submit_names_a_launcher_that_does_not_exist(in_tmp):
    with pytest.raises(LaunchError, match="job command 'no-such-launcher' not found"):
        submit("no-such-launcher local", "log/x.log", ["true"])
