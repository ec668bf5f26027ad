"""``asrkit-data <op>``: the data-dir operations from the shell (``utils/*.sh`` wrap these).

Every op reads whole data dirs, works in memory and writes valid, sorted dirs; a dir
that would not be valid is not written. User errors print one message and exit 1.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from asrkit.data import ops
from asrkit.data.datadir import DataDir
from asrkit.data.exclusions import Exclusions, TooManyExcluded
from asrkit.data.tables import DataDirError, read_list, spk2utt_to_utt2spk, utt2spk_to_spk2utt
from asrkit.data.validate import validate_data_dir
from asrkit.cli import setup_logging

log = logging.getLogger("asrkit.data")


def _report(ex: Exclusions, kept: int, total: int, path: Path, what: str, max_fraction: float) -> None:
    """Write the exclusion report and log the counts; stop (before anything is written)
    when more than ``max_fraction`` of the utterances were dropped."""
    ex.write(path)
    log.info("%s: kept %d of %d utterances; what was dropped and why is in %s\n%s",
             what, kept, total, path, ex.summary(total))
    if total and (total - kept) / total > max_fraction:
        ex.check(total, max_fraction, what, path)


def cmd_validate(a: argparse.Namespace) -> int:
    report = validate_data_dir(a.dir, no_feats=a.no_feats, no_text=a.no_text, no_wav=a.no_wav,
                               no_spk_sort=a.no_spk_sort, check_files=not a.no_check_files)
    for w in report.warnings:
        log.warning("%s", w)
    if not report.ok:
        print(report.summary(), file=sys.stderr)
        return 1
    print(f"Successfully validated data-directory {a.dir}")
    return 0


def cmd_fix(a: argparse.Namespace) -> int:
    fixed, ex, total = ops.fix_data_dir(a.dir)
    _report(ex, len(fixed), total, Path(a.dir) / "excluded_fix.txt", "fix_data_dir", a.max_excluded_fraction)
    backup = ops.backup_tables(a.dir)
    fixed.write(a.dir, no_spk_sort=a.no_spk_sort)
    log.info("fix_data_dir: old files are kept in %s", backup)
    return 0


def cmd_split(a: argparse.Namespace) -> int:
    for piece in ops.split_data(a.dir, a.num, per_utt=a.per_utt, no_spk_sort=a.no_spk_sort):
        print(piece)
    return 0


def cmd_subset(a: argparse.Namespace) -> int:
    dd = DataDir.read(a.src)
    if a.utt_list:
        out = ops.subset_utt_list(dd, read_list(a.utt_list), a.utt_list)
    elif a.spk_list:
        out = ops.subset_spk_list(dd, read_list(a.spk_list), a.spk_list)
    elif a.first:
        out = ops.subset_first(dd, a.first)
    elif a.last:
        out = ops.subset_last(dd, a.last)
    elif a.shortest:
        out = ops.subset_shortest(dd, a.shortest)
    elif a.speakers:
        out = ops.subset_speakers(dd, a.speakers, a.seed)
    elif a.minutes:
        out = ops.subset_by_duration(dd, a.minutes, None if a.group_by == "none" else a.group_by, a.seed)
    else:
        out = ops.subset_random(dd, a.random, a.seed)
    if not len(out):
        raise DataDirError(f"subset of {a.src} is empty; check the ids in the list")
    out.write(a.dst, no_spk_sort=a.no_spk_sort)
    log.info("subset: %d of %d utterances of %s written to %s", len(out), len(dd), a.src, a.dst)
    return 0


def cmd_disjoint(a: argparse.Namespace) -> int:
    dd = DataDir.read(a.dir)
    shared = ops.shared_speakers(dd, [DataDir.read(o) for o in a.others])
    if shared:
        lines = [f"  {other}: {len(spks)} speaker(s): {' '.join(spks[:10])}{' ...' if len(spks) > 10 else ''}"
                 for other, spks in shared.items()]
        raise DataDirError(f"{a.dir} shares speakers with sets it must not overlap:\n" + "\n".join(lines)
                           + f"\nleave them out of {a.dir} (utils/subset_data_dir.sh --spk-list) or prepare "
                           "it again from sources without them")
    print(f"{a.dir} shares no speaker with {', '.join(a.others)}")
    return 0


def cmd_combine(a: argparse.Namespace) -> int:
    out = ops.combine([DataDir.read(s) for s in a.src])
    out.write(a.dst, no_spk_sort=a.no_spk_sort)
    log.info("combine: %d utterances from %d dirs written to %s", len(out), len(a.src), a.dst)
    return 0


def cmd_copy(a: argparse.Namespace) -> int:
    out = ops.copy_data_dir(DataDir.read(a.src), utt_prefix=a.utt_prefix, utt_suffix=a.utt_suffix,
                            spk_prefix=a.spk_prefix, spk_suffix=a.spk_suffix)
    out.write(a.dst, no_spk_sort=a.no_spk_sort)
    log.info("copy: copied data from %s to %s", a.src, a.dst)
    return 0


def cmd_speed_perturb(a: argparse.Namespace) -> int:
    if Path(a.src).resolve() == Path(a.dst).resolve():
        raise DataDirError("speed-perturb: <src> and <dst> must be different directories")
    out = ops.speed_perturb(DataDir.read(a.src), a.factor)
    out.write(a.dst, no_spk_sort=a.no_spk_sort)
    log.info("speed-perturb: %s sped up by %s written to %s", a.src, a.factor, a.dst)
    return 0


def cmd_filter_duration(a: argparse.Namespace) -> int:
    if a.min_dur is None and a.max_dur is None:
        raise DataDirError("filter-duration: give --min-dur and/or --max-dur")
    dd = DataDir.read(a.src)
    out, ex = ops.filter_by_duration(dd, a.min_dur, a.max_dur)
    _report(ex, len(out), len(dd), Path(a.dst) / "excluded_duration.txt", "filter-duration",
            a.max_excluded_fraction)
    out.write(a.dst, no_spk_sort=a.no_spk_sort)
    return 0


def cmd_get_utt2dur(a: argparse.Namespace) -> int:
    dd = DataDir.read(a.dir)
    if "utt2dur" in dd.utt_tables and not a.force:
        log.info("%s/utt2dur exists already (use --force to measure again)", a.dir)
        return 0
    dd.utt_tables.pop("utt2dur", None)
    ops.add_utt2dur(dd).write(a.dir, no_spk_sort=a.no_spk_sort)
    log.info("wrote %s/utt2dur", a.dir)
    return 0


def _lines(files: list[str]):
    """(source, line number, fields) of stdin or the files, like Perl's ``<>``."""
    streams = [(f, open(f, encoding="utf-8")) for f in files] or [("stdin", sys.stdin)]
    for name, stream in streams:
        with stream:
            for n, line in enumerate(stream, 1):
                if line.strip():
                    yield name, n, line.split()


