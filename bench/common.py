"""Measurement helpers the throughput benchmarks share (run as scripts from bench/)."""

from __future__ import annotations

import json
import subprocess
import sys
import time


def setup_torch(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)


def conv_backward_flop(grad_out_shape, x_shape, w_shape, _bias, _stride, _padding, _dilation,
                       transposed, _output_padding, _groups, output_mask, out_shape=None, **_) -> int:
    """Each of a convolution's input and weight gradients costs its forward FLOPs; torch's
    stock formula ignores ``groups`` for the weight gradient and counts the grouped
    positional conv's backward 16× too high. Use as
    ``FlopCounterMode(custom_mapping={torch.ops.aten.convolution_backward: conv_backward_flop})``."""
    from torch.utils.flop_counter import conv_flop_count

    forward = conv_flop_count(x_shape, w_shape, grad_out_shape, transposed)
    return forward * (int(output_mask[0]) + int(output_mask[1]))


def matmul_peak(threads: int, dtype: str, n: int = 1024, repeats: int = 20) -> float:
    """Best GEMM rate over ``repeats`` n×n products in ``dtype``, in FLOP per CPU second
    (like the steps' rates, so time spent waiting for a core on a shared machine counts in
    neither)."""
    import torch

    setup_torch(threads)
    kind = torch.bfloat16 if dtype == "bf16" else torch.float32
    a, b = torch.randn(n, n, dtype=kind), torch.randn(n, n, dtype=kind)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t = time.process_time()
        a @ b
        best = min(best, time.process_time() - t)
    return 2 * n**3 / best


def run_worker(script: str, args: list[str]) -> dict:
    """Run ``script`` in a fresh interpreter (its own peak RSS); its last stdout line is JSON."""
    done = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"worker {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def interleaved_runs(script: str, size: str, impls: tuple[str, ...], reps: int, threads: int, dtype: str,
                     worker_args: list[str]) -> tuple[list[dict], list[float], list[float]]:
    """``reps`` repetitions of: the matmul peak, then one fresh worker process per
    implementation (``script --worker IMPL SIZE worker_args``), in alternating order (A B,
    B A, ...) because the machine may be shared. Returns (records, peaks, 1-min load averages)."""
    import os
    import statistics

    records, peaks, loads = [], [], []
    for rep in range(reps):
        peaks.append(run_worker(script, ["--peak", "--threads", str(threads), "--dtype", dtype])["peak"])
        for impl in impls if rep % 2 == 0 else impls[::-1]:
            rec = run_worker(script, ["--worker", impl, size, *worker_args])
            records.append(rec)
            loads.append(os.getloadavg()[0])
            print(f"{size} rep {rep} {impl:13s} step {statistics.median(rec['wall_s']):6.2f} s wall "
                  f"{statistics.median(rec['cpu_s']):6.2f} s cpu  rss {rec['rss_mb']:6.0f} MB  "
                  f"load {loads[-1]:.1f}", flush=True)
    return records, peaks, loads


def impl_stats(recs: list[dict], peak: float) -> dict:
    """Medians of one implementation's records: audio seconds per wall/CPU second, step
    times, peak RSS, FLOPs per step and per CPU second, fraction of the matmul ``peak``."""
    import statistics

    audio, flops = recs[0]["audio_s"], recs[0]["flops"]
    wall = statistics.median(statistics.median(r["wall_s"]) for r in recs)
    cpu = statistics.median(statistics.median(r["cpu_s"]) for r in recs)
    return {
        "audio_per_wall_s": audio / wall,
        "audio_per_cpu_s": audio / cpu,
        "step_wall_s": wall,
        "step_cpu_s": cpu,
        "rss_mb": statistics.median(r["rss_mb"] for r in recs),
        "gflop_per_step": flops / 1e9,
        # per CPU second: on a shared machine wall time includes waiting for a core
        "gflops_per_cpu_s": flops / cpu / 1e9,
        "peak_fraction": flops / cpu / peak,
    }


def add_speedups(summary: dict, by: dict[str, list[dict]], reference: str) -> None:
    """``speedup_wall``/``_cpu`` (ratio of medians) and ``speedup_median_of_pairs`` (of the
    paired repetitions) of every implementation over ``reference``, into ``summary[impl]``."""
    import statistics

    ref = summary[reference]
    for impl in by:
        if impl == reference:
            continue
        pairs = [statistics.median(h["wall_s"]) / statistics.median(a["wall_s"])
                 for a, h in zip(by[impl], by[reference])]
        summary[impl]["speedup_median_of_pairs"] = statistics.median(pairs)
        summary[impl]["speedup_wall"] = summary[impl]["audio_per_wall_s"] / ref["audio_per_wall_s"]
        summary[impl]["speedup_cpu"] = summary[impl]["audio_per_cpu_s"] / ref["audio_per_cpu_s"]


def save_results(out_dir, stem: str, results: list[dict]) -> None:
    """``out_dir/<stem>_<time>.json``, and say where."""
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"{stem}_{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=1))
    print(f"raw results: {path}")
