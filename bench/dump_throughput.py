"""Stage 2 throughput and memory: hours of audio dumped per wall-clock minute.

Runs the real command (``asrkit-dump --cmd "asrkit-launch local" --nj N``) for raw and
fbank at each ``--nj`` on a generated corpus (or ``--corpus``, any data dir), timing the
whole command (start-up, split, jobs, merge). Peak memory is that of the largest process
in the command's tree (``RUSAGE_CHILDREN`` of a wrapper process), measured on two
corpus sizes to show it does not grow with the corpus.

    tools/venv/bin/python bench/dump_throughput.py                 # 30 min of 16 kHz WAV
    tools/venv/bin/python bench/dump_throughput.py --format mp3 --rate 48000
    tools/venv/bin/python bench/dump_throughput.py --corpus data/train --nj 1 2 4
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from asrkit.data import write_table  # noqa: E402

# Runs argv, then prints wall seconds, the peak RSS (KiB) of its process tree and its exit code.
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.time(); rc = subprocess.call(sys.argv[1:])\n"
    "print(time.time() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)\n"
)


def speech_like(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Harmonics on a gliding f0 under a syllable-rate envelope, plus noise."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    f0 = rng.uniform(90, 220) * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t))
    phase = 2 * np.pi * np.cumsum(f0) / rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = np.clip(np.sin(2 * np.pi * rng.uniform(3, 5) * t + rng.uniform(0, 6)), 0, None)
    wave = 0.2 * voiced * envelope + 0.005 * rng.standard_normal(n)
    return (wave / max(1.0, np.abs(wave).max())).astype(np.float32)


def make_corpus(root: Path, minutes: float, fmt: str, rate: int, seed: int = 0) -> Path:
    """A data dir of 2-12 s utterances totalling ``minutes``, 20 speakers."""
    data = root / "data"
    if (data / "wav.scp").is_file():
        return data
    rng = np.random.default_rng(seed)
    audio = root / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    wav_scp, utt2spk, text = {}, {}, {}
    total, i = 0.0, 0
    while total < minutes * 60:
        dur = float(rng.uniform(2, 12))
        spk = f"spk{i % 20:02d}"
        utt = f"{spk}-utt{i:05d}"
        path = audio / f"{utt}.{fmt}"
        sf.write(path, speech_like(dur, rate, rng), rate)
        wav_scp[utt], utt2spk[utt], text[utt] = str(path), spk, "a b c"
        total += dur
        i += 1
    for name, table in (("wav.scp", wav_scp), ("utt2spk", utt2spk), ("text", text)):
        write_table(data / name, table)
    return data


def run_dump(data: Path, out: Path, kind: str, nj: int) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    argv = [
        str(Path(sys.executable).with_name("asrkit-dump")), "--cmd", "asrkit-launch local",
        "--nj", str(nj), "--type", kind, "--max-bad-fraction", "1", str(data), str(out),
    ]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run([sys.executable, "-c", MEASURE, *argv], capture_output=True, text=True,
                          env=env)
    wall, rss_kib, rc = proc.stdout.strip().splitlines()[-1].split()
    if int(rc) != 0:
        sys.exit(f"asrkit-dump failed ({rc}):\n{proc.stdout}\n{proc.stderr}")
    jobs = [json.loads(p.read_text()) for p in sorted((out / "data").glob("stats.*.json"))]
    hours = sum(j["audio_seconds"] for j in jobs) / 3600
    return {
        "type": kind,
        "nj": nj,
        "audio_hours": round(hours, 4),
        "wall_s": round(float(wall), 2),
        "hours_per_minute": round(hours / (float(wall) / 60), 3),
        "peak_rss_mb": round(int(rss_kib) / 1024, 1),
        "job_peak_rss_mb": round(max(j["max_rss_mb"] for j in jobs), 1),
        "ark_mb": round(sum(p.stat().st_size for p in (out / "data").glob("*.ark")) / 2**20, 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", type=Path, help="dump this data dir instead of a generated one")
    p.add_argument("--minutes", type=float, default=30.0, help="generated corpus size")
    p.add_argument("--small-minutes", type=float, default=7.5, help="second size for memory")
    p.add_argument("--format", default="wav", choices=["wav", "flac", "mp3"])
    p.add_argument("--rate", type=int, default=16000, help="sample rate of the generated audio")
    p.add_argument("--nj", type=int, nargs="+", default=[1, 2])
    p.add_argument("--workdir", type=Path, default=REPO / "bench" / "out" / "dump")
    args = p.parse_args()

    tag = f"{args.format}{args.rate // 1000}k"
    data = args.corpus or make_corpus(args.workdir / f"corpus_{tag}_{args.minutes:g}min",
                                      args.minutes, args.format, args.rate)
    rows = []
    for kind in ("raw", "fbank"):
        for nj in args.nj:
            rows.append(run_dump(data, args.workdir / f"out_{kind}_{nj}", kind, nj))
            print(json.dumps(rows[-1]), flush=True)
    memory = []
    if args.corpus is None:
        small = make_corpus(args.workdir / f"corpus_{tag}_{args.small_minutes:g}min",
                            args.small_minutes, args.format, args.rate, seed=1)
        for size, corpus in ((args.small_minutes, small), (args.minutes, data)):
            row = run_dump(corpus, args.workdir / "out_memory", "raw", 1)
            memory.append({"minutes": size, **row})
            print(json.dumps(memory[-1]), flush=True)

    print(f"\ncorpus: {data} ({tag if args.corpus is None else 'given'})")
    print(f"{'type':6} {'nj':>3} {'audio h':>8} {'wall s':>7} {'h/min':>7} {'peak MB':>8} {'job MB':>7}")
    for r in rows:
        print(f"{r['type']:6} {r['nj']:>3} {r['audio_hours']:>8.3f} {r['wall_s']:>7.1f} "
              f"{r['hours_per_minute']:>7.3f} {r['peak_rss_mb']:>8.1f} {r['job_peak_rss_mb']:>7.1f}")
    for m in memory:
        print(f"memory, raw nj=1, {m['minutes']:g} min corpus: peak {m['peak_rss_mb']} MB "
              f"(largest job {m['job_peak_rss_mb']} MB)")
    out = args.workdir / f"results_{tag}.json"
    out.write_text(json.dumps({"corpus": str(data), "runs": rows, "memory": memory}, indent=1))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
