"""asrkit-transcribe: audio files in, text with word times out, from a fine-tuned experiment.

::

    asrkit-transcribe exp/asr_x talk.mp3 more.flac recordings/ --out hyp.json
    asrkit-transcribe exp/asr_x --wav-scp data/test/wav.scp --out hyp --format kaldi
    asrkit-transcribe exp/asr_x talk.mp3 --decode-config conf/decode_beam.yaml --lm lm.arpa

**Audio**: any format soundfile reads, any rate and channel count, made into the model's
input exactly as stage 2 made its training data (downmix, soxr resampling, fbank options:
the experiment's ``feature_config.yaml``, see :mod:`asrkit.model_input`). Directories are
walked for audio files; a ``wav.scp`` gives ``utt path`` or ``utt cmd |`` lines.

**Long recordings** are encoded in chunks of ``--chunk-seconds`` that see ``--overlap-seconds``
more on each side; only each chunk's centre frames are kept, at their exact frame positions
(chunks start on multiples of the model's input stride), so the stitched CTC log-probs equal
the full-context ones wherever the model's receptive field fits in the overlap, model memory
does not grow with duration, and nothing is lost at chunk edges. One search then runs over
the stitched log-probs.

**Streaming** (``--streaming --chunk-ms 640 --left-chunks 4``): the input is fed to the model
chunk by chunk as if it were arriving (:class:`asrkit.models.incremental.IncrementalCTC`);
each chunk's log-probs are computed as soon as its audio is in, with attention bounded to the
chunk's right edge and ``--left-chunks`` chunks back, the positional conv limited to the chunk,
and per-utterance statistics over the audio so far (:mod:`asrkit.models.streaming`). The JSON
output records the algorithmic latency. A model fine-tuned with ``finetune.streaming``
(dynamic chunk training) is made for this; others lose accuracy.

**Decoding** follows the experiment by default: greedy, or the beam search with the LM that
stage 5 decoded it with (its ``decode_*/<set>/decode_info.json``); ``--decode-config``,
``--lm`` and ``--set decoder.KEY=VALUE`` override.

**Output** (``--format``, or by the ``--out`` extension): ``text`` (one line per file),
``kaldi`` (``id words``), ``json`` (per file: text, duration, and words with start/end
seconds and a confidence, :mod:`asrkit.decoding.align`), ``srt`` (subtitles; one file
per input when ``--out`` is a directory). A file that cannot be read is named with its
reason and skipped; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import soundfile as sf
import torch
import yaml

from asrkit import audio
from asrkit import config as configlib
from asrkit.cli import run_cli
from asrkit.data import read_table
from asrkit.decoding import DecodeConfig, build_decoder_from_config
from asrkit.decoding.align import WordTiming, word_timings
from asrkit.inference import input_stride, load_for_inference, resolve_device
from asrkit.layout import DECODE_INFO, MODEL_FILE
from asrkit.model_input import InputSpec, compute_inputs, input_spec
from asrkit.models.ctc import CTCModel
from asrkit.models.incremental import frontend_lookahead_ms, stream_log_probs
from asrkit.models.streaming import Chunking, algorithmic_latency_ms
from asrkit.progress import progress

log = logging.getLogger("asrkit.transcribe")

FORMATS = ("text", "kaldi", "json", "srt")
#: Extensions of the files a directory argument contributes (soundfile's formats + aliases).
AUDIO_EXTENSIONS = ({f".{name.lower()}" for name in sf.available_formats()} - {".raw"}) | {
    ".aif", ".oga", ".opus", ".sph"}


# ----------------------------------------------------------------------------- inputs


def audio_files(paths: list[str], wav_scp: str | None) -> list[tuple[str, str]]:
    """``(id, wav.scp value)`` per input in order: files as given, directories' audio files
    sorted, then the wav.scp's entries. Ids are file stems, or the path when stems repeat."""
    found: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            found += sorted(str(f) for f in Path(p).rglob("*")
                            if f.is_file() and f.suffix.lower() in AUDIO_EXTENSIONS)
        else:
            found.append(p)
    stems = [Path(p).stem for p in found]
    items = [(stem if stems.count(stem) == 1 else _as_id(p), p) for stem, p in zip(stems, found)]
    if wav_scp:
        items += list(read_table(wav_scp).items())
    return items


def _as_id(path: str) -> str:
    return "-".join(Path(path).with_suffix("").parts).replace(" ", "_").lstrip("-/")


# ------------------------------------------------------------------ the model's log-probs


