"""GPU smoke test: every GPU code path of a recipe, on synthetic data, in one table.

For the minutes a GPU is lent: no network, about 10 minutes on one GPU. Each check runs
asrkit the way a recipe does, through the stage CLIs' ``main`` (``asrkit.pretrain``,
``asrkit.finetune``, ``asrkit.decode``) with ``--ngpu`` and ``--set`` overrides, on a
generated corpus dumped by stage 2:

- ``pretrain``: a few wav2vec 2.0 updates per size and dtype (bf16, or fp16 through the
  trainer's GradScaler), with a validation at the end;
- ``resume``: the same experiment run again for two more updates, which must continue
  from its last checkpoint, not start over;
- ``finetune``: CTC fine-tuning from that checkpoint (frozen feature encoder: the
  front-end cache path), and ``validate``: its WER pass found finite numbers;
- ``decode-greedy`` / ``decode-beam``: stage 5 on the dev set (beam needs flashlight-text);
- ``step-pretrain`` / ``step-ctc``: training steps of asrkit's models and of transformers'
  ``Wav2Vec2ForPreTraining`` / ``Wav2Vec2ForCTC`` at the same config and batch in this
  process; ``ratio`` is asrkit's audio seconds per second over transformers'.

``items/s`` is audio seconds per wall second: the trainer's own measure (median over its
log intervals after the first) for the stages, decoded audio over decoding time for
stage 5. The script exits 1 when a check failed; a skipped check (no transformers, no
flashlight-text) says why and does not fail.

    tools/venv/bin/python bench/gpu_smoke.py                          # GPU: small + base, bf16 + fp16
    tools/venv/bin/python bench/gpu_smoke.py --sizes base --dtypes bf16 --steps 20
    tools/venv/bin/python bench/gpu_smoke.py --device cpu --quick     # CPU: tiny, fp32 + bf16, 2 steps
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = Path(__file__).resolve().parent / "out"

from common import save_results  # noqa: E402
from dump_throughput import speech_like  # noqa: E402

from asrkit.data import write_table  # noqa: E402

LETTERS = "abcdefghijklmnopqrstuvwxyz"
AMP = {"fp32": "none", "bf16": "bf16", "fp16": "fp16"}
# Fine-tuning masks as fairseq's base_10h (and the recipes' small/base configs).
FINETUNE_MASKING = {"mask_time_prob": 0.65, "mask_time_length": 10, "mask_channel_prob": 0.5,
                    "mask_channel_length": 64}


@dataclass
class Plan:
    """What one run covers; ``--quick`` is the CPU test's plan."""

    device: str
    sizes: list[str]
    dtypes: list[str]
    steps: int
    utterances: int  # training utterances (dev: a quarter)
    seconds: tuple[float, float]  # utterance durations
    batch: int  # utterances per batch of the stages and of the step benchmark
    workers: int  # DataLoader processes of the stages
    warmup: int  # step benchmark: untimed steps, then ``timed`` timed ones
    timed: int

    @property
    def batch_samples(self) -> int:
        return int(self.batch * self.seconds[1] * 16000)


@dataclass
class Row:
    check: str
    size: str
    dtype: str
    status: str = "ok"  # ok, FAIL, skip
    seconds: float | None = None
    items_per_s: float | None = None
    ratio: float | None = None
    note: str = ""


class Skipped(Exception):
    """A check that cannot run here; its message says why."""


class Smoke:
    """Runs checks, one table row each; a failure is recorded and the next check runs."""

    def __init__(self):
        self.rows: list[Row] = []

    def check(self, name: str, size: str, dtype: str, fn: Callable[..., dict | None], *args) -> bool:
        """Run ``fn(*args)``; the dict it returns fills the row's columns."""
        row = Row(name, size, dtype)
        start = time.perf_counter()
        try:
            for key, value in (fn(*args) or {}).items():
                setattr(row, key, value)
        except Skipped as e:
            row.status, row.note = "skip", str(e)
        except Exception as e:  # noqa: BLE001 - one failed check must not hide the others
            traceback.print_exc()
            row.status, row.note = "FAIL", f"{type(e).__name__}: {e}".splitlines()[0][:200]
        row.seconds = time.perf_counter() - start
        self.rows.append(row)
        print(f"gpu_smoke: {name} {size} {dtype}: {row.status} {row.note}", file=sys.stderr, flush=True)
        return row.status == "ok"

    def table(self, title: str) -> str:
        def num(v: float | None, fmt: str) -> str:
            return "" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)

        lines = [title, "",
                 "| check | size | dtype | status | time s | items/s | ratio vs transformers | note |",
                 "|---|---|---|---|---:|---:|---:|---|"]
        for r in self.rows:
            lines.append(f"| {r.check} | {r.size} | {r.dtype} | {r.status} | {num(r.seconds, '.1f')} | "
                         f"{num(r.items_per_s, '.1f')} | {num(r.ratio, '.2f')} | {r.note} |")
        return "\n".join(lines)


