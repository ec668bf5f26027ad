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
