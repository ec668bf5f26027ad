"""One text normalizer for data preparation, tokenizers and scoring.

Training transcripts, the tokenizer's vocabulary and the scorer's "normalized WER" must
agree on what a character is, so they all use :class:`TextNormalizer`. It is pure Python
(``unicodedata`` only) and deterministic: the same settings give the same output on every
machine.

Punctuation removal keeps what belongs to words in any script: letters, combining marks
and digits. Three characters survive only *inside* a word, because there they are part of
the spelling: the apostrophe (``l'home``, ``d'un``, ``don't``), the Catalan middle dot
between two l's (``col·lecció``) and, optionally, the hyphen (``dóna-li``). Elsewhere they
are punctuation (``'quoted'`` → ``quoted``).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

# Typed variants that mean an apostrophe inside a word; all become "'".
APOSTROPHES = "'\u2019\u02bc\u2018\u00b4`"
# Variants of the Catalan "punt volat" typed between two l's; all become "·" (U+00B7).
MIDDLE_DOTS = "\u00b7\u2022\u2219\u22c5\u2024\u0387"
# Hyphen and its Unicode look-alikes used inside compound words; all become "-".
HYPHENS = "-\u2010\u2011"

# Candidates for removal: anything that is neither a word character nor whitespace
# (this includes combining marks, which are kept after a category check) plus "_".
_NON_WORD = re.compile(r"[^\w\s]|_")

Form = Literal["NFC", "NFKC", "NFD", "NFKD", "none"]
Case = Literal["keep", "lower", "upper"]


def _is_word_char(ch: str) -> bool:
    """Letters, digits and combining marks (Devanagari vowel signs, Arabic harakat)."""
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


@dataclass(frozen=True)
class TextNormalizer:
    """Configurable transcript normalization; usable as a config section.

    ``form``: Unicode normalization applied first (NFC makes "é" typed as e + combining
    accent equal to the precomposed "é"). ``case``: "keep", "lower" or "upper".
    ``remove_punctuation``: replace every character that is not a letter, mark or digit by a
    space, except word-internal apostrophes, l·l middle dots and (``keep_hyphens``) hyphens.
    ``unify``: map apostrophe/middle-dot/hyphen look-alikes to one character each.
    ``collapse_whitespace``: strip, and turn runs of whitespace into one space.
    ``alphabet``: characters allowed after normalization (space is always allowed);
    :meth:`invalid_chars` reports the others. ``None`` allows everything.
    """

    form: Form = "NFC"
    case: Case = "keep"
    remove_punctuation: bool = False
    keep_apostrophes: bool = True
    keep_middle_dot: bool = True
    keep_hyphens: bool = False
    unify: bool = True
    collapse_whitespace: bool = True
    alphabet: str | None = None

    def __post_init__(self) -> None:
        if self.form not in ("NFC", "NFKC", "NFD", "NFKD", "none"):
            raise ValueError(f"TextNormalizer.form must be NFC, NFKC, NFD, NFKD or none, got {self.form!r}")
        if self.case not in ("keep", "lower", "upper"):
            raise ValueError(f"TextNormalizer.case must be keep, lower or upper, got {self.case!r}")

    @classmethod
    def preset(cls, name: str, **changes: Any) -> TextNormalizer:
        """A named preset (see :data:`PRESETS`), optionally with some fields changed."""
        try:
            base = PRESETS[name]
        except KeyError:
            raise ValueError(
                f"unknown text normalization preset {name!r}; choose one of {', '.join(PRESETS)}"
            ) from None
        return dataclasses.replace(base, **changes) if changes else base

    @classmethod
    def from_spec(cls, spec: str | dict[str, Any] | TextNormalizer | None) -> TextNormalizer:
        """Build from a preset name, a mapping (optional ``preset`` key + field values), or
        an instance. ``None`` means the "none" preset."""
        if spec is None:
            return PRESETS["none"]
        if isinstance(spec, TextNormalizer):
            return spec
        if isinstance(spec, str):
            return cls.preset(spec)
        if isinstance(spec, dict):
            fields = dict(spec)
            name = fields.pop("preset", "none")
            valid = {f.name for f in dataclasses.fields(cls)}
            unknown = sorted(set(fields) - valid)
            if unknown:
                raise ValueError(
                    f"unknown text normalization setting {unknown[0]!r}; valid: preset, {', '.join(sorted(valid))}"
                )
            return cls.preset(name, **fields)
        raise TypeError(f"cannot build a TextNormalizer from {spec!r}")

    def normalize(self, text: str) -> str:
        if self.form != "none":
            text = unicodedata.normalize(self.form, text)
        if self.case == "lower":
            text = text.lower()
        elif self.case == "upper":
            text = text.upper()
        if self.remove_punctuation:
            text = _NON_WORD.sub(self._replace_punctuation, text)
        elif self.unify:
            text = _NON_WORD.sub(self._unify_only, text)
        if self.collapse_whitespace:
            text = " ".join(text.split())
        return text

    __call__ = normalize

    def invalid_chars(self, text: str) -> set[str]:
        """Characters of ``normalize(text)`` outside :attr:`alphabet` (empty when unset)."""
        if self.alphabet is None:
            return set()
        allowed = set(self.alphabet)
        return {ch for ch in self.normalize(text) if ch not in allowed and not ch.isspace()}

    def _replace_punctuation(self, m: re.Match[str]) -> str:
        kept = self._inside_word(m)
        if kept is not None:
            return kept
        return m.group() if unicodedata.category(m.group()).startswith("M") else " "

    def _unify_only(self, m: re.Match[str]) -> str:
        kept = self._inside_word(m)
        return m.group() if kept is None else kept

    def _inside_word(self, m: re.Match[str]) -> str | None:
        """The spelling of a word-internal apostrophe, l·l dot or hyphen, else None."""
        ch, s, i = m.group(), m.string, m.start()
        if i == 0 or i + 1 >= len(s):
            return None
        before, after = s[i - 1], s[i + 1]
        between_words = _is_word_char(before) and _is_word_char(after)
        if self.keep_apostrophes and ch in APOSTROPHES and between_words:
            return "'" if self.unify else ch
        if self.keep_middle_dot and ch in MIDDLE_DOTS and before in "lL" and after in "lL":
            return "\u00b7" if self.unify else ch
        if self.keep_hyphens and ch in HYPHENS and between_words:
            return "-" if self.unify else ch
        return None


PRESETS: dict[str, TextNormalizer] = {
    # Only Unicode NFC: the text as the corpus wrote it (scoring's "raw" WER).
    "none": TextNormalizer(collapse_whitespace=False, unify=False),
    # NFC, lowercase, punctuation removed (word-internal ' and l·l kept), spaces collapsed.
    "default": TextNormalizer(case="lower", remove_punctuation=True),
    # As "default" but uppercase: the convention of LibriSpeech, FSDD and yesno transcripts.
    "upper": TextNormalizer(case="upper", remove_punctuation=True),
}