@torch.inference_mode()
def chunked_log_probs(model: CTCModel, inputs: torch.Tensor, chunk: int, overlap: int,
                      device: torch.device) -> torch.Tensor:
    """CTC log-probs [T, V] of one input ([samples] or [frames, bins]), ``chunk`` output
    frames at a time, each computed with ``overlap`` more frames of context on each side."""
    stride, field_ = input_stride(model), model.min_input_length
    if inputs.shape[0] < field_:  # too short for one frame: pad to give one
        pad = [0, 0] * (inputs.dim() - 1) + [0, field_ - inputs.shape[0]]
        inputs = torch.nn.functional.pad(inputs, pad)
    n = inputs.shape[0]
    total = int(model.output_lengths(torch.tensor([n]))[0])
    pieces = []
    for first in range(0, total, chunk):
        last = min(first + chunk, total)
        a, b = max(0, first - overlap), min(total, last + overlap)
        lo, hi = a * stride, n if b == total else (b - 1) * stride + field_
        x = inputs[lo:hi].unsqueeze(0).to(device)
        out = model(x, torch.tensor([hi - lo], device=device))
        pieces.append(out.log_probs[0, first - a: last - a].float().cpu())
    return torch.cat(pieces)


# ---------------------------------------------------------------------------- decoding


def _resolve(recorded: str, exp_dir: Path) -> Path | None:
    """A path a recipe recorded relative to its own dir: from here or above the experiment."""
    p = Path(recorded)
    for base in [Path.cwd(), *exp_dir.resolve().parents]:
        if (base / p).is_file():
            return base / p
    return None


def _decoder_section(path: str | Path) -> DecodeConfig:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    section = data.get("decoder", {}) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise configlib.ConfigError(f"{path}: no 'decoder:' section (a conf/decode_*.yaml)")
    try:
        return configlib.from_dict(DecodeConfig, section, "decoder")
    except configlib.ConfigError as e:
        raise configlib.ConfigError(f"{path}: {e}") from None


def recorded_decoding(exp_dir: Path) -> tuple[DecodeConfig, Path | None, str]:
    """The experiment's own decoding: the beam search + LM of its first stage-5 decode that
    used an LM still on disk, else greedy; with where it came from."""
    for info_path in sorted(exp_dir.glob(f"decode_*/*/{DECODE_INFO}")):
        info = json.loads(info_path.read_text(encoding="utf-8"))
        lm = _resolve(info["lm"], exp_dir) if info.get("lm") else None
        if lm is None:
            continue
        config = _resolve(info["config"], exp_dir) if info.get("config") else None
        cfg = _decoder_section(config) if config else DecodeConfig()
        used = {f.name: info["decoder"][f.name] for f in fields(DecodeConfig) if f.name in info["decoder"]}
        return configlib.from_dict(DecodeConfig, {**asdict(cfg), **used}), lm, str(info_path)
    return DecodeConfig(), None, "greedy (no stage-5 decode of this experiment used an LM)"


def decoding_from_args(args: argparse.Namespace) -> tuple[DecodeConfig, Path | None, str]:
    """The experiment's decoding with the command line's changes."""
    exp = Path(args.exp)
    if args.decode_config:
        cfg, lm, where = _decoder_section(args.decode_config), None, args.decode_config
    else:
        cfg, lm, where = recorded_decoding(exp if exp.is_dir() else exp.parent)
    settings = [s.removeprefix("decoder.") for s in args.set]
    cfg = configlib.override(cfg, settings)
    if args.lm:
        lm = Path(args.lm)
        if cfg.kind == "greedy":
            log.info("--lm given: beam search with the default beam settings")
            cfg.kind = "beam"
    if cfg.kind == "greedy":
        lm = None
    return cfg, lm, where


# -------------------------------------------------------------------------- transcribing


@dataclass
class Transcript:
    id: str
    audio: str
    duration: float
    text: str
    words: list[WordTiming] = field(default_factory=list)


