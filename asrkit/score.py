"""Stage 6: score hypotheses against references (``asrkit-score``).

    asrkit-score --ref data/test/text --hyp exp/.../decode_x/test/hyp --data data/test \\
        --out exp/.../decode_x/test/score [--allow-missing]
    asrkit-score results exp [--out RESULTS.md]

Both files are Kaldi tables (``<utt> <words...>``; a hypothesis may be empty). Error
counts are :mod:`asrkit.wer`'s (jiwer's alignments; an empty reference scores its
hypothesis words as insertions), on the raw text and on text normalized with the
"default" :class:`TextNormalizer` (lowercase, no punctuation): WER and CER of each, plus
sentence error rate. CER counts spaces as characters (jiwer's convention).

Writes to ``--out``:

* ``result.txt``: sclite-style summary (``# Snt # Wrd | Corr Sub Del Ins Err S.Err``) for
  WER and CER, raw and normalized, then one table per gender/accent/language when the
  data dir has ``utt2gender``/``utt2accent``/``utt2lang`` (normalized words);
* ``per_speaker.txt``: the same table by speaker (``utt2spk``);
* ``alignments.txt``: per utterance, sclite ``pra`` style: ``REF:``/``HYP:`` with the words
  aligned, errors in capitals, ``***`` for gaps and an ``Eval:`` line of S/D/I marks
  (normalized text, i.e. what the headline WER scores);
* ``score.json``: every number above, for :mod:`asrkit.results`.

``asrkit-score results EXP_ROOT`` then collects every ``score.json`` under the experiment
root into ``RESULTS.md`` (:mod:`asrkit.results`), the last step of stage 6.

Utterances of the reference missing from the hypotheses stop the stage (the decode is
incomplete) unless ``--allow-missing``: then they are scored as empty hypotheses and
listed in ``missing_utts.txt`` and ``score.json``. Hypothesis ids absent from the
reference are always an error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from asrkit.cli import setup_logging
from asrkit.data.tables import DataDirError, read_table
from asrkit.layout import RESULTS_MD, SCORE_JSON
from asrkit.results import ResultsError, write_results
from asrkit.text.normalize import TextNormalizer
from asrkit.wer import Counts, align, total

log = logging.getLogger(__name__)

GROUP_TABLES = {"speaker": "utt2spk", "gender": "utt2gender", "accent": "utt2accent", "lang": "utt2lang"}
UNKNOWN_GROUP = "unknown"


class ScoreError(ValueError):
    """References and hypotheses that cannot be scored; the message says what to fix."""


@dataclass
class Alignment:
    """One utterance's aligned words: (ref word or None, hyp word or None, op) triples."""

    utt: str
    pairs: list[tuple[str | None, str | None, str]]  # op: "C", "S", "D", "I"
    counts: Counts


@dataclass
class ScoreResult:
    utts: list[str]
    missing: list[str]
    wer_raw: list[Counts]
    wer_norm: list[Counts]
    cer_raw: list[Counts]
    cer_norm: list[Counts]
    alignments: list[Alignment]  # normalized words
    groups: dict[str, dict[str, str]]  # group kind -> utt -> label

    def summary(self) -> dict[str, Counts]:
        return {
            "WER raw": total(self.wer_raw),
            "WER normalized": total(self.wer_norm),
            "CER raw": total(self.cer_raw),
            "CER normalized": total(self.cer_norm),
        }

    def by_group(self, kind: str) -> dict[str, Counts]:
        """Normalized word counts per label of ``kind`` ("speaker", "gender", ...)."""
        labels = self.groups[kind]
        out: dict[str, Counts] = {}
        for utt, c in zip(self.utts, self.wer_norm):
            out.setdefault(labels.get(utt, UNKNOWN_GROUP), Counts()).__iadd__(c)
        return dict(sorted(out.items()))


