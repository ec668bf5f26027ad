"""The ctypes binding to espeak-ng (asrkit.corpora.espeak)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from asrkit.corpora import espeak, sentences
from asrkit.corpora.espeak import EspeakError, Voice

SAMPLES = {
    "ca": ("ca", "La col·lecció d'en Pere és a l'escola."),
    "es": ("es-419", "¿Dónde está la estación de tren?"),
    "en": ("en-us", "I'm buying twenty-one apples at the market."),
}


@pytest.mark.parametrize("locale", sorted(SAMPLES))
def test_speaks_each_language_as_non_silent_16_bit_audio_at_the_reported_rate(locale):
    voice_name, text = SAMPLES[locale]
    audio = espeak.synthesize(text, Voice(voice_name, "f2", rate=170))
    rate = espeak.sample_rate()
    assert rate == espeak.engine().sample_rate == 22050
    assert audio.dtype == np.int16 and audio.ndim == 1
    assert 1.0 < len(audio) / rate < 8.0
    rms = np.sqrt(np.mean(audio.astype(np.float64) ** 2))
    assert rms > 300  # speech, not silence (full scale is 32768)


def test_rate_and_word_gap_make_speech_slower():
    text = "The train to Boston leaves at half past seven."
    fast = espeak.synthesize(text, Voice("en-us", rate=220))
    slow = espeak.synthesize(text, Voice("en-us", rate=130, word_gap=3))
    assert len(slow) > 1.4 * len(fast)


def test_every_accent_voice_of_every_language_exists():
    engine = espeak.engine()
    for module in sentences.LANGUAGES.values():
        for accent in module.ACCENTS:
            engine.set_voice(Voice(accent.voice))


def test_unknown_voice_variant_or_rate_is_a_clear_error():
    with pytest.raises(EspeakError, match=r"no voice 'en-gb'.*en-GB-scotland"):
        espeak.synthesize("hello", Voice("en-gb"))
    with pytest.raises(EspeakError, match="no voice variant 'zz9'"):
        espeak.synthesize("hello", Voice("en-us", "zz9"))
    with pytest.raises(EspeakError, match="outside espeak's 80-450"):
        espeak.synthesize("hello", Voice("en-us", rate=20))
    with pytest.raises(EspeakError, match="empty sentence"):
        espeak.synthesize("  ", Voice("en-us"))


def test_voices_lists_language_codes():
    voices = espeak.engine().voices()
    assert voices["roa/ca-va"] == ["ca-va"]
    assert "es-419" in voices["roa/es-419"]


def test_isolated_synthesis_refuses_a_process_that_has_spoken():
    espeak.synthesize("Hola.", Voice("es"))
    with pytest.raises(EspeakError, match="never spoken"):
        espeak.synthesize_isolated("Hola.", Voice("es"))


ISOLATION_CHECK = """
import hashlib, json
from asrkit.corpora import espeak
from asrkit.corpora.espeak import EspeakError, Voice
a, b = Voice("ca", "m3", rate=150, pitch=40), Voice("en-us", "f1", rate=190)
h = lambda x: hashlib.sha256(x.tobytes()).hexdigest()
first = h(espeak.synthesize_isolated("Bon dia a tothom.", a, 5))
espeak.synthesize_isolated("Good morning, everybody.", b, 1)
again = h(espeak.synthesize_isolated("Bon dia a tothom.", a, 5))
try:
    espeak.synthesize_isolated("x", Voice("nonexistent"))
    error = ""
except EspeakError as e:
    error = str(e)
print(json.dumps([first, again, error]))
"""


def test_isolated_synthesis_depends_only_on_its_arguments():
    # espeak-ng carries state from one utterance to the next; a fresh interpreter that never
    # spoke is the only clean place to show that isolation removes it.
    out = subprocess.run([sys.executable, "-c", ISOLATION_CHECK], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    first, again, error = json.loads(out.stdout.strip().splitlines()[-1])
    assert first == again
    assert "no voice 'nonexistent'" in error
