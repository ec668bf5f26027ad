"""wav2vec 2.0 pretraining throughput: asrkit vs ``transformers`` on the same machine.

One training step = masks and distractors + forward + backward + AdamW step, same
architecture, batch, dropouts, masking (p = 0.65, M = 10, at least 2 spans) and K = 100
distractors for both, and the same loss (contrastive sum + 0.1 · diversity · N; asrkit's
feature penalty is switched off because ``transformers`` has none). ``transformers`` draws
masks and distractors with its own ``_compute_mask_indices``/``_sample_negative_indices``
(numpy) inside the timed step, asrkit with its on-device sampler.

Each measurement runs in a fresh process (so peak RSS is per implementation); the two
implementations alternate in every repetition (A B, B A, ...) and medians are reported,
because the machine may be shared; the per-CPU-second columns count only the process's own
CPU time and stay meaningful under load. Also reported: FLOPs per step
(``torch.utils.flop_counter.FlopCounterMode``, forward + backward, every layer run,
grouped-conv backward counted correctly) and the FLOPs per CPU second against the best
1024×1024 matmul rate measured with the same thread count and dtype.

    tools/venv/bin/python bench/pretrain_throughput.py                     # tiny and base
    tools/venv/bin/python bench/pretrain_throughput.py --sizes tiny --reps 7 --threads 2
    tools/venv/bin/python bench/pretrain_throughput.py --profile tiny      # where time goes
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from common import (add_speedups, conv_backward_flop, impl_stats, interleaved_runs, matmul_peak, save_results,
                    setup_torch)

OUT = Path(__file__).resolve().parent / "out"
# (batch, seconds of audio per utterance): base gets a short batch so CPU steps stay short
BATCHES = {"tiny": (4, 4.0), "small": (2, 4.0), "base": (2, 4.0), "large": (1, 4.0)}
IMPLS = ("asrkit", "transformers")


def build(impl: str, size: str, dtype: str = "fp32"):
    """(model, forward, step, audio seconds) for one implementation; ``step`` returns the loss.
    ``dtype="bf16"`` runs forward and backward under CPU autocast (both implementations)."""
    import torch

    from asrkit.models import hf, wav2vec2
    from asrkit.models.objectives import PreTrainingLossConfig

    cfg = wav2vec2.config_for(size)
    batch, seconds = BATCHES[size]
    wave = torch.randn(batch, int(seconds * 16000), generator=torch.Generator().manual_seed(1))
    if impl == "asrkit":
        model = wav2vec2.Wav2Vec2ForPreTraining(cfg, PreTrainingLossConfig(feature_pen_weight=0.0))

        def forward():
            return model(wave).loss

    else:
        import transformers
        from transformers.models.wav2vec2.modeling_wav2vec2 import (
            _compute_mask_indices,
            _sample_negative_indices,
        )

        fields = hf.config_to_hf(cfg, "Wav2Vec2ForPreTraining")
        fields.pop("architectures")
        model = transformers.Wav2Vec2ForPreTraining(transformers.Wav2Vec2Config(**fields))
        frames = int(model._get_feat_extract_output_lengths(wave.shape[1]))

        def forward():
            mask = _compute_mask_indices(
                (batch, frames), cfg.mask_time_prob, cfg.mask_time_length,
                min_masks=cfg.mask_time_min_masks,
            )
            negatives = _sample_negative_indices((batch, frames), 100, mask)
            return model(
                wave,
                mask_time_indices=torch.from_numpy(mask),
                sampled_negative_indices=torch.from_numpy(negatives).long(),
            ).loss

    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def autocast_forward():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == "bf16"):
            return forward()

    def step() -> float:
        loss = autocast_forward()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())

    return model, autocast_forward, step, batch * seconds


def _set_layerdrop(model, impl: str, value: float) -> float:
    """Set LayerDrop, returning the old value (FLOPs are counted with every layer run)."""
    if impl == "asrkit":
        old, model.wav2vec2.encoder.layerdrop = model.wav2vec2.encoder.layerdrop, value
    else:
        old, model.config.layerdrop = model.config.layerdrop, value
    return old


def worker(impl: str, size: str, steps: int, warmup: int, threads: int, dtype: str) -> dict:
    """Time ``steps`` training steps in this process; returns one JSON-able record."""
    from torch.utils.flop_counter import FlopCounterMode

    setup_torch(threads)
    model, forward, step, audio = build(impl, size, dtype)
    for _ in range(warmup):
        step()
    walls, cpus, losses = [], [], []
    for _ in range(steps):
        w0, c0 = time.perf_counter(), time.process_time()
        losses.append(step())
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    import torch

    counter = FlopCounterMode(
        display=False, custom_mapping={torch.ops.aten.convolution_backward: conv_backward_flop}
    )
    layerdrop = _set_layerdrop(model, impl, 0.0)
    with counter:
        forward().backward()
    _set_layerdrop(model, impl, layerdrop)
    model.zero_grad(set_to_none=True)
    return {
        "impl": impl, "size": size, "audio_s": audio, "wall_s": walls, "cpu_s": cpus,
        "loss": losses, "rss_mb": rss_mb, "flops": counter.get_total_flops(),
    }


def profile(size: str, threads: int, dtype: str) -> None:
    """Print the top operators of one warm training step for each implementation."""
    from torch.profiler import profile as torch_profile

    for impl in IMPLS:
        setup_torch(threads)
        _, _, step, _ = build(impl, size, dtype)
        step()
        with torch_profile() as prof:
            step()
        print(f"\n=== {impl} ({size}, {threads} thread(s)) ===")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=18))


def summarize(size: str, records: list[dict], peaks: list[float]) -> dict:
    by = {impl: [r for r in records if r["impl"] == impl] for impl in IMPLS}
    out = {"size": size, "batch": BATCHES[size]}
    for impl, recs in by.items():
        out[impl] = impl_stats(recs, max(peaks))
    add_speedups(out, by, "transformers")
    out["matmul_peak_gflops"] = max(peaks) / 1e9
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="tiny,base")
    parser.add_argument("--reps", type=int, default=5, help="repetitions (processes) per implementation")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per process")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32",
                        help="bf16: CPU autocast for both implementations")
    parser.add_argument("--profile", metavar="SIZE", help="print a profile of one step and exit")
    parser.add_argument("--worker", nargs=2, metavar=("IMPL", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--peak", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker, args.steps, args.warmup, args.threads, args.dtype)))
        return
    if args.peak:
        print(json.dumps({"peak": matmul_peak(args.threads, args.dtype)}))
        return
    if args.profile:
        profile(args.profile, args.threads, args.dtype)
        return

    common = ["--steps", str(args.steps), "--warmup", str(args.warmup), "--threads", str(args.threads),
              "--dtype", args.dtype]
    results = []
    for size in args.sizes.split(","):
        records, peaks, _ = interleaved_runs(__file__, size, IMPLS, args.reps, args.threads, args.dtype, common)
        summary = summarize(size, records, peaks)
        results.append({"summary": summary, "records": records, "peaks": peaks})
        a, h = summary["asrkit"], summary["transformers"]
        print(f"\n{size}: batch {summary['batch'][0]} x {summary['batch'][1]} s, {args.dtype}, {args.threads} thread(s), "
              f"matmul peak {summary['matmul_peak_gflops']:.1f} GFLOP/s")
        print(f"{'':14s}{'audio s/s':>10s}{'audio s/cpu s':>15s}{'RSS MB':>9s}{'GFLOP/step':>12s}"
              f"{'GFLOP/cpu s':>13s}{'% peak':>8s}")
        for name, r in (("asrkit", a), ("transformers", h)):
            print(f"{name:14s}{r['audio_per_wall_s']:10.2f}{r['audio_per_cpu_s']:15.2f}{r['rss_mb']:9.0f}"
                  f"{r['gflop_per_step']:12.1f}{r['gflops_per_cpu_s']:13.1f}{100 * r['peak_fraction']:8.1f}")
        print(f"speedup (wall, ratio of medians) {a['speedup_wall']:.2f}x; median of paired ratios "
              f"{a['speedup_median_of_pairs']:.2f}x; CPU-time {a['speedup_cpu']:.2f}x\n")
    save_results(OUT, f"pretrain_throughput_{args.dtype}", results)


if __name__ == "__main__":
    main()
