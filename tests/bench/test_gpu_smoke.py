"""bench/gpu_smoke.py in its CPU mode, so the script a lent GPU runs cannot rot unnoticed."""

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "gpu_smoke.py"


def test_quick_cpu_smoke_runs_every_check_and_prints_one_table(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--quick", "--work-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    rows = [line.split("|")[1:-1] for line in done.stdout.splitlines() if line.startswith("| ")]
    header, rows = [c.strip() for c in rows[0]], [[c.strip() for c in r] for r in rows[1:]]
    assert header[:7] == ["check", "size", "dtype", "status", "time s", "items/s", "ratio vs transformers"]
    # skipped only without the optional packages: flashlight-text (beam), transformers (steps)
    failed = [r for r in rows if r[3] == "FAIL" or (r[3] == "skip" and r[0] != "decode-beam"
                                                   and not r[0].startswith("step-"))]
    assert done.returncode == 0 and not failed, (failed, done.stderr[-3000:])
    checks = {(r[0], r[2]) for r in rows}
    for dtype in ("fp32", "bf16"):
        for check in ("pretrain", "resume", "finetune", "validate", "decode-greedy", "decode-beam",
                      "step-pretrain", "step-ctc"):
            assert (check, dtype) in checks
    for r in rows:
        if r[0].startswith("step-") and r[3] == "ok":
            assert float(r[5]) > 0 and float(r[6]) > 0  # audio s/s and the ratio to transformers
    assert re.search(r"gpu_smoke on CPU", done.stdout)


def test_smoke_exits_non_zero_when_a_check_fails(tmp_path):
    # an unknown size fails the pretraining check (and the rest of its column), not the script
    done = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--quick", "--sizes", "huge",
                           "--dtypes", "fp32", "--work-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert re.search(r"\| pretrain \| huge \| fp32 \| FAIL \|", done.stdout), done.stdout