class Transcriber:
    """Model, decoder and input settings of one experiment; ``transcriber(id, spec)``."""

    def __init__(self, exp: Path, checkpoint: str, cfg: DecodeConfig, lm: Path | None,
                 device: torch.device, chunk_seconds: float, overlap_seconds: float,
                 streaming: tuple[float, int] | None = None):
        """``streaming``: (chunk milliseconds, left chunks) for chunk-by-chunk decoding."""
        self.model, self.tokenizer = load_for_inference(exp, checkpoint)
        self.model.to(device)
        self.device = device
        self.spec: InputSpec = input_spec(exp, self.model)
        self.decoder = build_decoder_from_config(self.tokenizer, cfg, lm)
        unit = 1.0 / self.spec.sample_rate if self.spec.type == "raw" else self.spec.fbank.frame_shift_ms / 1000
        self.frame_shift = input_stride(self.model) * unit  # seconds per output frame
        self.chunk = max(1, round(chunk_seconds / self.frame_shift))
        self.overlap = max(0, round(overlap_seconds / self.frame_shift))
        self.streaming = None if streaming is None else self._chunking(*streaming)

    def _chunking(self, chunk_ms: float, left_chunks: int) -> Chunking:
        frame_ms = self.frame_shift * 1000
        frames = round(chunk_ms / frame_ms)
        if frames < 1 or abs(frames * frame_ms - chunk_ms) > 1e-6:
            raise ValueError(f"--chunk-ms {chunk_ms:g} is not a positive multiple of the model's "
                             f"{frame_ms:g} ms frame")
        if left_chunks < -1:
            raise ValueError(f"--left-chunks {left_chunks}: -1 (all) or a number of chunks")
        return Chunking(frames, left_chunks)

    def latency(self) -> dict | None:
        """The streaming mode's settings and algorithmic latency (ms), or None."""
        if self.streaming is None:
            return None
        if self.spec.type == "raw":
            ahead = frontend_lookahead_ms(self.model, 1000 / self.spec.sample_rate)
        else:
            fb = self.spec.fbank
            ahead = frontend_lookahead_ms(self.model, fb.frame_shift_ms, fb.frame_length_ms)
        frame_ms = self.frame_shift * 1000
        worst, mean = algorithmic_latency_ms(self.streaming.frames, frame_ms, ahead)
        return {"chunk_ms": round(self.streaming.frames * frame_ms, 3),
                "left_chunks": self.streaming.left_chunks, "frontend_lookahead_ms": round(ahead, 3),
                "latency_ms_worst": round(worst, 3), "latency_ms_mean": round(mean, 3)}

    def log_probs(self, wave) -> torch.Tensor:
        inputs = torch.from_numpy(compute_inputs(wave, self.spec))
        if inputs.shape[0] == 0:  # fbank of audio shorter than one frame
            return torch.zeros(0, self.tokenizer.vocab_size)
        if self.streaming is not None:  # fed one chunk's worth of input at a time
            piece = self.streaming.frames * input_stride(self.model)
            return stream_log_probs(self.model, inputs, self.streaming, piece)
        return chunked_log_probs(self.model, inputs, self.chunk, self.overlap, self.device)

    def __call__(self, utt: str, spec: str) -> Transcript:
        wave = audio.load(spec, self.spec.sample_rate, quality=self.spec.resample_quality)
        duration = len(wave) / self.spec.sample_rate
        lp = self.log_probs(wave)
        hyp = self.decoder(lp[None], torch.tensor([lp.shape[0]]))[0][0]
        words = word_timings(lp, hyp.tokens, self.tokenizer, self.frame_shift)
        for w in words:  # the last frame may reach past the audio's end
            w.end = min(w.end, round(duration, 3))
        return Transcript(utt, spec, round(duration, 3), hyp.text, words)


# ------------------------------------------------------------------------------ writers


def _srt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def srt_cues(words: list[WordTiming], max_seconds: float = 7.0, max_chars: int = 84,
             pause: float = 0.8) -> list[tuple[float, float, str]]:
    """Words grouped into subtitles: a new cue after a pause, or when a cue gets too long."""
    cues: list[list[WordTiming]] = []
    for w in words:
        cue = cues[-1] if cues else None
        if (cue is None or w.start - cue[-1].end >= pause or w.end - cue[0].start > max_seconds
                or len(" ".join(x.word for x in cue)) + 1 + len(w.word) > max_chars):
            cues.append([w])
        else:
            cue.append(w)
    return [(c[0].start, c[-1].end, " ".join(w.word for w in c)) for c in cues]


def format_srt(t: Transcript) -> str:
    blocks = [f"{i}\n{_srt_time(a)} --> {_srt_time(b)}\n{text}\n"
              for i, (a, b, text) in enumerate(srt_cues(t.words), 1)]
    return "\n".join(blocks)


