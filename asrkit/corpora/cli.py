"""asrkit-prepare: stage 1, a corpus in its original layout -> Kaldi data dirs.

    asrkit-prepare <corpus> <corpus_root> <out_dir> [options]
    asrkit-prepare <corpus> --download <target>

One sub-command per corpus module (``asrkit-prepare <corpus> --help`` lists its options);
each maps its options onto that module's ``prepare()``. The summary (utterances, speakers,
hours, excluded items by reason) is printed at the end; the per-item reasons are in
``<out_dir>/<set>/excluded.txt``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from asrkit.config import ConfigError
from asrkit.corpora import CORPORA, corpus_module
from asrkit.corpora.common import AUDIO_CHECKS, CorpusError
from asrkit.data import DataDirError
from asrkit.data.exclusions import TooManyExcluded
from asrkit.text.normalize import PRESETS
from asrkit.cli import setup_logging


HELP = {
    "commonvoice": "Mozilla Common Voice (any locale/release; official or speaker-disjoint splits)",
    "librispeech": "LibriSpeech subsets, Libri-light-style limited supervision, unlabeled pool",
    "covost2": "CoVoST 2 source-language ASR over Common Voice clips",
    "fsdd": "Free Spoken Digit Dataset (official or speaker-disjoint split)",
    "yesno": "Kaldi's yesno (Kaldi's train/test split)",
    "generic": "a folder of audio + .txt transcripts, or a TSV/CSV manifest",
    "synth": "synthesized ca/es/en demo corpus (espeak-ng) in Common Voice layout; --download makes it",
}


def _list(text: str) -> list[str]:
    return [t for t in (x.strip() for x in text.split(",")) if t]


def _sources(text: str) -> list[str]:
    return [] if text.strip() in ("", "none") else _list(text)


def _column(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def _add_text_options(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "--normalizer",
        default=default,
        help=f"text normalization: a preset ({', '.join(PRESETS)}) or a YAML file with TextNormalizer "
        f"fields and an optional 'preset' key (default: {default})",
    )
    p.add_argument("--alphabet", help="allowed characters after normalization; sentences with others are excluded")


def _add_common(p: argparse.ArgumentParser, check_default: str) -> None:
    p.add_argument(
        "--check-audio",
        choices=AUDIO_CHECKS,
        default=check_default,
        help=f"none, exists (stat each clip) or read (open each clip's header) (default: {check_default})",
    )
    p.add_argument(
        "--max-bad-fraction",
        type=float,
        default=0.05,
        help="stop when more than this fraction of a set is excluded (default: 0.05)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asrkit-prepare",
        description="Stage 1: prepare a corpus in its original layout as Kaldi data dirs.",
    )
    sub = parser.add_subparsers(dest="corpus", metavar="<corpus>", required=True)
    parsers = {}
    for name in CORPORA:
        p = sub.add_parser(name, help=HELP[name], description=HELP[name])
        p.add_argument("corpus_root", nargs="?", help="the corpus as unpacked (see the module docs)")
        p.add_argument("out_dir", nargs="?", help="where the data dirs go (e.g. data)")
        p.add_argument("--download", metavar="TARGET", help="download (or explain how to get) the corpus")
        parsers[name] = p

    p = parsers["commonvoice"]
    p.add_argument("--locales", type=_list, help="comma-separated locales (default: every locale folder)")
    p.add_argument("--splits", type=_list, default=["train", "dev", "test"], help="labelled sets (default: train,dev,test)")
    p.add_argument("--split-mode", choices=["auto", "official", "speaker"], default="auto")
    p.add_argument("--dev-fraction", type=float, default=0.1, help="speaker split: share of clips for dev")
    p.add_argument("--test-fraction", type=float, default=0.1, help="speaker split: share of clips for test")
    p.add_argument(
        "--unlabeled",
        type=_sources,
        default=["train", "rest", "other"],
        help="pool sources, comma-separated from train,rest,other, or 'none' (default: train,rest,other)",
    )
    p.add_argument("--unlabeled-text", action=argparse.BooleanOptionalAction, default=True,
                   help="keep transcripts in the pool (default: yes; without, validate it with --no-text)")
    p.add_argument("--durations", action=argparse.BooleanOptionalAction, default=False, help="write utt2dur")
    p.add_argument("--speaker-id-length", type=int, default=12)
    _add_text_options(p, "default")
    _add_common(p, "exists")

    p = parsers["librispeech"]
    p.add_argument("--subsets", type=_list,
                   help="subsets written as sets (default: all, or dev/test with --limited); "
                   "with --download, the subsets to fetch (default: dev-clean,test-clean,train-clean-100)")
    p.add_argument("--limited", help="limited-supervision training set of this duration, e.g. 10h, 1h, 10min")
    p.add_argument("--limited-from", type=_list, help="subsets to draw it from (default: the train subsets)")
    p.add_argument("--unlabeled", action=argparse.BooleanOptionalAction, default=True,
                   help="write the rest of --limited-from as the unlabeled pool (default: yes)")
    p.add_argument("--unlabeled-text", action=argparse.BooleanOptionalAction, default=True,
                   help="keep transcripts in the pool (default: yes; without, validate it with --no-text)")
    p.add_argument("--min-duration", type=float, help="drop training utterances shorter than this (s)")
    p.add_argument("--max-duration", type=float, help="drop training utterances longer than this (s)")
    p.add_argument("--seed", type=int, default=0, help="varies the limited-supervision selection")
    _add_text_options(p, "none")
    _add_common(p, "read")

    p = parsers["covost2"]
    p.add_argument("--covost-dir", help="folder of covost_v2.<src>_<tgt>.tsv (default: corpus_root)")
    p.add_argument("--sources", type=_list, help="source languages (default: every TSV found)")
    p.add_argument("--target", default="en", help="target language of the TSVs (default: en)")
    p.add_argument("--splits", type=_list, default=["train", "dev", "test"])
    p.add_argument("--durations", action=argparse.BooleanOptionalAction, default=False, help="write utt2dur")
    p.add_argument("--speaker-id-length", type=int, default=12)
    _add_text_options(p, "default")
    _add_common(p, "exists")

    p = parsers["fsdd"]
    p.add_argument("--split", choices=["official", "speaker"], default="official")
    p.add_argument("--num-dev-speakers", type=int, default=1)
    p.add_argument("--num-test-speakers", type=int, default=1)
    p.add_argument("--dev-speakers", type=_list)
    p.add_argument("--test-speakers", type=_list)
    p.add_argument("--case", choices=["upper", "lower"], default="upper")
    _add_common(p, "read")

    _add_common(parsers["yesno"], "read")

    p = parsers["generic"]
    p.add_argument("--name", default="all", help="name of the data dir written (default: all)")
    p.add_argument("--delimiter", help="manifest field separator (default: from the file)")
    p.add_argument("--quoting", choices=["none", "csv"], help="manifest quoting (default: csv for commas)")
    p.add_argument("--header", action=argparse.BooleanOptionalAction, default=None,
                   help="the manifest has a header row (default: detected)")
    p.add_argument("--path-column", type=_column, help="header name or 0-based index")
    p.add_argument("--text-column", type=_column, help="header name or 0-based index")
    p.add_argument("--speaker-column", type=_column, help="header name or 0-based index")
    p.add_argument("--speaker", default="utt", help="without a speaker column: utt, dir, or one speaker id")
    p.add_argument("--audio-dir", help="folder relative manifest paths start from (default: the manifest's)")
    p.add_argument("--audio-ext", default="", help="suffix added to manifest paths without one, e.g. .wav")
    p.add_argument("--durations", action=argparse.BooleanOptionalAction, default=True, help="write utt2dur")
    _add_text_options(p, "none")
    _add_common(p, "read")
    return parser


def normalizer_spec(value: str, alphabet: str | None) -> dict[str, Any]:
    """``--normalizer`` (preset or YAML file) and ``--alphabet`` as a TextNormalizer spec."""
    if value in PRESETS:
        spec: dict[str, Any] = {"preset": value}
    else:
        path = Path(value)
        if not path.is_file():
            raise ConfigError(f"--normalizer {value!r} is neither a preset ({', '.join(PRESETS)}) nor a YAML file")
        with open(path, encoding="utf-8") as f:
            loaded = yaml.safe_load(f) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: top level must be a mapping of TextNormalizer fields")
        spec = loaded
    if alphabet is not None:
        spec["alphabet"] = alphabet
    return spec


def prepare_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The parsed options as keyword arguments of the corpus's ``prepare()``."""
    skip = {"corpus", "corpus_root", "out_dir", "download", "normalizer", "alphabet"}
    kwargs = {k: v for k, v in vars(args).items() if k not in skip}
    if hasattr(args, "normalizer"):
        kwargs["normalizer"] = normalizer_spec(args.normalizer, args.alphabet)
    return kwargs


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    parser = build_parser()
    args = parser.parse_args(argv)
    module = corpus_module(args.corpus)
    try:
        if args.download:
            extra = {"subsets": args.subsets} if args.corpus == "librispeech" and args.subsets else {}
            where = module.download(args.download, **extra)
            print(f"{args.corpus} is in {where or args.download}")
            return 0
        if not args.corpus_root or not args.out_dir:
            parser.error(f"{args.corpus}: give <corpus_root> <out_dir>, or --download <target>")
        result = module.prepare(args.corpus_root, args.out_dir, **prepare_kwargs(args))
    except (CorpusError, TooManyExcluded, DataDirError, ConfigError, ValueError) as e:
        print(f"asrkit-prepare {args.corpus}: error: {e}", file=sys.stderr)
        return 1
    print(f"asrkit-prepare {args.corpus}: wrote {len(result.sets)} data dirs in {args.out_dir}")
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
