"""Word and character error rates: one definition for fine-tuning validation and scoring.

Counts come from jiwer's alignments, so for a set without empty references the rates
equal jiwer's ``process_words(refs, hyps).wer`` and ``process_characters(refs, hyps).cer``
exactly. An empty reference is scored too: every hypothesis word is an insertion. A set
with no reference words has rate 0 without errors and 1 with any (jiwer would return the
insertion count there). CER counts spaces as characters (jiwer's convention).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

import jiwer


@dataclass
class Counts:
    """Error counts of a set of sentences (words or characters)."""

    snt: int = 0
    wrd: int = 0  # reference words (or characters)
    corr: int = 0
    sub: int = 0
    dele: int = 0
    ins: int = 0
    snt_err: int = 0

    @property
    def err(self) -> int:
        return self.sub + self.dele + self.ins

    def fraction(self, n: int) -> float:
        """``n`` as a fraction of the reference words (of 1 when there are none and n > 0)."""
        return n / self.wrd if self.wrd else float(n > 0)

    def rate(self, n: int) -> float:
        """``n`` as a percentage of the reference words (100 when there are none and n > 0)."""
        return 100.0 * n / self.wrd if self.wrd else 100.0 * (n > 0)

    @property
    def error_rate(self) -> float:
        return self.rate(self.err)

    @property
    def sentence_error_rate(self) -> float:
        return 100.0 * self.snt_err / self.snt if self.snt else 0.0

    def __iadd__(self, other: "Counts") -> "Counts":
        for name in ("snt", "wrd", "corr", "sub", "dele", "ins", "snt_err"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    def to_json(self) -> dict:
        d = asdict(self)
        d.update(err=self.err, error_rate=round(self.error_rate, 4),
                 sentence_error_rate=round(self.sentence_error_rate, 4))
        return d


def total(parts: Iterable[Counts]) -> Counts:
    out = Counts()
    for c in parts:
        out += c
    return out


def align(refs: list[str], hyps: list[str], unit: str = "word") -> list[tuple[Counts, list]]:
    """Per sentence: counts and aligned (ref, hyp, op) triples, op one of "C", "S", "D", "I"."""
    if not refs:
        return []
    process = jiwer.process_words if unit == "word" else jiwer.process_characters
    out = process(refs, hyps)
    results = []
    for ref, hyp, chunks in zip(out.references, out.hypotheses, out.alignments):
        c = Counts(snt=1, wrd=len(ref))
        pairs: list[tuple[str | None, str | None, str]] = []
        for ch in chunks:
            r, h = ref[ch.ref_start_idx : ch.ref_end_idx], hyp[ch.hyp_start_idx : ch.hyp_end_idx]
            if ch.type == "equal":
                c.corr += len(r)
                pairs += [(a, b, "C") for a, b in zip(r, h)]
            elif ch.type == "substitute":
                c.sub += len(r)
                pairs += [(a, b, "S") for a, b in zip(r, h)]
            elif ch.type == "delete":
                c.dele += len(r)
                pairs += [(a, None, "D") for a in r]
            else:
                c.ins += len(h)
                pairs += [(None, b, "I") for b in h]
        c.snt_err = int(c.err > 0)
        results.append((c, pairs))
    return results


def error_counts(refs: list[str], hyps: list[str],
                 normalizer: Callable[[str], str] | None = None) -> dict[str, int]:
    """Word and character errors and reference lengths of a set, after ``normalizer``.

    The counts add up over parts of a set (e.g. the shards of a validation set on several
    ranks); :func:`error_rates_of` turns their sums into rates.
    """
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    if normalizer is not None:
        refs, hyps = [normalizer(t) for t in refs], [normalizer(t) for t in hyps]
    words = total(c for c, _ in align(refs, hyps, "word"))
    chars = total(c for c, _ in align(refs, hyps, "char"))
    return {"word_errors": words.err, "words": words.wrd, "char_errors": chars.err, "chars": chars.wrd}


def error_rates_of(counts: dict[str, float]) -> dict[str, float]:
    """``{"wer", "cer"}`` as fractions from (summed) :func:`error_counts`."""
    return {"wer": Counts(wrd=counts["words"]).fraction(counts["word_errors"]),
            "cer": Counts(wrd=counts["chars"]).fraction(counts["char_errors"])}


def error_rates(refs: list[str], hyps: list[str],
                normalizer: Callable[[str], str] | None = None) -> dict[str, float]:
    """Corpus-level ``{"wer", "cer"}`` (fractions) of hypotheses against references."""
    return error_rates_of(error_counts(refs, hyps, normalizer))
