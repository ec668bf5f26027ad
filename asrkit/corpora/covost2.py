"""CoVoST 2 speech translation data as source-language ASR sets over Common Voice clips.

CoVoST 2 ships translation TSVs only; audio and transcripts come from the Common Voice
release it was built on (CV 4, ``cv-corpus-4-2019-12-10``)::

    <covost_dir>/covost_v2.<src>_<tgt>.tsv       path, translation, split
    <corpus_root>/<src>/validated.tsv            path, sentence, client_id, ... (Common Voice)
    <corpus_root>/<src>/clips/<path>

A CoVoST TSV that already has ``sentence`` and ``client_id`` columns (the
``covost_v2.<src>_<tgt>.<split>.tsv`` files of CoVoST's ``get_covost_splits.py``, or a
merged file) is used as it is, without ``validated.tsv``. Split ``train`` includes
``train_covost`` rows, as CoVoST 2 defines it.

Sets: ``train``, ``dev``, ``test`` over all source languages (``utt2lang`` = source
language, ``utt2translation`` = the target-language text), and with several sources also
``<split>_<src>``. The ASR transcript is the source sentence. Ids are those of the Common
Voice preparer (``<speaker>-<clip stem>``), so the two can be combined.
"""

from __future__ import annotations

import argparse
import csv
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asrkit.corpora.common import (
    AudioCheck,
    CorpusError,
    PrepareResult,
    SetBuilder,
    SpeakerIds,
    add_check_arguments,
    add_durations_argument,
    add_text_arguments,
    check_options,
    keywords,
    clean_text,
    column_index,
    comma_list,
    iter_rows,
    meta_value,
    no_options,
    normalize_gender,
    probe_audio,
    read_header,
    text_options,
    write_sets,
)
from asrkit.text.normalize import TextNormalizer

log = logging.getLogger(__name__)

URL = "https://github.com/facebookresearch/covost"
TSV_URL = "https://dl.fbaipublicfiles.com/covost/covost_v2.{src}_{tgt}.tsv.tar.gz"
CV_URL = "https://commonvoice.mozilla.org/en/datasets"
SPLITS = ("train", "dev", "test")
_TSV_NAME = re.compile(r"covost_v2\.(?P<src>[^._]+)_(?P<tgt>[^._]+)(?:\.(?P<split>train|dev|test))?\.tsv")


def download(target: str | Path) -> None:
    """CoVoST 2 needs the Common Voice 4 audio, which requires a login: explain the steps."""
    raise CorpusError(
        f"CoVoST 2 is not downloaded automatically. Into {Path(target)}:\n"
        f"  1. the Common Voice 4 release (cv-corpus-4-2019-12-10) for each source language, "
        f"from {CV_URL}, unpacked as <root>/<src>/validated.tsv and <root>/<src>/clips/*.mp3;\n"
        f"  2. the CoVoST 2 translations, {TSV_URL.format(src='<src>', tgt='<tgt>')} "
        f"(see {URL}), unpacked next to them as covost_v2.<src>_<tgt>.tsv.\n"
        f"Then: asrkit-prepare covost2 <root> data --sources ca,es"
    )


@dataclass
class CovostTsv:
    src: str
    tgt: str
    path: Path
    split: str | None  # set for the per-split files of get_covost_splits.py


def find_tsvs(covost_dir: Path, sources: Sequence[str] | None, target: str) -> dict[str, list[CovostTsv]]:
    """``{src: [tsv files]}`` for ``<src>_<target>`` pairs, preferring the single full file."""
    if not covost_dir.is_dir():
        raise CorpusError(f"{covost_dir}: no such folder; pass the folder with the covost_v2.*.tsv files")
    found: dict[str, list[CovostTsv]] = {}
    for p in sorted(covost_dir.glob("covost_v2.*.tsv")):
        m = _TSV_NAME.fullmatch(p.name)
        if m and m["tgt"] == target:
            found.setdefault(m["src"], []).append(CovostTsv(m["src"], m["tgt"], p, m["split"]))
    for src, tsvs in found.items():
        full = [t for t in tsvs if t.split is None]
        found[src] = full or tsvs
    if not found:
        raise CorpusError(
            f"{covost_dir}: no covost_v2.<src>_{target}.tsv files; download them from {URL}"
        )
    if sources:
        missing = [s for s in sources if s not in found]
        if missing:
            raise CorpusError(
                f"{covost_dir}: no covost_v2.{missing[0]}_{target}.tsv; found sources {', '.join(found)}"
            )
        return {s: found[s] for s in sources}
    return found


