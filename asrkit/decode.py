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
from tqdm import tqdm

from asrkit import config as configlib
from asrkit.cli import run_cli, stage_done, write_done
from asrkit.data import read_table
from asrkit.data.ops import split_data
from asrkit.decoding import DecodeConfig, build_decoder_from_config
from asrkit.launch import submit
from asrkit.models import load as load_model
from asrkit.models.ctc import CTCModel
from asrkit.results import DECODE_INFO
from asrkit.text.tokenizer import load_tokenizer
from asrkit.train import FeatsDataset

log = logging.getLogger("asrkit.decode")


@dataclass
class DecodeStageConfig:
    """``conf/decode_*.yaml``: the search (``decoder``) and how to feed the model."""

    decoder: DecodeConfig = field(default_factory=DecodeConfig)
    checkpoint: str = "model.pt"  # in the model dir: model.pt (averaged), checkpoint_best.pt, ...
    # max Σ padded input length per forward batch; null: one utterance at a time on CPU
    # (fastest there: bench/decode_rtf.py measured batching 2-3x slower), 4M samples on GPU
    batch_bins: int | None = None
    chunk_seconds: float = 30.0  # longer utterances are encoded in chunks of this length
    device: str = "auto"  # auto, cpu, cuda


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def load_for_decoding(model_dir: Path, checkpoint: str) -> tuple[CTCModel, object]:
    """The CTC model and tokenizer of a fine-tuning experiment directory."""
    path = model_dir / checkpoint if model_dir.is_dir() else model_dir
    model_dir = path.parent
    model, ckpt = load_model(path)
    if not isinstance(model, CTCModel):
        raise ValueError(f"{path} holds a '{ckpt['kind']}' model; decoding needs a fine-tuned CTC model "
                         "(stage 4's model.pt)")
    return model.eval(), load_tokenizer(model_dir / "tokenizer")


