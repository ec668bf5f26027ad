"""Stage 9: a fine-tuned CTC model exported for deployment (``asrkit-export``).

::

    asrkit-export exp/asr_x [--out exp/asr_x/export] [--format onnx,onnx-int8,torch-int8]
        [--check-data dump/fbank/test] [--calib-data dump/fbank/dev] [--sherpa auto]

writes to ``--out`` (default ``<exp>/export``):

* ``model.onnx``: the graph, dynamic batch and time axes, opset 17, inputs ``x`` (fbank
  frames [N, T, 80] or samples [N, S]) and ``x_lens``, outputs ``log_probs`` and
  ``log_probs_len``; its metadata (model type, vocab size, subsampling factor, sample rate,
  feature settings, normalization) as sherpa-onnx reads it (:mod:`asrkit.runtime.graph`);
* ``tokens.txt`` (``<token> <id>``, blank at 0), ``tokenizer/``, ``feature_config.yaml``;
* ``model.int8.onnx`` (onnxruntime dynamic quantization) and ``model.int8.pt`` (PyTorch
  ``quantize_dynamic``): int8 Linear/MatMul weights, with layers that cost accuracy kept float
  (measured on ``--calib-utts`` utterances of ``--calib-data``, :mod:`asrkit.runtime.quantize`);
* ``export_info.json``: the metadata, files, sizes and what the fallback measured and chose;
* with ``--check-data``: ``parity.json`` and ``parity.md``: every runtime against PyTorch
  fp32 on that dumped set (log-prob differences, greedy transcripts, WER/CER, size, real-time
  factor on ``--threads``), and sherpa-onnx decoding the set's audio files (fbank models,
  when sherpa-onnx is installed). The stage fails when the fp32 graph's log-probs differ
  from PyTorch's by more than ``--max-abs-diff`` or a greedy transcript differs.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
from pathlib import Path

import torch

from asrkit.cli import run_cli, stage_done, write_done
from asrkit.data import read_table
from asrkit.inference import load_for_inference
from asrkit.layout import FEATURE_CONFIG, MODEL_FILE, TOKENIZER_DIR
from asrkit.model_input import input_spec
from asrkit.progress import progress
from asrkit.runtime import graph, parity, quantize
from asrkit.text.normalize import TextNormalizer
from asrkit.wer import error_rates

log = logging.getLogger("asrkit.export")

FORMATS = ("onnx", "onnx-int8", "torch-int8")
EXPORT_DIR = "export"
EXPORT_INFO = "export_info.json"


class ExportStageError(ValueError):
    """Options or an experiment the stage cannot export; the message says what to fix."""


def parse_formats(value: str) -> list[str]:
    formats = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ExportStageError(f"--format {value!r}: unknown format(s) {unknown or [value]}; "
                               f"choose from {', '.join(FORMATS)} (comma separated)")
    return formats


def calibration_examples(data_dir: Path, count: int, min_length: int) -> list[quantize.Example]:
    """The first ``count`` utterances of dumped ``data_dir`` as (inputs [1, T...], lengths [1])."""
    from asrkit.train import FeatsDataset

    dataset = FeatsDataset(data_dir, min_length=min_length, max_length=None, crop=False)
    return [(b.inputs, b.lengths) for b in (dataset.collate([dataset[i]]) for i in range(min(count, len(dataset))))]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asrkit-export", description=__doc__.split("\n\n")[0])
    p.add_argument("exp", help="fine-tuning experiment dir (stage 4: model.pt, tokenizer/)")
    p.add_argument("--out", help=f"output dir (default: <exp>/{EXPORT_DIR})")
    p.add_argument("--checkpoint", default=MODEL_FILE, help="checkpoint in the experiment to export")
    p.add_argument("--format", default=",".join(FORMATS),
                   help=f"what to write, comma separated: {', '.join(FORMATS)} (default: all)")
    p.add_argument("--opset", type=int, default=graph.OPSET, help="ONNX opset (>= 17)")
    p.add_argument("--check-data", help="dumped data dir (stage 2) to check every runtime on")
    p.add_argument("--check-max-utts", type=int, help="check at most this many utterances")
    p.add_argument("--max-abs-diff", type=float, default=1e-3,
                   help="largest log-prob difference of the fp32 graph from PyTorch that passes")
    p.add_argument("--calib-data", help="dumped data dir whose first utterances measure each layer's "
                                        "INT8 error (default: --check-data)")
    p.add_argument("--calib-utts", type=int, default=8, help="utterances for the per-layer fallback")
    p.add_argument("--fallback-tolerance", type=float, default=0.01,
                   help="INT8 KL divergence from fp32 (nats per frame) the fallback aims under")
    p.add_argument("--max-fallback", type=int, default=4, help="at most this many layers kept float")
    p.add_argument("--sherpa", choices=("auto", "yes", "no"), default="auto",
                   help="decode --check-data's audio with sherpa-onnx (auto: fbank models, if installed)")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for the checks")
    p.add_argument("--force", action="store_true", help="export again even if done")
    return p


def run(args: argparse.Namespace) -> int:
    exp = Path(args.exp)
    formats = parse_formats(args.format)
    if not (exp / args.checkpoint).is_file():
        raise ExportStageError(f"{exp}: no {args.checkpoint}; point asrkit-export at a finished "
                               "fine-tuning experiment (stage 4 writes model.pt when it ends)")
    out = Path(args.out) if args.out else exp / EXPORT_DIR
    if stage_done(out) and not args.force:
        log.info("%s is exported (remove %s/.done or pass --force to redo)", out, out)
        return 0
    for option in ("check_data", "calib_data"):
        path = getattr(args, option)
        if path and not (Path(path) / "feats.scp").is_file():
            raise ExportStageError(f"--{option.replace('_', '-')} {path}: not a dumped data dir "
                                   "(no feats.scp; stage 2 writes dump/<feats_type>/<set>)")
    torch.set_num_threads(args.threads)
    model, tokenizer = load_for_inference(exp, args.checkpoint)
    spec = input_spec(exp, model)
    meta = graph.metadata(model, tokenizer, spec)
    out.mkdir(parents=True, exist_ok=True)
    onnx_path = out / parity.ONNX_FILE
    graph.export_onnx(model, onnx_path, meta, args.opset)
    graph.write_tokens(tokenizer, out / "tokens.txt")
    shutil.copytree(exp / TOKENIZER_DIR, out / TOKENIZER_DIR, dirs_exist_ok=True)
    if (exp / FEATURE_CONFIG).is_file():
        shutil.copyfile(exp / FEATURE_CONFIG, out / FEATURE_CONFIG)
    log.info("wrote %s (%s, %.2f MB)", onnx_path, meta["comment"], onnx_path.stat().st_size / 1e6)

    calib = args.calib_data or args.check_data
    examples = calibration_examples(Path(calib), args.calib_utts, model.min_input_length) if calib else []
    if not examples and any(f.endswith("int8") for f in formats):
        log.warning("no calibration utterances (--calib-data, --check-data, --calib-utts): every "
                    "Linear layer is quantized, none measured (no per-layer fallback)")
    fallbacks = {}
    if "onnx-int8" in formats:
        exclude = []
        if examples:
            fb = quantize.onnx_fallback(onnx_path, examples, args.fallback_tolerance, args.max_fallback,
                                        args.threads, _bar("onnxruntime INT8: each layer alone"))
            fallbacks["onnxruntime"], exclude = fb.to_json(), fb.kept_float
        target = quantize.quantize_onnx(onnx_path, out / parity.ONNX_INT8_FILE, exclude=exclude)
        proto_meta = {**meta, "quantization": "int8 dynamic (onnxruntime)", "kept_float": ",".join(exclude)}
        _set_metadata(target, proto_meta)
    if "torch-int8" in formats:
        skip = []
        if examples:
            fb = quantize.torch_fallback(model, examples, args.fallback_tolerance, args.max_fallback,
                                         _bar("PyTorch INT8: each layer alone"))
            fallbacks["pytorch"], skip = fb.to_json(), fb.kept_float
        qmodel, layers = quantize.quantize_torch(model, skip)
        quantize.save_torch_int8(qmodel, layers, out / parity.TORCH_INT8_FILE, kept_float=skip,
                                 tokenizer=tokenizer.to_info())
    if "onnx" not in formats:  # the int8 graph was made from it; keep only what was asked
        onnx_path.unlink()
    files = {f.name: f.stat().st_size for f in sorted(out.iterdir()) if f.is_file() and f.name.startswith("model")}
    info = {"experiment": str(exp), "checkpoint": args.checkpoint, "formats": formats,
            "metadata": meta, "files": files, "fallback": fallbacks}
    (out / EXPORT_INFO).write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    if args.check_data:
        check(args, exp, out, model, tokenizer, meta, fallbacks)
    write_done(out)
    print(f"asrkit-export: {exp} -> {out} ({', '.join(f'{k} {v / 1e6:.2f} MB' for k, v in files.items())})")
    return 0


def check(args: argparse.Namespace, exp: Path, out: Path, model, tokenizer, meta: dict, fallbacks: dict) -> None:
    """Parity of every runtime on ``--check-data`` (+ sherpa-onnx); fail on an fp32 mismatch."""
    runtimes = parity.load_runtimes(out, model, exp / args.checkpoint, args.threads)
    report = parity.check(args.check_data, runtimes, tokenizer, model.min_input_length,
                          args.check_max_utts, args.threads)
    extra: dict = {"fallback": fallbacks} if fallbacks else {}
    sherpa = sherpa_check(args, out, meta, report)
    if sherpa:
        extra["sherpa_onnx"] = sherpa
    json_path, md_path = parity.write_report(report, out, extra)
    log.info("parity report: %s", md_path)
    fp32 = report["runtimes"].get("onnxruntime fp32")
    if fp32 is None:
        return
    problems = []
    if fp32.get("max_abs_diff", float("inf")) > args.max_abs_diff:
        problems.append(f"log-probs differ by up to {fp32.get('max_abs_diff', 'a length')} "
                        f"(--max-abs-diff {args.max_abs_diff})")
    if fp32["same_transcripts"] != report["utterances"]:
        problems.append(f"{report['utterances'] - fp32['same_transcripts']} greedy transcripts differ")
    if problems:
        raise parity.ParityError(f"{out / parity.ONNX_FILE} does not match PyTorch on {args.check_data}: "
                           f"{'; '.join(problems)}; see {md_path}")


def sherpa_check(args: argparse.Namespace, out: Path, meta: dict, report: dict) -> dict | None:
    """sherpa-onnx's greedy transcripts of ``--check-data``'s audio, scored as the others."""
    from asrkit.runtime import sherpa

    if args.sherpa == "no" or not (out / parity.ONNX_FILE).is_file():
        return None
    if args.sherpa == "auto":
        if meta["model_type"] != graph.FBANK_MODEL_TYPE:
            log.info("sherpa-onnx check skipped: %s models follow no sherpa-onnx contract", meta["model_type"])
            return None
        try:
            import sherpa_onnx  # noqa: F401
        except ImportError:
            log.warning("sherpa-onnx check skipped: sherpa-onnx is not installed (pip install sherpa-onnx)")
            return None
    rec = sherpa.SherpaCTC(out, threads=args.threads)
    utts = list(report["hyps"][report["reference"]])
    refs = read_table(Path(args.check_data) / "text", allow_empty_value=True)
    ours = report["hyps"][report["reference"]]
    rate = rec.features["sampling_rate"]

    def scored(got: dict, what: str) -> dict:
        texts = got["hyps"]
        return {"audio": what, "utterances": len(utts),
                **error_rates([refs.get(u, "") for u in utts], [texts[u] for u in utts],
                              TextNormalizer.preset("default").normalize),
                "rtf": got["seconds"] / got["audio_seconds"] if got["audio_seconds"] else None,
                "same_transcripts": sum(texts[u] == ours[u] for u in utts),
                "transcripts_differ": [u for u in utts if texts[u] != ours[u]][:20], "hyps": texts}

    got = rec.decode_data_dir(args.check_data, utts)
    other = set(got["rates"]) != {rate}
    rates = ", ".join(f"{n} at {r} Hz" for r, n in sorted(got["rates"].items()))
    runs = [scored(got, f"the files as they are ({rates}{'; sherpa-onnx resamples' if other else ''})")]
    if other:  # and as stage 2 made the model's input: resampled with soxr before sherpa-onnx
        runs.append(scored(rec.decode_data_dir(args.check_data, utts, resample=True),
                           f"resampled to {rate} Hz by the client (soxr, as stage 2)"))
    return {"version": rec.version, "contract": graph.FBANK_MODEL_TYPE, "features": rec.features, "runs": runs}


def _bar(desc: str):
    return lambda items: progress(items, desc=desc, unit="layer", mininterval=5)


def _set_metadata(path: Path, meta: dict) -> None:
    import onnx

    proto = onnx.load(str(path))
    graph.set_metadata(proto, meta)
    onnx.save(proto, str(path))


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser(), run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
