"""CTC models: an encoder, optionally a residual vector quantizer, and a linear head.

::

    inputs ─ encoder (wav2vec 2.0 or fbank Conformer) ─▶ h [B, T, D]
           ─ [RVQ: h ≈ Σ_l q_l, straight-through] ─ dropout ─ Linear ─▶ log p(token) [B, T, V]

Token 0 is the CTC blank (see :mod:`asrkit.text.tokenizer`). Checkpoints of kind ``"ctc"``
hold a :class:`CTCConfig` and rebuild through :func:`asrkit.models.load`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from asrkit.config import from_dict
from asrkit.models import register
from asrkit.models.conformer import ConformerConfig, ConformerEncoder
from asrkit.models.rvq import ResidualVQ, RVQConfig, RVQOutput
from asrkit.models.streaming import Chunking
from asrkit.models.wav2vec2 import Wav2Vec2Config, Wav2Vec2Model

KIND = "ctc"


@dataclass
class CTCConfig:
    """Everything needed to rebuild a CTC model (stored in its checkpoints)."""

    vocab_size: int
    encoder: Literal["wav2vec2", "conformer"] = "wav2vec2"
    wav2vec2: Wav2Vec2Config | None = None  # full config when encoder == "wav2vec2"
    conformer: ConformerConfig | None = None  # when encoder == "conformer"
    rvq: RVQConfig = field(default_factory=lambda: RVQConfig(num_levels=0))
    final_dropout: float = 0.0  # fairseq ``final_dropout``, before the head


@dataclass
class CTCOutput:
    log_probs: torch.Tensor  # [B, T, V] log-softmax over tokens (float32)
    lengths: torch.Tensor  # [B] valid frames
    hidden: torch.Tensor  # [B, T, D] what the head saw (after RVQ)
    rvq: RVQOutput | None = None


class CTCModel(nn.Module):
    def __init__(self, cfg: CTCConfig, cmvn: tuple[torch.Tensor, torch.Tensor] | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        if cfg.encoder == "wav2vec2":
            if cfg.wav2vec2 is None:
                raise ValueError("a wav2vec2 CTC model needs its wav2vec2 config")
            self.encoder: nn.Module = Wav2Vec2Model(cfg.wav2vec2)
            dim = cfg.wav2vec2.encoder_dim
        else:
            self.encoder = ConformerEncoder(cfg.conformer or ConformerConfig(), cmvn)
            dim = self.encoder.output_dim
        self.rvq = ResidualVQ(dim, cfg.rvq) if cfg.rvq.num_levels > 0 else None
        self.dropout = nn.Dropout(cfg.final_dropout)
        self.head = nn.Linear(dim, cfg.vocab_size)

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Output frames for ``lengths`` input samples (or fbank frames)."""
        return self.encoder.output_lengths(lengths)

    @property
    def min_input_length(self) -> int:
        """The shortest input that yields at least one output frame."""
        if isinstance(self.encoder, Wav2Vec2Model):
            return self.encoder.receptive_field
        return 7  # two stride-2 3×3 convolutions

    def encode(self, inputs: torch.Tensor, lengths: torch.Tensor, mask: bool = False,
               z: torch.Tensor | None = None, chunking: Chunking | None = None,
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder output [B, T, D] and lengths; ``mask`` applies fine-tuning time/channel masks;
        ``z``: the wav2vec 2.0 feature encoder's latents, when already computed (cached);
        ``chunking``: the streaming model (:mod:`asrkit.models.streaming`, wav2vec 2.0 only)."""
        if isinstance(self.encoder, Wav2Vec2Model):
            out = self.encoder(inputs, lengths, mask_time=mask, mask_channel=mask, z=z,
                               chunking=chunking)
            return out.hidden, out.lengths
        if chunking is not None:
            raise ValueError("streaming (chunked attention) is implemented for wav2vec 2.0 "
                             "encoders, not the Conformer")
        return self.encoder(inputs, lengths)

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor, mask: bool = False,
                hidden: torch.Tensor | None = None, hidden_lengths: torch.Tensor | None = None,
                z: torch.Tensor | None = None, chunking: Chunking | None = None) -> CTCOutput:
        """``hidden``/``hidden_lengths`` skip the encoder (given when it ran frozen outside);
        ``z`` skips the wav2vec 2.0 feature encoder, ``chunking`` streams (see :meth:`encode`)."""
        if hidden is None:
            hidden, hidden_lengths = self.encode(inputs, lengths, mask, z, chunking)
        rvq_out = None
        if self.rvq is not None:
            valid = torch.arange(hidden.shape[1], device=hidden.device)[None] < hidden_lengths[:, None]
            rvq_out = self.rvq(hidden, valid)
            hidden = rvq_out.quantized
        logits = self.head(self.dropout(hidden))
        return CTCOutput(F.log_softmax(logits.float(), dim=-1), hidden_lengths, hidden, rvq_out)


def config_from_dict(data: dict[str, Any]) -> CTCConfig:
    """A :class:`CTCConfig` from its stored (plain data) form."""
    return from_dict(CTCConfig, data)


@register(KIND)
def _build(ckpt: dict[str, Any]) -> nn.Module:
    return CTCModel(config_from_dict(ckpt["model_config"]))
