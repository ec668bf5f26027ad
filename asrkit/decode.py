"""Stage 5: CTC decoding of a dumped test set, in parallel jobs, greedy or beam (+ n-gram LM).

::

    asrkit-decode --cmd "$decode_cmd" --nj 4 --config conf/decode_beam.yaml \\
        --model exp/asr_tiny --data dump/raw/test --out exp/asr_tiny/decode_beam/test \\
        [--lm exp/lm_3gram/lm.arpa]

writes ``<out>/hyp`` (Kaldi text: ``utt words...``), ``<out>/nbest`` (``utt rank score
text`` when N-best > 1), and ``decode_info.json`` (decoder settings, model, timing and
real-time factor) that RESULTS.md reads. The data dir is split into ``--nj`` pieces run
through the job launcher (local or SLURM); each job streams its utterances from the
stage-2 arks, batches them by length, and runs utterances longer than ``chunk_seconds``
chunk by chunk so no input runs out of memory. Utterances too short to give one frame
are decoded as empty hypotheses and reported, never dropped.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from asrkit import config as configlib
from asrkit.cli import run_cli, stage_done, write_done
from asrkit.data import read_table
from asrkit.data.ops import split_data
from asrkit.decoding import DecodeConfig, build_decoder_from_config
from asrkit.launch import submit
from asrkit.inference import Recognizer, batches_by_length, load_for_inference, resolve_device
from asrkit.layout import DECODE_INFO, HYP, MODEL_FILE, NBEST, TIMING
from asrkit.model_input import check_same, recorded_spec
from asrkit.progress import progress
from asrkit.train import FeatsDataset

log = logging.getLogger("asrkit.decode")


@dataclass
class DecodeStageConfig:
    """``conf/decode_*.yaml``: the search (``decoder``) and how to feed the model."""

    decoder: DecodeConfig = field(default_factory=DecodeConfig)
    checkpoint: str = MODEL_FILE  # in the model dir: model.pt (averaged), checkpoint_best.pt, ...
    # max Σ padded input length per forward batch; null: one utterance at a time on CPU
    # (fastest there: bench/decode_rtf.py measured batching 2-3x slower), 4M samples on GPU
    batch_bins: int | None = None
    chunk_seconds: float = 30.0  # longer utterances are encoded in chunks of this length
    device: str = "auto"  # auto, cpu, cuda


def job_device(name: str, job: int | None) -> torch.device:
    """The device of decoding job ``job`` (1-based): with ``auto``/``cuda`` on a machine with
    several visible GPUs, local jobs take them in turn instead of all landing on cuda:0 (a
    launcher that binds one GPU per job leaves one visible, which every job then uses)."""
    device = resolve_device(name)
    if device.type == "cuda" and device.index is None and job is not None:
        count = torch.cuda.device_count()
        if count > 1:
            return torch.device("cuda", (job - 1) % count)
    return device


def decode_dir(data: Path, out: Path, model_dir: Path, cfg: DecodeStageConfig, lm: str | None,
               job: int | None = None) -> dict:
    """Decode every utterance of dumped data dir ``data``; write ``hyp``/``nbest`` to ``out``."""
    t0 = time.time()
    model, tokenizer = load_for_inference(model_dir, cfg.checkpoint)
    check_same(recorded_spec(model_dir), data, str(model_dir))
    decoder = build_decoder_from_config(tokenizer, cfg.decoder, lm)
    dataset = FeatsDataset(data, min_length=0, max_length=None, crop=False)
    rate = 1.0 / dataset.seconds_per_unit
    rec = Recognizer(model, decoder, job_device(cfg.device, job), rate, cfg.chunk_seconds)
    lengths = [int(n) for n in dataset.lengths]
    short = [dataset.utt_ids[i] for i, n in enumerate(lengths) if n < model.min_input_length]
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, list] = {}
    setup = time.time() - t0
    t1 = time.time()
    batch_bins = cfg.batch_bins or (4_000_000 if rec.device.type == "cuda" else 1)
    groups = batches_by_length(lengths, batch_bins, rec.chunk)
    for group in progress(groups, desc=f"decoding {data}", unit="batch", mininterval=5):
        batch = dataset.collate([dataset[i] for i in group])
        for utt, nbest in zip(batch.utt_ids, rec(batch.inputs, batch.lengths)):
            results[utt] = nbest
    wall = time.time() - t1
    audio = sum(lengths) / rate
    with open(out / HYP, "w", encoding="utf-8") as f:
        for utt in dataset.utt_ids:
            text = results[utt][0].text if results[utt] else ""
            f.write(f"{utt} {text}\n" if text else f"{utt}\n")
    if cfg.decoder.nbest > 1:
        with open(out / NBEST, "w", encoding="utf-8") as f:
            for utt in dataset.utt_ids:
                for rank, hyp in enumerate(results[utt], 1):
                    f.write(f"{utt} {rank} {hyp.score:.4f} {hyp.text}\n")
    timing = {"utterances": len(results), "audio_seconds": round(audio, 3),
              "decode_seconds": round(wall, 3), "setup_seconds": round(setup, 3),
              "too_short": short, "decoder": decoder.info()}
    (out / TIMING).write_text(json.dumps(timing, indent=2) + "\n")
    log.info("decoded %d utterances (%.1f s of audio) in %.1f s: real-time factor %.4f",
             len(results), audio, wall, wall / audio if audio else math.nan)
    if short:
        log.warning("%d utterances shorter than one frame were decoded as empty: %s",
                    len(short), ", ".join(short[:10]))
    return timing


def merge(data: Path, pieces: list[Path], out: Path, nbest: bool) -> dict:
    """Concatenate the jobs' ``hyp``/``nbest`` in the data dir's order; sum their timing."""
    hyps: dict[str, str] = {}
    for piece in pieces:
        hyps.update(read_table(piece / HYP, allow_empty_value=True))
    expected = list(read_table(data / "utt2spk"))
    missing = [u for u in expected if u not in hyps]
    if missing:
        raise RuntimeError(f"decoding jobs wrote no hypothesis for {len(missing)} utterances "
                           f"(e.g. {missing[:5]}); see {out}/log/decode.*.log")
    with open(out / HYP, "w", encoding="utf-8") as f:
        for utt in expected:
            f.write(f"{utt} {hyps[utt]}\n" if hyps[utt] else f"{utt}\n")
    if nbest:
        with open(out / NBEST, "w", encoding="utf-8") as f:
            for piece in pieces:
                f.write((piece / NBEST).read_text(encoding="utf-8"))
    total = {"utterances": 0, "audio_seconds": 0.0, "decode_seconds": 0.0, "too_short": []}
    for piece in pieces:
        t = json.loads((piece / TIMING).read_text())
        for key in ("utterances", "audio_seconds", "decode_seconds"):
            total[key] += t[key]
        total["too_short"] += t["too_short"]
    for key in ("audio_seconds", "decode_seconds"):  # sums of rounded floats: 0.14300000000000002
        total[key] = round(total[key], 3)
    total["rtf"] = round(total["decode_seconds"] / total["audio_seconds"], 5) if total["audio_seconds"] else None
    total["jobs"] = len(pieces)
    if not total["too_short"]:
        del total["too_short"]
    total["decoder"] = json.loads((pieces[0] / TIMING).read_text())["decoder"]
    return total


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asrkit-decode", description=__doc__.split("\n\n")[0])
    p.add_argument("--config", help="YAML DecodeStageConfig (conf/decode_*.yaml)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set decoder.beam_size=20 (repeatable)")
    p.add_argument("--model", required=True, help="fine-tuning experiment dir (or a model .pt file)")
    p.add_argument("--data", required=True, help="dumped data dir to decode (stage 2 output)")
    p.add_argument("--out", required=True, help="output dir for hyp, nbest, decode_info.json")
    p.add_argument("--lm", help="word or character n-gram LM (ARPA) for beam search")
    p.add_argument("--cmd", default="asrkit-launch local", help="job launcher prefix ($decode_cmd)")
    p.add_argument("--nj", type=int, default=1, help="number of parallel jobs")
    p.add_argument("--force", action="store_true", help="decode again even if done")
    p.add_argument("--job", type=int, help=argparse.SUPPRESS)  # internal: run one job's piece
    return p


def run(args: argparse.Namespace) -> int:
    cfg = configlib.load(DecodeStageConfig, args.config, args.set)
    out, data, model_dir = Path(args.out), Path(args.data), Path(args.model)
    if args.job is not None:  # one job: decode its piece of the split data dir
        decode_dir(data, out, model_dir, cfg, args.lm, args.job)
        return 0
    if stage_done(out) and not args.force:
        log.info("%s is decoded (remove %s/.done or pass --force to redo)", out, out)
        return 0
    if cfg.decoder.kind == "beam" and args.lm is None and cfg.decoder.lm_weight and cfg.decoder.lexicon:
        log.info("beam search without an LM: lm_weight is ignored")
    out.mkdir(parents=True, exist_ok=True)
    configlib.save(cfg, out / "config.yaml")
    nj = max(1, min(args.nj, len(read_table(data / "utt2spk"))))
    pieces = split_data(data, nj, per_utt=True)
    job_out = out / "split"
    argv = ["asrkit-decode", "--job", "JOB", "--model", str(model_dir), "--data",
            str(pieces[0].parent / "JOB"), "--out", str(job_out / "JOB")]
    if args.config:
        argv += ["--config", args.config]
    for s in args.set:
        argv += ["--set", s]
    if args.lm:
        argv += ["--lm", args.lm]
    t0 = time.time()
    submit(args.cmd, out / "log" / "decode.JOB.log", argv, nj)
    timing = merge(data, [job_out / str(i) for i in range(1, nj + 1)], out, cfg.decoder.nbest > 1)
    timing["wall_seconds"] = round(time.time() - t0, 3)
    info = {"decoder": timing.pop("decoder"), "config": args.config, "checkpoint": cfg.checkpoint,
            "lm": args.lm, "timing": timing}
    (out / DECODE_INFO).write_text(json.dumps(info, indent=2, default=str) + "\n")
    write_done(out)
    print(f"asrkit-decode: {data} -> {out}/hyp ({timing['utterances']} utterances, {nj} job(s), "
          f"real-time factor {timing['rtf']:.4f} per job)")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser(), run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
