"""A synthesized multilingual speech corpus in exactly the Common Voice layout.

The demo recipe (``egs/mini_cv``) must run offline from pip-installable parts, so it makes
its own corpus: sentences from :mod:`asrkit.corpora.sentences`, spoken by espeak-ng
(:mod:`asrkit.corpora.espeak`) with many distinct synthetic speakers, written as a Common
Voice release so that the same preparer as real Common Voice reads it::

    <root>/<locale>/clips/common_voice_<locale>_<n>.mp3     48 kHz mono MP3
    <root>/<locale>/{validated,train,dev,test,other,invalidated}.tsv
    <root>/<locale>/clip_durations.tsv
    <root>/synthesis_report.json                            what was made, with what

TSVs follow a recent release (Common Voice 17+): columns ``client_id path sentence_id
sentence sentence_domain up_votes down_votes age gender accents variant locale segment``,
tab-separated, no quoting (sentences may hold quote characters), gender as
``male_masculine``/``female_feminine``, ages from Common Voice's vocabulary (with its
spelling ``fourties``), some speakers with no demographics at all, as in the real data.

Splits: speakers are train, dev or test speakers (disjoint); ``validated.tsv`` is
train + dev + test; ``other.tsv`` (clips not yet validated, the unlabeled pool) and
``invalidated.tsv`` (clips voted down: here the speaker read a different sentence than the
prompt, the usual reason) come from train speakers only. Every sentence is recorded once.

Growing: ``pool_minutes_per_locale`` makes a bigger corpus as a newer release of the same
one. The corpus of ``minutes`` and ``speakers_per_locale`` (the base) is made first, byte for
byte as without growing; then more train speakers and more sentences are recorded into
train, other and invalidated until each locale's train-speaker audio (train + other, the
unlabeled pool) holds that many minutes. Dev and test are the base's, whatever the growth.

Everything is deterministic given the seed: the same seed gives byte-identical TSVs and
MP3s (espeak-ng, soxr and LAME are deterministic), whatever the number of jobs.

    python -m asrkit.corpora.synth db/mini_cv --minutes 40
    python -m asrkit.corpora.synth --sample ca
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import multiprocessing
import os
import random
import shutil
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from asrkit.progress import progress
from asrkit.corpora import commonvoice, espeak, sentences
from asrkit.corpora.common import keywords
from asrkit.corpora.espeak import EspeakError, Voice
from asrkit.cli import setup_logging

log = logging.getLogger(__name__)

COLUMNS = ("client_id", "path", "sentence_id", "sentence", "sentence_domain", "up_votes", "down_votes",
           "age", "gender", "accents", "variant", "locale", "segment")
TABLES = ("validated", "train", "dev", "test", "other", "invalidated")
REPORT = "synthesis_report.json"
SAMPLE_RATE = 48000
DEFAULT_LANGUAGES = ("ca", "es", "en")
RENDER_CHUNK = 8  # clips rendered in one forked process

# Share of each locale's audio per table, filled in this order (each gets at least one clip).
SHARES = (("test", 0.12), ("dev", 0.10), ("train", 0.64), ("other", 0.12), ("invalidated", 0.02))
# The tables a grown corpus adds to (train speakers'), and the share of train + other: the pool.
GROWING = ("train", "other", "invalidated")
POOL_SHARE = sum(share for table, share in SHARES if table in ("train", "other"))
# Share of speakers per split; other/invalidated clips come from train speakers.
SPEAKER_SHARES = (("test", 0.15), ("dev", 0.12))
AGES = (("teens", 6), ("twenties", 30), ("thirties", 25), ("fourties", 15), ("fifties", 11),
        ("sixties", 8), ("seventies", 4), ("eighties", 1))
VARIANTS = {"male_masculine": ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"),
            "female_feminine": ("f1", "f2", "f3", "f4", "f5")}


class SynthError(RuntimeError):
    """The corpus cannot be made as asked (bad option, foreign data in the way)."""


@dataclass(frozen=True)
class Speaker:
    """One synthetic contributor: a client id, demographics and a voice."""

    locale: str
    client_id: str
    split: str  # train / dev / test
    gender: str  # Common Voice's value; empty when the contributor did not say
    age: str
    accent: str
    voice: Voice
    weight: float  # share of clips: a few speakers record a lot, as in Common Voice
    gain_db: float  # peak level
    noise_db: float  # background noise level (dBFS, RMS)
    tilt: float  # first-order "microphone" coloration


@dataclass(frozen=True)
class Clip:
    """One planned recording: who reads what, and how it lands in the TSVs."""

    locale: str
    speaker: Speaker
    sentence: str  # the prompt, as the TSV shows it
    spoken: str  # what the audio says (another sentence for invalidated clips)
    table: str  # validated / other / invalidated
    split: str  # train / dev / test for validated clips, else ""
    voice: Voice  # the speaker's voice with this clip's rate and pitch
    lead: float  # seconds of silence before and after the speech
    trail: float
    up_votes: int
    down_votes: int
    seed: int
    clip_id: int = 0

    @property
    def path(self) -> str:
        return f"common_voice_{self.locale}_{self.clip_id}.mp3"


@dataclass
class SplitSummary:
    clips: int = 0
    seconds: float = 0.0
    speakers: int = 0


@dataclass
class LocaleSummary:
    splits: dict[str, SplitSummary] = field(default_factory=dict)
    words: int = 0  # word tokens in validated sentences
    vocabulary: int = 0  # distinct words in validated sentences
    test_oov_rate: float = 0.0  # test word tokens whose word is not in train's vocabulary

    @property
    def clips(self) -> int:
        return sum(s.clips for k, s in self.splits.items() if k != "validated")

    @property
    def seconds(self) -> float:
        return sum(s.seconds for k, s in self.splits.items() if k != "validated")


@dataclass
class Summary:
    """What :func:`generate` made: per locale and split, clips, minutes and speakers."""

    root: Path
    locales: dict[str, LocaleSummary]
    seed: int
    jobs: int
    seconds_taken: float
    espeak_version: str

    @property
    def minutes(self) -> float:
        return sum(loc.seconds for loc in self.locales.values()) / 60

    @property
    def clips(self) -> int:
        return sum(loc.clips for loc in self.locales.values())

    def to_dict(self) -> dict:
        return {
            "root": str(self.root),
            "generator": "asrkit.corpora.synth",
            "espeak_ng": self.espeak_version,
            "seed": self.seed,
            "jobs": self.jobs,
            "seconds_taken": round(self.seconds_taken, 1),
            "minutes": round(self.minutes, 2),
            "clips": self.clips,
            "locales": {
                loc: {
                    "minutes": round(s.seconds / 60, 2),
                    "clips": s.clips,
                    "words": s.words,
                    "vocabulary": s.vocabulary,
                    "test_oov_rate": round(s.test_oov_rate, 4),
                    "tables": {
                        name: {"clips": t.clips, "minutes": round(t.seconds / 60, 2), "speakers": t.speakers}
                        for name, t in s.splits.items()
                    },
                }
                for loc, s in self.locales.items()
            },
        }

    def __str__(self) -> str:
        lines = [f"synthesized {self.minutes:.1f} min in {self.clips} clips under {self.root} "
                 f"({self.seconds_taken:.1f} s with {self.jobs} jobs, espeak-ng {self.espeak_version})"]
        lines.append(f"  {'locale':<7}{'table':<12}{'clips':>6}{'minutes':>9}{'speakers':>9}")
        for loc, s in self.locales.items():
            for name, t in s.splits.items():
                lines.append(f"  {loc:<7}{name:<12}{t.clips:>6}{t.seconds / 60:>9.2f}{t.speakers:>9}")
            lines.append(f"  {loc:<7}validated sentences: {s.words} words, vocabulary {s.vocabulary}, "
                         f"test OOV rate {100 * s.test_oov_rate:.1f}%")
        return "\n".join(lines)


# ---------------------------------------------------------------------------- planning
def _seed_int(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "little")


def _weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def make_speakers(locale: str, count: int, seed: int, extra: int = 0) -> list[Speaker]:
    """``count`` speakers for ``locale``: distinct voices, accents, ages; split by speaker.

    ``extra`` more train speakers follow them; the first ``count`` are the same whatever
    ``extra`` is.
    """
    if count < 3:
        raise SynthError(f"need at least 3 speakers per locale (train, dev, test), got {count}")
    module = sentences.language(locale)
    rng = random.Random(f"asrkit-synth-speakers:{locale}:{seed}")
    n_test = max(1, round(SPEAKER_SHARES[0][1] * count))
    n_dev = max(1, round(SPEAKER_SHARES[1][1] * count))
    splits = ["test"] * n_test + ["dev"] * n_dev + ["train"] * (count - n_test - n_dev + extra)
    used = {g: rng.randrange(len(v)) for g, v in VARIANTS.items()}  # cycle through variants
    speakers = []
    for i, split in enumerate(splits):
        gender = "female_feminine" if rng.random() < 0.4 else "male_masculine"
        variant = VARIANTS[gender][used[gender] % len(VARIANTS[gender])]
        used[gender] += 1
        accent = rng.choices(module.ACCENTS, weights=[a.weight for a in module.ACCENTS])[0]
        female = gender == "female_feminine"
        voice = Voice(
            name=accent.voice,
            variant=variant,
            rate=int(min(210, max(125, rng.gauss(160, 16)))),
            pitch=int(min(90, max(10, rng.gauss(58 if female else 42, 10)))),
            pitch_range=int(min(90, max(20, rng.gauss(55, 15)))),
            word_gap=rng.choices((0, 1, 2, 3), weights=(6, 2, 1, 1))[0],
        )
        shown = rng.random()  # many contributors leave their profile (or parts of it) empty
        speakers.append(Speaker(
            locale=locale,
            client_id=hashlib.sha512(f"asrkit-synth:{seed}:{locale}:{i}".encode()).hexdigest(),
            split=split,
            gender=gender if shown > 0.15 else "",
            age=_weighted(rng, AGES) if shown > 0.15 else "",
            accent=accent.label if shown > 0.25 else "",
            voice=voice,
            weight=rng.lognormvariate(0, 0.8),
            gain_db=rng.uniform(-9, -2),
            noise_db=rng.uniform(-68, -52),
            tilt=rng.uniform(-0.6, 0.4),
        ))
    return speakers


def _votes(rng: random.Random, table: str) -> tuple[int, int]:
    if table == "validated":
        up = rng.choice((2, 2, 2, 3, 4))
        return up, rng.choice((0, 0, 0, 1)) if up > 2 else 0
    if table == "other":
        return rng.choice((0, 0, 1)), rng.choice((0, 0, 1))
    return rng.choice((0, 1)), rng.choice((2, 2, 3))


def plan_locale(locale: str, seconds: float, speakers: Sequence[Speaker], seed: int,
                pool_seconds: float | None = None,
                newcomers: Sequence[Speaker] = ()) -> tuple[list[Clip], list[Clip]]:
    """Clips for one locale until each table holds its share of ``seconds`` of audio.

    Returns them and the clips of growing: with ``pool_seconds``, train, other and
    invalidated then grow, read by the train speakers and the ``newcomers``, until train +
    other hold ``pool_seconds`` in their shares' proportion. The first list is the same
    with or without growing.

    Durations are measured, not guessed: espeak-ng synthesizes each sentence here (it runs
    at ~1000x real time), so the corpus has the size asked for. Run it through
    :func:`espeak.isolated`, so that the measurements (and so the plan) do not depend on
    what the process synthesized before.
    """
    rng = random.Random(f"asrkit-synth-plan:{locale}:{seed}")
    prompts = sentences.stream(locale, seed)
    misreads = sentences.stream(locale, seed + 7919)  # what invalidated clips say instead
    rate = espeak.sample_rate()
    pools = {split: [s for s in speakers if s.split == split] for split in ("train", "dev", "test")}
    clips: list[Clip] = []
    filled = {table: 0.0 for table, _ in SHARES}  # seconds planned per table

    def fill(table: str, target: float, pool: list[Speaker]) -> None:
        weights = [s.weight for s in pool]
        while filled[table] < target or filled[table] == 0.0:
            speaker = rng.choices(pool, weights=weights)[0]
            sentence = next(prompts)
            spoken = next(misreads) if table == "invalidated" else sentence
            voice = replace(
                speaker.voice,
                rate=int(speaker.voice.rate * rng.uniform(0.93, 1.07)),
                pitch=int(min(99, max(1, speaker.voice.pitch + rng.uniform(-5, 5)))),
            )
            lead, trail = rng.uniform(0.25, 0.9), rng.uniform(0.3, 1.1)
            up, down = _votes(rng, table if table in ("other", "invalidated") else "validated")
            clip = Clip(
                locale=locale, speaker=speaker, sentence=sentence, spoken=spoken,
                table="validated" if table in ("train", "dev", "test") else table,
                split=table if table in ("train", "dev", "test") else "",
                voice=voice, lead=lead, trail=trail, up_votes=up, down_votes=down,
                seed=_seed_int("asrkit-synth-clip", seed, locale, len(clips)),
            )
            filled[table] += len(espeak.synthesize(spoken, voice, clip.seed % 2**31)) / rate + lead + trail
            clips.append(clip)

    for table, share in SHARES:
        fill(table, share * seconds, pools["train" if table in GROWING else table])
    base = len(clips)
    if pool_seconds is not None:
        for table, share in SHARES:
            if table in GROWING:
                fill(table, share * pool_seconds / POOL_SHARE, pools["train"] + list(newcomers))
    return clips[:base], clips[base:]


def number_clips(clips: list[Clip], seed: int, grown: Sequence[Clip] = ()) -> list[Clip]:
    """Common Voice style clip numbers: increasing with gaps, interleaved across locales.

    The ``grown`` clips of a bigger corpus are numbered after ``clips``, as a newer release
    adds clips, so ``clips`` keep the numbers they have without them.
    """
    rng = random.Random(f"asrkit-synth-ids:{seed}")
    order = list(range(len(clips)))
    rng.shuffle(order)
    clip_id = 17_000_000 + rng.randrange(3_000_000)
    numbered = list(clips) + list(grown)
    for i in order:
        clip_id += rng.randint(1, 4000)
        numbered[i] = replace(numbered[i], clip_id=clip_id)
    order = list(range(len(clips), len(numbered)))
    rng.shuffle(order)
    for i in order:
        clip_id += rng.randint(1, 4000)
        numbered[i] = replace(numbered[i], clip_id=clip_id)
    return numbered


# ---------------------------------------------------------------------------- rendering
@dataclass(frozen=True)
class RenderJob:
    path: str
    spoken: str
    voice: Voice
    lead: float
    trail: float
    gain_db: float
    noise_db: float
    tilt: float
    seed: int


def render(job: RenderJob) -> int:
    """Speak, add silence, colour, level and noise, resample to 48 kHz, write MP3.

    Returns the number of samples at 48 kHz.
    """
    rng = np.random.default_rng(job.seed)
    speech = espeak.synthesize(job.spoken, job.voice, job.seed % 2**31).astype(np.float32) / 32768.0
    rate = espeak.sample_rate()
    audio = np.concatenate([
        np.zeros(int(job.lead * rate), np.float32), speech, np.zeros(int(job.trail * rate), np.float32),
    ])
    audio = np.convolve(audio, np.array([1.0, job.tilt], np.float32))[: len(audio)]
    gain = 10 ** ((job.gain_db + rng.uniform(-1.5, 1.5)) / 20) / max(float(np.abs(audio).max()), 1e-6)
    audio = soxr.resample(audio * np.float32(gain), rate, SAMPLE_RATE)
    audio += rng.standard_normal(len(audio)).astype(np.float32) * np.float32(10 ** (job.noise_db / 20))
    np.clip(audio, -1.0, 1.0 - 2 ** -15, out=audio)
    tmp = job.path + ".part"
    sf.write(tmp, audio, SAMPLE_RATE, format="MP3", subtype="MPEG_LAYER_III")
    os.replace(tmp, job.path)
    return len(audio)


def _render_chunk(jobs: Sequence[RenderJob]) -> list[int]:
    return [render(j) for j in jobs]


def _start_worker() -> None:
    espeak.engine()  # load voices and phoneme data once; forked children share them


def _plan_in_worker(*args) -> tuple[list[Clip], list[Clip]]:
    return espeak.isolated(plan_locale, *args)


def _render_in_worker(jobs: Sequence[RenderJob]) -> list[int]:
    return espeak.isolated(_render_chunk, jobs)


def _pool(workers: int) -> ProcessPoolExecutor:
    """Fresh worker processes: their espeak-ng has never spoken, so isolation works there
    whatever the calling process did before."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker)


