"""utils/: parse_options.sh semantics and every Kaldi-named wrapper, run as a recipe would."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from asrkit.data import DataDir, ops, read_table, validate_data_dir

UTILS = Path(__file__).resolve().parents[2] / "utils"

SCRIPT = """#!/usr/bin/env bash
nj=4
use_gpu=false
cmd=run.pl
feat_type="fbank pitch"
help_message="Usage: demo.sh [options] <dir>"
. {utils}/parse_options.sh || exit 1
echo "nj=$nj use_gpu=$use_gpu cmd=$cmd feat_type=$feat_type rest=$*"
"""


@pytest.fixture
def demo(tmp_path):
    script = tmp_path / "demo.sh"
    script.write_text(SCRIPT.format(utils=UTILS))
    script.chmod(0o755)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(script), *args], capture_output=True, text=True, cwd=tmp_path)

    return run


def test_parse_options_sets_existing_variables(demo):
    proc = demo("--nj", "8", "--feat-type", "mfcc plus", "--use-gpu=true", "data/train", "x")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "nj=8 use_gpu=true cmd=run.pl feat_type=mfcc plus rest=data/train x"


def test_parse_options_rejects_unknown_option(demo):
    proc = demo("--num-jobs", "8", "data")
    assert proc.returncode != 0 and "invalid option --num-jobs" in proc.stderr


def test_parse_options_booleans_accept_only_true_false(demo):
    proc = demo("--use-gpu", "yes", "data")
    assert proc.returncode != 0 and 'expected "true" or "false": --use-gpu yes' in proc.stderr


def test_parse_options_missing_value_and_empty_cmd(demo):
    assert "option --nj needs a value" in demo("--nj").stderr
    assert "empty argument to --cmd option" in demo("--cmd", "", "d").stderr


def test_parse_options_stops_at_first_argument_and_double_dash(demo):
    assert demo("--", "--nj", "2").stdout.strip().endswith("rest=--nj 2")
    assert "nj=4 " in demo("data", "--nj", "2").stdout


def test_parse_options_config_file_then_command_line(demo, tmp_path):
    conf = tmp_path / "demo.conf"
    conf.write_text("# options and assignments\n--nj 3\n--use-gpu=true\ncmd='queue.pl -q all'\n\n")
    proc = demo("--config", str(conf), "--nj", "5", "d")
    assert proc.stdout.strip() == "nj=5 use_gpu=true cmd=queue.pl -q all feat_type=fbank pitch rest=d"
    conf.write_text("--bogus 1\n")
    proc = demo("--config", str(conf), "d")
    assert proc.returncode != 0 and f"invalid option --bogus (in {conf} line 1" in proc.stderr
    assert "config file nope.conf does not exist" in demo("--config", "nope.conf").stderr


def test_parse_options_help_prints_help_message(demo):
    proc = demo("--help")
    assert proc.returncode == 0 and "Usage: demo.sh [options] <dir>" in proc.stderr


@pytest.fixture
def recipe(tmp_path, audio_dir):
    """A recipe folder with utils -> the repo's utils and a real data/train."""
    (tmp_path / "utils").symlink_to(UTILS)
    audio_dir.write(tmp_path / "data" / "train")
    return tmp_path


def test_utt2spk_to_spk2utt_and_back_use_stdin_and_files(recipe, utils_run):
    utt2spk = (recipe / "data/train/utt2spk").read_text()
    proc = subprocess.run(["utils/utt2spk_to_spk2utt.pl"], input="b-1 b\na-1 a\nb-2 b\n", text=True,
                          capture_output=True, cwd=recipe, check=True)
    assert proc.stdout == "b b-1 b-2\na a-1\n"
    spk2utt = utils_run("utt2spk_to_spk2utt.pl", "data/train/utt2spk", cwd=recipe).stdout
    assert spk2utt == (recipe / "data/train/spk2utt").read_text()
    (recipe / "s2u").write_text(spk2utt)
    assert utils_run("spk2utt_to_utt2spk.pl", "s2u", cwd=recipe).stdout == utt2spk


def test_validate_data_dir_wrapper(recipe, utils_run):
    ok = utils_run("validate_data_dir.sh", "--no-feats", "data/train", cwd=recipe)
    assert "Successfully validated data-directory data/train" in ok.stdout
    bad = utils_run("validate_data_dir.sh", "data/train", cwd=recipe, check=False)
    assert bad.returncode == 1
    assert "feats.scp: no such file (if this is by design, pass --no-feats)" in bad.stderr
    assert utils_run("validate_data_dir.sh", "--bogus", "x", cwd=recipe, check=False).returncode == 1


def test_fix_data_dir_wrapper_backs_up_and_reports(recipe, utils_run):
    text = recipe / "data/train/text"
    text.write_text("".join(text.read_text().splitlines(keepends=True)[1:]))
    proc = utils_run("fix_data_dir.sh", "data/train", cwd=recipe)
    assert "kept 3 of 4 utterances" in proc.stderr
    assert (recipe / "data/train/.backup/utt2spk").is_file()
    assert "sA-000\tmissing-from-text" in (recipe / "data/train/excluded_fix.txt").read_text()
    assert validate_data_dir(recipe / "data/train").ok


