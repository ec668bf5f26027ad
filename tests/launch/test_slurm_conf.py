"""conf/slurm.conf -> sbatch options, without a cluster."""

from pathlib import Path

import pytest

from asrkit.launch import JobArray, JobRange, LaunchError, SlurmConfig
from asrkit.launch.slurm import sbatch_command

ESPNET_STYLE = """\
# Default configuration
command sbatch --export=PATH
option name=* --job-name $0
option time=* --time $0
option mem=* --mem-per-cpu $0
option mem=0
option num_threads=* --cpus-per-task $0
option num_threads=1 --cpus-per-task 1
option num_nodes=* --nodes $0
default gpu=0
option gpu=0 -p cpu
option gpu=* -p gpu --gres=gpu:$0 -c $0  # Recommend allocating more CPU than GPUs

# resource limiter
default gpu_limit=200
option gpu_limit=*
"""


def test_espnet_style_config_maps_each_option():
    conf = SlurmConfig.parse(ESPNET_STYLE)
    assert conf.command == ["sbatch", "--export=PATH"]
    args = conf.sbatch_args({"mem": "4G", "num_threads": "8", "time": "1:00:00", "gpu": "2"})
    assert args == ["--time", "1:00:00", "--mem-per-cpu", "4G", "--cpus-per-task", "8",
                    "-p", "gpu", "--gres=gpu:2", "-c", "2"]


def test_defaults_apply_and_exact_values_win_over_wildcards():
    conf = SlurmConfig.parse(ESPNET_STYLE)
    assert conf.sbatch_args({}) == ["-p", "cpu"]
    assert conf.sbatch_args({"mem": "0", "num_threads": "1"}) == [
        "--cpus-per-task", "1", "-p", "cpu"]


def test_option_without_a_line_is_an_error_naming_the_config():
    conf = SlurmConfig.parse("command sbatch\noption mem=* --mem $0\n", "my.conf")
    with pytest.raises(LaunchError, match=r"--gpu 1 is not described in my.conf.*option gpu=\*"):
        conf.sbatch_args({"gpu": "1"})


def test_value_without_a_matching_line_is_an_error():
    conf = SlurmConfig.parse("command sbatch\noption gpu=0 -p cpu\n", "my.conf")
    with pytest.raises(LaunchError, match="--gpu 2 is not allowed by my.conf"):
        conf.sbatch_args({"gpu": "2"})


@pytest.mark.parametrize("text, message", [
    ("option mem=* --mem $0\n", "no 'command' line"),
    ("command sbatch\nqueue all.q\n", r"x.conf:2: cannot parse 'queue all.q'"),
    ("command sbatch\noption mem --mem $0\n", r"x.conf:2: expected 'option name=value"),
    ("command sbatch\ndefault gpu=0 -p cpu\n", r"x.conf:2: 'default gpu=0' takes no"),
])
def test_malformed_config_names_file_and_line(text, message):
    with pytest.raises(LaunchError, match=message):
        SlurmConfig.parse(text, "x.conf")


def test_missing_config_file_is_named(tmp_path):
    with pytest.raises(LaunchError, match="nope.conf does not exist"):
        SlurmConfig.load(tmp_path / "nope.conf")


def test_without_config_the_builtin_default_needs_no_partitions(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    conf = SlurmConfig.load(None)
    assert conf.sbatch_args({}) == []
    assert conf.sbatch_args({"gpu": "1"}) == ["--gres=gpu:1", "-c", "8"]


def test_repository_config_gives_gpu_jobs_cpus_for_their_data_workers(repo_root: Path):
    conf = SlurmConfig.load(repo_root / "conf" / "slurm.conf")
    # cuda_cmd's --num-threads 4 comes first: sbatch keeps the last -c, 8 per GPU
    args = conf.sbatch_args({"gpu": "2", "num_threads": "4", "mem": "4G"})
    assert args == ["--mem-per-cpu", "4G", "--cpus-per-task", "4",
                    "-p", "gpu", "--gres=gpu:2", "-c", "16"]
    for gpus in range(1, 9):
        assert conf.sbatch_args({"gpu": str(gpus)})[-2:] == ["-c", str(8 * gpus)]
    assert conf.sbatch_args({"gpu": "0", "num_threads": "4"}) == ["--cpus-per-task", "4", "-p", "cpu"]


def test_sbatch_command_is_one_throttled_array_named_after_the_log(repo_root: Path):
    conf = SlurmConfig.load(repo_root / "conf" / "slurm.conf")
    jobs = JobArray("echo JOB", "exp/x/log/decode.JOB.log", JobRange("JOB", 1, 10))
    script = Path("/abs/exp/x/log/q/decode.sh")
    argv = sbatch_command(jobs, conf, script, {"mem": "2G"}, max_jobs_run=3)
    assert argv == ["sbatch", "--export=ALL", "--job-name", "decode", "--mem-per-cpu", "2G",
                    "-p", "cpu", "--array=1-10%3", "--output=/abs/exp/x/log/q/decode.%a.out",
                    "--parsable", str(script)]
