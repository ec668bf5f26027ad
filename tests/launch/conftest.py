"""Launcher fixtures: a real one-node SLURM started once per session, helpers on job logs."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from asrkit.launch.slurm import POLL_ENV

HERE = Path(__file__).resolve().parent


def _load_cluster_module():
    spec = importlib.util.spec_from_file_location("asrkit_test_slurm_cluster",
                                                  HERE / "slurm_cluster.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


slurm_cluster_module = _load_cluster_module()


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running local SLURM (installed with apt-get when missing); SLURM_CONF points at it.

    Set ASRKIT_TEST_SLURM=0 to skip these tests.
    """
    if os.environ.get("ASRKIT_TEST_SLURM", "1") == "0":
        pytest.skip("SLURM tests disabled by ASRKIT_TEST_SLURM=0")
    cluster = slurm_cluster_module.LocalCluster()
    try:
        cluster.start()
    except slurm_cluster_module.ClusterUnavailable as e:
        shutil.rmtree(cluster.root, ignore_errors=True)
        pytest.skip(str(e))
    saved = {k: os.environ.get(k) for k in (*cluster.env, POLL_ENV)}
    os.environ.update(cluster.env)
    os.environ[POLL_ENV] = "0.2"
    try:
        yield cluster
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run the test from an empty directory (logs use relative paths, as in recipes)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def read_log(path: str | Path) -> list[str]:
    return Path(path).read_text().splitlines()


def assert_header_footer(path: str | Path, command: str, code: int, threads: int = 1) -> list[str]:
    """Check the Kaldi-style header and footer; return the output lines between them."""
    lines = read_log(path)
    assert lines[0] == f"# {command}"
    assert re.fullmatch(r"# Started at .+", lines[1])
    assert lines[2] == "#"
    assert re.fullmatch(rf"# Accounting: time=\d+ threads={threads}", lines[-2])
    assert re.fullmatch(rf"# Ended \(code {code}\) at .+, elapsed time \d+ seconds", lines[-1])
    return lines[3:-2]


def max_overlap(logs: list[Path]) -> int:
    """Most tasks running at once, from the ``start <t>``/``end <t>`` lines each task wrote."""
    spans = []
    for log in logs:
        text = log.read_text()
        start = float(re.search(r"^start (\S+)$", text, re.M).group(1))
        end = float(re.search(r"^end (\S+)$", text, re.M).group(1))
        spans.append((start, end))
    return max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)


TIMED = "echo start $(date +%s.%N); sleep {sleep}; echo end $(date +%s.%N)"


@pytest.fixture
def check_log():
    """``check_log(path, command, code, threads=1)``: header/footer checked, output returned."""
    return assert_header_footer


@pytest.fixture
def overlap():
    """``overlap(logs)``: most tasks that ran at once (tasks echo ``TIMED``'s start/end)."""
    return max_overlap


@pytest.fixture
def timed():
    """``timed(sleep)``: a task command line that records when it started and ended."""
    return lambda sleep: TIMED.format(sleep=sleep)
