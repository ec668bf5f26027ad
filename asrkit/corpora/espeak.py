"""A small ctypes binding to the espeak-ng library shipped by the ``espeakng-loader`` wheel.

The synthetic demo corpus must build offline from pip-installable parts only, so this talks
to ``libespeak-ng.so`` directly instead of needing an ``espeak-ng`` executable. Only the
classic ``speak_lib.h`` API is used: ``espeak_Initialize`` in synchronous mode, a synth
callback that collects the 16-bit samples, ``espeak_SetVoiceByName``, ``espeak_SetParameter``,
``espeak_Synth`` (UTF-8 text, phoneme input off) and ``espeak_Synchronize``.

espeak-ng keeps its state in globals, so there is one engine per process
(:func:`engine`); parallel synthesis uses processes, never threads. Some of that state
(the phase of its pitch flutter, which no call resets) carries over from one utterance
to the next, so the same sentence comes out slightly different depending on what the
process said before. :func:`isolated` runs synthesis in a forked copy of a process that
has never spoken, which makes the samples a function of the arguments alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import os
import pickle
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

# Values from espeak-ng's speak_lib.h (API revision 12).
AUDIO_OUTPUT_SYNCHRONOUS = 2  # espeak_AUDIO_OUTPUT: like RETRIEVAL, returns when done
POS_CHARACTER = 1  # espeak_POSITION_TYPE
EE_OK, EE_INTERNAL_ERROR, EE_BUFFER_FULL, EE_NOT_FOUND = 0, -1, 1, 2  # espeak_ERROR
# espeak_Synth flags; espeakPHONEMES (0x100) stays off, so "[[...]]" is read as text.
ESPEAK_CHARS_UTF8 = 0x1
PARAM_RATE, PARAM_VOLUME, PARAM_PITCH, PARAM_RANGE, PARAM_WORDGAP = 1, 2, 3, 4, 7  # espeak_PARAMETER
RATE_MIN, RATE_MAX = 80, 450  # espeakRATE_MINIMUM / espeakRATE_MAXIMUM (words per minute)

_ERRORS = {EE_INTERNAL_ERROR: "internal error", EE_BUFFER_FULL: "buffer full", EE_NOT_FOUND: "not found"}

# int cb(short *wav, int numsamples, espeak_EVENT *events); the events are not needed here.
_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _VoiceStruct(ctypes.Structure):
    _fields_ = [  # espeak_VOICE
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # (priority byte, NUL-terminated code)*, NUL
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


class EspeakError(RuntimeError):
    """espeak-ng is missing, failed, or was asked for a voice it does not have."""


@dataclass(frozen=True)
class Voice:
    """How one synthetic speaker sounds.

    ``name`` is an espeak language voice (``en-us``, ``es-419``, ``ca-va``); ``variant`` an
    espeak voice variant (``m3``, ``f2``; empty for the language's default). ``rate`` is in
    words per minute (175 is espeak's normal), ``pitch`` and ``pitch_range`` are 0-100 (50
    normal), ``word_gap`` is extra pause between words in units of 10 ms.
    """

    name: str
    variant: str = ""
    rate: int = 175
    pitch: int = 50
    pitch_range: int = 50
    word_gap: int = 0

    @property
    def spec(self) -> str:
        """The string ``espeak_SetVoiceByName`` takes, e.g. ``en-us+f3``."""
        return f"{self.name}+{self.variant}" if self.variant else self.name


def library_paths() -> tuple[str, str]:
    """(libespeak-ng path, espeak-ng-data path) from the espeakng-loader wheel.

    ``ASRKIT_ESPEAK_LIBRARY`` / ``ASRKIT_ESPEAK_DATA`` override them (a system espeak-ng).
    """
    lib = os.environ.get("ASRKIT_ESPEAK_LIBRARY")
    data = os.environ.get("ASRKIT_ESPEAK_DATA")
    if lib and data:
        return lib, data
    try:
        import espeakng_loader
    except ImportError:
        raise EspeakError(
            "the espeakng-loader package is not installed; run "
            "'pip install espeakng-loader' in asrkit's environment (tools/install.sh does), or set "
            "ASRKIT_ESPEAK_LIBRARY and ASRKIT_ESPEAK_DATA to a system libespeak-ng and its data"
        ) from None
    return lib or espeakng_loader.get_library_path(), data or espeakng_loader.get_data_path()


class Espeak:
    """The process's espeak-ng engine. Use :func:`engine` rather than building one."""

    def __init__(self, library: str, data_path: str):
        self.data_path = Path(data_path)
        if not (self.data_path / "phontab").is_file():
            raise EspeakError(f"{self.data_path} is not an espeak-ng-data directory (no phontab)")
        try:
            self._lib = ctypes.CDLL(library)
            self._libc = ctypes.CDLL(ctypes.util.find_library("c"))
        except OSError as e:
            raise EspeakError(f"cannot load the espeak-ng library {library}: {e}") from None
        self._declare()
        self._chunks: list[np.ndarray] = []
        self._callback = _SynthCallback(self._collect)  # kept alive as long as the engine
        self.sample_rate = self._lib.espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS, 0, str(self.data_path).encode(), 0
        )
        if self.sample_rate <= 0:
            raise EspeakError(f"espeak_Initialize failed (returned {self.sample_rate}) with data {data_path}")
        self._lib.espeak_SetSynthCallback(self._callback)
        self.version = self._lib.espeak_Info(None).decode()
        self._voice: str | None = None
        self._lock = threading.Lock()
        self.spoken = False  # whether this process's engine has synthesized anything

    def _declare(self) -> None:
        lib = self._lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_ng_SetRandSeed.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_VoiceStruct))
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        lib.espeak_Info.restype = ctypes.c_char_p

    def _collect(self, wav, numsamples, events) -> int:
        # wav is NULL at the end of synthesis; numsamples may be 0 mid-stream.
        if wav and numsamples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(numsamples,)).copy())
        return 0

    def _check(self, code: int, what: str) -> None:
        if code != EE_OK:
            raise EspeakError(f"{what} failed: {_ERRORS.get(code, f'error {code}')}")

    def voices(self) -> dict[str, list[str]]:
        """Language voices espeak-ng has: identifier (``gmw/en-US``) -> its language codes."""
        lib = self._lib
        voices: dict[str, list[str]] = {}
        array = lib.espeak_ListVoices(None)
        for i in itertools.count():
            if not array[i]:
                break
            v = array[i].contents
            langs, pos = [], v.languages
            while ctypes.string_at(pos, 1) != b"\0":
                code = ctypes.string_at(pos + 1)
                langs.append(code.decode())
                pos += len(code) + 2
            voices[v.identifier.decode()] = langs
        return voices

    def has_variant(self, variant: str) -> bool:
        """Whether ``variant`` (``m3``, ``f2``, ``klatt``) exists; espeak ignores unknown ones."""
        return (self.data_path / "voices" / "!v" / variant).is_file()

    def set_voice(self, voice: Voice) -> None:
        if voice.spec == self._voice:
            return
        if voice.variant and not self.has_variant(voice.variant):
            raise EspeakError(
                f"espeak-ng has no voice variant {voice.variant!r} (see {self.data_path / 'voices' / '!v'})"
            )
        code = self._lib.espeak_SetVoiceByName(voice.spec.encode())
        if code != EE_OK:
            names = sorted(Path(ident).name for ident in self.voices())
            language = voice.name.split("-")[0].lower()
            near = [n for n in names if n.lower().split("-")[0] == language] or names
            raise EspeakError(
                f"espeak-ng has no voice {voice.name!r} ({_ERRORS.get(code, code)}); voices are named "
                f"by their file under {self.data_path / 'lang'}: {', '.join(near)}"
            )
        self._voice = voice.spec

    def synthesize(self, text: str, voice: Voice, seed: int = 0) -> np.ndarray:
        """Speak ``text`` (UTF-8, plain text) with ``voice``: int16 samples at :attr:`sample_rate`.

        espeak-ng draws voicing noise from its own generator and from libc's ``rand()``;
        both are seeded with ``seed`` first, so the samples depend only on the arguments.
        """
        if not text.strip():
            raise EspeakError("cannot synthesize an empty sentence")
        if not RATE_MIN <= voice.rate <= RATE_MAX:
            raise EspeakError(f"speaking rate {voice.rate} is outside espeak's {RATE_MIN}-{RATE_MAX} wpm")
        with self._lock:
            self.set_voice(voice)
            for param, value in (
                (PARAM_RATE, voice.rate),
                (PARAM_PITCH, voice.pitch),
                (PARAM_RANGE, voice.pitch_range),
                (PARAM_WORDGAP, voice.word_gap),
                (PARAM_VOLUME, 100),
            ):
                self._check(self._lib.espeak_SetParameter(param, int(value), 0), f"espeak_SetParameter({param})")
            data = text.encode("utf-8")
            self.spoken = True
            self._chunks = []
            self._check(self._lib.espeak_ng_SetRandSeed(seed), "espeak_ng_SetRandSeed")
            self._libc.srand(ctypes.c_uint(seed & 0xFFFFFFFF))
            code = self._lib.espeak_Synth(data, len(data) + 1, 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None)
            self._check(code, f"espeak_Synth({text[:40]!r})")
            self._check(self._lib.espeak_Synchronize(), "espeak_Synchronize")
            chunks, self._chunks = self._chunks, []
        if not chunks:
            raise EspeakError(f"espeak-ng produced no audio for {text!r} with voice {voice.spec}")
        return np.concatenate(chunks)


