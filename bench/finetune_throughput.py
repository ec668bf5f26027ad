"""CTC fine-tuning throughput: asrkit's ``CTCModel`` vs ``transformers``' ``Wav2Vec2ForCTC``.

One training step = forward (time and channel masks drawn inside) + CTC loss + backward +
AdamW step, the same architecture (``asrkit.models.hf.config_to_hf``), batch, dropouts,
masking, LayerDrop and loss for both: CTC summed over the batch with ``zero_infinity``
(``ctc_loss_reduction="sum"``, ``ctc_zero_infinity=True``), feature encoder frozen
(asrkit's ``freeze_feature_encoder``, transformers' ``freeze_feature_encoder()``). asrkit's
step is the stage's own code path, :class:`asrkit.finetune.CTCTask` ``.step``, measured
twice: ``asrkit`` computes the frozen front end every step (equal work: an utterance's first
visit), ``asrkit-cached`` takes its latents from the stage's front-end cache
(:mod:`asrkit.train.latent_cache`), as every later epoch of a fine-tuning run does.

The batch is random audio of bucketed lengths (the longest item sets the padding, the others
are up to 15% shorter: the padding paths of both models run) and random character targets
of a realistic length (``--chars-per-second``, 14 ≈ read speech) over a 40-token vocabulary.
Masking follows the recipes: ``tiny`` as ``egs/mini_cv/conf/finetune_tiny.yaml``, ``base``
as fairseq's ``base_10h`` fine-tuning (time p 0.65 × 10, channel p 0.5 × 64, LayerDrop 0.05).

Each measurement runs in a fresh process (peak RSS per implementation); implementations
alternate in every repetition (A B, B A, ...) and medians are reported, because the machine
may be shared. Also reported: FLOPs per step (``FlopCounterMode``, LayerDrop off) and the
achieved FLOP per CPU second against a measured matmul peak (same dtype and thread count).

    tools/venv/bin/python bench/finetune_throughput.py                    # tiny and base
    tools/venv/bin/python bench/finetune_throughput.py --sizes tiny --reps 7 --threads 2
    tools/venv/bin/python bench/finetune_throughput.py --profile tiny     # where time goes
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import string
import time
from pathlib import Path

from common import (add_speedups, conv_backward_flop, impl_stats, interleaved_runs, matmul_peak,
                    save_results, setup_torch)

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
# (batch, seconds of audio of the longest item): base gets a short batch so CPU steps stay short
BATCHES = {"tiny": (4, 4.0), "small": (2, 4.0), "base": (2, 4.0), "large": (1, 4.0)}
FINETUNE_MASKING = {
    "tiny": dict(mask_time_prob=0.3, mask_time_length=5, mask_channel_prob=0.1,
                 mask_channel_length=16, layerdrop=0.0),
    "base": dict(mask_time_prob=0.65, mask_time_length=10, mask_channel_prob=0.5,
                 mask_channel_length=64, layerdrop=0.05),
}
FINETUNE_MASKING["small"] = FINETUNE_MASKING["base"]
FINETUNE_MASKING["large"] = {**FINETUNE_MASKING["base"], "layerdrop": 0.1}
LETTERS = string.ascii_lowercase + string.digits + "'"
VOCAB = 3 + len(LETTERS)  # blank, <unk>, | and 37 characters
# asrkit: every step computes the frozen front end (equal work, an epoch's first visit);
# asrkit-cached: the front end's latents come from the stage's cache, as in every later epoch
IMPLS = ("asrkit", "asrkit-cached", "transformers")


def make_batch(size: str, chars_per_second: float, spread: float):
    """Random waveforms and targets as an asrkit ``Batch``: the longest item sets the padding,
    the others are evenly up to ``spread`` (a fraction) shorter."""
    import torch

    from asrkit.train.datasets import TARGET_PAD, Batch

    batch, seconds = BATCHES[size]
    gen = torch.Generator().manual_seed(1)
    longest = int(seconds * 16000)
    lengths = torch.tensor([int(longest * (1 - spread * i / max(batch - 1, 1))) for i in range(batch)])
    wave = torch.randn(batch, longest, generator=gen) * 0.1
    wave[torch.arange(longest)[None] >= lengths[:, None]] = 0.0
    target_lengths = (lengths / 16000 * chars_per_second).round().long()
    targets = torch.full((batch, int(target_lengths.max())), TARGET_PAD, dtype=torch.long)
    for i, n in enumerate(target_lengths.tolist()):
        targets[i, :n] = torch.randint(3, VOCAB, (n,), generator=gen)
    return Batch([f"utt{i}" for i in range(batch)], wave, lengths, targets, target_lengths)


def encoder_config(size: str):
    from asrkit.models import wav2vec2

    return wav2vec2.config_for(size, FINETUNE_MASKING[size])


def build(impl: str, size: str, opts: argparse.Namespace):
    """(model, loss function, training step, audio seconds) for one implementation.
    ``opts.dtype == "bf16"`` runs forward and loss under CPU autocast (both implementations)."""
    import torch

    from asrkit.models import hf

    cfg = encoder_config(size)
    batch = make_batch(size, opts.chars_per_second, opts.spread)
    if impl.startswith("asrkit"):
        import dataclasses

        from asrkit.finetune import CTCTask, FinetuneConfig
        from asrkit.models.ctc import CTCConfig, CTCModel
        from asrkit.text.tokenizer import BLANK, UNK, WORD_DELIMITER, CharTokenizer

        model = CTCModel(CTCConfig(VOCAB, "wav2vec2", wav2vec2=cfg))
        model.encoder.freeze_feature_encoder()
        tokens = [BLANK, UNK, WORD_DELIMITER, *LETTERS]
        cfg = FinetuneConfig()
        cache_mb = 1024.0 if impl == "asrkit-cached" else 0.0
        cfg.finetune = dataclasses.replace(cfg.finetune, latent_cache_mb=cache_mb)
        task = CTCTask(model, cfg, CharTokenizer(tokens))

        def forward():
            return task.step(batch, num_updates=1_000_000).loss

    else:
        import transformers

        fields = hf.config_to_hf(cfg, "Wav2Vec2ForCTC")
        fields.pop("architectures")
        hf_cfg = transformers.Wav2Vec2Config(
            **fields, vocab_size=VOCAB, pad_token_id=0, ctc_loss_reduction="sum", ctc_zero_infinity=True
        )
        model = transformers.Wav2Vec2ForCTC(hf_cfg)
        model.freeze_feature_encoder()
        attention_mask = (torch.arange(batch.inputs.shape[1])[None] < batch.lengths[:, None]).long()
        labels = batch.targets.masked_fill(batch.targets < 0, -100)

        def forward():
            return model(batch.inputs, attention_mask=attention_mask, labels=labels).loss

    model.train()

    def loss_fn():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=opts.dtype == "bf16"):
            return forward()

    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)

    def step() -> float:
        loss = loss_fn()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())

    return model, loss_fn, step, float(batch.lengths.sum()) / 16000


def _set_layerdrop(model, impl: str, value: float) -> float:
    """Set LayerDrop, returning the old value (FLOPs are counted with every layer run)."""
    if impl.startswith("asrkit"):
        old, model.encoder.encoder.layerdrop = model.encoder.encoder.layerdrop, value
    else:
        old, model.config.layerdrop = model.config.layerdrop, value
    return old


def count_flops(model, impl: str, loss_fn) -> int:
    """FLOPs of one forward + backward, with every layer run (LayerDrop off)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False,
                              custom_mapping={torch.ops.aten.convolution_backward: conv_backward_flop})
    layerdrop = _set_layerdrop(model, impl, 0.0)
    with counter:
        loss_fn().backward()
    _set_layerdrop(model, impl, layerdrop)
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def worker(impl: str, size: str, opts: argparse.Namespace) -> dict:
    """Time ``opts.steps`` training steps in this process; returns one JSON-able record."""
    setup_torch(opts.threads)
    model, loss_fn, step, audio = build(impl, size, opts)
    for _ in range(opts.warmup):
        step()
    walls, cpus, losses = [], [], []
    for _ in range(opts.steps):
        w0, c0 = time.perf_counter(), time.process_time()
        losses.append(step())
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    attention = getattr(getattr(model, "config", None), "_attn_implementation", "sdpa")
    return {
        "impl": impl, "size": size, "audio_s": audio, "wall_s": walls, "cpu_s": cpus,
        "loss": losses, "rss_mb": rss_mb, "flops": count_flops(model, impl, loss_fn), "attention": attention,
    }