def test_split_data_wrapper(recipe, utils_run):
    utils_run("split_data.sh", "data/train", "2", cwd=recipe)
    utils_run("split_data.sh", "--per-utt", "data/train", "3", cwd=recipe)
    assert DataDir.read(recipe / "data/train/split2/2").speakers == ["sB"]
    assert len(DataDir.read(recipe / "data/train/split3utt/3")) == 1


def test_subset_data_dir_wrapper(recipe, utils_run):
    utils_run("subset_data_dir.sh", "--first", "data/train", "2", "data/first", cwd=recipe)
    assert DataDir.read(recipe / "data/first").utts == ["sA-000", "sA-001"]
    utils_run("subset_data_dir.sh", "--shortest", "data/train", "1", "data/short", cwd=recipe)
    assert DataDir.read(recipe / "data/short").utts == ["sA-000"]
    (recipe / "spk").write_text("sB\n")
    utils_run("subset_data_dir.sh", "--spk-list", "spk", "data/train", "data/b", cwd=recipe)
    assert DataDir.read(recipe / "data/b").speakers == ["sB"]
    utils_run("subset_data_dir.sh", "--seed", "3", "data/train", "3", "data/rand", cwd=recipe)
    assert len(DataDir.read(recipe / "data/rand")) == 3
    bad = utils_run("subset_data_dir.sh", "data/train", "9", "data/x", cwd=recipe, check=False)
    assert bad.returncode == 1 and "cannot take 9 utterances" in bad.stderr


def test_copy_and_combine_wrappers(recipe, utils_run):
    utils_run("copy_data_dir.sh", "--utt-prefix", "c-", "--spk-prefix", "c-", "data/train", "data/c",
              cwd=recipe)
    assert DataDir.read(recipe / "data/c").utts[0] == "c-sA-000"
    utils_run("combine_data.sh", "data/all", "data/train", "data/c", cwd=recipe)
    assert len(DataDir.read(recipe / "data/all")) == 8
    dup = utils_run("combine_data.sh", "data/dup", "data/train", "data/train", cwd=recipe, check=False)
    assert dup.returncode == 1 and "appears in both" in dup.stderr


def test_perturb_data_dir_speed_wrapper(recipe, utils_run):
    utils_run("perturb_data_dir_speed.sh", "1.1", "data/train", "data/sp", cwd=recipe)
    sp = DataDir.read(recipe / "data/sp")
    assert sp.utts[0] == "sp1.1-sA-000" and "asrkit-speed 1.1" in sp.wav_scp["sp1.1-sA-000"]
    same = utils_run("perturb_data_dir_speed.sh", "1.1", "data/sp", "data/sp", cwd=recipe, check=False)
    assert same.returncode == 1 and "must be different" in same.stderr


def test_filter_by_duration_and_get_utt2dur_wrappers(recipe, utils_run):
    utils_run("filter_data_dir_by_duration.sh", "--min-dur", "0.65", "data/train", "data/long", cwd=recipe)
    assert DataDir.read(recipe / "data/long").utts == ["sB-000", "sB-001"]
    assert "too-short" in (recipe / "data/long/excluded_duration.txt").read_text()
    utils_run("data/get_utt2dur.sh", "data/train", cwd=recipe)
    assert read_table(recipe / "data/train/utt2dur")["sB-001"] == "0.8"


def test_wrappers_print_usage_on_wrong_arguments(recipe, utils_run):
    for script in ("fix_data_dir.sh", "copy_data_dir.sh", "perturb_data_dir_speed.sh", "split_data.sh"):
        proc = utils_run(script, cwd=recipe, check=False)
        assert proc.returncode == 1 and "Usage:" in proc.stderr, script


@pytest.mark.skipif(not os.environ.get("KALDI_ROOT"), reason="KALDI_ROOT is not set")
def test_kaldi_validate_data_dir_accepts_what_asrkit_writes(tmp_path, seg_datadir, datadir):
    """Kaldi's own validator, run unchanged, on dirs written by asrkit."""
    wsj = Path(os.environ["KALDI_ROOT"]) / "egs" / "wsj" / "s5"
    if not (wsj / "utils" / "validate_data_dir.sh").is_file():
        pytest.skip(f"no utils/validate_data_dir.sh under {wsj}")
    datadir.write(tmp_path / "plain")
    seg_datadir.write(tmp_path / "seg")
    ops.speed_perturb(seg_datadir, 0.9).write(tmp_path / "sp")
    ops.split_data(tmp_path / "seg", 2)
    for d in ("plain", "seg", "sp", "seg/split2/1"):
        proc = subprocess.run(["utils/validate_data_dir.sh", "--no-feats", str(tmp_path / d)], cwd=wsj,
                              capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
        assert proc.returncode == 0 and "Successfully validated" in proc.stdout, proc.stdout + proc.stderr


def test_shell_scripts_parse(tmp_path):
    bash = shutil.which("bash")
    for script in sorted(UTILS.rglob("*")):
        if script.is_file():
            subprocess.run([bash, "-n", str(script)], check=True)
            assert os.access(script, os.X_OK), f"{script} is not executable"
