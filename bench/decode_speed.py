"""Decoding speed and accuracy: asrkit's greedy and beam decoders against pyctcdecode.

Posteriors are simulated from real transcripts, so the decoders can be compared before an
acoustic model exists: each character of the reference (``|`` between words) peaks for
1-2 frames at 50 Hz with blanks between, every frame carries Gaussian logit noise, and a
fraction of the characters is confused with another character that wins the frame while
the true one comes second. An LM can then repair the confusions the acoustics cannot.

The word LM is a 3-gram trained by ``asrkit.lm`` (built-in modified Kneser-Ney) and is the
same ARPA file for both LM decoders, at the same beam width and LM weight. Units differ:
flashlight scales KenLM's log10 scores by ``lm_weight``, pyctcdecode converts them to
natural log before scaling by ``alpha``; so ``lm_weight = alpha * ln(10)``, and
pyctcdecode's ``beta`` is flashlight's ``word_score``.

Two LM conditions: ``closed`` (the LM text includes the test transcripts, so every test
word is in the lexicon: the usual setting of a decoder benchmark) and ``open`` (LM on the
other transcripts only; out-of-vocabulary words exist). The word-LM decoder runs twice:
closed-vocabulary (``unk_score`` -inf: only lexicon words) and with unknown words allowed
(``--unk-score``, spelled from pieces of lexicon words; see ``asrkit.decoding.beam``).

    python bench/decode_speed.py [--utts 100] [--beam 50] [--text FILE ...]

Real-time factor = decoding time / audio duration (single CPU thread). ``--am-rtf`` adds
the acoustic model's forward RTF, measured separately, to a total column.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from asrkit.decoding import build_decoder  # noqa: E402
from asrkit.lm import train_lm  # noqa: E402
from asrkit.score import score  # noqa: E402
from asrkit.text.tokenizer import build_tokenizer  # noqa: E402

FRAME_RATE = 50.0
SHARED = Path(os.environ.get("ASRKIT_SHARED_DATA", REPO.parent / "shared" / "data"))


def librispeech_transcripts() -> list[str]:
    files = sorted((SHARED / "librispeech").rglob("*.trans.txt"))
    if not files:
        sys.exit(f"no LibriSpeech transcripts under {SHARED}; pass --text FILE")
    lines = []
    for f in files:
        lines += [line.split(maxsplit=1)[1] for line in f.read_text().splitlines() if " " in line]
    return lines


def read_texts(paths: list[str]) -> list[str]:
    lines = []
    for p in paths:
        lines += [line.strip() for line in Path(p).read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def simulate(ids: list[int], vocab: int, rng: np.random.Generator, confusion: float,
             noise: float) -> np.ndarray:
    """[T, V] log-posteriors of a CTC model that heard ``ids`` (blank = 0)."""
    letters = np.arange(3, vocab)  # not blank, <unk>, |
    frames: list[tuple[int, int | None]] = [(0, None)] * int(rng.integers(2, 6))
    for i in ids:
        confuser = None
        if i >= 3 and rng.random() < confusion:
            confuser = int(rng.choice(letters[letters != i]))
        frames += [(i, confuser)] * int(rng.integers(1, 3))
        frames += [(0, None)] * int(rng.integers(1, 4))
    logits = rng.normal(0.0, noise, size=(len(frames), vocab))
    for t, (i, confuser) in enumerate(frames):
        if confuser is None:
            logits[t, i] += 8.0
        else:
            logits[t, confuser] += 8.0
            logits[t, i] += 8.0 - float(rng.uniform(0.2, 2.0))
    logits -= np.logaddexp.reduce(logits, axis=1, keepdims=True)
    return logits.astype(np.float32)


def timed(fn, posteriors):
    start = time.perf_counter()
    texts = [fn(p) for p in posteriors]
    return texts, time.perf_counter() - start


def wer(refs: list[str], hyps: list[str]) -> float:
    keys = [f"u{i:05d}" for i in range(len(refs))]
    result = score(dict(zip(keys, refs)), dict(zip(keys, hyps)))
    return result.summary()["WER normalized"].error_rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--text", nargs="+", default=None,
                        help="plain text files, one sentence a line (default: LibriSpeech transcripts in shared data)")
    parser.add_argument("--utts", type=int, default=100, help="test sentences")
    parser.add_argument("--beam", type=int, default=50)
    parser.add_argument("--threshold", type=float, default=10.0,
                        help="asrkit beam_threshold (pyctcdecode prunes beams 10 below the best)")
    parser.add_argument("--token-beam", type=int, default=8,
                        help="asrkit beam_size_token (pyctcdecode: tokens above log-prob -5)")
    parser.add_argument("--char-order", type=int, default=6, help="order of the character LM")
    parser.add_argument("--alpha", type=float, default=0.5, help="LM weight in pyctcdecode units")
    parser.add_argument("--beta", type=float, default=1.0, help="word insertion score")
    parser.add_argument("--unk-score", type=float, default=0.0,
                        help="asrkit unk_score of the open-vocabulary word-LM rows (added per unknown piece)")
    parser.add_argument("--confusion", type=float, default=0.15)
    parser.add_argument("--noise", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--am-rtf", type=float, default=None,
                        help="acoustic model forward RTF, measured separately, added to a total column")
    parser.add_argument("--skip-pyctcdecode", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)

    sentences = read_texts(args.text) if args.text else librispeech_transcripts()
    sentences = [" ".join(s.lower().split()) for s in sentences]
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(sentences))
    test = [sentences[i] for i in order[: args.utts]]
    rest = [sentences[i] for i in order[args.utts :]]
    if not rest:
        sys.exit("need more sentences than --utts (the rest trains the open-vocabulary LM)")

    work = Path(tempfile.mkdtemp(prefix="decode_bench_"))
    tok = build_tokenizer("char", sentences, work / "tok")
    post = [simulate(tok.encode(s), tok.vocab_size, rng, args.confusion, args.noise) for s in test]
    frames = sum(p.shape[0] for p in post)
    audio_s = frames / FRAME_RATE
    lms, char_lms = {}, {}
    for cond, text in (("closed", sentences), ("open", rest)):
        (work / f"{cond}.txt").write_text("\n".join(text) + "\n", encoding="utf-8")
        lms[cond] = work / cond / "word.arpa"
        train_lm(work / f"{cond}.txt", lms[cond], order=3, backend="builtin")
        char_lms[cond] = work / f"{cond}_char" / "char.arpa"
        train_lm(work / f"{cond}.txt", char_lms[cond], order=args.char_order, backend="builtin",
                 unit="char")
    test_words = {w for s in test for w in s.split()}
    open_vocab = {w for s in rest for w in s.split()}
    oov = sum(w not in open_vocab for s in test for w in s.split()) / sum(len(s.split()) for s in test)

    lm_weight = args.alpha * math.log(10)
    rows = []

    def ours(kind, **kw):
        dec = build_decoder(tok, kind, **kw)
        return lambda p: dec(torch.from_numpy(p)[None])[0][0].text

    def add(name, lm, fn):
        hyps, seconds = timed(fn, post)
        rows.append((name, lm, seconds, wer(test, hyps)))
        print(f"{name:28s} {lm:7s} {seconds:8.2f} s  RTF {seconds / audio_s:.4f}  "
              f"WER {rows[-1][3]:.2f}%", file=sys.stderr)

    pruning = dict(beam_size=args.beam, beam_threshold=args.threshold, beam_size_token=args.token_beam)
    add("asrkit greedy", "-", ours("greedy"))
    add("asrkit beam", "-", ours("beam", **pruning))
    for cond, lm in lms.items():
        add("asrkit beam + LM", cond, ours("beam", lm=lm, lm_weight=lm_weight,
                                           word_score=args.beta, **pruning))
        add("asrkit beam + LM, unknown words", cond,
            ours("beam", lm=lm, lm_weight=lm_weight, word_score=args.beta, unk_score=args.unk_score,
                 **pruning))
    for cond, lm in char_lms.items():
        add(f"asrkit beam + char {args.char_order}-gram", cond,
            ours("beam", lm=lm, lm_weight=2.0, sil_score=1.0, **pruning))
    if not args.skip_pyctcdecode:
        from pyctcdecode import build_ctcdecoder

        labels = ["", "\u2047", " "] + tok.tokens[3:]
        plain = build_ctcdecoder(labels)
        add("pyctcdecode beam", "-", lambda p: plain.decode(p, beam_width=args.beam))
        for cond, lm in lms.items():
            dec = build_ctcdecoder(labels, kenlm_model_path=str(lm), alpha=args.alpha, beta=args.beta)
            add("pyctcdecode beam + LM", cond, lambda p, d=dec: d.decode(p, beam_width=args.beam))

    print(f"\n{len(test)} utterances, {audio_s / 60:.1f} min of simulated audio ({frames} frames at "
          f"50 Hz), {len(test_words)} distinct test words; open LM: {100 * oov:.1f}% OOV words; "
          f"beam {args.beam}, alpha {args.alpha} (flashlight lm_weight {lm_weight:.3f}), "
          f"beta {args.beta}; 1 CPU thread: {torch.get_num_threads()}\n")
    total = " | total RTF" if args.am_rtf is not None else ""
    print(f"| decoder | LM | time (s) | RTF{total} | WER (%) |")
    print("|---|---|--:|--:|--:|" + ("--:|" if total else ""))
    for name, lm, seconds, w in rows:
        rtf = seconds / audio_s
        extra = f" | {rtf + args.am_rtf:.4f}" if total else ""
        print(f"| {name} | {lm} | {seconds:.2f} | {rtf:.4f}{extra} | {w:.2f} |")
    by = {(n, lm): s for n, lm, s, _ in rows}
    for cond in lms:
        if ("pyctcdecode beam + LM", cond) in by:
            for name in ("asrkit beam + LM", "asrkit beam + LM, unknown words"):
                ratio = by[("pyctcdecode beam + LM", cond)] / by[(name, cond)]
                print(f"\n{name} ({cond}): {ratio:.1f}x faster than pyctcdecode")
    if ("pyctcdecode beam", "-") in by:
        print(f"beam without LM: asrkit is {by[('pyctcdecode beam', '-')] / by[('asrkit beam', '-')]:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
