"""Stage 5a: an n-gram LM for beam search (``asrkit-lm``), estimated by :mod:`asrkit.ngram`.

    asrkit-lm --text data/train/text --kaldi-text true --order 3 --out exp/lm_3gram/lm.arpa
    asrkit-lm --unit char ...        # a character LM: open vocabulary without a lexicon

KenLM's ``lmplz`` is used when it is on ``PATH`` (``--backend auto``), else asrkit's own
interpolated modified Kneser-Ney (same method; see :mod:`asrkit.ngram`). ``lm_info.json``
beside the ARPA file says how it was made; the beam decoder reads its ``unit``.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from asrkit.cli import setup_logging
from asrkit.ngram import (
    LMError,
    as_characters,
    build_binary,
    estimate,
    read_arpa_vocabulary,
    read_sentences,
    run_lmplz,
)

log = logging.getLogger(__name__)

def train_lm(
    text: str | Path,
    out: str | Path,
    order: int = 3,
    kaldi_text: bool = False,
    normalizer=None,
    prune: list[int] | None = None,
    backend: str = "auto",
    memory: str = "20%",
    unit: str = "word",
) -> dict:
    """Train an ARPA model from ``text`` into ``out``; returns the summary it also writes
    as ``lm_info.json`` next to ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if backend not in ("auto", "lmplz", "builtin"):
        raise LMError(f"unknown LM backend {backend!r}; choose auto, lmplz or builtin")
    use_lmplz = backend == "lmplz" or (backend == "auto" and shutil.which("lmplz") is not None)
    if backend == "lmplz" and shutil.which("lmplz") is None:
        raise LMError("--backend lmplz: lmplz is not on PATH (use --backend builtin)")
    skipped: list[str] = []
    sentences = list(read_sentences(text, kaldi_text, normalizer, skipped))
    if not sentences:
        raise LMError(f"{text}: no non-empty sentences to train the LM on")
    if unit == "char":
        sentences = [as_characters(s) for s in sentences]
    elif unit != "word":
        raise LMError(f"unknown LM unit {unit!r}; choose word or char")
    if use_lmplz:
        with tempfile.TemporaryDirectory() as tmp:
            plain = Path(tmp) / "text"
            plain.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
            run_lmplz(plain, out, order, prune or [], memory)
        info_counts = None
        disc = None
    else:
        model = estimate(sentences, order, prune)
        model.write_arpa(out)
        info_counts = [len(p) for p in model.prob]
        disc = [list(d) for d in model.discounts]
    info = {
        "arpa": out.name,
        "order": order,
        "unit": unit,
        "backend": "lmplz" if use_lmplz else "builtin-modified-kneser-ney",
        "text": str(text),
        "sentences": len(sentences),
        "tokens": sum(len(s) for s in sentences),
        "skipped_empty": len(skipped),
        "vocabulary": len(read_arpa_vocabulary(out)),
        "ngrams": info_counts,
        "discounts": disc,
        "prune": prune or [],
    }
    (out.parent / "lm_info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def _bool(text: str) -> bool:
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="asrkit-lm",
        description="Train a word n-gram LM (ARPA) with interpolated modified Kneser-Ney.",
    )
    parser.add_argument("--text", required=True, help="training text (Kaldi text or plain)")
    parser.add_argument("--kaldi-text", type=_bool, default=False,
                        help="true: --text is a Kaldi text file (first column = utt id)")
    parser.add_argument("--out", required=True, help="output ARPA file, e.g. exp/lm_3gram/lm.arpa")
    parser.add_argument("--order", type=int, default=3)
    parser.add_argument("--unit", default="word", choices=["word", "char"],
                        help="word n-grams, or character n-grams (| between words; use a high "
                        "order such as 8) for lexicon-free decoding")
    parser.add_argument("--prune", type=int, nargs="+", default=None,
                        help="count thresholds per order, e.g. 0 1 1 (default: no pruning)")
    parser.add_argument("--normalizer", default=None,
                        help="TextNormalizer preset applied to the text (none, default, upper)")
    parser.add_argument("--backend", default="auto", choices=["auto", "lmplz", "builtin"],
                        help="auto: lmplz when on PATH, else the built-in estimator")
    parser.add_argument("--memory", default="20%", help="lmplz -S memory limit")
    parser.add_argument("--binary", action="store_true",
                        help="also write <out without .arpa>.bin with KenLM's build_binary")
    args = parser.parse_args(argv)
    setup_logging()
    try:
        normalizer = None
        if args.normalizer is not None:
            from asrkit.text.normalize import TextNormalizer

            normalizer = TextNormalizer.from_spec(args.normalizer)
        info = train_lm(args.text, args.out, args.order, args.kaldi_text, normalizer, args.prune,
                        args.backend, args.memory, args.unit)
        if args.binary:
            build_binary(Path(args.out), Path(args.out).with_suffix(".bin"))
    except (LMError, ValueError) as e:
        print(f"asrkit-lm: error: {e}", file=sys.stderr)
        return 1
    log.info(
        "%d-gram %s LM (%s) on %d sentences, %d tokens, vocabulary %d -> %s",
        info["order"], info["unit"], info["backend"], info["sentences"], info["tokens"], info["vocabulary"], args.out,
    )
    if info["skipped_empty"]:
        log.info("skipped %d empty transcripts", info["skipped_empty"])
    (Path(args.out).parent / ".done").touch()
    return 0


if __name__ == "__main__":
    sys.exit(main())