def cmd_utt2spk_to_spk2utt(a: argparse.Namespace) -> int:
    utt2spk = {}
    for name, n, fields in _lines(a.files):
        if len(fields) != 2:
            raise DataDirError(f"{name} line {n}: expected '<utt> <spk>', got {len(fields)} fields")
        utt2spk[fields[0]] = fields[1]
    for spk, utts in utt2spk_to_spk2utt(utt2spk).items():
        sys.stdout.write(f"{spk} {' '.join(utts)}\n")
    return 0


def cmd_spk2utt_to_utt2spk(a: argparse.Namespace) -> int:
    spk2utt = {}
    for name, n, fields in _lines(a.files):
        if len(fields) < 2:
            raise DataDirError(f"{name} line {n}: expected '<spk> <utt1> <utt2> ...'")
        spk2utt.setdefault(fields[0], []).extend(fields[1:])
    for utt, spk in spk2utt_to_utt2spk(spk2utt).items():
        sys.stdout.write(f"{utt} {spk}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asrkit-data",
                                description="Kaldi data-directory operations (utils/*.sh wrap these).")
    sub = p.add_subparsers(dest="op", required=True, metavar="<op>")
    writes = argparse.ArgumentParser(add_help=False)
    writes.add_argument("--no-spk-sort", action="store_true",
                        help="allow utterance ids that do not sort with their speakers")

    s = sub.add_parser("validate", help="check a data dir (utils/validate_data_dir.sh)",
                       description="Check a data dir as Kaldi's validate_data_dir.sh does: text, "
                       "wav.scp and feats.scp are required unless --no-text/--no-wav/--no-feats.")
    s.add_argument("dir")
    for flag, what in (("feats", "feats.scp"), ("text", "text"), ("wav", "wav.scp")):
        s.add_argument(f"--no-{flag}", action="store_true", help=f"{what} is optional (checked if present)")
    s.add_argument("--no-spk-sort", action="store_true", help="utt2spk need not be sorted by speaker")
    s.add_argument("--no-check-files", action="store_true", help="do not check that wav.scp paths exist")
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("fix", parents=[writes], help="drop what is inconsistent, in place (fix_data_dir.sh)")
    s.add_argument("dir")
    s.add_argument("--max-excluded-fraction", type=float, default=1.0,
                   help="fail if more than this fraction of utterances is dropped")
    s.set_defaults(func=cmd_fix)

    s = sub.add_parser("split", parents=[writes], help="write <dir>/split<N>/<1..N> (split_data.sh)")
    s.add_argument("dir")
    s.add_argument("num", type=int)
    s.add_argument("--per-utt", action="store_true", help="split utterances, not speakers (split<N>utt)")
    s.set_defaults(func=cmd_split)

    s = sub.add_parser("subset", parents=[writes], help="part of a data dir (subset_data_dir.sh)")
    s.add_argument("src")
    s.add_argument("dst")
    how = s.add_mutually_exclusive_group(required=True)
    for name, what in (("first", "the first N utterances"), ("last", "the last N utterances"),
                       ("random", "N random utterances"), ("shortest", "the N shortest utterances"),
                       ("speakers", "random whole speakers, at least N utterances")):
        how.add_argument(f"--{name}", type=int, metavar="N", help=what)
    how.add_argument("--utt-list", metavar="FILE", help="the utterances listed in FILE")
    how.add_argument("--spk-list", metavar="FILE", help="the speakers listed in FILE")
    how.add_argument("--minutes", type=float, metavar="M",
                     help="M minutes of speech (per --group-by value), speakers taking turns in a "
                          "seeded order; for one seed a smaller M gives a subset of a larger one")
    s.add_argument("--group-by", default="none", metavar="TABLE",
                   help="with --minutes: take M minutes of each value of this utt2* table, e.g. "
                        "utt2lang (default: none, M minutes in all)")
    s.add_argument("--seed", type=int, default=0, help="random seed for --random, --speakers and --minutes")
    s.set_defaults(func=cmd_subset)

    s = sub.add_parser("disjoint", help="fail naming the speakers <dir> shares with any <other> dir "
                       "(utils/check_speakers_disjoint.sh)")
    s.add_argument("dir")
    s.add_argument("others", nargs="+", metavar="other")
    s.set_defaults(func=cmd_disjoint)

    s = sub.add_parser("combine", parents=[writes], help="merge data dirs (combine_data.sh)")
    s.add_argument("dst")
    s.add_argument("src", nargs="+")
    s.set_defaults(func=cmd_combine)

    s = sub.add_parser("copy", parents=[writes], help="copy with new ids (copy_data_dir.sh)")
    s.add_argument("src")
    s.add_argument("dst")
    for name in ("utt-prefix", "utt-suffix", "spk-prefix", "spk-suffix"):
        s.add_argument(f"--{name}", default="")
    s.set_defaults(func=cmd_copy)

    s = sub.add_parser("speed-perturb", parents=[writes],
                       help="speed-perturbed copy, ids prefixed sp<factor>- (perturb_data_dir_speed.sh)")
    s.add_argument("factor")
    s.add_argument("src")
    s.add_argument("dst")
    s.set_defaults(func=cmd_speed_perturb)

    s = sub.add_parser("filter-duration", parents=[writes], help="keep utterances within duration limits")
    s.add_argument("src")
    s.add_argument("dst")
    s.add_argument("--min-dur", type=float, help="seconds")
    s.add_argument("--max-dur", type=float, help="seconds")
    s.add_argument("--max-excluded-fraction", type=float, default=1.0,
                   help="fail if more than this fraction of utterances is dropped")
    s.set_defaults(func=cmd_filter_duration)

    s = sub.add_parser("get-utt2dur", parents=[writes], help="measure durations into <dir>/utt2dur")
    s.add_argument("dir")
    s.add_argument("--force", action="store_true", help="measure again if utt2dur exists")
    s.set_defaults(func=cmd_get_utt2dur)

    for name, func, what in (("utt2spk-to-spk2utt", cmd_utt2spk_to_spk2utt, "utt2spk -> spk2utt"),
                             ("spk2utt-to-utt2spk", cmd_spk2utt_to_utt2spk, "spk2utt -> utt2spk")):
        s = sub.add_parser(name, help=f"{what}, files or stdin to stdout")
        s.add_argument("files", nargs="*")
        s.set_defaults(func=func)
    return p


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DataDirError, TooManyExcluded, OSError) as e:
        print(f"asrkit-data {args.op}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
