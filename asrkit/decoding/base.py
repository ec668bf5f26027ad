"""What every CTC decoder takes and returns."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import torch

from asrkit.text.tokenizer import Tokenizer


class DecodingError(ValueError):
    """Decoder input or options that cannot work; the message says what to fix."""


@dataclass
class Hypothesis:
    """One recognition result. ``score`` is the decoder's total (log, natural base);
    ``am_score`` its acoustic part and ``lm_score`` the unweighted LM part (KenLM log10
    units) where known."""

    text: str
    tokens: list[int]
    score: float
    am_score: float | None = None
    lm_score: float | None = None
    words: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.words:
            self.words = self.text.split()


class Decoder(ABC):
    """``decoder(log_probs [B, T, V], lengths [B]) -> N-best list per utterance``."""

    kind: str

    def __init__(self, tokenizer: Tokenizer, nbest: int = 1) -> None:
        if nbest < 1:
            raise DecodingError(f"nbest must be at least 1, got {nbest}")
        self.tokenizer = tokenizer
        self.nbest = nbest

    def __call__(
        self, log_probs: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> list[list[Hypothesis]]:
        log_probs, lengths = self._check(log_probs, lengths)
        return self.decode(log_probs, lengths)

    @abstractmethod
    def decode(self, log_probs: torch.Tensor, lengths: torch.Tensor) -> list[list[Hypothesis]]:
        """Decode checked input (``lengths`` on the same device as ``log_probs``)."""

    def info(self) -> dict[str, Any]:
        """Decoder settings for ``decode_info.json``."""
        return {"kind": self.kind, "nbest": self.nbest}

    def _check(
        self, log_probs: torch.Tensor, lengths: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if log_probs.dim() != 3:
            raise DecodingError(
                f"log_probs must be [batch, frames, vocab], got shape {tuple(log_probs.shape)}"
            )
        b, t, v = log_probs.shape
        if v != self.tokenizer.vocab_size:
            raise DecodingError(
                f"the model outputs {v} classes but the tokenizer has {self.tokenizer.vocab_size} "
                f"tokens: decode with the tokenizer saved with this model"
            )
        if lengths is None:
            lengths = torch.full((b,), t, dtype=torch.long)
        lengths = torch.as_tensor(lengths, dtype=torch.long).to(log_probs.device)
        if lengths.shape != (b,):
            raise DecodingError(f"lengths must have shape [{b}], got {tuple(lengths.shape)}")
        if b and (int(lengths.min()) < 0 or int(lengths.max()) > t):
            raise DecodingError(f"lengths must lie in [0, {t}], got {lengths.tolist()}")
        return log_probs, lengths