# ------------------------------------------------------------------------------- output
def _row(clip: Clip) -> list[str]:
    s = clip.speaker
    sentence_id = hashlib.sha256(clip.sentence.encode("utf-8")).hexdigest()
    return [s.client_id, clip.path, sentence_id, clip.sentence, "", str(clip.up_votes),
            str(clip.down_votes), s.age, s.gender, s.accent, "", clip.locale, ""]


def write_tsv(path: Path, rows: Iterable[list[str]], header: Sequence[str] = COLUMNS) -> None:
    """Common Voice's TSV convention: tab-separated, LF, no quoting, UTF-8."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(header) + "\n")
        for row in rows:
            if any("\t" in v or "\n" in v or "\r" in v for v in row):
                raise SynthError(f"{path}: a field holds a tab or line break: {row}")
            f.write("\t".join(row) + "\n")


def write_locale(locale_dir: Path, clips: Sequence[Clip], samples: dict[str, int]) -> None:
    by_id = sorted(clips, key=lambda c: c.clip_id)
    tables = {
        "validated": [c for c in by_id if c.table == "validated"],
        **{split: [c for c in by_id if c.split == split] for split in ("train", "dev", "test")},
        "other": [c for c in by_id if c.table == "other"],
        "invalidated": [c for c in by_id if c.table == "invalidated"],
    }
    for name in TABLES:
        write_tsv(locale_dir / f"{name}.tsv", (_row(c) for c in tables[name]))
    write_tsv(
        locale_dir / "clip_durations.tsv",
        ([c.path, str(round(1000 * samples[c.path] / SAMPLE_RATE))] for c in by_id),
        header=("clip", "duration[ms]"),
    )


def summarize(clips: Sequence[Clip], samples: dict[str, int]) -> LocaleSummary:
    out = LocaleSummary()
    groups = {"validated": [c for c in clips if c.table == "validated"]}
    for split in ("train", "dev", "test"):
        groups[split] = [c for c in clips if c.split == split]
    groups["other"] = [c for c in clips if c.table == "other"]
    groups["invalidated"] = [c for c in clips if c.table == "invalidated"]
    for name, group in groups.items():
        out.splits[name] = SplitSummary(
            clips=len(group),
            seconds=sum(samples[c.path] for c in group) / SAMPLE_RATE,
            speakers=len({c.speaker.client_id for c in group}),
        )
    words = [w for c in groups["validated"] for w in sentences.words(c.sentence)]
    out.words, out.vocabulary = len(words), len(set(words))
    train_vocab = {w for c in groups["train"] for w in sentences.words(c.sentence)}
    test_words = [w for c in groups["test"] for w in sentences.words(c.sentence)]
    out.test_oov_rate = sum(w not in train_vocab for w in test_words) / max(len(test_words), 1)
    return out


def _clear_previous(root: Path, locales: Sequence[str]) -> None:
    """Remove an earlier synthesized corpus in ``root``; refuse to touch anything else."""
    report = root / REPORT
    previous: list[str] = []
    if report.is_file():
        try:
            previous = list(json.loads(report.read_text(encoding="utf-8"))["locales"])
        except (ValueError, KeyError, TypeError):
            raise SynthError(f"{report} is unreadable; remove {root} by hand and run again") from None
    for loc in locales:
        if (root / loc).exists() and loc not in previous:
            raise SynthError(
                f"{root / loc} exists and is not part of a corpus asrkit synthesized there (no {REPORT} "
                f"listing it); choose an empty output folder or remove it"
            )
    report.unlink(missing_ok=True)  # an interrupted run must not look finished
    for loc in previous:
        shutil.rmtree(root / loc, ignore_errors=True)


def generate(
    out_root: str | Path,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    minutes: float = 40.0,
    seed: int = 0,
    jobs: int | None = None,
    *,
    minutes_per_locale: float | None = None,
    speakers_per_locale: int = 20,
    pool_minutes_per_locale: float | None = None,
    extra_speakers_per_locale: int | None = None,
) -> Summary:
    """Synthesize the corpus into ``out_root`` (Common Voice layout, see the module doc).

    ``minutes`` of audio in total, shared equally by ``languages`` (``minutes_per_locale``
    sets each locale's instead). ``speakers_per_locale`` speakers each, split into train,
    dev and test speakers. ``jobs`` worker processes (default: the CPUs available). An
    earlier synthesized corpus in ``out_root`` is replaced.

    ``pool_minutes_per_locale`` grows that corpus (see the module doc) until each locale's
    train + other hold this many minutes, adding ``extra_speakers_per_locale`` train
    speakers (default: as many as keep the base's minutes of pool per train speaker).
    """
    start = time.perf_counter()
    languages = list(dict.fromkeys(languages))
    if not languages:
        raise SynthError("no languages given")
    for loc in languages:
        sentences.language(loc)
    per_locale = minutes_per_locale if minutes_per_locale is not None else minutes / len(languages)
    if not per_locale > 0:
        raise SynthError(f"minutes must be positive, got {per_locale:g} per locale")
    base_pool = POOL_SHARE * per_locale
    if pool_minutes_per_locale is not None and not pool_minutes_per_locale >= base_pool:
        raise SynthError(f"pool minutes per locale ({pool_minutes_per_locale:g}) must be at least the "
                         f"{base_pool:.2f} min the corpus of {per_locale:.2f} min per locale already has "
                         f"in train + other; ask for more, or for a smaller corpus (minutes)")
    if extra_speakers_per_locale and pool_minutes_per_locale is None:
        raise SynthError("extra speakers per locale only record when the corpus grows: "
                         "give pool minutes per locale too")
    speakers = {}
    for loc in languages:
        extra = extra_speakers_per_locale
        if extra is None and pool_minutes_per_locale is not None:
            base_train = [s.split for s in make_speakers(loc, speakers_per_locale, seed)].count("train")
            extra = math.ceil(base_train * (pool_minutes_per_locale / base_pool - 1))
        speakers[loc] = make_speakers(loc, speakers_per_locale, seed, extra or 0)
    jobs = jobs or len(os.sched_getaffinity(0))
    root = Path(out_root)
    root.mkdir(parents=True, exist_ok=True)
    _clear_previous(root, languages)

    engine = espeak.engine()
    for loc in languages:
        for accent in sentences.language(loc).ACCENTS:
            engine.set_voice(Voice(accent.voice))  # fail now, not in a worker
    log.info("planning %.1f min per locale for %s with %d speakers each", per_locale, ", ".join(languages),
             speakers_per_locale)
    with _pool(jobs) as pool:
        pool_seconds = None if pool_minutes_per_locale is None else 60 * pool_minutes_per_locale
        plans = [pool.submit(_plan_in_worker, loc, 60 * per_locale, speakers[loc][:speakers_per_locale], seed,
                             pool_seconds, speakers[loc][speakers_per_locale:]) for loc in languages]
        planned = [plan.result() for plan in plans]
        # the base's clips first, in numbers and in rendering chunks, so they stay as they are
        clips = number_clips([c for base, _ in planned for c in base], seed,
                             [c for _, grown in planned for c in grown])
        for loc in languages:
            (root / loc / "clips").mkdir(parents=True)
        render_jobs = [
            RenderJob(str(root / c.locale / "clips" / c.path), c.spoken, c.voice, c.lead, c.trail,
                      c.speaker.gain_db, c.speaker.noise_db, c.speaker.tilt, c.seed)
            for c in clips
        ]
        # Fixed chunks (not per worker) keep each clip's synthesis history, so the audio,
        # independent of the number of jobs.
        chunks = [render_jobs[i: i + RENDER_CHUNK] for i in range(0, len(render_jobs), RENDER_CHUNK)]
        counts: list[int] = []
        with progress(total=len(render_jobs), desc="synthesizing clips", unit="clip", file=sys.stderr,
                  mininterval=2) as bar:
            for chunk, result in zip(chunks, pool.map(_render_in_worker, chunks)):
                counts += result
                bar.update(len(chunk))
    samples = {c.path: n for c, n in zip(clips, counts)}

    summaries = {}
    for loc in languages:
        mine = [c for c in clips if c.locale == loc]
        write_locale(root / loc, mine, samples)
        summaries[loc] = summarize(mine, samples)
    summary = Summary(root, summaries, seed, jobs, time.perf_counter() - start, engine.version)
    report = summary.to_dict()
    report["options"] = {"languages": languages, "minutes_per_locale": per_locale,
                         "speakers_per_locale": speakers_per_locale,
                         "pool_minutes_per_locale": pool_minutes_per_locale,
                         "train_speakers_per_locale": {loc: [s.split for s in speakers[loc]].count("train")
                                                       for loc in languages}}
    (root / REPORT).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log.info("synthesized %.1f min in %d clips under %s in %.1f s", summary.minutes, summary.clips, root,
             summary.seconds_taken)
    return summary


def download(target: str | Path, **options) -> Path:
    """"Downloading" the synthetic corpus means making it: :func:`generate` into ``target``."""
    generate(target, **options)
    return Path(target)


def prepare(corpus_root: str | Path, out_dir: str | Path, **options):
    """The synthetic corpus is Common Voice: :func:`asrkit.corpora.commonvoice.prepare` reads it."""
    return commonvoice.prepare(corpus_root, out_dir, **options)


# ---------------------------------------------------------------------------------- CLI
def _languages(text: str) -> list[str]:
    return [t for t in (x.strip() for x in text.replace(" ", ",").split(",")) if t]


def add_generate_arguments(parser: argparse.ArgumentParser, title: str) -> None:
    """The options of :func:`generate`, under the keywords' names, as the group ``title``."""
    p = parser.add_argument_group(title)
    p.add_argument("--languages", type=_languages, default=list(DEFAULT_LANGUAGES),
                   help=f"comma-separated locales (default: {','.join(DEFAULT_LANGUAGES)}; "
                        f"available: {','.join(sentences.LANGUAGES)})")
    p.add_argument("--minutes", type=float, default=40.0, help="minutes of audio in total (default: 40)")
    p.add_argument("--minutes-per-locale", type=float, help="minutes per locale (overrides --minutes)")
    p.add_argument("--speakers-per-locale", type=int, default=20, help="speakers per locale (default: 20)")
    p.add_argument("--pool-minutes-per-locale", type=float,
                   help="grow the corpus with more train speakers and sentences until each locale's "
                        "train + other (the unlabeled pool) hold this many minutes; dev and test stay")
    p.add_argument("--extra-speakers-per-locale", type=int,
                   help="train speakers added when growing (default: as many as keep the base's "
                        "pool minutes per train speaker)")
    p.add_argument("--seed", type=int, default=0, help="the same seed gives the same corpus (default: 0)")
    p.add_argument("--jobs", type=int, help="worker processes (default: the CPUs available)")


def generate_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of :func:`add_generate_arguments` as :func:`generate` keywords."""
    return keywords(args, "languages", "minutes", "seed", "jobs", "minutes_per_locale", "speakers_per_locale",
                    "pool_minutes_per_locale", "extra_speakers_per_locale")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``asrkit-prepare synth``: Common Voice's options, and with ``--download`` those of :func:`generate`."""
    commonvoice.add_arguments(p)
    add_generate_arguments(p, "synthesis (with --download)")


prepare_options = commonvoice.prepare_options
download_options = generate_options


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m asrkit.corpora.synth",
        description="Synthesize a multilingual corpus with espeak-ng in the Common Voice layout.",
    )
    p.add_argument("out_root", nargs="?", help="release folder to write (<out_root>/<locale>/...)")
    add_generate_arguments(p, "synthesis")
    p.add_argument("--sample", metavar="LOCALE", help="print sentences of LOCALE's generator and exit")
    p.add_argument("--count", type=int, default=20, help="with --sample: how many (default: 20)")
    return p


def main(argv: list[str] | None = None) -> int:
    setup_logging()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.sample:
            for text in sentences.generate(args.sample, args.count, args.seed):
                print(text)
            return 0
        if not args.out_root:
            parser.error("give the output folder (or --sample LOCALE)")
        summary = generate(args.out_root, **generate_options(args))
    except (SynthError, EspeakError, sentences.UnknownLanguage) as e:
        print(f"synth: error: {e}", file=sys.stderr)
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
