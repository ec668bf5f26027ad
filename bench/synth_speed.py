"""How fast the demo corpus is made: wall time and CPU time of asrkit.corpora.synth.generate.

    tools/venv/bin/python bench/synth_speed.py --minutes 40 --jobs 2

CPU time (this process and its workers) says what the synthesis costs whatever else the
machine is doing; wall time is what a user waits on an otherwise idle machine with that
many cores.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

from asrkit.corpora import synth


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=40.0)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--languages", default="ca,es,en")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cpu, wall = cpu_seconds(), time.perf_counter()
        summary = synth.generate(tmp, args.languages.split(","), args.minutes, jobs=args.jobs)
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    audio = summary.minutes * 60
    print(f"{summary.minutes:.1f} min of audio, {summary.clips} clips, {args.jobs} jobs: "
          f"wall {wall:.1f} s, CPU {cpu:.1f} s ({audio / cpu:.0f}x real time per core)")


if __name__ == "__main__":
    main()
