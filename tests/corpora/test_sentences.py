"""The sentence generators give the same sentences for a seed as when the golden file was written.

The synthesized corpus is part of the demo's reproducible numbers, so a refactoring of the
generators must keep every random draw in place. ``python tests/corpora/test_sentences.py``
rewrites the golden file; do that only for an intended change of the sentences.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from asrkit.corpora import sentences

GOLDEN = Path(__file__).parent / "data" / "sentences_golden.json"
LOCALES = ("ca", "es", "en")
SEEDS = (0, 1, 2, 7919, 7920)
COUNT = 3000  # sentences hashed per (locale, seed)
SHOWN = 20  # sentences kept as text, so a failure shows where the output went astray


def fingerprint(locale: str, seed: int) -> dict:
    texts = sentences.generate(locale, COUNT, seed)
    digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()
    return {"sha256": digest, "first": texts[:SHOWN]}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("seed", SEEDS)
def test_sentences_match_the_golden_file(locale, seed):
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))[f"{locale}:{seed}"]
    got = fingerprint(locale, seed)
    assert got["first"] == expected["first"]
    assert got["sha256"] == expected["sha256"], f"{locale} seed {seed}: a sentence after the first {SHOWN} differs"


if __name__ == "__main__":
    golden = {f"{loc}:{seed}": fingerprint(loc, seed) for loc in LOCALES for seed in SEEDS}
    GOLDEN.write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    sys.exit(0)
