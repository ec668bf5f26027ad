"""asrkit-prepare: stage 1, a corpus in its original layout -> Kaldi data dirs.

    asrkit-prepare <corpus> <corpus_root> <out_dir> [options]
    asrkit-prepare <corpus> --download <target> [options]

One sub-command per corpus module, whose ``add_arguments`` gives its options
(``asrkit-prepare <corpus> --help`` lists them) and whose ``prepare_options`` /
``download_options`` map them onto ``prepare()`` / ``download()``. The summary (utterances,
speakers, hours, excluded items by reason) is printed at the end; the per-item reasons are in
``<out_dir>/<set>/excluded.txt``.

A finished preparation leaves ``<out_dir>/.prepare.done`` holding the corpus, the resolved
corpus root and every option; a re-run with the same settings does nothing, other settings
(or ``--force``) prepare again. The marker is removed before any work starts, so an
interrupted run is never taken for a finished one.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from asrkit.cli import setup_logging
from asrkit.config import ConfigError
from asrkit.corpora import CORPORA, corpus_module
from asrkit.corpora.common import CorpusError
from asrkit.data import DataDirError
from asrkit.data.exclusions import TooManyExcluded
from asrkit.fileio import atomic_open

log = logging.getLogger(__name__)

DONE = ".prepare.done"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asrkit-prepare",
        description="Stage 1: prepare a corpus in its original layout as Kaldi data dirs.",
    )
    sub = parser.add_subparsers(dest="corpus", metavar="<corpus>", required=True)
    for name in CORPORA:
        module = corpus_module(name)
        doc = module.__doc__ or name
        p = sub.add_parser(name, help=doc.split("\n", 1)[0], description=doc,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("corpus_root", nargs="?", help="the corpus as unpacked (layout above)")
        p.add_argument("out_dir", nargs="?", help="where the data dirs go (e.g. data)")
        p.add_argument("--download", metavar="TARGET", help="download (or explain how to get) the corpus")
        p.add_argument("--force", action=argparse.BooleanOptionalAction, default=False,
                       help=f"prepare even when <out_dir>/{DONE} says it was done with these settings")
        module.add_arguments(p)
    return parser


def settings(corpus: str, corpus_root: str | Path, options: dict[str, Any]) -> dict[str, Any]:
    """What a preparation is keyed by, as its marker stores it (JSON types only)."""
    keyed = {"corpus": corpus, "corpus_root": str(Path(corpus_root).resolve()), "options": options}
    return json.loads(json.dumps(keyed, default=str))


def prepared_with(out_dir: str | Path, wanted: dict[str, Any]) -> bool:
    """Whether ``out_dir`` holds a finished preparation with exactly these settings."""
    try:
        return json.loads((Path(out_dir) / DONE).read_text(encoding="utf-8")) == wanted
    except (OSError, ValueError):
        return False


def write_marker(out_dir: str | Path, done: dict[str, Any]) -> None:
    with atomic_open(Path(out_dir) / DONE, encoding="utf-8") as f:
        f.write(json.dumps(done, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    parser = build_parser()
    args = parser.parse_args(argv)
    module = corpus_module(args.corpus)
    try:
        if args.download:
            where = module.download(args.download, **module.download_options(args))
            print(f"{args.corpus} is in {where or args.download}")
            return 0
        if not args.corpus_root or not args.out_dir:
            parser.error(f"{args.corpus}: give <corpus_root> <out_dir>, or --download <target>")
        options = module.prepare_options(args)
        wanted = settings(args.corpus, args.corpus_root, options)
        marker = Path(args.out_dir) / DONE
        if not args.force and prepared_with(args.out_dir, wanted):
            log.info("%s: %s already prepared in %s (remove %s or pass --force)",
                     args.corpus, wanted["corpus_root"], args.out_dir, marker)
            return 0
        marker.unlink(missing_ok=True)
        result = module.prepare(args.corpus_root, args.out_dir, **options)
        write_marker(args.out_dir, wanted)
    except (CorpusError, TooManyExcluded, DataDirError, ConfigError, ValueError) as e:
        print(f"asrkit-prepare {args.corpus}: error: {e}", file=sys.stderr)
        return 1
    print(f"asrkit-prepare {args.corpus}: wrote {len(result.sets)} data dirs in {args.out_dir}")
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