def score(
    refs: dict[str, str],
    hyps: dict[str, str],
    groups: dict[str, dict[str, str]] | None = None,
    normalizer: TextNormalizer | None = None,
    allow_missing: bool = False,
    names: tuple[str, str] = ("ref", "hyp"),
) -> ScoreResult:
    """Score ``hyps`` against ``refs`` (utt -> text). ``names`` are used in error messages."""
    extra = sorted(set(hyps) - set(refs))
    if extra:
        raise ScoreError(
            f"{names[1]}: {len(extra)} utterance(s) are not in the reference {names[0]}: "
            f"{', '.join(extra[:10])}{' ...' if len(extra) > 10 else ''}. Score against the "
            f"data set that was decoded."
        )
    utts = sorted(refs)
    missing = [u for u in utts if u not in hyps]
    if missing and not allow_missing:
        raise ScoreError(
            f"{names[1]}: {len(missing)} of {len(utts)} utterances have no hypothesis "
            f"({', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}); the decoding is "
            f"incomplete. Re-run decoding, or pass --allow-missing to score them as empty."
        )
    normalizer = normalizer or TextNormalizer.preset("default")
    raw_refs = [" ".join(refs[u].split()) for u in utts]
    raw_hyps = [" ".join(hyps.get(u, "").split()) for u in utts]
    norm_refs = [normalizer.normalize(t) for t in raw_refs]
    norm_hyps = [normalizer.normalize(t) for t in raw_hyps]
    words = align(norm_refs, norm_hyps, "word")
    return ScoreResult(
        utts=utts,
        missing=missing,
        wer_raw=[c for c, _ in align(raw_refs, raw_hyps, "word")],
        wer_norm=[c for c, _ in words],
        cer_raw=[c for c, _ in align(raw_refs, raw_hyps, "char")],
        cer_norm=[c for c, _ in align(norm_refs, norm_hyps, "char")],
        alignments=[Alignment(u, pairs, c) for u, (c, pairs) in zip(utts, words)],
        groups={k: v for k, v in (groups or {}).items()},
    )


# ---------------------------------------------------------------- report writers


def format_alignment(a: Alignment) -> str:
    """sclite ``pra`` block: id, scores, REF/HYP with aligned columns, Eval marks."""
    ref_cells, hyp_cells, eval_cells = [], [], []
    for r, h, op in a.pairs:
        if op != "C":
            r, h = r and r.upper(), h and h.upper()
        width = max(len(r or "***"), len(h or "***"))
        ref_cells.append((r or "*" * width).ljust(width))
        hyp_cells.append((h or "*" * width).ljust(width))
        eval_cells.append(("" if op == "C" else op).ljust(width))
    c = a.counts
    return (
        f"id: ({a.utt})\n"
        f"Scores: (#C #S #D #I) {c.corr} {c.sub} {c.dele} {c.ins}\n"
        f"REF:  {' '.join(ref_cells).rstrip()}\n"
        f"HYP:  {' '.join(hyp_cells).rstrip()}\n"
        f"Eval: {' '.join(eval_cells).rstrip()}\n"
    )


def format_table(title: str, rows: dict[str, Counts], label: str = "SPKR") -> str:
    """A sclite-style summary table; rates in percent of the reference words."""
    header = ["# Snt", "# Wrd", "Corr", "Sub", "Del", "Ins", "Err", "S.Err"]
    body = []
    for name, c in rows.items():
        body.append([name, str(c.snt), str(c.wrd)] + [
            f"{c.rate(n):.1f}" for n in (c.corr, c.sub, c.dele, c.ins, c.err)
        ] + [f"{c.sentence_error_rate:.1f}"])
    widths = [max(len(label), *(len(r[0]) for r in body))] + [
        max(len(h), *(len(r[i + 1]) for r in body)) for i, h in enumerate(header)
    ]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return f"| {first} | {' '.join(rest[:2])} | {' '.join(rest[2:])} |"

    rule = "|" + "-" * (len(line([label] + header)) - 2) + "|"
    return "\n".join([title, rule, line([label] + header), rule, *map(line, body), rule, ""])


