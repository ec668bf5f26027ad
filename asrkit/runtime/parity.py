"""The same utterances through each runtime of an exported model, against PyTorch fp32.

::

    runtimes = load_runtimes("exp/asr_x/export", model)   # pytorch fp32, onnxruntime fp32/int8, pytorch int8
    report = check("dump/fbank/test", runtimes, tokenizer, model.min_input_length)
    write_report(report, "exp/asr_x/export")              # parity.json + parity.md

For each runtime: the largest absolute difference of any log-prob on the valid frames from
PyTorch fp32's, the mean KL divergence per frame, frames whose best token differs, greedy
transcripts identical to PyTorch fp32's, WER/CER against the references (normalized as
``asrkit-score`` normalizes its headline numbers), size on disk and the real-time factor on
one thread (utterances one at a time, as stage 5 decodes on a CPU).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from asrkit.data import read_table
from asrkit.decoding import greedy_search
from asrkit.models.ctc import CTCModel
from asrkit.progress import progress
from asrkit.runtime.quantize import frame_divergence
from asrkit.text.normalize import TextNormalizer
from asrkit.text.tokenizer import Tokenizer
from asrkit.wer import error_rates

log = logging.getLogger(__name__)

ONNX_FILE = "model.onnx"
ONNX_INT8_FILE = "model.int8.onnx"
TORCH_INT8_FILE = "model.int8.pt"
PARITY_JSON = "parity.json"
PARITY_MD = "parity.md"

class ParityError(RuntimeError):
    """An exported graph whose outputs do not match PyTorch's."""


Run = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


@dataclass
class Runtime:
    """One way to compute log-probs: its name, the file it loads and the call."""

    name: str
    file: Path | None
    run: Run


