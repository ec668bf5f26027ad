"""Reading wav.scp entries: a path or a ``cmd |`` pipe, any format soundfile decodes.

Everything downstream wants float32 mono at one sample rate, so :func:`load` downmixes
and resamples (soxr) here, once. A :class:`Recording` keeps one entry open so that many
segments of a long recording are read by seeking instead of decoding the file per
segment. Anything wrong with the audio raises :class:`AudioError` with a short
``reason`` that stage reports count by.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
from typing import NamedTuple

import numpy as np
import soundfile as sf
import soxr

#: A segment may end this far (seconds) past its recording and is then cut at the end,
#: as Kaldi's ``extract-segments --max-overshoot`` does; further out it is an error.
MAX_OVERSHOOT = 0.5


class AudioError(RuntimeError):
    """A wav.scp entry that cannot give audio.

    ``reason`` is a short fixed word for reports ("missing-file", "unreadable", "empty",
    "truncated", "pipe-failed", "bad-segment", "segment-outside-recording", "non-finite");
    ``detail`` says what exactly happened.
    """

    def __init__(self, reason: str, spec: str, detail: str = ""):
        self.reason = reason
        self.spec = spec
        self.detail = detail
        super().__init__(f"{reason}: {spec!r}" + (f": {detail}" if detail else ""))


class AudioInfo(NamedTuple):
    sample_rate: int
    num_frames: int
    channels: int


def is_pipe(spec: str) -> bool:
    return spec.rstrip().endswith("|")


def _run_pipe(spec: str) -> bytes:
    command = spec.rstrip()[:-1].strip()
    # asrkit's own tools (asrkit-speed) live next to this interpreter, on PATH or not
    tools = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=os.pathsep.join([tools, os.environ.get("PATH", "")]))
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
        env=env,
    )
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        tail = err[-1] if err else "no message"
        raise AudioError("pipe-failed", spec, f"exit status {proc.returncode}: {tail}")
    if not proc.stdout:
        raise AudioError("empty", spec, "the command wrote nothing")
    return proc.stdout


def _open(spec: str) -> sf.SoundFile:
    if is_pipe(spec):
        source: str | io.BytesIO = io.BytesIO(_run_pipe(spec))
    else:
        source = spec.strip()
        if not os.path.exists(source):
            raise AudioError("missing-file", spec, "no such file")
        if os.path.isfile(source) and os.path.getsize(source) == 0:
            raise AudioError("empty", spec, "the file has 0 bytes")
    try:
        return sf.SoundFile(source)
    except (sf.SoundFileError, RuntimeError, TypeError) as e:
        raise AudioError("unreadable", spec, str(e)) from None


# Data-chunk sizes that mean "length unknown": streaming writers put them in the header
# before they know the length (0 and 0xFFFFFFFF by many, 0x7FFFF000 by SoX, 0xFFFFFFFF by RF64).
_WAV_UNKNOWN_SIZES = (0, 0x7FFFF000, 0xFFFFFFFF)


def wav_header_frames(path: str) -> int | None:
    """The frames a RIFF/WAVE file's ``data`` chunk header promises, or None when it does
    not say (a streamed length, or no ``fmt ``/``data`` chunk found)."""
    with open(path, "rb") as f:
        riff = f.read(12)
        if len(riff) < 12 or riff[:4] not in (b"RIFF", b"RIFX") or riff[8:] != b"WAVE":
            return None
        endian = "<" if riff[:4] == b"RIFF" else ">"
        block_align = None
        while True:
            head = f.read(8)
            if len(head) < 8:
                return None
            size = struct.unpack(endian + "I", head[4:])[0]
            if head[:4] == b"fmt ":
                fmt = f.read(size)
                if len(fmt) < 14:
                    return None
                block_align = struct.unpack(endian + "H", fmt[12:14])[0]
                f.seek(size & 1, os.SEEK_CUR)
            elif head[:4] == b"data":
                if not block_align or size in _WAV_UNKNOWN_SIZES:
                    return None
                return size // block_align
            else:
                f.seek(size + (size & 1), os.SEEK_CUR)


class Recording:
    """One open wav.scp entry (a pipe runs once; its output stays in memory)."""

    def __init__(self, spec: str):
        self.spec = spec
        self._file = _open(spec)
        if self._file.frames <= 0:
            self._file.close()
            raise AudioError("empty", spec, "no audio frames")
        self._check_complete()

    def _check_complete(self) -> None:
        """A WAV file whose data chunk is cut short: libsndfile quietly gives the samples
        that are there, so the utterance would pass as a shorter one. Only files are
        checked, and only WAV, whose header states the exact count: a pipe's header is
        written before its length is known (SoX estimates it), MP3 and Ogg frame counts are
        estimates, and a cut FLAC fails to decode ("unreadable")."""
        if is_pipe(self.spec) or self._file.format not in ("WAV", "WAVEX"):
            return
        promised = wav_header_frames(self.spec.strip())
        held = self._file.frames
        if promised is not None and promised > held:
            self._file.close()
            raise AudioError("truncated", self.spec,
                             f"the header promises {promised} samples per channel, the file holds {held}")

    @property
    def info(self) -> AudioInfo:
        return AudioInfo(self._file.samplerate, self._file.frames, self._file.channels)

    @property
    def duration(self) -> float:
        return self._file.frames / self._file.samplerate

    def read(
        self,
        start: float = 0.0,
        end: float | None = None,
        sample_rate: int | None = None,
        quality: str = "HQ",
    ) -> np.ndarray:
        """Samples from ``start`` to ``end`` seconds (``None``: to the end) as float32 mono.

        ``sample_rate=None`` keeps the file's rate. Slicing happens at the file's rate
        before resampling, so a segment equals ``load(spec, start=..., end=...)``.
        """
        rate, frames = self._file.samplerate, self._file.frames
        if start < 0 or (end is not None and end <= start):
            raise AudioError("bad-segment", self.spec, f"start {start} s, end {end} s")
        first = round(start * rate)
        last = frames if end is None else round(end * rate)
        if first >= frames or last > frames + MAX_OVERSHOOT * rate:
            raise AudioError(
                "segment-outside-recording",
                self.spec,
                f"segment {start:.2f}-{end if end is None else round(end, 2)} s, "
                f"recording is {frames / rate:.2f} s",
            )
        last = min(last, frames)
        try:
            self._file.seek(first)
            data = self._file.read(last - first, dtype="float32", always_2d=True)
        except (sf.SoundFileError, RuntimeError) as e:
            raise AudioError("unreadable", self.spec, str(e)) from None
        wave = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
        if wave.size == 0:
            raise AudioError("empty", self.spec, f"no samples in {start:.2f}-{end} s")
        if not np.isfinite(wave).all():
            raise AudioError("non-finite", self.spec, "NaN or infinite samples")
        if sample_rate is not None and sample_rate != rate:
            wave = resample(wave, rate, sample_rate, quality)
        return np.ascontiguousarray(wave, dtype=np.float32)

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def resample(wave: np.ndarray, orig_rate: int, target_rate: int, quality: str = "HQ") -> np.ndarray:
    """Band-limited resampling with soxr (``quality``: "QQ", "LQ", "MQ", "HQ", "VHQ")."""
    if orig_rate == target_rate:
        return wave
    return soxr.resample(wave, orig_rate, target_rate, quality=quality)


def load(
    spec: str,
    sample_rate: int | None = 16000,
    start: float = 0.0,
    end: float | None = None,
    quality: str = "HQ",
) -> np.ndarray:
    """A wav.scp value (path or ``cmd |``) as float32 mono at ``sample_rate``.

    ``start``/``end`` (seconds) select a segment; files are seeked, not decoded whole.
    """
    with Recording(spec) as rec:
        return rec.read(start, end, sample_rate, quality)


def info(spec: str) -> AudioInfo:
    """(sample_rate, num_frames, channels) as the file's header declares them."""
    with Recording(spec) as rec:
        return rec.info