# ------------------------------------------------------------------------------ corpus


def make_corpus(root: Path, plan: Plan, seed: int = 0) -> dict[str, Path]:
    """Speech-like audio with random letter transcripts, prepared and dumped raw (stage 2)."""
    from asrkit import dump

    rng = np.random.default_rng(seed)
    dumps = {}
    for name, count in (("train", plan.utterances), ("dev", max(2, plan.utterances // 4))):
        data, audio = root / "data" / name, root / "audio" / name
        audio.mkdir(parents=True, exist_ok=True)
        wav_scp, utt2spk, text = {}, {}, {}
        for i in range(count):
            seconds = float(rng.uniform(*plan.seconds))
            spk = f"spk{i % 4}"
            utt = f"{spk}-{name}{i:04d}"
            sf.write(audio / f"{utt}.wav", speech_like(seconds, 16000, rng), 16000, subtype="FLOAT")
            words = ["".join(rng.choice(list(LETTERS), rng.integers(2, 7))) for _ in range(int(seconds * 2))]
            wav_scp[utt], utt2spk[utt], text[utt] = str(audio / f"{utt}.wav"), spk, " ".join(words)
        for table, values in (("wav.scp", wav_scp), ("utt2spk", utt2spk), ("text", text)):
            write_table(data / table, values)
        dumps[name] = root / "dump" / name
        if dump.main(["--type", "raw", str(data), str(dumps[name])]) != 0:
            raise RuntimeError(f"asrkit-dump failed on {data}")
    return dumps


# ------------------------------------------------------------------------------ stages


def train_section(plan: Plan) -> dict:
    return {"optim": {"lr": 5e-4}, "schedule": {"name": "constant", "warmup_updates": 1},
            "data": {"batch_bins": plan.batch_samples, "max_length": plan.batch_samples // plan.batch,
                     "num_workers": plan.workers},
            "log_interval": 1, "valid_interval": plan.steps, "save_interval": plan.steps,
            "keep_last": 1, "progress_bar": False, "plots": False, "tensorboard": False}


def write_yaml(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def stage_argv(plan: Plan, config: Path, dumps: dict[str, Path], exp: Path, dtype: str, updates: int) -> list[str]:
    return ["--ngpu", "0" if plan.device == "cpu" else "1", "--config", str(config),
            "--train-data", str(dumps["train"]), "--valid-data", str(dumps["dev"]), "--exp-dir", str(exp),
            "--set", f"train.amp={AMP[dtype]}", "--set", f"train.max_updates={updates}"]


def records(exp: Path, split: str, since: float = 0.0) -> list[dict]:
    path = exp / "log" / "metrics.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return [r for r in map(json.loads, lines) if r["split"] == split and r["time"] >= since]


def trained(exp: Path, since: float, updates: int) -> dict:
    """The trainer's throughput of a run that must have reached ``updates`` with a finite loss."""
    train = records(exp, "train", since)
    if not train or train[-1]["updates"] != updates:
        raise RuntimeError(f"{exp}: expected {updates} updates, metrics.jsonl shows "
                           f"{train[-1]['updates'] if train else 'none'}")
    if not all(math.isfinite(r["loss"]) for r in train):
        raise RuntimeError(f"{exp}: non-finite training loss {[r['loss'] for r in train]}")
    rates = [r["audio_s_per_s"] for r in train[1:] or train]
    return {"items_per_s": statistics.median(rates)}


def run_stage(main: Callable[[list[str]], int], argv: list[str]) -> None:
    status = main(argv)
    if status != 0:
        raise RuntimeError(f"exit status {status} (the stage's log says why)")


def pretrain(plan: Plan, work: Path, dumps: dict[str, Path], size: str, dtype: str) -> dict:
    from asrkit import pretrain as stage

    config = write_yaml(work / "pretrain.yaml", {"model": {"size": size}, "loss": {"num_negatives": 20},
                                                 "train": train_section(plan)})
    since = time.time()
    run_stage(stage.main, stage_argv(plan, config, dumps, work / "exp", dtype, plan.steps))
    if not records(work / "exp", "valid", since):
        raise RuntimeError("no validation record in metrics.jsonl")
    return trained(work / "exp", since, plan.steps)


def resume(plan: Plan, work: Path, dumps: dict[str, Path], size: str, dtype: str) -> dict:
    """Two more updates of the pretraining experiment: they must follow its last checkpoint."""
    from asrkit import pretrain as stage

    since = time.time()
    argv = stage_argv(plan, work / "pretrain.yaml", dumps, work / "exp", dtype, plan.steps + 2)
    run_stage(stage.main, [*argv, "--force"])
    first = records(work / "exp", "train", since)
    if not first or first[0]["updates"] != plan.steps + 1:
        raise RuntimeError(f"resumed run started at update {first[0]['updates'] if first else None}, "
                           f"not {plan.steps + 1}")
    return trained(work / "exp", since, plan.steps + 2)


def finetune(plan: Plan, work: Path, dumps: dict[str, Path], size: str, dtype: str) -> dict:
    from asrkit import finetune as stage

    config = write_yaml(work / "finetune.yaml", {
        "model": {"size": size, "wav2vec2": {**FINETUNE_MASKING, "mask_channel_length": 8}},
        "tokenizer": {"kind": "char", "normalizer": "default"},
        "finetune": {"freeze_feature_encoder": True, "freeze_encoder_updates": 1, "average_best": 1},
        "train": train_section(plan),
    })
    since = time.time()
    argv = stage_argv(plan, config, dumps, work / "asr", dtype, plan.steps)
    run_stage(stage.main, [*argv, "--init", str(work / "exp" / "checkpoint_last.pt")])
    return trained(work / "asr", since, plan.steps)


def validated(work: Path) -> dict:
    valid = records(work / "asr", "valid")
    if not valid:
        raise RuntimeError("fine-tuning wrote no validation record")
    bad = {k: v for k, v in valid[-1].items() if isinstance(v, float) and not math.isfinite(v)}
    if bad or "wer" not in valid[-1]:
        raise RuntimeError(f"validation record {valid[-1]}")
    return {"note": f"WER {100 * valid[-1]['wer']:.0f}% (untrained)"}


def decode(plan: Plan, work: Path, dumps: dict[str, Path], kind: str) -> dict:
    from asrkit import decode as stage

    if kind == "beam" and importlib.util.find_spec("flashlight") is None:
        raise Skipped("flashlight-text is not installed (pip install flashlight-text)")
    out = work / f"decode_{kind}"
    run_stage(stage.main, ["--model", str(work / "asr"), "--data", str(dumps["dev"]), "--out", str(out),
                           "--set", f"decoder.kind={kind}", "--set", "decoder.beam_size=8",
                           "--set", f"device={plan.device}", "--nj", "1", "--force"])
    hyp = (out / "hyp").read_text(encoding="utf-8").splitlines()
    if len(hyp) != len((dumps["dev"] / "utt2spk").read_text().splitlines()):
        raise RuntimeError(f"{out}/hyp has {len(hyp)} lines")
    timing = json.loads((out / "decode_info.json").read_text())["timing"]
    return {"items_per_s": timing["audio_seconds"] / max(timing["decode_seconds"], 1e-9)}


# ------------------------------------------------------------ steps against transformers


def step_rates(plan: Plan, size: str, dtype: str, objective: str) -> dict:
    """Audio seconds per second of training steps, asrkit vs transformers, same config and batch."""
    import torch

    if importlib.util.find_spec("transformers") is None:
        raise Skipped("transformers is not installed (pip install -e .[bench])")
    device = torch.device(plan.device)
    gen = torch.Generator().manual_seed(0)
    samples = int(plan.seconds[1] * 16000)
    wave = (0.1 * torch.randn(plan.batch, samples, generator=gen)).to(device)
    lengths = torch.full((plan.batch,), samples, device=device)
    rates = {impl: _rate(plan, dtype, make(size, objective, wave, lengths), plan.batch * plan.seconds[1])
             for impl, make in (("asrkit", _asrkit_step), ("transformers", _transformers_step))}
    return {"items_per_s": rates["asrkit"], "ratio": rates["asrkit"] / rates["transformers"],
            "note": f"transformers {rates['transformers']:.1f} audio s/s"}


def _rate(plan: Plan, dtype: str, built: tuple, audio_seconds: float) -> float:
    """Warm-up, then timed optimizer steps under autocast (fp16 through a GradScaler)."""
    import torch

    model, loss_fn = built
    model.to(plan.device).train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4)
    scaler = torch.amp.GradScaler(plan.device, enabled=dtype == "fp16")
    kind = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(dtype)

    def step() -> None:
        with torch.autocast(plan.device, dtype=kind, enabled=kind is not None):
            loss = loss_fn()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)

    def sync() -> None:
        if plan.device == "cuda":
            torch.cuda.synchronize()

    for _ in range(plan.warmup):
        step()
    sync()
    start = time.perf_counter()
    for _ in range(plan.timed):
        step()
    sync()
    return plan.timed * audio_seconds / (time.perf_counter() - start)


def _vocab() -> int:
    return 3 + len(LETTERS)  # blank, <unk>, | and the letters


def _targets(batch: int, device) -> tuple:
    import torch

    gen = torch.Generator().manual_seed(1)
    targets = torch.randint(3, _vocab(), (batch, 40), generator=gen).to(device)
    return targets, torch.full((batch,), 40, device=device)


def _encoder_config(size: str, objective: str):
    import dataclasses

    from asrkit.models import wav2vec2

    cfg = wav2vec2.config_for(size)
    return dataclasses.replace(cfg, **FINETUNE_MASKING) if objective == "ctc" else cfg


def _asrkit_step(size: str, objective: str, wave, lengths) -> tuple:
    import torch.nn.functional as F

    from asrkit.models import wav2vec2
    from asrkit.models.ctc import CTCConfig, CTCModel
    from asrkit.models.objectives import PreTrainingLossConfig

    cfg = _encoder_config(size, objective)
    if objective == "pretrain":
        model = wav2vec2.Wav2Vec2ForPreTraining(cfg, PreTrainingLossConfig(feature_pen_weight=0.0))
        return model, lambda: model(wave, lengths).loss
    model = CTCModel(CTCConfig(_vocab(), "wav2vec2", wav2vec2=cfg))
    model.encoder.freeze_feature_encoder()
    targets, target_lengths = _targets(wave.shape[0], wave.device)

    def loss():
        out = model(wave, lengths, mask=True)
        return F.ctc_loss(out.log_probs.transpose(0, 1), targets, out.lengths, target_lengths,
                          reduction="sum", zero_infinity=True)

    return model, loss


def _transformers_step(size: str, objective: str, wave, lengths) -> tuple:
    import torch
    import transformers
    from transformers.models.wav2vec2.modeling_wav2vec2 import _compute_mask_indices, _sample_negative_indices

    from asrkit.models import hf

    cfg = _encoder_config(size, objective)
    architecture = "Wav2Vec2ForPreTraining" if objective == "pretrain" else "Wav2Vec2ForCTC"
    fields = hf.config_to_hf(cfg, architecture)
    fields.pop("architectures")
    if objective == "pretrain":
        model = transformers.Wav2Vec2ForPreTraining(transformers.Wav2Vec2Config(**fields))
        frames = int(model._get_feat_extract_output_lengths(wave.shape[1]))
        shape = (wave.shape[0], frames)

        def loss():  # masks and distractors drawn inside the step, as asrkit does
            mask = _compute_mask_indices(shape, cfg.mask_time_prob, cfg.mask_time_length,
                                         min_masks=cfg.mask_time_min_masks)
            negatives = _sample_negative_indices(shape, 20, mask)
            return model(wave, mask_time_indices=torch.from_numpy(mask).to(wave.device),
                         sampled_negative_indices=torch.from_numpy(negatives).long().to(wave.device)).loss

        return model, loss
    config = transformers.Wav2Vec2Config(**fields, vocab_size=_vocab(), pad_token_id=0,
                                         ctc_loss_reduction="sum", ctc_zero_infinity=True)
    model = transformers.Wav2Vec2ForCTC(config)
    model.freeze_feature_encoder()
    labels, _ = _targets(wave.shape[0], wave.device)
    return model, lambda: model(wave, labels=labels).loss


# ------------------------------------------------------------------------------ main


def plan_from(args: argparse.Namespace) -> Plan:
    if args.quick:
        plan = Plan(args.device, ["tiny"], ["fp32", "bf16"], 2, utterances=8, seconds=(0.8, 1.0), batch=2,
                    workers=0, warmup=1, timed=1)
    else:
        plan = Plan(args.device, ["small", "base"], ["bf16", "fp16"], 10, utterances=48, seconds=(3.0, 5.0),
                    batch=8, workers=2, warmup=3, timed=10)
    for name in ("sizes", "dtypes"):
        if getattr(args, name):
            setattr(plan, name, getattr(args, name).split(","))
    if args.steps:
        plan.steps = plan.timed = args.steps
    return plan


def describe_device(device: str) -> str:
    import torch

    if device == "cuda":
        if not torch.cuda.is_available():
            sys.exit("gpu_smoke: no CUDA device visible (use --device cpu --quick on a CPU)")
        return f"{torch.cuda.get_device_name()} (torch {torch.__version__}, CUDA {torch.version.cuda})"
    return f"CPU, {torch.get_num_threads()} thread(s) (torch {torch.__version__})"


def run(plan: Plan, work: Path) -> Smoke:
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    smoke = Smoke()
    dumps: dict[str, Path] = {}

    def corpus() -> None:
        dumps.update(make_corpus(work / "corpus", plan))

    if not smoke.check("corpus", "-", "-", corpus):
        return smoke
    for size in plan.sizes:
        for dtype in plan.dtypes:
            where = work / f"{size}_{dtype}"
            if smoke.check("pretrain", size, dtype, pretrain, plan, where, dumps, size, dtype):
                smoke.check("resume", size, dtype, resume, plan, where, dumps, size, dtype)
                if smoke.check("finetune", size, dtype, finetune, plan, where, dumps, size, dtype):
                    smoke.check("validate", size, dtype, validated, where)
                    for kind in ("greedy", "beam"):
                        smoke.check(f"decode-{kind}", size, dtype, decode, plan, where, dumps, kind)
            for objective in ("pretrain", "ctc"):
                smoke.check(f"step-{objective}", size, dtype, step_rates, plan, size, dtype, objective)
    return smoke


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--quick", action="store_true", help="tiny size, fp32 and bf16, 2 steps (the CPU test)")
    parser.add_argument("--sizes", help="comma-separated wav2vec 2.0 sizes (default small,base)")
    parser.add_argument("--dtypes", help="comma-separated, of fp32, bf16, fp16 (default bf16,fp16)")
    parser.add_argument("--steps", type=int, help="updates per stage and timed steps per model (default 10)")
    parser.add_argument("--work-dir", type=Path, help="keep the corpus and experiments here (default: a temp dir)")
    args = parser.parse_args(argv)
    plan = plan_from(args)
    unknown = set(plan.dtypes) - set(AMP)
    if unknown:
        parser.error(f"unknown dtype(s) {', '.join(sorted(unknown))}; choose from {', '.join(AMP)}")
    title = f"gpu_smoke on {describe_device(plan.device)}: {plan.steps} steps, batch {plan.batch} x " \
            f"{plan.seconds[1]:g} s"
    if args.work_dir:
        smoke = run(plan, args.work_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="asrkit-gpu-smoke-") as tmp:
            smoke = run(plan, Path(tmp))
    print(smoke.table(title))
    save_results(OUT, "gpu_smoke", [{"title": title, "plan": asdict(plan)}, *map(asdict, smoke.rows)])
    failed = [r for r in smoke.rows if r.status == "FAIL"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
