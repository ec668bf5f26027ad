"""TextNormalizer: the one normalizer shared by data prep, tokenizers and scoring."""

from __future__ import annotations

import unicodedata

import pytest

from asrkit.config import from_dict
from asrkit.text import PRESETS, TextNormalizer

DEFAULT = TextNormalizer.preset("default")


def test_default_lowercases_and_removes_punctuation():
    assert DEFAULT.normalize("Hello, World! How are you?") == "hello world how are you"


def test_catalan_middle_dot_between_ls_is_kept():
    assert DEFAULT.normalize("La col·lecció és intel·ligent.") == "la col·lecció és intel·ligent"
    assert DEFAULT.normalize("COL·LECCIÓ") == "col·lecció"


def test_middle_dot_look_alikes_become_the_catalan_dot():
    assert DEFAULT.normalize("col\u2022lecció") == "col·lecció"
    assert DEFAULT.normalize("col\u22c5lecció") == "col·lecció"


def test_middle_dot_not_between_ls_is_punctuation():
    assert DEFAULT.normalize("a·b · c") == "a b c"


def test_apostrophes_inside_words_are_kept_and_unified():
    assert DEFAULT.normalize("L'home d'un poble, don't!") == "l'home d'un poble don't"
    assert DEFAULT.normalize("aujourd\u2019hui") == "aujourd'hui"


def test_quotes_around_words_are_removed():
    assert DEFAULT.normalize("'quoted' \u2018word\u2019 rock 'n' roll") == "quoted word rock n roll"


def test_language_letters_are_kept():
    assert DEFAULT.normalize("Façana, ¿Año? Straße Ñandú") == "façana año straße ñandú"


def test_nfd_input_equals_nfc_input():
    nfc = "canço ñandú é"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert DEFAULT.normalize(nfd) == DEFAULT.normalize(nfc) == nfc
    assert PRESETS["none"].normalize(nfd) == nfc


def test_hyphens_split_words_by_default_and_can_be_kept():
    assert DEFAULT.normalize("dóna-li el porta-avions -") == "dóna li el porta avions"
    keep = TextNormalizer.preset("default", keep_hyphens=True)
    assert keep.normalize("dóna\u2011li el porta-avions - ja") == "dóna-li el porta-avions ja"


def test_combining_marks_of_other_scripts_survive_punctuation_removal():
    hindi = "नमस्ते, दुनिया।"
    assert DEFAULT.normalize(hindi) == "नमस्ते दुनिया"
    arabic = "مَرْحَبًا، عالم؟"
    assert DEFAULT.normalize(arabic) == "مَرْحَبًا عالم"


def test_cjk_punctuation_is_removed():
    assert DEFAULT.normalize("你好，世界。") == "你好 世界"


def test_digits_are_kept_and_symbols_removed():
    assert DEFAULT.normalize("50% de 3,5 € _x_") == "50 de 3 5 x"


def test_whitespace_is_collapsed():
    assert DEFAULT.normalize("  a \t b\n\nc  ") == "a b c"


def test_casing_options():
    assert TextNormalizer(case="upper").normalize("l'Home") == "L'HOME"
    assert TextNormalizer(case="keep").normalize("l'Home") == "l'Home"
    assert PRESETS["upper"].normalize("Don't stop, Mary.") == "DON'T STOP MARY"


def test_none_preset_is_identity_on_nfc_text():
    text = "  Hello,  «World»!\u2019 "
    assert PRESETS["none"].normalize(text) == text


def test_normalization_is_idempotent():
    text = "«L'home» d'un col·legi, ¡Qué tal?  Don't-stop 'x'"
    for norm in (DEFAULT, PRESETS["upper"], TextNormalizer.preset("default", keep_hyphens=True)):
        once = norm.normalize(text)
        assert norm.normalize(once) == once


def test_invalid_chars_reports_characters_outside_the_alphabet():
    norm = TextNormalizer.preset("default", alphabet="abcdefghijklmnopqrstuvwxyz'")
    assert norm.invalid_chars("Hello world, don't!") == set()
    assert norm.invalid_chars("Façana 3") == {"ç", "3"}


def test_invalid_chars_is_empty_without_an_alphabet():
    assert DEFAULT.invalid_chars("anything ☃ 你") == set()


def test_unknown_preset_and_bad_values_are_rejected_by_name():
    with pytest.raises(ValueError, match="unknown text normalization preset 'fancy'"):
        TextNormalizer.preset("fancy")
    with pytest.raises(ValueError, match="case must be"):
        TextNormalizer(case="title")
    with pytest.raises(ValueError, match="'lowercase'"):
        TextNormalizer.from_spec({"preset": "default", "lowercase": True})


def test_from_spec_accepts_names_mappings_and_instances():
    assert TextNormalizer.from_spec("default") == DEFAULT
    assert TextNormalizer.from_spec(None) == PRESETS["none"]
    custom = TextNormalizer.from_spec({"preset": "default", "keep_hyphens": True})
    assert custom == TextNormalizer.preset("default", keep_hyphens=True)
    assert TextNormalizer.from_spec(custom) is custom


def test_usable_as_a_config_section():
    cfg = from_dict(TextNormalizer, {"case": "lower", "remove_punctuation": True, "alphabet": "ab "})
    assert cfg.normalize("A, B!") == "a b"
    assert cfg.invalid_chars("abc") == {"c"}
