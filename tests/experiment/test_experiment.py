"""asrkit-experiment on a fake recipe (tests/experiment/conftest.py): a grid of 2 inits × 2
labeled amounts × 2 seeds runs through asrkit-launch, is compared with dev choosing and test
reporting, resumes after a kill to the same table, shows a failed arm as failed, and rejects
bad grids before anything runs."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asrkit import experiment, grid as gridlib

CMD = ["--cmd", "asrkit-launch local"]


def table(recipe: Path, name: str = "grid") -> dict[tuple[str, str, str], list[str]]:
    """comparison.md's rows by (decoding, init, labeled)."""
    text = (recipe / "exp" / name / "comparison.md").read_text()
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| decoding")]
    return {(r[0], r[1], r[4]): r for r in rows}


def _mean_sd(xs: list[float]) -> str:
    return f"{statistics.fmean(xs):.2f} ± {statistics.stdev(xs):.2f}"


def test_grid_runs_every_arm_once_and_compares_on_test_with_dev_choosing(fake):
    grid = fake.write_grid(fake.recipe)
    assert experiment.main(["run", grid, *CMD]) == 0
    calls = fake.calls()
    data = [c for c in calls if c[3] == "2"]
    pretrain = [c for c in calls if c[3] == "3"]
    arms = [c for c in calls if c[3] == "6"]
    assert [c[c.index("--labeled-minutes") + 1] for c in data] == ["5", "10"]
    # one pretraining per seed, shared by both amounts
    assert sorted(c[c.index("--pretrain-opts") + 1] for c in pretrain) == [
        "--set train.seed=1", "--set train.seed=2"]
    assert len(arms) == 8 and len({c[c.index("--expdir") + 1] for c in arms}) == 8
    for c in arms:
        assert c[c.index("--test-sets") + 1] == "dev test" and c[c.index("--results") + 1] == ""

    rows = table(fake.recipe)
    assert len(rows) == 8  # 2 decodings × 2 inits × 2 amounts
    for minutes in (5, 10):
        scratch = [fake.cer(minutes, False, s) for s in (1, 2)]
        ssl = [fake.cer(minutes, True, s) for s in (1, 2)]
        greedy, lm = rows["greedy", "scratch", f"{minutes}min"], rows["lm", "ssl", f"{minutes}min"]
        assert greedy[5] == "2" and greedy[8] == _mean_sd(scratch)  # n, test CER
        assert greedy[6] == _mean_sd([x + 1 for x in scratch])  # dev CER
        # dev picks decode_lm2 (best dev WER); its test CER is reported, not lm1's lower one
        assert lm[11] == "decode_lm2" and lm[8] == _mean_sd([x + 2 for x in ssl])
        relative = 100 * (statistics.fmean(ssl) - statistics.fmean(scratch)) / statistics.fmean(scratch)
        assert rows["greedy", "ssl", f"{minutes}min"][10] == f"{relative:+.1f}%"
        assert greedy[10] == "-" and greedy[12] == "-"
    for decoding in ("greedy", "lm"):
        assert (fake.recipe / "exp" / "grid" / f"learning_curve_{decoding}.png").stat().st_size > 0
    results = (fake.recipe / "RESULTS.md").read_text()
    assert "## Comparison: grid" in results and "grid/5min_scratch_finetune_a_seed1/asr_finetune_a" in results

    # a second run finds every arm finished: only the (idempotent) data stages run again
    assert experiment.main(["run", grid, *CMD]) == 0
    assert [c[3] for c in fake.calls()[len(calls):]] == ["2", "2"]


def test_failed_arm_shows_as_failed_and_the_run_exits_nonzero_naming_it(fake, capsys):
    grid = fake.write_grid(fake.recipe)
    (fake.recipe / "fail").write_text("10min_ssl-pretrain_a_finetune_a_seed2\n")
    assert experiment.main(["run", grid, *CMD]) == 1
    err = capsys.readouterr().err
    arm_log = "exp/grid/10min_ssl-pretrain_a_finetune_a_seed2/run.log"
    assert "1 of 8 arm(s) did not finish" in err and arm_log in err
    row = table(fake.recipe)["greedy", "ssl", "10min"]
    assert row[5] == "1" and row[8] == f"{fake.cer(10, True, 1):.2f}"  # the seed that finished
    assert f"seed 2 failed (run.sh exit 1; log {arm_log})" in row[12]
    assert all(r[5] == "2" for key, r in table(fake.recipe).items() if key[1:] != ("ssl", "10min"))

    # fixed and run again: only the failed arm runs
    (fake.recipe / "fail").unlink()
    before = len(fake.calls())
    assert experiment.main(["run", grid, *CMD]) == 0
    again = [c for c in fake.calls()[before:] if c[3] != "2"]
    assert [c[c.index("--expdir") + 1] for c in again] == ["exp/grid/10min_ssl-pretrain_a_finetune_a_seed2"]
    assert table(fake.recipe)["greedy", "ssl", "10min"][5] == "2"


