"""``asr.sh --help`` (and so every recipe's ``run.sh --help``) lists the option block of
egs/TEMPLATE/asr.sh: each option with its default and meaning, read from the block itself."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ASR_SH = REPO / "egs" / "TEMPLATE" / "asr.sh"
OPTION = re.compile(r"""([A-Za-z_]\w*)=("[^"]*"|'[^']*'|\S*)\s*(?:#\s*(.*))?$""")


def option_block() -> dict[str, tuple[str, str]]:
    """``name -> (default, meaning)`` of every assignment between the options marker and
    the line that sources parse_options.sh, read independently of the shell's help."""
    lines = ASR_SH.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"# -+ options", line))
    end = next(i for i, line in enumerate(lines) if "utils/parse_options.sh" in line and i > start)
    block = {}
    for line in lines[start + 1: end]:
        m = OPTION.match(line)
        if m:
            block[m[1]] = (m[2].strip("\"'"), (m[3] or "").strip())
    return block


def run(args: list[str], script: str = "./asr.sh", recipe: str = "mini_cv") -> subprocess.CompletedProcess:
    return subprocess.run([script, *args], cwd=REPO / "egs" / recipe, capture_output=True,
                          text=True, timeout=60)


def test_the_option_block_is_found_and_every_option_has_a_meaning():
    block = option_block()
    assert {"stage", "stop_stage", "train_set", "decode_configs"} <= set(block)
    assert [name for name, (_, meaning) in block.items() if not meaning] == []


@pytest.mark.parametrize("script", ["./asr.sh", "./run.sh"])
def test_help_lists_every_option_with_its_default_and_meaning(script):
    proc = run(["--help"], script)
    assert proc.returncode == 0, proc.stderr
    listed = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"  --([\w-]+) \(default: (.*?)\)\s+(.*)$", line)
        if m:
            listed[m[1].replace("-", "_")] = (m[2], m[3])
    expected = {name: (default or '""', meaning) for name, (default, meaning) in option_block().items()}
    assert listed == expected


def test_an_unknown_option_still_fails():
    proc = run(["--no-such-option", "1"])
    assert proc.returncode != 0
    assert "invalid option --no-such-option (there is no such option)" in proc.stderr
