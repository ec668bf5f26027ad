"""Cost of one BL-JUST joint update against one pretraining update plus one fine-tuning update.

A joint update (:class:`asrkit.models.bljust.BLJustModel`, γ = 0.5) runs one SSL and one CTC
forward/backward through the shared encoder in one graph, with θ's SSL gradient scaled
through parameter views; it should cost no more than an SSL update plus a CTC update of the
same batches (same model, AdamW over every parameter, forward + backward + step each). The
three kinds of update alternate in every repetition (A B C, B C A, ...) and medians are
reported, because the machine may be shared; CPU seconds count only this process.

    tools/venv/bin/python bench/bljust_cost.py                        # tiny, 4 x 4 s each side
    tools/venv/bin/python bench/bljust_cost.py --size small --reps 5 --threads 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def build(size: str, batch: int, seconds: float, frontend: str):
    import torch
    import torch.nn.functional as F

    from asrkit.models.bljust import BLJustModel
    from asrkit.models.ctc import CTCConfig
    from asrkit.models.wav2vec2 import config_for

    torch.manual_seed(0)
    encoder = config_for(size, {"frontend": frontend, "layerdrop": 0.0})
    model = BLJustModel(CTCConfig(32, wav2vec2=config_for(size, {"frontend": frontend, "layerdrop": 0.0,
                                                                  "mask_time_prob": 0.0})), encoder)
    g = torch.Generator().manual_seed(1)
    shape = (batch, int(seconds * 16000)) if frontend == "waveform" else (batch, int(seconds * 100), 80)
    unlabeled = (torch.randn(*shape, generator=g), torch.full((batch,), shape[1]))
    labeled = (torch.randn(*shape, generator=g), torch.full((batch,), shape[1]))
    targets = torch.randint(1, 32, (batch, int(seconds * 12)), generator=g)
    target_lengths = torch.full((batch,), targets.shape[1])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)

    def ctc(out):
        return F.ctc_loss(out.log_probs.transpose(0, 1), targets, out.lengths, target_lengths,
                          reduction="sum", zero_infinity=True) / target_lengths.sum()

    def ssl_update():
        out = model.ssl_loss(*unlabeled)
        return out.loss / out.sample_size

    def ctc_update():
        return ctc(model.ctc_forward(*labeled, mask=False))

    def joint_update():
        ssl, out = model(unlabeled, labeled, gamma=0.5, mask=False)
        return ctc(out) + ssl.loss / ssl.sample_size

    def timed(step):
        optimizer.zero_grad(set_to_none=True)
        wall, cpu = time.perf_counter(), time.process_time()
        step().backward()
        optimizer.step()
        return time.perf_counter() - wall, time.process_time() - cpu

    return {"ssl": ssl_update, "ctc": ctc_update, "joint": joint_update}, timed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", default="tiny")
    p.add_argument("--frontend", default="waveform", choices=["waveform", "fbank"])
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    steps, timed = build(args.size, args.batch, args.seconds, args.frontend)
    names = list(steps)
    for name in names:  # warm-up
        timed(steps[name])
    walls = {n: [] for n in names}
    cpus = {n: [] for n in names}
    for rep in range(args.reps):
        for name in names[rep % 3:] + names[:rep % 3]:
            wall, cpu = timed(steps[name])
            walls[name].append(wall)
            cpus[name].append(cpu)
    med = {n: statistics.median(walls[n]) for n in names}
    med_cpu = {n: statistics.median(cpus[n]) for n in names}
    result = {
        "size": args.size, "frontend": args.frontend, "batch": args.batch, "seconds": args.seconds,
        "threads": args.threads, "reps": args.reps, "wall_s": med, "cpu_s": med_cpu,
        "joint_over_sum_wall": med["joint"] / (med["ssl"] + med["ctc"]),
        "joint_over_sum_cpu": med_cpu["joint"] / (med_cpu["ssl"] + med_cpu["ctc"]),
    }
    print(f"{args.size} ({args.frontend}), {args.batch} x {args.seconds:g} s per side, "
          f"{args.threads} thread(s), median of {args.reps}:")
    for n in names:
        print(f"  {n:5s} update: {med[n]:.3f} s wall, {med_cpu[n]:.3f} s CPU")
    print(f"  joint / (ssl + ctc): {result['joint_over_sum_wall']:.3f} wall, "
          f"{result['joint_over_sum_cpu']:.3f} CPU")
    OUT.mkdir(exist_ok=True)
    path = OUT / f"bljust_cost_{args.size}_{args.frontend}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"  -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
