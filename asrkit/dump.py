"""Stage 2: dump a data dir's audio as raw waveforms or fbank features (Kaldi ark/scp).

``asrkit-dump --cmd "asrkit-launch local" --nj 4 --type raw data/train dump/raw/train``

The driver splits the input into ``<out>/split<N>utt/<job>``, runs one worker per split
through :func:`asrkit.launch.submit` (``python -m asrkit.dump worker ...``, logs in
``<out>/log/dump.<job>.log``) and merges what the workers wrote into ``<out>``, which
is then a data dir of its own: the input's tables restricted to the dumped utterances
plus ``feats.scp`` and ``utt2num_samples`` (raw) or ``utt2num_frames`` (fbank), and
``feats_type``. Fbank dumps also get ``cmvn.ark``, global CMVN statistics over the set
(:func:`asrkit.features.load_cmvn` reads them; models use the training set's).
:func:`asrkit.features.load_feature` reads any ``feats.scp`` value as float32.

Each worker streams one utterance at a time into its ark, keeping only the current
recording open, so memory does not grow with the corpus. A clip that cannot be read
is recorded in ``<out>/bad_utts.txt`` and left out; more than ``--max-bad-fraction``
of them stops the stage. Finished jobs leave ``<out>/data/.done.<job>`` holding the run
key (a hash of config, job count and input tables), so a killed stage re-run redoes
only the unfinished splits, and changed settings never mix with old results.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import resource
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import kaldiio
import numpy as np

from asrkit import config as configlib
from asrkit.audio import AudioError, Recording
from asrkit.data import DataDir, DataDirError, check_datadir, read_table, write_table
from asrkit.data.files import table_kind
from asrkit.data.exclusions import Exclusions, TooManyExcluded
from asrkit.data.ops import split_dir_name, split_groups
from asrkit.features import CmvnStats, FbankConfig, compute_fbank, fbank_options
from asrkit.launch import JobsFailed, LaunchError, submit
from asrkit.cli import setup_logging
from asrkit.progress import progress

log = logging.getLogger(__name__)

#: Input tables that describe features of another extraction and would be wrong here.
STALE_TABLES = ("feats.scp", "vad.scp", "utt2num_frames", "utt2num_samples")


class DumpError(RuntimeError):
    """A dump that cannot go on as asked (the message says what to do)."""


@dataclass
class DumpConfig:
    """What stage 2 writes; saved as ``<out>/config.yaml``."""

    type: Literal["raw", "fbank"] = "raw"
    sample_rate: int = 16000
    dtype: Literal["float32", "int16"] = "float32"  # raw only; int16 is stored as WAV in the ark
    resample_quality: Literal["QQ", "LQ", "MQ", "HQ", "VHQ"] = "HQ"
    compress: bool = False  # fbank only: Kaldi's lossy feature compression
    fbank: FbankConfig = field(default_factory=FbankConfig)

    def check(self) -> None:
        if self.sample_rate <= 0:
            raise configlib.ConfigError(f"sample_rate must be positive, got {self.sample_rate}")
        if self.type == "fbank" and self.dtype != "float32":
            raise configlib.ConfigError("dtype int16 applies to --type raw only")
        if self.type == "raw" and self.compress:
            raise configlib.ConfigError("compress applies to --type fbank only")


@dataclass
class JobPaths:
    """The files one job writes under ``<out>/data``."""

    ark: Path
    scp: Path
    lengths: Path
    bad: Path
    cmvn: Path
    stats: Path
    done: Path

    @classmethod
    def of(cls, out_dir: str | Path, job: int | str) -> JobPaths:
        data = Path(out_dir).resolve() / "data"
        return cls(
            ark=data / f"feats.{job}.ark",
            scp=data / f"feats.{job}.scp",
            lengths=data / f"lengths.{job}",
            bad=data / f"bad_utts.{job}.txt",
            cmvn=data / f"cmvn.{job}.ark",
            stats=data / f"stats.{job}.json",
            done=data / f".done.{job}",
        )


def length_table(cfg: DumpConfig) -> str:
    return "utt2num_samples" if cfg.type == "raw" else "utt2num_frames"


# ---- worker: one split -----------------------------------------------------------------


def _read_order(dd: DataDir) -> list[str]:
    """Utterances grouped by recording and in time order, so each recording opens once."""
    return sorted(dd.utts, key=lambda u: (*dd.recording_of(u)[:2], u))


class _CurrentRecording:
    """The one recording being read. A recording that fails to open fails each of its
    utterances with the same reason, without retrying."""

    def __init__(self):
        self.id: str | None = None
        self.rec: Recording | None = None
        self.error: AudioError | None = None

    def read(self, reco: str, spec: str, start: float, end: float | None, cfg: DumpConfig):
        if reco != self.id:
            self.close()
            self.id = reco
            try:
                self.rec = Recording(spec)
            except AudioError as e:
                self.error = e
        if self.error is not None:
            raise self.error
        return self.rec.read(start, end, cfg.sample_rate, cfg.resample_quality)

    def close(self) -> None:
        if self.rec is not None:
            self.rec.close()
        self.rec, self.error = None, None


def _to_int16(wave: np.ndarray) -> np.ndarray:
    return np.round(np.clip(wave, -1.0, 32767 / 32768) * 32768).astype(np.int16)


def _exclude(bad: Exclusions, utt: str, reason: str, where: str) -> None:
    bad.add(utt, reason, where)
    log.warning("excluded %s (%s): %s", utt, reason, where)


def dump_split(split_dir: str | Path, out_dir: str | Path, job: int, cfg: DumpConfig, run_key: str):
    """Dump one split data dir into ``<out>/data/*.<job>.*``; skip it when already done."""
    paths = JobPaths.of(out_dir, job)
    if paths.done.is_file() and paths.done.read_text().strip() == run_key:
        log.info("job %s finished in an earlier run; nothing to do", job)
        return
    paths.done.unlink(missing_ok=True)
    paths.ark.parent.mkdir(parents=True, exist_ok=True)
    dd = DataDir.read(split_dir)
    began = time.time()
    bad = Exclusions()
    lengths: dict[str, str] = {}
    cmvn = CmvnStats()
    opts = fbank_options(cfg.fbank, cfg.sample_rate) if cfg.type == "fbank" else None
    seconds = 0.0
    current = _CurrentRecording()
    compression = 2 if cfg.compress else None  # kaldiio's kSpeechFeature method
    with kaldiio.WriteHelper(
        f"ark,scp:{paths.ark},{paths.scp}", compression_method=compression
    ) as writer:
        for utt in progress(_read_order(dd), desc=f"dump job {job}", unit="utt", file=sys.stderr):
            reco, start, end = dd.recording_of(utt)
            if reco not in dd.wav_scp:
                _exclude(bad, utt, "missing-recording", f"recording {reco} is not in wav.scp")
                continue
            spec = dd.wav_scp[reco]
            try:
                wave = current.read(reco, spec, start, end, cfg)
            except AudioError as e:
                _exclude(bad, utt, e.reason, f"recording {reco} = {spec!r}: {e.detail}")
                continue
            if cfg.type == "raw":
                writer(utt, (cfg.sample_rate, _to_int16(wave)) if cfg.dtype == "int16" else wave)
                lengths[utt] = str(len(wave))
            else:
                feats = compute_fbank(wave, cfg.sample_rate, opts)
                if feats.shape[0] == 0:
                    frame = cfg.fbank.frame_length_ms
                    _exclude(bad, utt, "too-short", f"{len(wave)} samples give no {frame} ms frame")
                    continue
                writer(utt, feats)
                cmvn.accumulate(feats)
                lengths[utt] = str(feats.shape[0])
            seconds += len(wave) / cfg.sample_rate
    current.close()
    write_table(paths.lengths, lengths)
    bad.write(paths.bad)
    if cmvn.stats is not None:
        cmvn.save(paths.cmvn)
    stats = {
        "utterances": len(lengths),
        "excluded": len(bad),
        "audio_seconds": seconds,
        "wall_seconds": time.time() - began,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    paths.stats.write_text(json.dumps(stats) + "\n")
    paths.done.write_text(run_key + "\n")
    log.info(
        "job %s: %d utterances, %.3f h, %d excluded, %.1f s",
        job, stats["utterances"], seconds / 3600, len(bad), stats["wall_seconds"],
    )


# ---- driver ----------------------------------------------------------------------------


def run_key(data_dir: Path, cfg: DumpConfig, nj: int) -> str:
    """A hash of everything the dump's result depends on."""
    h = hashlib.sha256()
    h.update(json.dumps(configlib.to_dict(cfg), sort_keys=True).encode())
    h.update(f"nj={nj}".encode())
    for f in sorted(data_dir.iterdir()):
        if f.is_file() and table_kind(f.name):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _clear(out: Path) -> None:
    """Remove what an earlier dump into ``out`` wrote, before starting over."""
    for sub in ["data", "log", *(p.name for p in out.glob("split*"))]:
        shutil.rmtree(out / sub, ignore_errors=True)
    for name in (".done", "feats.scp", "cmvn.ark", "feats_type", "bad_utts.txt",
                 "dump_summary.txt", "utt2num_samples", "utt2num_frames"):
        (out / name).unlink(missing_ok=True)


def _split(dd: DataDir, nj: int, out: Path) -> Path:
    """Write ``<out>/split<N>utt/<job>``: near-equal utterance counts, in id order (so the
    segments of a recording mostly stay in one job). Any number of speakers works."""
    root = out / split_dir_name(nj, per_utt=True)
    for job, utts in enumerate(split_groups(dd, nj, per_utt=True), start=1):
        dd.subset(utts).write(root / str(job))
    return root


def dump(
    data_dir: str | Path,
    out_dir: str | Path,
    cfg: DumpConfig,
    *,
    cmd: str = "asrkit-launch local",
    nj: int = 1,
    max_bad_fraction: float = 0.05,
    force: bool = False,
) -> Path:
    """Dump ``data_dir`` into the data dir ``out_dir`` with ``nj`` jobs; returns ``out_dir``."""
    cfg.check()
    data_dir, out = Path(data_dir), Path(out_dir)
    if nj < 1:
        raise DumpError(f"--nj must be at least 1, got {nj}")
    if out.resolve() == data_dir.resolve():
        raise DumpError(f"the output dir {out} is the input data dir; choose another one")
    dd = DataDir.read(data_dir)
    if len(dd) == 0:
        raise DumpError(f"{data_dir}/utt2spk lists no utterances; nothing to dump")
    check_datadir(dd, data_dir, no_wav=False).raise_if_failed(
        f"{data_dir} is not a valid data dir (fix it, e.g. utils/fix_data_dir.sh, then re-run):"
    )
    key = run_key(data_dir, cfg, nj)
    done = out / ".done"
    if done.is_file() and not force:
        if done.read_text().strip() == key:
            log.info("%s is already dumped (remove %s or pass --force to redo it)", out, done)
            return out
        raise DumpError(
            f"{out} holds a finished dump with other settings or input than now; "
            f"pass --force to redo it, or choose another output dir"
        )
    markers = list((out / "data").glob(".done.*"))
    if force or any(m.read_text().strip() != key for m in markers):
        _clear(out)
    out.mkdir(parents=True, exist_ok=True)
    done.unlink(missing_ok=True)
    configlib.save(cfg, out / "config.yaml")

    njobs = min(nj, len(dd))
    if njobs < nj:
        log.warning("only %d utterances: running %d jobs instead of %d", len(dd), njobs, nj)
    split_root = _split(dd, njobs, out)
    finished = [j for j in range(1, njobs + 1) if _job_done(out, j, key)]
    if finished:
        log.info("jobs %s finished in an earlier run and are kept", _ranges(finished))
    log_path = out / "log" / "dump.JOB.log"
    log.info("dumping %d utterances with %d job(s) via '%s'; logs: %s", len(dd), njobs, cmd, log_path)
    argv = [
        sys.executable, "-m", "asrkit.dump", "worker",
        "--config", str((out / "config.yaml").resolve()),
        "--run-key", key,
        "--job", "JOB",
        str((split_root / "JOB").resolve()),
        str(out.resolve()),
    ]
    began = time.time()
    submit(cmd, log_path, argv, njobs)
    wall = time.time() - began
    merged = collect(out, njobs, key, finished)
    lost = set(dd.utts) - set(merged.feats) - merged.bad.keys()
    if lost:
        raise DumpError(
            f"{len(lost)} utterances of {data_dir} are neither dumped nor excluded "
            f"(e.g. {sorted(lost)[0]}); did the input change during the dump? Re-run with --force"
        )
    report = merged.bad.write(out / "bad_utts.txt")
    summary = _summary(data_dir, out, cfg, len(dd), njobs, merged, finished, wall)
    (out / "dump_summary.txt").write_text(summary + "\n", encoding="utf-8")
    print(summary, flush=True)
    merged.bad.check(len(dd), max_bad_fraction, f"asrkit-dump {data_dir}", report)
    write_result(dd, out, cfg, merged)
    shutil.rmtree(split_root, ignore_errors=True)
    done.write_text(key + "\n")
    return out


def _job_done(out: Path, job: int, key: str) -> bool:
    marker = JobPaths.of(out, job).done
    return marker.is_file() and marker.read_text().strip() == key


def _ranges(jobs: list[int]) -> str:
    return ",".join(str(j) for j in jobs)


@dataclass
class Merged:
    """What all jobs wrote, joined."""

    feats: dict[str, str] = field(default_factory=dict)
    lengths: dict[str, str] = field(default_factory=dict)
    bad: Exclusions = field(default_factory=Exclusions)
    cmvn: CmvnStats = field(default_factory=CmvnStats)
    audio_seconds: float = 0.0  # everything dumped
    run_seconds: float = 0.0  # dumped by the jobs of this run (not resumed ones)


def collect(out: Path, njobs: int, key: str, resumed: list[int]) -> Merged:
    merged = Merged()
    for job in range(1, njobs + 1):
        paths = JobPaths.of(out, job)
        if not _job_done(out, job, key):
            raise DumpError(f"job {job} did not finish (no {paths.done}); see {out}/log/dump.{job}.log")
        merged.feats.update(read_table(paths.scp))
        merged.lengths.update(read_table(paths.lengths))
        merged.bad.extend(Exclusions.read(paths.bad))
        if paths.cmvn.is_file():
            merged.cmvn.add(CmvnStats.load(paths.cmvn))
        seconds = json.loads(paths.stats.read_text())["audio_seconds"]
        merged.audio_seconds += seconds
        if job not in resumed:
            merged.run_seconds += seconds
    return merged


def write_result(dd: DataDir, out: Path, cfg: DumpConfig, merged: Merged) -> None:
    """The output data dir: input tables for the dumped utterances plus the features."""
    result = dd.subset(merged.feats)
    for name in STALE_TABLES:
        result.utt_tables.pop(name, None)
    result.spk_tables.pop("cmvn.scp", None)
    result.utt_tables["feats.scp"] = merged.feats
    result.utt_tables[length_table(cfg)] = merged.lengths
    result.write(out)
    (out / "feats_type").write_text(cfg.type + "\n")
    if cfg.type == "fbank":
        merged.cmvn.save(out / "cmvn.ark")


def _summary(data_dir: Path, out: Path, cfg: DumpConfig, total: int, njobs: int, merged: Merged,
             resumed: list[int], wall: float) -> str:
    what = f"raw {cfg.dtype}" if cfg.type == "raw" else f"fbank {cfg.fbank.num_mel_bins} bins"
    lines = [
        f"asrkit-dump {data_dir} -> {out} ({what}, {cfg.sample_rate} Hz, {njobs} job(s))",
        f"  utterances: {len(merged.feats)} dumped of {total}, "
        f"{merged.audio_seconds / 3600:.3f} h of audio",
        merged.bad.summary(total),
    ]
    if merged.bad:
        lines.append(f"  bad utterances (id, reason, detail): {out / 'bad_utts.txt'}")
    if resumed:
        lines.append(f"  resumed: jobs {_ranges(resumed)} were done in an earlier run")
    if merged.run_seconds > 0 and wall > 0:
        lines.append(
            f"  throughput: {merged.run_seconds / 3600 / (wall / 60):.3f} h of audio per minute "
            f"({merged.run_seconds / wall:.0f}x real time), {wall:.1f} s wall"
        )
    lines.append(f"  logs: {out / 'log'}/dump.*.log")
    return "\n".join(lines)


# ---- command line ----------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="asrkit-dump",
        description="Stage 2: dump raw waveforms or fbank features of a data dir (ark/scp).",
    )
    p.add_argument("data_dir", help="input data dir (wav.scp, utt2spk, optional segments)")
    p.add_argument("out_dir", help="output data dir, e.g. dump/raw/train")
    p.add_argument("--config", help="YAML DumpConfig (type, sample_rate, dtype, fbank: {...})")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. fbank.num_mel_bins=40 (repeatable)")
    p.add_argument("--type", choices=["raw", "fbank"], help="raw waveform or fbank features")
    p.add_argument("--sample-rate", type=int, help="output sample rate in Hz (default 16000)")
    p.add_argument("--dtype", choices=["float32", "int16"], help="raw sample type")
    p.add_argument("--cmd", default="asrkit-launch local", help="job launcher prefix ($train_cmd)")
    p.add_argument("--nj", type=int, default=1, help="number of parallel jobs")
    p.add_argument("--max-bad-fraction", type=float, default=0.05,
                   help="fail when more than this fraction of utterances cannot be read")
    p.add_argument("--force", action="store_true", help="redo a finished or partial dump")
    return p


def _worker_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asrkit.dump worker",
                                description="One job of asrkit-dump (run by the launcher).")
    p.add_argument("split_dir")
    p.add_argument("out_dir")
    p.add_argument("--config", required=True)
    p.add_argument("--run-key", required=True)
    p.add_argument("--job", type=int, required=True)
    return p


def load_config(args: argparse.Namespace) -> DumpConfig:
    cfg = configlib.load(DumpConfig, args.config, args.set)
    flags = {"type": args.type, "sample_rate": args.sample_rate, "dtype": args.dtype}
    cfg = configlib.override(cfg, [f"{k}={v}" for k, v in flags.items() if v is not None])
    cfg.check()
    return cfg


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    setup_logging()
    try:
        if argv[:1] == ["worker"]:
            args = _worker_parser().parse_args(argv[1:])
            cfg = configlib.load(DumpConfig, args.config)
            dump_split(args.split_dir, args.out_dir, args.job, cfg, args.run_key)
            return 0
        args = _parser().parse_args(argv)
        dump(args.data_dir, args.out_dir, load_config(args), cmd=args.cmd, nj=args.nj,
             max_bad_fraction=args.max_bad_fraction, force=args.force)
        return 0
    except (DumpError, DataDirError, configlib.ConfigError, TooManyExcluded, JobsFailed,
            LaunchError) as e:
        print(f"asrkit-dump: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