def write_reports(result: ScoreResult, out_dir: str | Path, sources: dict[str, str]) -> dict:
    """Write result.txt, per_speaker.txt, alignments.txt, score.json (+ missing_utts.txt)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = result.summary()
    parts = [
        f"# asrkit-score\n# ref: {sources.get('ref', '')}\n# hyp: {sources.get('hyp', '')}\n"
        f"# normalized = TextNormalizer preset 'default' (lowercase, punctuation removed)\n"
    ]
    if result.missing:
        parts.append(
            f"# WARNING: {len(result.missing)} utterance(s) had no hypothesis and were scored as "
            f"empty (--allow-missing); see missing_utts.txt\n"
        )
    parts.append(format_table("Summary (rates in %; CER rows count characters)", summary, "Sum/Avg"))
    by = {}
    for kind in ("gender", "accent", "lang", "speaker"):
        if kind in result.groups:
            by[kind] = result.by_group(kind)
            if kind != "speaker":
                parts.append(format_table(f"By {kind} (normalized words)", by[kind], kind.upper()))
    (out_dir / "result.txt").write_text("\n".join(parts), encoding="utf-8")
    if "speaker" in by:
        (out_dir / "per_speaker.txt").write_text(
            format_table("By speaker (normalized words)", by["speaker"]), encoding="utf-8"
        )
    with open(out_dir / "alignments.txt", "w", encoding="utf-8") as f:
        f.write("# normalized text; errors in capitals, *** for gaps; Eval: S/D/I\n\n")
        for a in result.alignments:
            f.write(format_alignment(a) + "\n")
    if result.missing:
        (out_dir / "missing_utts.txt").write_text("".join(u + "\n" for u in result.missing))
    data = {
        **sources,
        "num_utts": len(result.utts),
        "missing": result.missing,
        "wer": {"raw": summary["WER raw"].to_json(), "normalized": summary["WER normalized"].to_json()},
        "cer": {"raw": summary["CER raw"].to_json(), "normalized": summary["CER normalized"].to_json()},
        "by": {kind: {k: c.to_json() for k, c in rows.items()} for kind, rows in by.items()},
    }
    (out_dir / SCORE_JSON).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    return data


def read_groups(data_dir: str | Path | None) -> dict[str, dict[str, str]]:
    """utt -> label tables of ``data_dir`` for the breakdowns that exist there."""
    if data_dir is None:
        return {}
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ScoreError(f"data directory {data_dir} does not exist")
    groups = {}
    for kind, name in GROUP_TABLES.items():
        if (data_dir / name).is_file():
            groups[kind] = read_table(data_dir / name)
    return groups


def score_files(
    ref: str | Path,
    hyp: str | Path,
    out_dir: str | Path,
    data_dir: str | Path | None = None,
    allow_missing: bool = False,
) -> dict:
    """Score Kaldi ``text`` ``ref`` against ``hyp`` and write the reports into ``out_dir``."""
    refs = read_table(ref, allow_empty_value=True)
    hyps = read_table(hyp, allow_empty_value=True)
    result = score(refs, hyps, read_groups(data_dir), allow_missing=allow_missing,
                   names=(str(ref), str(hyp)))
    return write_reports(result, out_dir, {"ref": str(ref), "hyp": str(hyp)})


def results_main(argv: list[str]) -> int:
    """``asrkit-score results EXP_ROOT [--out RESULTS.md]``."""
    parser = argparse.ArgumentParser(
        prog="asrkit-score results", description="Collect every score.json into RESULTS.md."
    )
    parser.add_argument("exp_root", help="experiment root, e.g. exp")
    parser.add_argument("--out", default=RESULTS_MD)
    args = parser.parse_args(argv)
    try:
        out = write_results(args.exp_root, args.out)
    except ResultsError as e:
        print(f"asrkit-score: error: {e}", file=sys.stderr)
        return 1
    log.info("wrote %s", out)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    setup_logging()
    if argv and argv[0] == "results":
        return results_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="asrkit-score",
        description="Score hypotheses (WER/CER, raw and normalized). "
        "'asrkit-score results EXP_ROOT' collects every score into RESULTS.md.",
    )
    parser.add_argument("--ref", required=True, help="reference Kaldi text (data/<set>/text)")
    parser.add_argument("--hyp", required=True, help="hypotheses, '<utt> <words>' per line")
    parser.add_argument("--out", required=True, help="output directory for the reports")
    parser.add_argument("--data", default=None,
                        help="data dir with utt2spk/utt2gender/utt2accent/utt2lang for breakdowns")
    parser.add_argument("--allow-missing", action="store_true",
                        help="score utterances without a hypothesis as empty instead of failing")
    args = parser.parse_args(argv)
    try:
        data = score_files(args.ref, args.hyp, args.out, args.data, args.allow_missing)
    except (ScoreError, DataDirError) as e:
        print(f"asrkit-score: error: {e}", file=sys.stderr)
        return 1
    wn, wr = data["wer"]["normalized"], data["wer"]["raw"]
    cn = data["cer"]["normalized"]
    log.info(
        "%d utts: WER %.2f%% (raw %.2f%%), CER %.2f%%, S.Err %.1f%% -> %s",
        data["num_utts"], wn["error_rate"], wr["error_rate"], cn["error_rate"],
        wn["sentence_error_rate"], Path(args.out) / "result.txt",
    )
    if data["missing"]:
        log.warning("%d utterances had no hypothesis (scored as empty)", len(data["missing"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
