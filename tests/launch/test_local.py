"""The local backend, through the CLI (in-process and as a real subprocess) and run_local."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asrkit.launch import JobArray, JobRange, JobsFailed, run_local
from asrkit.launch.cli import main

LAUNCH = [sys.executable, "-m", "asrkit.launch"]


def test_every_task_runs_with_job_replaced_in_argv_and_log_path(in_tmp, check_log):
    rc = main(["local", "JOB=1:3", "exp/JOB/log/echo.JOB.log", "echo", "task JOB of data/JOB"])
    assert rc == 0
    for t in (1, 2, 3):
        out = check_log(f"exp/{t}/log/echo.{t}.log", f"echo 'task {t} of data/{t}'", 0)
        assert out == [f"task {t} of data/{t}"]


def test_single_job_without_range_keeps_the_word_job(in_tmp, check_log):
    assert main(["local", "exp/log/one.log", "echo", "JOB"]) == 0
    assert check_log("exp/log/one.log", "echo JOB", 0) == ["JOB"]


def test_one_quoted_argument_runs_as_a_bash_line_with_pipes_and_redirections(in_tmp, check_log):
    rc = main(["local", "JOB=1:2", "log/p.JOB.log", "echo JOB-x | tr x y > out.JOB; cat out.JOB >&2"])
    assert rc == 0
    assert Path("out.2").read_text() == "2-y\n"
    assert check_log("log/p.2.log", "echo 2-x | tr x y > out.2; cat out.2 >&2", 0) == ["2-y"]


def test_failed_task_is_named_with_its_log_and_exit_code(in_tmp, check_log, capsys):
    rc = main(["local", "JOB=1:4", "exp/log/t.JOB.log", "echo out JOB; [ JOB != 3 ] || exit 7"])
    assert rc == 7
    err = capsys.readouterr().err
    assert "asrkit-launch: 1/4 failed: JOB=3 (exit 7), see exp/log/t.3.log" in err
    assert "  out 3" in err  # the end of the failed log
    check_log("exp/log/t.3.log", "echo out 3; [ 3 != 3 ] || exit 7", 7)
    check_log("exp/log/t.4.log", "echo out 4; [ 4 != 3 ] || exit 7", 0)


def test_num_threads_is_in_the_footer_and_the_job_environment(in_tmp, check_log):
    assert main(["local", "--num-threads", "3", "l.log", "echo $OMP_NUM_THREADS"]) == 0
    assert check_log("l.log", "echo $OMP_NUM_THREADS", 0, threads=3) == ["3"]


def test_slurm_only_options_are_accepted_and_ignored_locally(in_tmp):
    argv = ["local", "--mem", "4G", "--gpu", "1", "--time", "1:00:00", "--config", "none.conf",
            "l.log", "true"]
    assert main(argv) == 0


def test_max_jobs_run_caps_how_many_tasks_run_at_once(in_tmp, overlap, timed):
    jobs = JobArray(timed(0.5), "log/t.JOB.log", JobRange("JOB", 1, 4))
    run_local(jobs, max_jobs_run=2)
    assert overlap([jobs.log_for(t) for t in jobs.range.tasks]) <= 2
    run_local(jobs, max_jobs_run=4)  # the control: unthrottled, the tasks do overlap
    assert overlap([jobs.log_for(t) for t in jobs.range.tasks]) > 2


def test_run_local_raises_jobs_failed_with_every_result(in_tmp):
    jobs = JobArray("exit $((JOB % 2))", "log/t.JOB.log", JobRange("JOB", 1, 3))
    with pytest.raises(JobsFailed, match=r"2/3 failed: JOB=1 \(exit 1\).*; JOB=3 \(exit 1\)") as e:
        run_local(jobs)
    assert [r.returncode for r in e.value.results] == [1, 0, 1]


def test_usage_errors_are_one_message_and_exit_1(in_tmp, capsys):
    assert main(["local", "JOB=1:2", "same.log", "true"]) == 1
    assert "would all write the same log same.log" in capsys.readouterr().err
    assert main(["local", "JOB=2:1", "x.JOB.log", "true"]) == 1
    assert "invalid job range 'JOB=2:1'" in capsys.readouterr().err
    assert main(["local", "only.log"]) == 1
    assert "expected [JOB=1:N] LOG COMMAND" in capsys.readouterr().err
    assert main(["local", "--memory", "2G", "x.log", "true"]) == 1
    assert "unrecognized arguments: --memory 2G" in capsys.readouterr().err


def test_command_options_after_the_log_belong_to_the_command(in_tmp, check_log):
    assert main(["local", "--num-threads", "1", "l.log", "echo", "--mem", "--gpu"]) == 0
    assert check_log("l.log", "echo --mem --gpu", 0) == ["--mem --gpu"]


def test_console_launcher_propagates_the_exit_code(in_tmp):
    proc = subprocess.run([*LAUNCH, "local", "x.log", "exit 3"], capture_output=True, text=True)
    assert proc.returncode == 3
    assert proc.stderr.strip().startswith("asrkit-launch: job failed: (exit 3), see x.log")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_stops_running_tasks_and_starts_no_more(in_tmp, check_log):
    cmd = "echo $$ > pid.JOB; sleep 60"
    proc = subprocess.Popen([*LAUNCH, "local", "--max-jobs-run", "2", "JOB=1:3", "log/s.JOB.log",
                             cmd], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (Path("pid.1").exists() and Path("pid.2").exists()):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.1)  # the pid is written before sleep starts
    pids = [int(Path(f"pid.{t}").read_text()) for t in (1, 2)]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 143
    assert "interrupted" in proc.stderr.read()
    assert not any(_alive(pid) for pid in pids)
    assert not Path("log/s.3.log").exists()
    check_log("log/s.1.log", "echo $$ > pid.1; sleep 60", 143)


def test_task_killed_before_its_footer_reports_the_signal(in_tmp, capsys):
    assert main(["local", "JOB=1:2", "log/k.JOB.log", "[ JOB = 1 ] || kill -9 $PPID"]) == 137
    assert "1/2 failed: JOB=2 (exit 137), see log/k.2.log" in capsys.readouterr().err


def test_options_may_come_before_the_backend_and_end_at_the_range(in_tmp, check_log):
    assert main(["--num-threads", "2", "local", "--max-jobs-run=1", "JOB=1:1", "l.JOB.log",
                 "echo", "JOB"]) == 0
    assert check_log("l.1.log", "echo 1", 0, threads=2) == ["1"]
