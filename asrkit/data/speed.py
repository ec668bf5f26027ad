"""Speed perturbation as a wav.scp pipe: ``asrkit-speed 0.9 in.wav |``.

What ``sox ... speed 0.9`` does, without needing sox: the audio is played ``factor`` times
as fast (tempo and pitch change together) by resampling it from ``rate * factor`` to
``rate`` with soxr, so the output has ``1 / factor`` times the samples at the same rate.
Input is a file soundfile reads, or ``-`` for WAV/FLAC on stdin (for pipes); output is
WAV on stdout. Errors go to stderr with a non-zero exit, which fails the pipe.
"""

from __future__ import annotations

import argparse
import io
import sys

import numpy as np
import soundfile as sf
import soxr

_WAV_SUBTYPES = {"PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"}


def perturb(wave: np.ndarray, rate: int, factor: float) -> np.ndarray:
    """``wave`` ([frames] or [frames, channels]) sped up by ``factor`` at the same ``rate``."""
    if factor <= 0:
        raise ValueError(f"speed factor must be > 0, got {factor}")
    if factor == 1.0:
        return wave
    return soxr.resample(wave, rate * factor, rate, quality="HQ")


def perturb_file(source: str, factor: float, out) -> None:
    """Read ``source`` (a path or ``-``), write the perturbed audio as WAV to ``out``."""
    data = io.BytesIO(sys.stdin.buffer.read()) if source == "-" else source
    with sf.SoundFile(data) as f:
        rate, subtype = f.samplerate, f.subtype
        wave = f.read(dtype="float32", always_2d=True)
    if wave.shape[0] == 0:
        raise ValueError("no audio frames")
    buf = io.BytesIO()
    subtype = subtype if subtype in _WAV_SUBTYPES else "PCM_16"
    sf.write(buf, perturb(wave, rate, factor), rate, subtype=subtype, format="WAV")
    out.write(buf.getbuffer())
    out.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="asrkit-speed",
        description="Write INPUT sped up by FACTOR (tempo and pitch) as WAV to stdout.",
    )
    parser.add_argument("factor", type=float, help="speed factor, e.g. 0.9 (slower) or 1.1 (faster)")
    parser.add_argument("input", help="audio file, or - for WAV/FLAC on stdin")
    args = parser.parse_args(argv)
    try:
        perturb_file(args.input, args.factor, sys.stdout.buffer)
    except (ValueError, RuntimeError, OSError, sf.SoundFileError) as e:
        print(f"asrkit-speed: {args.input}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