@dataclass
class CvInfo:
    sentence: str
    client_id: str
    gender: str
    age: str
    accent: str


def read_validated(tsv: Path, wanted: set[str]) -> dict[str, CvInfo]:
    """Sentence, speaker and metadata of the clips in ``wanted`` (streamed; the rest skipped)."""
    header = read_header(tsv)
    cols = {
        "path": column_index(header, tsv, ["path"]),
        "sentence": column_index(header, tsv, ["sentence"]),
        "client_id": column_index(header, tsv, ["client_id"]),
        "gender": column_index(header, tsv, ["gender"], required=False),
        "age": column_index(header, tsv, ["age"], required=False),
        "accent": column_index(header, tsv, ["accents", "accent"], required=False),
    }

    def get(fields: list[str], name: str) -> str:
        i = cols[name]
        return fields[i] if i is not None and i < len(fields) else ""

    out: dict[str, CvInfo] = {}
    for row in iter_rows(tsv, num_fields=len(header)):
        if row.line == 1 or row.problem:
            continue  # a broken validated.tsv row shows up as a CoVoST row without transcript
        path = get(row.fields, "path")
        if path in wanted and path not in out:
            out[path] = CvInfo(
                get(row.fields, "sentence"),
                get(row.fields, "client_id"),
                get(row.fields, "gender"),
                get(row.fields, "age"),
                get(row.fields, "accent"),
            )
    return out


def prepare(
    corpus_root: str | Path,
    out_dir: str | Path,
    *,
    covost_dir: str | Path | None = None,
    sources: Sequence[str] | None = None,
    target: str = "en",
    splits: Sequence[str] = SPLITS,
    normalizer: str | dict | TextNormalizer = "default",
    check_audio: AudioCheck = "exists",
    durations: bool = False,
    max_bad_fraction: float = 0.05,
    speaker_id_length: int = 12,
) -> PrepareResult:
    """Write CoVoST 2 ASR data dirs (see the module docstring).

    ``corpus_root``: the Common Voice release (``<src>/clips``, ``<src>/validated.tsv``);
    ``covost_dir``: where the CoVoST TSVs are (default ``corpus_root``); ``sources``: source
    languages (default: every ``covost_v2.<src>_<target>.tsv`` found). Other options as
    :func:`asrkit.corpora.commonvoice.prepare`.
    """
    corpus_root = Path(corpus_root).resolve()
    covost_dir = Path(covost_dir).resolve() if covost_dir else corpus_root
    bad = [s for s in splits if s not in SPLITS]
    if bad:
        raise CorpusError(f"CoVoST 2 has no split {bad[0]!r}; choose from {', '.join(SPLITS)}")
    tsvs = find_tsvs(covost_dir, sources, target)
    normalizer = TextNormalizer.from_spec(normalizer)
    speakers = SpeakerIds(speaker_id_length)
    multi = len(tsvs) > 1
    builders: dict[str, SetBuilder] = {}
    for src, files in tsvs.items():
        per_split = {s: SetBuilder(f"{s}_{src}" if multi else s) for s in splits}
        for tsv in files:
            _read_covost(tsv, corpus_root / src, per_split, normalizer, check_audio, durations, speakers)
        for split, b in per_split.items():
            builders[b.name] = b
            log.info("CoVoST 2 %s→%s %s: %d utterances", src, target, split, len(b))
    if multi:
        for split in splits:
            combined = SetBuilder(split)
            for src in tsvs:
                combined.absorb(builders[f"{split}_{src}"], with_problems=False)
            builders[split] = combined
    return write_sets(builders, out_dir, max_bad_fraction)


def _split_of(value: str) -> str | None:
    return "train" if value == "train_covost" else value