def _finite(value):
    """JSON has no infinities (a decoder's unk_score may be -inf): those become strings."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def format_json(done: list[Transcript], failed: list[dict], about: dict) -> str:
    files = [{"id": t.id, "audio": t.audio, "duration": t.duration, "text": t.text,
              "words": [asdict(w) for w in t.words]} for t in done]
    return json.dumps({**_finite(about), "files": files, "failed": failed}, indent=2,
                      ensure_ascii=False, allow_nan=False) + "\n"


def output_format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.out).suffix.lower() if args.out else ""
    return {".json": "json", ".srt": "srt", ".txt": "text"}.get(suffix, "kaldi" if args.out else "text")


def write_outputs(fmt: str, out: str | None, done: list[Transcript], failed: list[dict],
                  about: dict) -> None:
    if fmt == "srt" and out and (len(done) > 1 or Path(out).is_dir() or not Path(out).suffix):
        Path(out).mkdir(parents=True, exist_ok=True)
        for t in done:
            (Path(out) / f"{t.id}.srt").write_text(format_srt(t), encoding="utf-8")
        return
    if fmt == "srt":
        if len(done) > 1:
            raise ValueError("SRT subtitles of several files need --out DIR (one .srt each)")
        text = format_srt(done[0]) if done else ""
    elif fmt == "json":
        text = format_json(done, failed, about)
    elif fmt == "kaldi":
        text = "".join(f"{t.id} {t.text}\n" if t.text else f"{t.id}\n" for t in done)
    else:
        text = "".join(f"{t.text}\n" for t in done)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


# ------------------------------------------------------------------------------ command


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asrkit-transcribe", description=__doc__.split("\n\n")[0])
    p.add_argument("exp", help="fine-tuning experiment dir (model.pt, tokenizer/, feature_config.yaml)")
    p.add_argument("audio", nargs="*", help="audio files or directories (walked for audio files)")
    p.add_argument("--wav-scp", help="Kaldi wav.scp: 'id path' or 'id command |' lines")
    p.add_argument("--out", help="output file (stdout when absent); a directory for several SRTs")
    p.add_argument("--format", choices=FORMATS, help="default: by --out's extension "
                   "(.json, .srt, .txt; else kaldi), text on stdout")
    p.add_argument("--decode-config", help="conf/decode_*.yaml whose decoder: section to use "
                   "(default: the experiment's own decoding)")
    p.add_argument("--lm", help="n-gram LM (ARPA) for beam search")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a decoder setting, e.g. --set decoder.beam_size=20 (repeatable)")
    p.add_argument("--checkpoint", default=MODEL_FILE, help="checkpoint in the experiment dir")
    p.add_argument("--chunk-seconds", type=float, default=20.0,
                   help="audio encoded per model call (longer recordings are chunked)")
    p.add_argument("--overlap-seconds", type=float, default=2.0,
                   help="extra context on each side of a chunk, computed and dropped")
    p.add_argument("--streaming", action="store_true",
                   help="decode chunk by chunk as audio arrives (chunked attention, bounded context)")
    p.add_argument("--chunk-ms", type=float, default=640.0,
                   help="with --streaming: chunk length, a multiple of the model's frame (20 ms)")
    p.add_argument("--left-chunks", type=int, default=4,
                   help="with --streaming: chunks of left context attention sees (-1: all)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    return p


def run(args: argparse.Namespace) -> int:
    items = audio_files(args.audio, args.wav_scp)
    if not items:
        raise ValueError("no audio to transcribe: give files, directories or --wav-scp")
    if args.chunk_seconds <= 0 or args.overlap_seconds < 0:
        raise ValueError("--chunk-seconds must be positive and --overlap-seconds not negative")
    fmt = output_format(args)
    cfg, lm, where = decoding_from_args(args)
    exp = Path(args.exp)
    streaming = (args.chunk_ms, args.left_chunks) if args.streaming else None
    transcriber = Transcriber(exp, args.checkpoint, cfg, lm, resolve_device(args.device),
                              args.chunk_seconds, args.overlap_seconds, streaming)
    log.info("%s: %s, %s decoding (%s)", exp, transcriber.spec.describe(), cfg.kind, where)
    if transcriber.streaming is not None:
        log.info("streaming: %s", transcriber.latency())
    done: list[Transcript] = []
    failed: list[dict] = []
    for utt, spec in progress(items, desc="transcribing", unit="file"):
        try:
            done.append(transcriber(utt, spec))
        except audio.AudioError as e:
            log.error("skipped %s: %s (%s)", spec, e.reason, e.detail)
            failed.append({"id": utt, "audio": spec, "reason": e.reason, "detail": e.detail})
    about = {"model": str(exp), "features": transcriber.spec.describe(),
             "decoder": transcriber.decoder.info(), "frame_shift": transcriber.frame_shift}
    if transcriber.streaming is not None:
        about["streaming"] = transcriber.latency()
    write_outputs(fmt, args.out, done, failed, about)
    summary = f"asrkit-transcribe: {len(done)} of {len(items)} files transcribed"
    if failed:
        print(f"{summary}, {len(failed)} failed: {', '.join(f['audio'] for f in failed)}", file=sys.stderr)
        return 1
    print(summary, file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser(), run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
