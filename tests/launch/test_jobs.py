from pathlib import Path

import pytest

from asrkit.launch import JobArray, JobRange, JobsFailed, LaunchError, TaskResult, command_line
from asrkit.launch.jobs import check_results


def test_job_range_parses_kaldi_forms():
    assert JobRange.parse("JOB=1:4") == JobRange("JOB", 1, 4)
    assert JobRange.parse("SPLIT=3") == JobRange("SPLIT", 3, 3)
    assert JobRange.parse("exp/log/x.JOB.log") is None
    assert JobRange.parse("JOB=2:5").tasks == [2, 3, 4, 5]


@pytest.mark.parametrize("text", ["JOB=0:3", "JOB=4:2", "JOB=1:x", "JOB=a:b"])
def test_job_range_rejects_bad_ranges_with_a_hint(text):
    with pytest.raises(LaunchError, match="JOB"):
        JobRange.parse(text)


def test_command_line_keeps_one_argument_as_a_shell_line():
    assert command_line(["echo a | tr a b > out"]) == "echo a | tr a b > out"


def test_command_line_quotes_arguments_but_not_shell_operators():
    line = command_line(["python", "-c", "print('x y')", "|", "tr", "x", "z", ">", "o JOB.txt"])
    assert line == "python -c 'print('\"'\"'x y'\"'\"')' | tr x z > 'o JOB.txt'"


def test_command_line_needs_a_command():
    with pytest.raises(LaunchError, match="no command"):
        command_line([])


def test_several_jobs_sharing_one_log_is_refused():
    with pytest.raises(LaunchError, match=r"same log exp/log/x\.log.*x\.JOB\.log"):
        JobArray("true", "exp/log/x.log", JobRange("JOB", 1, 2))
    JobArray("true", "exp/log/x.log", JobRange("JOB", 1, 1))  # one task may


def test_job_array_substitutes_every_occurrence_per_task():
    jobs = JobArray("cat data/split2/JOB/text > out.JOB", "exp/JOB/log/a.JOB.log",
                    JobRange("JOB", 1, 2))
    assert jobs.command_for(2) == "cat data/split2/2/text > out.2"
    assert jobs.log_for(2) == Path("exp/2/log/a.2.log")
    assert jobs.log_dir == Path("exp")
    assert jobs.name == "a"


def test_single_job_replaces_nothing():
    jobs = JobArray("echo JOB", "exp/log/train.log")
    assert jobs.tasks == [None]
    assert jobs.command_for(None) == "echo JOB"
    assert jobs.name == "train"


def test_failure_message_names_each_failed_task_and_its_log(tmp_path):
    jobs = JobArray("x", str(tmp_path / "n.JOB.log"), JobRange("JOB", 1, 4))
    (tmp_path / "n.3.log").write_text("# x\n# Started at now\n#\nboom: bad input\n"
                                      "# Accounting: time=0 threads=1\n# Ended (code 2) at now\n")
    results = [TaskResult(t, jobs.log_for(t), 2 if t == 3 else 0) for t in jobs.range.tasks]
    with pytest.raises(JobsFailed) as e:
        check_results(jobs, results)
    assert str(e.value).splitlines()[0] == f"1/4 failed: JOB=3 (exit 2), see {tmp_path}/n.3.log"
    assert str(e.value).splitlines()[-1] == "  boom: bad input"
    assert e.value.exit_code == 2
    assert [r.task for r in e.value.failed] == [3]


def test_failure_message_reports_tasks_without_exit_status_and_caps_the_list(tmp_path):
    jobs = JobArray("x", "n.JOB.log", JobRange("JOB", 1, 8))
    results = [TaskResult(t, jobs.log_for(t), None, "TIMEOUT in SLURM") for t in jobs.range.tasks]
    with pytest.raises(JobsFailed) as e:
        check_results(jobs, results, backend="SLURM job 7")
    first = str(e.value).splitlines()[0]
    assert first.startswith("8/8 failed on SLURM job 7: JOB=1 (TIMEOUT in SLURM), see n.1.log;")
    assert first.endswith("; and 3 more")
    assert e.value.exit_code == 1


def test_all_successful_results_are_returned():
    jobs = JobArray("x", "n.log")
    results = [TaskResult(None, Path("n.log"), 0)]
    assert check_results(jobs, results) == results