def profile(size: str, opts: argparse.Namespace) -> None:
    """Print the top operators of one warm training step for each implementation."""
    from torch.profiler import profile as torch_profile

    for impl in IMPLS:
        setup_torch(opts.threads)
        _, _, step, _ = build(impl, size, opts)
        step()
        with torch_profile() as prof:
            step()
        print(f"\n=== {impl} ({size}, {opts.dtype}, {opts.threads} thread(s)) ===")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20))


def summarize(size: str, opts: argparse.Namespace, records: list[dict], peaks: list[float]) -> dict:
    by = {impl: [r for r in records if r["impl"] == impl] for impl in IMPLS}
    out = {"size": size, "batch": BATCHES[size], "spread": opts.spread, "dtype": opts.dtype,
           "threads": opts.threads, "masking": FINETUNE_MASKING[size], "audio_s": records[0]["audio_s"],
           "hf_attention": by["transformers"][0]["attention"]}
    peak = statistics.median(peaks)
    for impl, recs in by.items():
        out[impl] = impl_stats(recs, peak)
    add_speedups(out, by, "transformers")
    out["matmul_peak_gflops"] = peak / 1e9
    return out


def report(summary: dict) -> None:
    batch, seconds = summary["batch"]
    print(f"\n{summary['size']}: batch {batch} × ≤{seconds} s ({summary['audio_s']:.1f} s of audio), "
          f"{summary['dtype']}, {summary['threads']} thread(s), matmul peak "
          f"{summary['matmul_peak_gflops']:.1f} GFLOP/s, transformers attention: {summary['hf_attention']}")
    print(f"{'':14s}{'audio s/s':>10s}{'audio s/cpu s':>15s}{'step s':>8s}{'RSS MB':>9s}"
          f"{'GFLOP/step':>12s}{'GFLOP/cpu s':>13s}{'% peak':>8s}")
    for name in IMPLS:
        r = summary[name]
        print(f"{name:14s}{r['audio_per_wall_s']:10.2f}{r['audio_per_cpu_s']:15.2f}{r['step_wall_s']:8.2f}"
              f"{r['rss_mb']:9.0f}{r['gflop_per_step']:12.1f}{r['gflops_per_cpu_s']:13.1f}"
              f"{100 * r['peak_fraction']:8.1f}")
    for name in IMPLS[:-1]:
        r = summary[name]
        print(f"{name} / transformers: wall (ratio of medians) {r['speedup_wall']:.2f}x; median of paired "
              f"ratios {r['speedup_median_of_pairs']:.2f}x; CPU time {r['speedup_cpu']:.2f}x")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="tiny,base")
    parser.add_argument("--reps", type=int, default=5, help="repetitions (processes) per implementation")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per process")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32",
                        help="bf16: CPU autocast for both implementations")
    parser.add_argument("--chars-per-second", type=float, default=14.0, help="target tokens per second of audio")
    parser.add_argument("--spread", type=float, default=0.15,
                        help="the shortest item is this fraction shorter than the longest (0: equal lengths)")
    parser.add_argument("--profile", metavar="SIZE", help="print a profile of one step and exit")
    parser.add_argument("--worker", nargs=2, metavar=("IMPL", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--peak", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker, args)))
        return
    if args.peak:
        print(json.dumps({"peak": matmul_peak(args.threads, args.dtype)}))
        return
    if args.profile:
        profile(args.profile, args)
        return

    common = ["--steps", str(args.steps), "--warmup", str(args.warmup), "--threads", str(args.threads),
              "--dtype", args.dtype, "--chars-per-second", str(args.chars_per_second),
              "--spread", str(args.spread)]
    results = []
    for size in args.sizes.split(","):
        records, peaks, loads = interleaved_runs(__file__, size, IMPLS, args.reps, args.threads, args.dtype,
                                                 common)
        summary = summarize(size, args, records, peaks)
        summary["load_average_1min"] = [min(loads), statistics.median(loads), max(loads)]
        results.append({"summary": summary, "records": records, "peaks": peaks})
        report(summary)
        print(f"load average (1 min) during the runs: min {min(loads):.1f}, median "
              f"{statistics.median(loads):.1f}, max {max(loads):.1f}\n")
    save_results(OUT, f"finetune_throughput_{args.dtype}", results)


if __name__ == "__main__":
    main()
