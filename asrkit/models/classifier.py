"""Utterance classifiers: an encoder's frames, pooled over time, into a small MLP.

::

    inputs ─ encoder ─▶ hidden states h_0 … h_L [B, T, D]
           ─ one layer h_k, or Σ_l softmax(w)_l h_l (SUPERB's weighted sum) ─▶ x [B, T, D]
           ─ pooling over the valid frames: mean, or attentive statistics [μ; σ] ─▶ [B, D | 2D]
           ─ MLP ─▶ logits [B, classes]

The encoder is wav2vec 2.0 (any ``--init``, or random), or ``features``: the input
features themselves (fbank after the training set's CMVN), the fbank + pooling baseline.
Padding never reaches the result: the encoder's valid frames do not depend on padding
(see :meth:`asrkit.models.wav2vec2.Wav2Vec2Model.latents`) and pooling reads only the
valid frames, so an utterance gets the same logits alone or in any batch.

Checkpoints of kind ``"classifier"`` hold a :class:`ClassifierConfig` and rebuild
through :func:`asrkit.models.load`. ``forward`` returns logits per utterance, the
quantity explanations (Grad-CAM) take a gradient of.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from asrkit.config import from_dict
from asrkit.layout import MODEL_FILE
from asrkit.models import CheckpointError, register
from asrkit.models import load as load_model
from asrkit.models.masking import lengths_to_padding_mask
from asrkit.models.wav2vec2 import Wav2Vec2Config, Wav2Vec2Model

KIND = "classifier"


@dataclass
class ClassifierConfig:
    """Everything needed to rebuild a classifier (stored in its checkpoints)."""

    num_classes: int
    encoder: Literal["wav2vec2", "features"] = "wav2vec2"
    wav2vec2: Wav2Vec2Config | None = None  # full config when encoder == "wav2vec2"
    input_dim: int = 80  # features: the fbank dimension
    layer: int = -1  # hidden state feeding the head: 0 = Transformer input, L = last layer
    weighted_layers: bool = False  # a learned softmax-weighted sum of all L + 1 states instead
    pooling: Literal["mean", "attentive"] = "mean"
    attention_dim: int = 128  # attentive pooling's hidden size
    hidden_dims: list[int] = field(default_factory=lambda: [256])  # the MLP's hidden layers
    dropout: float = 0.1  # in the MLP

    @property
    def frame_dim(self) -> int:
        return self.wav2vec2.encoder_dim if self.encoder == "wav2vec2" else self.input_dim


@dataclass
class ClassifierOutput:
    logits: torch.Tensor  # [B, classes]
    pooled: torch.Tensor  # [B, D | 2D] what the MLP saw


def padding_of(lengths: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``[B, T, 1]`` bool, True on the padding frames of ``x [B, T, D]``."""
    return lengths_to_padding_mask(lengths, x.shape[1])[..., None]


class WeightedLayerSum(nn.Module):
    """Σ_l softmax(w)_l h_l over the encoder's hidden states (s3prl's featurizer; the
    weights start equal)."""

    def __init__(self, num_layers: int):
        super().__init__()
        self.weights = nn.Parameter(torch.zeros(num_layers))

    def forward(self, states: list[torch.Tensor]) -> torch.Tensor:
        if len(states) != self.weights.numel():
            raise ValueError(f"{len(states)} hidden states for {self.weights.numel()} layer weights")
        w = self.weights.softmax(0).to(states[0].dtype)
        return torch.einsum("l,lbtd->btd", w, torch.stack(states))


class MeanPooling(nn.Module):
    """The mean of the valid frames."""

    output_factor = 1

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = x.masked_fill(padding_of(lengths, x), 0.0)  # padding may hold anything, even inf
        return x.sum(1) / lengths[:, None].to(x.dtype)