def _read_covost(
    tsv: CovostTsv,
    src_dir: Path,
    builders: dict[str, SetBuilder],
    normalizer: TextNormalizer,
    audio_check: AudioCheck,
    durations: bool,
    speakers: SpeakerIds,
) -> None:
    header = read_header(tsv.path)
    c_path = column_index(header, tsv.path, ["path"])
    c_translation = column_index(header, tsv.path, ["translation"], required=False)
    c_split = column_index(header, tsv.path, ["split"], required=tsv.split is None)
    c_sentence = column_index(header, tsv.path, ["sentence"], required=False)
    c_client = column_index(header, tsv.path, ["client_id"], required=False)
    merged = c_sentence is not None and c_client is not None

    def get(fields: list[str], i: int | None) -> str:
        return fields[i] if i is not None and i < len(fields) else ""

    def rows():
        return iter_rows(tsv.path, escapechar="\\", quoting=csv.QUOTE_NONE, num_fields=len(header))

    cv: dict[str, CvInfo] = {}
    validated = src_dir / "validated.tsv"
    if not merged:
        if not validated.is_file():
            raise CorpusError(
                f"{tsv.path} has no sentence/client_id columns, and {validated} (Common Voice, "
                f"which has them) does not exist; point corpus_root at the Common Voice release"
            )
        wanted = {get(r.fields, c_path) for r in rows() if r.line > 1}
        cv = read_validated(validated, wanted)
    seen: set[str] = set()
    clips = src_dir / "clips"
    for row in rows():
        if row.line == 1:
            continue
        where = f"{tsv.path}:{row.line}"
        split = tsv.split or _split_of(get(row.fields, c_split))
        clip = get(row.fields, c_path)
        key = clip or f"line{row.line}"
        builder = builders.get(split or "")
        if builder is None:
            if split not in SPLITS:
                owner = builders.get("train") or next(iter(builders.values()))
                owner.exclude(key, ("malformed-row", f"unknown split {split!r}"), where)
            continue
        if row.problem:
            builder.exclude(key, row.problem, where)
            continue
        if merged:
            info = CvInfo(get(row.fields, c_sentence), get(row.fields, c_client), "", "", "")
        elif clip in cv:
            info = cv[clip]
        else:
            builder.exclude(key, ("missing-text", f"no row for {clip} in {validated}"), where)
            continue
        if not info.client_id or not clip:
            builder.exclude(key, ("malformed-row", "empty client_id or path"), where)
            continue
        spk = speakers(info.client_id)
        utt = f"{spk}-{Path(clip).stem}"
        if clip in seen:
            builder.exclude(utt, ("duplicate-path", f"{clip} is listed earlier"), where)
            continue
        seen.add(clip)
        text, problem = clean_text(info.sentence, normalizer)
        if problem:
            builder.exclude(utt, problem, where)
            continue
        status = probe_audio(clips / clip, audio_check, durations)
        if status.problem:
            builder.exclude(utt, status.problem, where)
            continue
        builder.add(
            utt,
            str(clips / clip),
            spk,
            text,
            lang=tsv.src,
            translation=" ".join(get(row.fields, c_translation).split()) or None,
            gender=normalize_gender(info.gender),
            age=meta_value(info.age),
            accent=meta_value(info.accent),
            dur=status.duration,
        )


# ---------------------------------------------------------------------------- asrkit-prepare options
def add_arguments(p: argparse.ArgumentParser) -> None:
    """``asrkit-prepare covost2`` options, one per :func:`prepare` keyword."""
    p.add_argument("--covost-dir", help="folder of covost_v2.<src>_<tgt>.tsv (default: corpus_root)")
    p.add_argument("--sources", type=comma_list, help="source languages (default: every TSV found)")
    p.add_argument("--target", default="en", help="target language of the TSVs (default: en)")
    p.add_argument("--splits", type=comma_list, default=list(SPLITS), help=f"sets (default: {','.join(SPLITS)})")
    add_durations_argument(p, default=False)
    p.add_argument("--speaker-id-length", type=int, default=12)
    add_text_arguments(p, "default")
    add_check_arguments(p, "exists")


def prepare_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of :func:`add_arguments` as :func:`prepare` keywords."""
    return {
        **keywords(args, "covost_dir", "sources", "target", "splits", "durations", "speaker_id_length"),
        **text_options(args),
        **check_options(args),
    }


download_options = no_options
