"""Text handling shared by data preparation, tokenizers and scoring."""

from asrkit.text.normalize import PRESETS, TextNormalizer

__all__ = ["PRESETS", "TextNormalizer"]