class AttentiveStatsPooling(nn.Module):
    """Attentive statistics pooling (Okabe et al., 2018): frame weights
    α_t = softmax_t(vᵀ tanh(W h_t + b)) over the valid frames, then the weighted mean
    μ = Σ α_t h_t and standard deviation σ = sqrt(Σ α_t h_t² − μ²), concatenated."""

    output_factor = 2

    def __init__(self, dim: int, attention_dim: int):
        super().__init__()
        self.attention = nn.Sequential(nn.Linear(dim, attention_dim), nn.Tanh(),
                                       nn.Linear(attention_dim, 1))

    def weights(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """α ``[B, T, 1]``, zero on padding."""
        padding = padding_of(lengths, x)
        scores = self.attention(x.masked_fill(padding, 0.0)).float()
        return scores.masked_fill(padding, float("-inf")).softmax(dim=1).to(x.dtype)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        alpha = self.weights(x, lengths)
        x = x.masked_fill(padding_of(lengths, x), 0.0)  # padding may hold anything, even inf
        mean = (alpha * x).sum(1)
        var = (alpha * x * x).sum(1) - mean * mean
        return torch.cat([mean, var.clamp(min=1e-5).sqrt()], dim=-1)


class ClassifierHead(nn.Module):
    """Linear, ReLU, dropout for each hidden size, then a linear layer to the classes."""

    def __init__(self, in_dim: int, hidden_dims: list[int], num_classes: int, dropout: float):
        super().__init__()
        layers: list[nn.Module] = []
        for dim in hidden_dims:
            layers += [nn.Linear(in_dim, dim), nn.ReLU(), nn.Dropout(dropout)]
            in_dim = dim
        layers.append(nn.Linear(in_dim, num_classes))
        self.mlp = nn.Sequential(*layers)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.mlp(pooled)


class UtteranceClassifier(nn.Module):
    """``inputs [B, T(, F)]``, ``lengths [B]`` -> logits per utterance (module docstring)."""

    def __init__(self, cfg: ClassifierConfig, cmvn: tuple[torch.Tensor, torch.Tensor] | None = None):
        super().__init__()
        self.cfg = cfg
        self.encoder: Wav2Vec2Model | None = None
        self.layer_sum: WeightedLayerSum | None = None
        if cfg.encoder == "wav2vec2":
            if cfg.wav2vec2 is None:
                raise ValueError("a wav2vec2 classifier needs its wav2vec2 config")
            self.encoder = Wav2Vec2Model(cfg.wav2vec2)
            states = cfg.wav2vec2.encoder_layers + 1
            if not -states <= cfg.layer < states:
                raise ValueError(f"model.layer {cfg.layer} does not exist: the encoder has hidden "
                                 f"states 0..{states - 1} (0 is the Transformer's input)")
            if cfg.weighted_layers:
                self.layer_sum = WeightedLayerSum(states)
        else:
            mean, std = cmvn if cmvn is not None else (torch.zeros(cfg.input_dim), torch.ones(cfg.input_dim))
            self.register_buffer("cmvn_mean", mean.float().clone())
            self.register_buffer("cmvn_std", std.float().clone())
        dim = cfg.frame_dim
        if cfg.pooling == "mean":
            self.pooling: nn.Module = MeanPooling()
        else:
            self.pooling = AttentiveStatsPooling(dim, cfg.attention_dim)
        self.head = ClassifierHead(dim * self.pooling.output_factor, cfg.hidden_dims,
                                   cfg.num_classes, cfg.dropout)

    @property
    def min_input_length(self) -> int:
        """The shortest input that yields at least one frame."""
        return self.encoder.receptive_field if self.encoder is not None else 1

    def hidden_states(self, inputs: torch.Tensor, lengths: torch.Tensor, z: torch.Tensor | None = None
                      ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The encoder's states the head may read, ``[B, T, D]`` each, and frame lengths.

        wav2vec 2.0: the Transformer's input and every layer's output, the last one after
        the final LayerNorm as Hugging Face gives it (only the last when one layer is read
        and it is the last); ``z``: the feature encoder's latents, when already computed.
        """
        if self.encoder is None:
            return [(inputs - self.cmvn_mean) / self.cmvn_std], lengths
        last = self.cfg.layer in (-1, self.cfg.wav2vec2.encoder_layers)
        every = self.layer_sum is not None or not last
        out = self.encoder(inputs, lengths, return_hidden_states=every, z=z)
        if not every:
            return [out.hidden], out.lengths
        return [*out.hidden_states[:-1], out.hidden], out.lengths

    def frames(self, states: list[torch.Tensor]) -> torch.Tensor:
        """The frames the pooling reads: one state, or the weighted sum of them all."""
        if self.layer_sum is not None:
            return self.layer_sum(states)
        return states[-1] if len(states) == 1 else states[self.cfg.layer]

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor,
                states: tuple[list[torch.Tensor], torch.Tensor] | None = None,
                z: torch.Tensor | None = None) -> ClassifierOutput:
        """``states``: :meth:`hidden_states` of ``inputs``, when the encoder ran outside (frozen)."""
        hidden, frame_lengths = states if states is not None else self.hidden_states(inputs, lengths, z)
        pooled = self.pooling(self.frames(hidden), frame_lengths)
        return ClassifierOutput(self.head(pooled), pooled)


def load_classifier(model_dir: str | Path) -> tuple[UtteranceClassifier, dict[str, Any]]:
    """The classifier of a stage-7 experiment (``model.pt``) or checkpoint, in eval mode,
    and its checkpoint (``labels``: the classes; ``train_speakers``)."""
    model_dir = Path(model_dir)
    path = model_dir / MODEL_FILE if model_dir.is_dir() else model_dir
    model, ckpt = load_model(path)
    if not isinstance(model, UtteranceClassifier) or "train_speakers" not in ckpt:
        raise CheckpointError(f"{path} holds a '{ckpt['kind']}' model; this needs a stage-7 "
                              f"classifier ({MODEL_FILE} of asrkit-classify train)")
    return model.eval(), ckpt


def config_from_dict(data: dict[str, Any]) -> ClassifierConfig:
    """A :class:`ClassifierConfig` from its stored (plain data) form."""
    return from_dict(ClassifierConfig, data)


@register(KIND)
def _build(ckpt: dict[str, Any]) -> nn.Module:
    return UtteranceClassifier(config_from_dict(ckpt["model_config"]))