_ENGINE: Espeak | None = None


def engine() -> Espeak:
    """This process's espeak-ng engine, initialized on first use (a forked child inherits it)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Espeak(*library_paths())
    return _ENGINE


def synthesize(text: str, voice: Voice, seed: int = 0) -> np.ndarray:
    """int16 samples of ``text`` spoken by ``voice`` at :func:`sample_rate` (see Espeak.synthesize)."""
    return engine().synthesize(text, voice, seed)


def isolated(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a forked child of this process, whose engine has never spoken.

    Every call starts from the same clean espeak-ng state, so what ``fn`` synthesizes
    depends only on its arguments, not on what was spoken before (POSIX only). The
    result (or the exception) comes back pickled.
    """
    if engine().spoken:
        raise EspeakError(
            "isolated synthesis needs a process whose espeak-ng has never spoken (its state would "
            "leak into every child); call it from a fresh worker process"
        )
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: run, send back the result or the error, exit without cleanup
        os.close(read_fd)
        try:
            payload = pickle.dumps((True, fn(*args)))
        except BaseException as e:  # noqa: BLE001 - every failure goes back to the parent
            try:
                payload = pickle.dumps((False, e))
            except Exception:  # noqa: BLE001 - an exception that cannot be pickled
                payload = pickle.dumps((False, EspeakError(f"{type(e).__name__}: {e}")))
        with os.fdopen(write_fd, "wb") as out:
            out.write(payload)
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as inp:
        message = inp.read()
    _, status = os.waitpid(pid, 0)
    if not message:
        raise EspeakError(f"the synthesis process died (wait status {status}) running {fn.__name__}")
    ok, value = pickle.loads(message)
    if not ok:
        raise value
    return value


def synthesize_isolated(text: str, voice: Voice, seed: int = 0) -> np.ndarray:
    """:func:`synthesize` with a clean espeak-ng state (see :func:`isolated`)."""
    return isolated(synthesize, text, voice, seed)


def sample_rate() -> int:
    """espeak-ng's output rate as ``espeak_Initialize`` reported it (22050 Hz)."""
    return engine().sample_rate
