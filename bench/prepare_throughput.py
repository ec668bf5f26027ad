"""Stage 1 throughput and memory: Common Voice-format TSVs of growing size.

Writes a synthetic Common Voice locale (``validated.tsv`` plus official ``train``/``dev``/
``test.tsv`` holding 60% of its rows; the other 40% become the unlabeled pool) and times
``asrkit.corpora.commonvoice.prepare`` with the audio checks off (``check_audio="none"``; no
clips exist). Each size runs in a fresh subprocess that reports its own peak RSS
(``ru_maxrss``) above its RSS after imports, next to the RSS growth of a process that only
reads the written data dirs back (``DataDir.read``: the output tables and nothing else), to
show memory follows the output tables and not the rows read. CPU seconds are reported next
to wall seconds because a shared machine makes wall time noisy.

    tools/venv/bin/python bench/prepare_throughput.py              # 10k and 100k rows
    tools/venv/bin/python bench/prepare_throughput.py --rows 1000 10000 300000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

HEADER = "client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccents\tvariant\tlocale\tsegment\n"
WORDS = (
    "la casa és molt gran i té un jardí amb arbres l'home d'un poble col·lecció intel·ligent "
    "camí aigua nit dia temps ciutat escola família treball llibre història música país"
).split()
AGES = ["", "twenties", "thirties", "fourties", "fifties"]
GENDERS = ["", "male_masculine", "female_feminine"]


def make_locale(root: Path, rows: int, seed: int = 0) -> Path:
    """``root/ca`` with ``rows`` validated clips from ~rows/15 speakers (a few heavy ones)."""
    rng = random.Random(seed)
    loc = root / "ca"
    loc.mkdir(parents=True, exist_ok=True)
    n_spk = max(10, rows // 15)
    clients = [hashlib.sha512(f"speaker{i}".encode()).hexdigest() for i in range(n_spk)]
    splits = {name: open(loc / f"{name}.tsv", "w", encoding="utf-8") for name in ("train", "dev", "test")}
    with open(loc / "validated.tsv", "w", encoding="utf-8") as validated:
        for f in (validated, *splits.values()):
            f.write(HEADER)
        for k in range(rows):
            spk = min(int(rng.paretovariate(1.2)) - 1, n_spk - 1) if rng.random() < 0.3 else rng.randrange(n_spk)
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
            line = (
                f"{clients[spk]}\tcommon_voice_ca_{10_000_000 + k}.mp3\t{words.capitalize()}.\t2\t0\t"
                f"{rng.choice(AGES)}\t{rng.choice(GENDERS)}\t\t\tca\t\n"
            )
            validated.write(line)
            bucket = spk % 10  # official splits are speaker-disjoint: 6 of 10 speaker buckets
            if bucket < 4:
                splits["train"].write(line)
            elif bucket == 4:
                splits["dev"].write(line)
            elif bucket == 5:
                splits["test"].write(line)
    for f in splits.values():
        f.close()
    return loc


def worker(loc: Path, out: Path) -> dict:
    """One measured run (in its own process)."""
    from asrkit.corpora import commonvoice

    imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu = time.perf_counter(), time.process_time()
    result = commonvoice.prepare(loc, out, check_audio="none", unlabeled=("train", "rest"))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rows_read = sum(sum(1 for _ in open(loc / f"{n}.tsv", "rb")) - 1 for n in ("validated", "train", "dev", "test"))
    written = sum(s.utterances for s in result.sets.values())
    table_bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and p.name != "excluded.txt")
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rows_read": rows_read,
        "utterances": written,
        "labelled": sum(result.sets[s].utterances for s in ("train", "dev", "test")),
        "table_mib": table_bytes / 2**20,
        "rss_imported_mib": imported / 1024,
        "rss_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def hold(out: Path) -> dict:
    """The yardstick: RSS of a process holding just the written tables (``DataDir.read``)."""
    from asrkit.data import DataDir

    imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    dirs = [DataDir.read(d) for d in sorted(out.iterdir()) if (d / "utt2spk").is_file()]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"sets": len(dirs), "rss_growth_mib": (peak - imported) / 1024}


def run(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--worker", nargs=2, metavar=("LOCALE_DIR", "OUT_DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--hold", metavar="OUT_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.worker[0]), Path(args.worker[1]))))
        return
    if args.hold:
        print(json.dumps(hold(Path(args.hold))))
        return
    print("| validated rows | rows read | utterances written | wall s | CPU s | utts/s (CPU) "
          "| RSS after import MiB | RSS growth MiB | holding the tables MiB | tables on disk MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            loc = make_locale(Path(tmp) / f"cv{rows}", rows)
            out = Path(tmp) / f"data{rows}"
            r = run("--worker", str(loc), str(out))
            h = run("--hold", str(out))
            print(
                f"| {rows:,} | {r['rows_read']:,} | {r['utterances']:,} | {r['seconds']:.1f} "
                f"| {r['cpu_seconds']:.1f} | {r['utterances'] / r['cpu_seconds']:,.0f} "
                f"| {r['rss_imported_mib']:.0f} | {r['rss_peak_mib'] - r['rss_imported_mib']:.0f} "
                f"| {h['rss_growth_mib']:.0f} | {r['table_mib']:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