def test_failed_pretraining_fails_the_arms_that_need_it_not_the_others(fake, capsys):
    grid = fake.write_grid(fake.recipe, pretrain_seed=7)
    (fake.recipe / "fail").write_text("pretrain_a_seed7\n")
    assert experiment.main(["run", grid, *CMD]) == 1
    rows = table(fake.recipe)
    assert rows["greedy", "scratch", "5min"][5] == "2"
    assert rows["greedy", "ssl", "5min"][5] == "0"
    assert ("seed 1 failed (pretraining exp/pretraining/pretrain_a_seed7 failed; "
            "log exp/pretraining/pretrain_a_seed7/run.log)") in rows["greedy", "ssl", "5min"][12]
    assert "5min_ssl-pretrain_a_finetune_a_seed1: failed; pretraining" in capsys.readouterr().err


def test_killed_grid_resumes_where_it_stopped_and_gives_the_same_table(fake, tmp_path):
    reference = fake.make_recipe(tmp_path / "reference")
    fake.write_grid(reference)
    subprocess.run([sys.executable, "-m", "asrkit.experiment", "run", "conf/grid.yaml", *CMD],
                   cwd=reference, check=True, capture_output=True)

    grid = fake.write_grid(fake.recipe)
    held = "10min_scratch_finetune_a_seed1"
    (fake.recipe / "hold").write_text(held + "\n")
    driver = subprocess.Popen([sys.executable, "-m", "asrkit.experiment", "run", grid, *CMD,
                               "--max-parallel", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    status = fake.recipe / "exp" / "grid" / held
    deadline = time.monotonic() + 60
    while gridlib.read_status(status)["state"] != "running":
        assert driver.poll() is None and time.monotonic() < deadline, driver.communicate()[0].decode()
        time.sleep(0.1)
    driver.send_signal(signal.SIGTERM)
    assert driver.wait(timeout=30) != 0
    finished = {c[c.index("--expdir") + 1] for c in fake.calls() if c[3] == "6"} - {f"exp/grid/{held}"}
    assert len(finished) == 4  # the 5-minute arms, run before the held one
    (fake.recipe / "hold").unlink()

    before = len(fake.calls())
    assert experiment.main(["run", grid, *CMD]) == 0
    rerun = {c[c.index("--expdir") + 1] for c in fake.calls()[before:] if c[3] == "6"}
    assert len(rerun) == 4 and not rerun & finished
    assert (fake.recipe / "exp/grid/comparison.md").read_text() == (reference / "exp/grid/comparison.md").read_text()


def test_report_shows_arms_not_run_yet(fake):
    grid = fake.write_grid(fake.recipe)
    assert experiment.main(["report", grid]) == 0
    row = table(fake.recipe)["lm", "ssl", "5min"]
    assert row[5] == "0" and row[12] == "seed 1 not run; seed 2 not run"
    assert fake.calls() == []


@pytest.mark.parametrize("changes, message", [
    ({"seeds": [1, 2, 1]}, "seeds: 1 listed more than once"),
    ({"inits": ["scratch", "sll"]}, "unknown init 'sll'"),
    ({"finetune": [{"config": "conf/finetune_x.yaml"}]}, "config file conf/finetune_x.yaml does not exist"),
    ({"decodings": {"lm": ["conf/decode_lm3.yaml"]}}, "decodings.lm: config file conf/decode_lm3.yaml"),
    ({"finetune": [{"config": "conf/finetune_a.yaml", "overides": ["a=1"]}]}, "'finetune[0].overides'"),
    ({"labeled_minutes": [5], "train_sets": ["train_1h"]}, "give one of them"),
    ({"run_opts": ["--expdir", "elsewhere"]}, "run_opts: --expdir is set by the driver"),
    ({"finetune": [{"config": "conf/finetune_a.yaml"}] * 2}, "arms named alike"),
])
def test_bad_grid_is_rejected_before_anything_runs(fake, capsys, changes, message):
    grid = fake.write_grid(fake.recipe, **changes)
    assert experiment.main(["run", grid, *CMD]) == 1
    assert message in capsys.readouterr().err
    assert fake.calls() == [] and not (fake.recipe / "exp").exists()


def test_pretraining_is_shared_between_grids_unless_its_options_differ(fake, capsys):
    assert experiment.main(["run", fake.write_grid(fake.recipe, "one", seeds=[1]), *CMD]) == 0
    assert experiment.main(["run", fake.write_grid(fake.recipe, "two", seeds=[1], inits=["ssl"]), *CMD]) == 0
    assert sum(c[3] == "3" for c in fake.calls()) == 1
    other = fake.write_grid(fake.recipe, "three", seeds=[1], inits=["ssl"], unlabeled_set="pool")
    assert experiment.main(["run", other, *CMD]) == 0  # another pool: another pretraining
    assert (fake.recipe / "exp/pretraining/pretrain_a_pool-pool_seed1/status.json").is_file()
    assert sum(c[3] == "3" for c in fake.calls()) == 2
    clash = fake.write_grid(fake.recipe, "four", seeds=[1], inits=["ssl"], run_opts=["--nj", "1"])
    assert experiment.main(["run", clash, *CMD]) == 1
    assert "exp/pretraining/pretrain_a_seed1 was pretrained by" in capsys.readouterr().err


def test_options_after_double_dash_reach_every_run(fake):
    grid = fake.write_grid(fake.recipe, seeds=[1], labeled_minutes=[5])
    assert experiment.main(["run", grid, *CMD, "--", "--ngpu", "1"]) == 0
    assert all(c[-2:] == ["--ngpu", "1"] for c in fake.calls())
    assert os.path.isfile("exp/grid/5min_scratch_finetune_a_seed1/status.json")