class Recognizer:
    """Model + decoder over padded batches, chunking long inputs."""

    def __init__(self, model: CTCModel, decoder, device: torch.device, units_per_second: float,
                 chunk_seconds: float):
        self.model = model.to(device)
        self.decoder = decoder
        self.device = device
        self.min_length = model.min_input_length
        self.chunk = max(int(chunk_seconds * units_per_second), self.min_length)

    @torch.inference_mode()
    def log_probs(self, inputs: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        inputs, lengths = inputs.to(self.device), lengths.to(self.device)
        if inputs.shape[1] < self.min_length:  # too short for one frame: pad to give one
            pad = [0, 0] * (inputs.dim() - 2) + [0, self.min_length - inputs.shape[1]]
            inputs = torch.nn.functional.pad(inputs, pad)
        lengths = lengths.clamp(min=self.min_length)
        if inputs.shape[1] <= self.chunk:
            out = self.model(inputs, lengths)
            return out.log_probs.cpu(), out.lengths.cpu()
        pieces = []
        for start in range(0, int(lengths[0]), self.chunk):  # one long utterance at a time
            piece = inputs[:, start:start + self.chunk]
            if piece.shape[1] < self.min_length:
                break
            out = self.model(piece, torch.tensor([piece.shape[1]], device=self.device))
            pieces.append(out.log_probs[:, : int(out.lengths[0])].cpu())
        lp = torch.cat(pieces, dim=1)
        return lp, torch.tensor([lp.shape[1]])

    def __call__(self, inputs: torch.Tensor, lengths: torch.Tensor):
        lp, n = self.log_probs(inputs, lengths)
        return self.decoder(lp, n)


def batches_by_length(lengths: list[int], batch_bins: int, chunk: int) -> list[list[int]]:
    """Indices sorted by length, grouped so that Σ padded length ≤ ``batch_bins``; inputs
    longer than ``chunk`` go alone (they are chunked)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    out: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if lengths[i] > chunk:
            out.append([i])
            continue
        if current and lengths[current[0]] * (len(current) + 1) > batch_bins:
            out.append(current)
            current = []
        current.append(i)
    if current:
        out.append(current)
    return out


def decode_dir(data: Path, out: Path, model_dir: Path, cfg: DecodeStageConfig, lm: str | None) -> dict:
    """Decode every utterance of dumped data dir ``data``; write ``hyp``/``nbest`` to ``out``."""
    t0 = time.time()
    model, tokenizer = load_for_decoding(model_dir, cfg.checkpoint)
    decoder = build_decoder_from_config(tokenizer, cfg.decoder, lm)
    dataset = FeatsDataset(data, min_length=0, max_length=None, crop=False)
    rate = 1.0 / dataset.seconds_per_unit
    rec = Recognizer(model, decoder, _device(cfg.device), rate, cfg.chunk_seconds)
    lengths = [int(n) for n in dataset.lengths]
    short = [dataset.utt_ids[i] for i, n in enumerate(lengths) if n < model.min_input_length]
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, list] = {}
    setup = time.time() - t0
    t1 = time.time()
    batch_bins = cfg.batch_bins or (4_000_000 if rec.device.type == "cuda" else 1)
    groups = batches_by_length(lengths, batch_bins, rec.chunk)
    for group in tqdm(groups, desc=f"decoding {data}", unit="batch", mininterval=5):
        batch = dataset.collate([dataset[i] for i in group])
        for utt, nbest in zip(batch.utt_ids, rec(batch.inputs, batch.lengths)):
            results[utt] = nbest
    wall = time.time() - t1
    audio = sum(lengths) / rate
    with open(out / "hyp", "w", encoding="utf-8") as f:
        for utt in dataset.utt_ids:
            text = results[utt][0].text if results[utt] else ""
            f.write(f"{utt} {text}\n" if text else f"{utt}\n")
    if cfg.decoder.nbest > 1:
        with open(out / "nbest", "w", encoding="utf-8") as f:
            for utt in dataset.utt_ids:
                for rank, hyp in enumerate(results[utt], 1):
                    f.write(f"{utt} {rank} {hyp.score:.4f} {hyp.text}\n")
    timing = {"utterances": len(results), "audio_seconds": round(audio, 3),
              "decode_seconds": round(wall, 3), "setup_seconds": round(setup, 3),
              "too_short": short, "decoder": decoder.info()}
    (out / "timing.json").write_text(json.dumps(timing, indent=2) + "\n")
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
        hyps.update(read_table(piece / "hyp", allow_empty_value=True))
    expected = list(read_table(data / "utt2spk"))
    missing = [u for u in expected if u not in hyps]
    if missing:
        raise RuntimeError(f"decoding jobs wrote no hypothesis for {len(missing)} utterances "
                           f"(e.g. {missing[:5]}); see {out}/log/decode.*.log")
    with open(out / "hyp", "w", encoding="utf-8") as f:
        for utt in expected:
            f.write(f"{utt} {hyps[utt]}\n" if hyps[utt] else f"{utt}\n")
    if nbest:
        with open(out / "nbest", "w", encoding="utf-8") as f:
            for piece in pieces:
                f.write((piece / "nbest").read_text(encoding="utf-8"))
    total = {"utterances": 0, "audio_seconds": 0.0, "decode_seconds": 0.0, "too_short": []}
    for piece in pieces:
        t = json.loads((piece / "timing.json").read_text())
        for key in ("utterances", "audio_seconds", "decode_seconds"):
            total[key] += t[key]
        total["too_short"] += t["too_short"]
    for key in ("audio_seconds", "decode_seconds"):  # sums of rounded floats: 0.14300000000000002
        total[key] = round(total[key], 3)
    total["rtf"] = round(total["decode_seconds"] / total["audio_seconds"], 5) if total["audio_seconds"] else None
    total["jobs"] = len(pieces)
    if not total["too_short"]:
        del total["too_short"]
    total["decoder"] = json.loads((pieces[0] / "timing.json").read_text())["decoder"]
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
        decode_dir(data, out, model_dir, cfg, args.lm)
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
