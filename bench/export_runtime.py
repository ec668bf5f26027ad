"""Stage 9 runtimes side by side: PyTorch fp32, onnxruntime fp32, onnxruntime INT8 and
PyTorch INT8, on one CPU thread, each in a fresh process (so its peak RSS is its own).

For each model: ``asrkit-export`` writes the graph and both INT8 models (the per-layer
fallback measured on the first ``--calib-utts`` utterances of ``--calib-data``), then one worker
process per runtime loads its model and decodes every utterance of the dumped ``--data``
one at a time (greedy, as stage 5 on a CPU), after one warm-up utterance. Reported per
runtime: the real-time factor (wall and CPU time / audio duration), peak RSS, the model
file's size, WER/CER against the references (meaningful for trained models only), and
ratios to PyTorch fp32.

Models: ``--sizes`` builds a random-weight CTC model of each ``config_for`` size with the
``--frontend``'s feature encoder (random weights cost the same per second of audio), and
``--exp`` adds trained experiments (their WER is the one to read).

    cd bench
    ../tools/venv/bin/python export_runtime.py --data ../egs/fsdd/dump/fbank/test --sizes tiny,small --max-utts 150
    ../tools/venv/bin/python export_runtime.py --data ../egs/fsdd/dump/fbank/test --sizes "" \\
        --exp ../egs/fsdd/exp/asr_finetune_fbank_scratch --calib-data ../egs/fsdd/dump/fbank/dev
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import run_worker  # noqa: E402

RUNTIMES = ("pytorch fp32", "onnxruntime fp32", "onnxruntime int8", "pytorch int8")


# ------------------------------------------------------------------------------ worker


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not getrusage's ru_maxrss: Linux carries that over
    from the parent across fork + exec, so every worker would report at least the driver's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(runtime: str, exp: Path, export_dir: Path, data: Path, threads: int, max_utts: int | None) -> dict:
    """Decode ``data`` with one runtime; onnxruntime workers never import torch (their RSS
    is what a deployment without PyTorch would hold)."""
    import numpy as np

    from asrkit.data.tables import read_table
    from asrkit.features import load_feature
    from asrkit.text.normalize import TextNormalizer
    from asrkit.text.tokenizer import load_tokenizer
    from asrkit.wer import error_rates

    meta = json.loads((export_dir / "export_info.json").read_text())["metadata"]
    tokenizer = load_tokenizer(export_dir / "tokenizer")
    min_length = int(meta["min_input_length"])
    files = {"pytorch fp32": exp / "model.pt", "onnxruntime fp32": export_dir / "model.onnx",
             "onnxruntime int8": export_dir / "model.int8.onnx", "pytorch int8": export_dir / "model.int8.pt"}
    if runtime.startswith("onnxruntime"):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        session = ort.InferenceSession(str(files[runtime]), options, providers=["CPUExecutionProvider"])

        def run(x: np.ndarray) -> np.ndarray:
            lp, n = session.run(None, {"x": x[None], "x_lens": np.array([len(x)], dtype=np.int64)})
            return lp[0, : int(n[0])]
    else:
        import torch

        from asrkit.inference import load_for_inference
        from asrkit.runtime.quantize import load_torch_int8

        torch.set_num_threads(threads)
        model = load_for_inference(exp)[0] if runtime == "pytorch fp32" else load_torch_int8(files[runtime])

        def run(x: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                out = model(torch.from_numpy(x)[None], torch.tensor([len(x)]))
            return out.log_probs[0, : int(out.lengths[0])].numpy()

    feats = dict(list(read_table(data / "feats.scp").items())[:max_utts])
    inputs = {}
    for utt, value in feats.items():
        x = load_feature(value)
        if len(x) < min_length:  # too short for one output frame: padded, as stage 5 does
            x = np.concatenate([x, np.zeros((min_length - len(x), *x.shape[1:]), dtype=x.dtype)])
        inputs[utt] = np.ascontiguousarray(x, dtype=np.float32)
    spec = json.loads(meta["feature"])
    unit = spec["fbank"]["frame_shift_ms"] / 1000 if meta["frontend"] == "fbank" else 1 / int(meta["sample_rate"])
    audio = sum(len(load_feature(v)) for v in feats.values()) * unit
    run(next(iter(inputs.values())))  # warm-up
    hyps = {}
    wall, cpu = time.perf_counter(), time.process_time()
    for utt, x in inputs.items():
        best = run(x).argmax(-1)
        keep = (best != tokenizer.blank_id) & (best != np.concatenate([[-1], best[:-1]]))
        hyps[utt] = tokenizer.decode(best[keep].tolist())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    refs = read_table(data / "text", allow_empty_value=True)
    rates = error_rates([refs.get(u, "") for u in hyps], list(hyps.values()),
                        TextNormalizer.preset("default").normalize)
    return {"runtime": runtime, "utterances": len(hyps), "audio_s": audio, "rtf_wall": wall / audio,
            "rtf_cpu": cpu / audio, "rss_mb": peak_rss_mb(),
            "size_mb": files[runtime].stat().st_size / 1e6, "torch_imported": "torch" in sys.modules, **rates}


# ------------------------------------------------------------------------------ driver


def random_exp(size: str, frontend: str, data: Path, work: Path) -> Path:
    """A stage-4-shaped experiment holding a random-weight CTC model of ``size``."""
    import torch

    from asrkit.layout import FEATURE_CONFIG, MODEL_FILE, TOKENIZER_DIR
    from asrkit.models import save
    from asrkit.models.ctc import KIND, CTCConfig, CTCModel
    from asrkit.models.wav2vec2 import config_for
    from asrkit.text.tokenizer import CharTokenizer

    exp = work / f"{size}_{frontend}"
    texts = (data / "text").read_text(encoding="utf-8").splitlines()
    tokenizer = CharTokenizer.train([line.partition(" ")[2] for line in texts])
    tokenizer.save(exp / TOKENIZER_DIR)
    torch.manual_seed(0)
    model = CTCModel(CTCConfig(tokenizer.vocab_size, "wav2vec2", wav2vec2=config_for(size, {"frontend": frontend})))
    save(exp / MODEL_FILE, model, KIND, tokenizer=tokenizer.to_info())
    shutil.copyfile(data / "config.yaml", exp / FEATURE_CONFIG)
    return exp


def export(exp: Path, calib: Path, out: Path, calib_utts: int) -> dict:
    from asrkit import export as stage

    if stage.main([str(exp), "--out", str(out), "--calib-data", str(calib), "--calib-utts", str(calib_utts),
                   "--force"]) != 0:
        sys.exit(f"asrkit-export failed on {exp}")
    return json.loads((out / "export_info.json").read_text())


def table(name: str, records: list[dict], kept: dict) -> list[str]:
    base = records[0]
    lines = [f"### {name}", "",
             "| runtime | size MB | RTF (CPU) | RTF (wall) | speed vs fp32 (CPU) | peak RSS MB | WER % | CER % |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for r in records:
        lines.append(f"| {r['runtime']} | {r['size_mb']:.2f} | {r['rtf_cpu']:.4f} | {r['rtf_wall']:.4f} | "
                     f"{base['rtf_cpu'] / r['rtf_cpu']:.2f}x | {r['rss_mb']:.0f} | {100 * r['wer']:.2f} | "
                     f"{100 * r['cer']:.2f} |")
    for runtime, layers in kept.items():
        lines.append(f"\n{runtime} INT8 kept float: {', '.join(layers) or 'none'}")
    return lines + [""]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="dumped test set (stage 2)")
    p.add_argument("--sizes", default="tiny,small", help="random-weight config_for sizes ('' for none)")
    p.add_argument("--frontend", default="fbank", choices=("fbank", "waveform"),
                   help="front end of the random-weight models (must match --data)")
    p.add_argument("--exp", action="append", default=[], type=Path, help="trained experiment (repeatable)")
    p.add_argument("--calib-data", type=Path, help="dumped dev set for the per-layer fallback (default: --data)")
    p.add_argument("--calib-utts", type=int, default=8, help="per-layer fallback utterances (trained models)")
    p.add_argument("--max-utts", type=int, help="decode only the first N utterances")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, help="write the records here as JSON")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--export-dir", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.model, args.export_dir, args.data, args.threads, args.max_utts)))
        return
    work = Path(tempfile.mkdtemp(prefix="export_runtime_"))
    # random weights: no fallback (nothing learned to lose); trained: measured on --calib-utts
    models = [(f"{s} ({args.frontend}, random weights)", random_exp(s, args.frontend, args.data, work), 0)
              for s in args.sizes.split(",") if s]
    models += [(f"{e.name} (trained)", e, args.calib_utts) for e in args.exp]
    results, lines = {}, []
    print(f"load average at start: {os.getloadavg()}", flush=True)
    for name, exp, calib in models:
        out = work / f"export_{exp.name}"
        info = export(exp, args.calib_data or args.data, out, calib)
        records = []
        for runtime in RUNTIMES:
            rec = run_worker(__file__, ["--worker", runtime, "--model", str(exp), "--export-dir", str(out),
                                        "--data", str(args.data), "--threads", str(args.threads),
                                        *(["--max-utts", str(args.max_utts)] if args.max_utts else [])])
            records.append(rec)
            print(f"{name:40s} {runtime:17s} RTF cpu {rec['rtf_cpu']:.4f} wall {rec['rtf_wall']:.4f} "
                  f"rss {rec['rss_mb']:5.0f} MB size {rec['size_mb']:6.2f} MB WER {100 * rec['wer']:6.2f}%"
                  f"  load {os.getloadavg()[0]:.1f}", flush=True)
        kept = {k: v["kept_float"] for k, v in info["fallback"].items()}
        results[name] = {"records": records, "fallback": info["fallback"], "files": info["files"]}
        lines += table(name, records, kept)
    print(f"load average at end: {os.getloadavg()}")
    print("\n".join(lines))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