def torch_run(model: CTCModel) -> Run:
    @torch.inference_mode()
    def run(inputs: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = model(inputs, lengths)
        return out.log_probs, out.lengths

    return run


def load_runtimes(export_dir: str | Path, model: CTCModel, model_file: Path | None = None,
                  threads: int = 1) -> list[Runtime]:
    """PyTorch fp32 (``model``), then each exported model present in ``export_dir``."""
    from asrkit.runtime.ort import OrtCTC
    from asrkit.runtime.quantize import load_torch_int8

    export_dir = Path(export_dir)
    runtimes = [Runtime("pytorch fp32", model_file, torch_run(model))]
    for name, file in (("onnxruntime fp32", ONNX_FILE), ("onnxruntime int8", ONNX_INT8_FILE)):
        if (export_dir / file).is_file():
            runtimes.append(Runtime(name, export_dir / file, OrtCTC(export_dir / file, threads)))
    if (export_dir / TORCH_INT8_FILE).is_file():
        runtimes.append(Runtime("pytorch int8", export_dir / TORCH_INT8_FILE,
                                torch_run(load_torch_int8(export_dir / TORCH_INT8_FILE))))
    return runtimes


def check(data_dir: str | Path, runtimes: Sequence[Runtime], tokenizer: Tokenizer, min_length: int,
          max_utts: int | None = None, threads: int = 1) -> dict:
    """Run every utterance of dumped ``data_dir`` (the first ``max_utts``) through each
    runtime, one at a time; the first runtime is the reference."""
    from asrkit.train import FeatsDataset

    data_dir = Path(data_dir)
    dataset = FeatsDataset(data_dir, min_length=0, max_length=None, crop=False)
    refs = read_table(data_dir / "text", allow_empty_value=True)
    indices = list(range(len(dataset)))[:max_utts]
    torch.set_num_threads(threads)
    utts, audio = [], 0.0
    seconds = {r.name: 0.0 for r in runtimes}
    cpu_seconds = {r.name: 0.0 for r in runtimes}
    log_probs: dict[str, list[torch.Tensor]] = {r.name: [] for r in runtimes}
    hyps: dict[str, dict[str, str]] = {r.name: {} for r in runtimes}
    batch0 = dataset.collate([dataset[indices[0]]])
    for r in runtimes:  # warm-up: first calls allocate and plan
        r.run(*_padded(batch0.inputs, batch0.lengths, min_length))
    for i in progress(indices, desc=f"parity on {data_dir}", unit="utt", mininterval=5):
        batch = dataset.collate([dataset[i]])
        utt = batch.utt_ids[0]
        utts.append(utt)
        audio += float(batch.lengths[0]) * dataset.seconds_per_unit
        inputs, lengths = _padded(batch.inputs, batch.lengths, min_length)
        for r in runtimes:
            t0, c0 = time.perf_counter(), time.process_time()
            lp, n = r.run(inputs, lengths)
            seconds[r.name] += time.perf_counter() - t0
            cpu_seconds[r.name] += time.process_time() - c0
            lp = lp[0, : int(n[0])].float()
            log_probs[r.name].append(lp)
            ids, _ = greedy_search(lp[None], torch.tensor([lp.shape[0]]), tokenizer.blank_id)
            hyps[r.name][utt] = tokenizer.decode(ids[0])
    reference = runtimes[0].name
    normalizer = TextNormalizer.preset("default")
    ref_texts = [refs.get(u, "") for u in utts]
    results = {}
    for r in runtimes:
        ours, theirs = log_probs[r.name], log_probs[reference]
        same_shape = all(a.shape == b.shape for a, b in zip(ours, theirs))
        entry = {
            "file": str(r.file) if r.file else None,
            "size_bytes": r.file.stat().st_size if r.file and r.file.is_file() else None,
            "rtf": seconds[r.name] / audio if audio else None,
            "rtf_cpu": cpu_seconds[r.name] / audio if audio else None,
            "seconds": seconds[r.name],
            **error_rates(ref_texts, [hyps[r.name][u] for u in utts], normalizer.normalize),
            "same_transcripts": sum(hyps[r.name][u] == hyps[reference][u] for u in utts),
        }
        if same_shape:
            entry["max_abs_diff"] = max(float((a - b).abs().max()) for a, b in zip(ours, theirs))
            entry["kl_per_frame"] = frame_divergence(theirs, ours)["kl"]
            entry["best_token_differs_frames"] = sum(int((a.argmax(-1) != b.argmax(-1)).sum())
                                                     for a, b in zip(ours, theirs))
        else:
            entry["frames_differ"] = [u for u, a, b in zip(utts, ours, theirs) if a.shape != b.shape][:10]
        results[r.name] = entry
    differ = {r.name: [u for u in utts if hyps[r.name][u] != hyps[reference][u]][:20] for r in runtimes}
    return {
        "data": str(data_dir),
        "utterances": len(utts),
        "audio_seconds": round(audio, 3),
        "frames": sum(x.shape[0] for x in log_probs[reference]),
        "threads": threads,
        "reference": reference,
        "runtimes": results,
        "transcripts_differ": {k: v for k, v in differ.items() if v},
        "hyps": hyps,
    }


def _padded(inputs: torch.Tensor, lengths: torch.Tensor, min_length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs too short for one output frame padded to give one (as stage 5 does)."""
    if inputs.shape[1] < min_length:
        pad = [0, 0] * (inputs.dim() - 2) + [0, min_length - inputs.shape[1]]
        inputs = torch.nn.functional.pad(inputs, pad)
    return inputs, lengths.clamp(min=min_length)


def write_report(report: dict, out_dir: str | Path, extra: dict | None = None) -> tuple[Path, Path]:
    """``parity.json`` (everything, hypotheses included) and ``parity.md`` (the table)."""
    out_dir = Path(out_dir)
    report = {**report, **(extra or {})}
    json_path = out_dir / PARITY_JSON
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path = out_dir / PARITY_MD
    md_path.write_text(format_report(report), encoding="utf-8")
    return json_path, md_path


def format_report(report: dict) -> str:
    ref = report["reference"]
    runtimes = report["runtimes"]
    base = runtimes[ref]
    lines = [
        f"# Export parity: {report['data']}",
        "",
        f"{report['utterances']} utterances ({report['audio_seconds']:.1f} s of audio, "
        f"{report['frames']} output frames), one at a time on {report['threads']} thread(s); "
        f"differences are against {ref}. WER/CER: greedy decoding, text normalized as "
        "asrkit-score's headline numbers.",
        "",
        "| runtime | size (MB) | RTF (CPU) | RTF (wall) | speed vs fp32 (CPU) | WER % | CER % "
        "| max abs Δ log p | KL/frame | frames best token differs | same transcripts |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in runtimes.items():
        size = f"{r['size_bytes'] / 1e6:.2f}" if r["size_bytes"] else "-"
        speed = f"{base['rtf_cpu'] / r['rtf_cpu']:.2f}x" if r["rtf_cpu"] and base["rtf_cpu"] else "-"
        diff = f"{r['max_abs_diff']:.2e}" if "max_abs_diff" in r else "length differs"
        kl = f"{r['kl_per_frame']:.2e}" if "kl_per_frame" in r else "-"
        frames = str(r.get("best_token_differs_frames", "-"))
        lines.append(f"| {name} | {size} | {r['rtf_cpu']:.4f} | {r['rtf']:.4f} | {speed} | {100 * r['wer']:.2f} | "
                     f"{100 * r['cer']:.2f} | {diff} | {kl} | {frames} | "
                     f"{r['same_transcripts']}/{report['utterances']} |")
    for name, utts in report.get("transcripts_differ", {}).items():
        lines += ["", f"Transcripts of {name} that differ from {ref}'s: {', '.join(utts)}"]
    if "sherpa_onnx" in report:
        lines += ["", "## sherpa-onnx", "",
                  "sherpa-onnx reads the audio files and computes the fbank itself (WeNet CTC "
                  "contract, greedy search); WER/CER as above.", "",
                  "| audio given to sherpa-onnx | WER % | CER % | RTF (wall) | same transcripts |",
                  "|---|---|---|---|---|"]
        for run in report["sherpa_onnx"]["runs"]:
            lines.append(f"| {run['audio']} | {100 * run['wer']:.2f} | {100 * run['cer']:.2f} | "
                         f"{run['rtf']:.4f} | {run['same_transcripts']}/{run['utterances']} |")
    if "fallback" in report:
        lines += ["", "## INT8 per-layer fallback", ""]
        for fb in report["fallback"].values():
            kept = ", ".join(fb["kept_float"]) or "none"
            lines.append(f"- {fb['runtime']}: kept float: {kept}; KL {fb['kl']:.2e} nats/frame "
                         f"(tolerance {fb['tolerance']:.1e}; all quantized: {fb['steps'][0]['kl']:.2e})")
    return "\n".join(lines) + "\n"
