"""wav2vec 2.0 (Baevski et al., 2020): feature encoder, context network, pretraining head.

Data flow (shapes for the waveform front end)::

    wave [B, S] ──feature encoder (7 convs, ×320)──▶ z [B, C, T]        (20 ms frames)
      └─ LayerNorm ─▶ features [B, T, C] ─────────────────────┐ (quantizer input, unmasked)
         └─ Linear ─▶ [B, T, D] ─ time/channel masking ─▶ x   │
            └─ conv positional embedding + Transformer ─▶ c [B, T, D]
    pretraining: q = project_q(quantizer(features[mask])), ĉ = final_proj(c[mask]),
                 contrastive task on cos(ĉ_t, q) (see :mod:`asrkit.models.objectives`)

The classes are thin and built from a :class:`Wav2Vec2Config`; docstrings name the fairseq
option each setting corresponds to. The feature encoder of each front end (waveform, fbank)
is in :mod:`asrkit.models.frontend`; numeric kernels are in :mod:`asrkit.models.ops`. Names the code uses, sizes and why:

==========  ===========================  ==============================  ==========  ======
size        feature encoder              context network                 quantizer   final
==========  ===========================  ==============================  ==========  ======
``tiny``    7 convs × 128 ch, GroupNorm  4 × 256, FFN 1024, 4 heads      2 × 64      128
``small``   7 convs × 256 ch, GroupNorm  8 × 512, FFN 2048, 8 heads      2 × 160     256
``base``    7 convs × 512 ch, GroupNorm  12 × 768, FFN 3072, 12 heads    2 × 320     256
``large``   7 convs × 512 ch, LayerNorm  24 × 1024, FFN 4096, 16 heads,  2 × 320     768
            + conv bias                  pre-LN (XLSR-53 shape)
==========  ===========================  ==============================  ==========  ======

``base`` and ``large`` are fairseq's ``wav2vec2_base`` and XLSR-53/LV-60 large
(``extractor_mode=layer_norm``, ``layer_norm_first``, waveform normalization). ``tiny``
and ``small`` are asrkit's own CPU sizes: they keep every mechanism of base (conv strides,
20 ms frames, 128-tap positional conv, Gumbel product quantizer, 0.65/10 masking) and only
shrink widths and depth. ``tiny`` (~4 M parameters, ~2 GFLOP per audio second for a
training step) trains at ~20 audio seconds per second on one CPU core; a V of 64 keeps
codebook use dense on minutes of audio. ``small`` (~28 M) is for an hour or more of audio
on a workstation or one GPU.

From scratch on little audio, pick the front end by how soon the contrastive loss must
leave chance (ln 101 ≈ 4.62). With the waveform front end the targets are codes of a
random conv stack, which flip from frame to frame (adjacent frames share a code ~5% of the
time at init) until the encoder learns; on 50 min of LibriSpeech ``tiny`` sits at chance
for the first 375+ updates (``transformers`` with the same config did the same over the 50
updates it was run). With
``frontend="fbank"`` adjacent frames share a code ~38% of the time, and the same run
leaves chance after ~100 updates (4.36 and 11% accuracy at 175 updates, ~2 CPU-minutes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import torch
import torch.nn.functional as F
from torch import nn

from asrkit.config import ConfigError, from_dict, to_dict
from asrkit.models import masking, objectives, ops, streaming
from asrkit.models.frontend import (
    FbankFeatureEncoder,
    FeatureEncoder,
    conv_output_lengths,
    receptive_field,
)
from asrkit.models.quantizer import GumbelVectorQuantizer, codebook_health

BASE_CONV_LAYERS = [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2


@dataclass
class Wav2Vec2Config:
    """Architecture and masking of a wav2vec 2.0 model (fairseq ``Wav2Vec2Config`` names in
    comments). Defaults are fairseq's base model."""

    # the front end: what the model reads, and so which feature encoder (asrkit.models.frontend)
    frontend: Literal["waveform", "fbank"] = "waveform"
    # waveform front end: (dim, kernel, stride) per conv, ``conv_feature_layers``
    conv_layers: list[tuple[int, int, int]] = field(default_factory=lambda: list(BASE_CONV_LAYERS))
    # "group_norm": GroupNorm on the first conv only (fairseq "default"); "layer_norm": every conv
    extractor_mode: Literal["group_norm", "layer_norm"] = "group_norm"
    conv_bias: bool = False  # ``conv_bias``
    normalize_waveform: bool = False  # task ``normalize``: zero mean, unit variance per utterance
    # fbank front end: [B, T, n_mels] at 10 ms; the strides multiply to 2 (20 ms frames)
    n_mels: int = 80
    fbank_conv_layers: list[tuple[int, int, int]] = field(
        default_factory=lambda: [(512, 3, 1), (512, 3, 2)]
    )
    encoder_dim: int = 768  # ``encoder_embed_dim``
    encoder_layers: int = 12  # ``encoder_layers``
    encoder_heads: int = 12  # ``encoder_attention_heads``
    encoder_ffn_dim: int = 3072  # ``encoder_ffn_embed_dim``
    layer_norm_first: bool = False  # ``layer_norm_first`` (pre-LN)
    layer_norm_eps: float = 1e-5
    dropout: float = 0.1  # ``dropout``
    attention_dropout: float = 0.1  # ``attention_dropout``
    activation_dropout: float = 0.0  # ``activation_dropout``
    dropout_input: float = 0.1  # ``dropout_input`` (after the projection)
    dropout_features: float = 0.1  # ``dropout_features`` (on the quantizer input)
    layerdrop: float = 0.05  # ``encoder_layerdrop``
    pos_conv_kernel: int = 128  # ``conv_pos``
    pos_conv_groups: int = 16  # ``conv_pos_groups``
    feature_grad_mult: float = 0.1  # ``feature_grad_mult``; 0 freezes the feature encoder
    mask_time_prob: float = 0.65  # ``mask_prob`` (NOT transformers' 0.05 default)
    mask_time_length: int = 10  # ``mask_length``
    mask_time_min_masks: int = 2
    mask_channel_prob: float = 0.0  # ``mask_channel_prob``
    mask_channel_length: int = 10  # ``mask_channel_length``
    mask_channel_min_masks: int = 0
    num_codevector_groups: int = 2  # G, ``latent_groups``
    num_codevectors_per_group: int = 320  # V, ``latent_vars``
    codevector_dim: int = 256  # ``latent_dim`` (fairseq: final_dim when 0)
    gumbel_temperature: tuple[float, float, float] = (2.0, 0.5, 0.999995)  # ``latent_temp``
    # codevectors' start: N(0, 1) (asrkit) or U[0, 1) (fairseq, cosine ≈ 0.75 between entries)
    codevector_init: Literal["normal", "uniform"] = "normal"
    final_dim: int = 256  # ``final_dim``

    def __post_init__(self) -> None:
        self.conv_layers = [tuple(int(v) for v in layer) for layer in self.conv_layers]
        self.fbank_conv_layers = [tuple(int(v) for v in layer) for layer in self.fbank_conv_layers]
        self.gumbel_temperature = tuple(float(v) for v in self.gumbel_temperature)
        if self.frontend not in ("waveform", "fbank"):
            raise ValueError(f"frontend '{self.frontend}' is not 'waveform' or 'fbank'")
        if self.codevector_init not in ("normal", "uniform"):
            raise ValueError(f"codevector_init '{self.codevector_init}' is not 'normal' or 'uniform'")
        if self.extractor_mode not in ("group_norm", "layer_norm"):
            raise ValueError(f"extractor_mode '{self.extractor_mode}' is not 'group_norm' or 'layer_norm'")
        if self.encoder_dim % self.encoder_heads:
            raise ValueError(
                f"encoder_dim {self.encoder_dim} is not divisible by encoder_heads {self.encoder_heads}"
            )
        if self.encoder_dim % self.pos_conv_groups:
            raise ValueError(
                f"encoder_dim {self.encoder_dim} is not divisible by pos_conv_groups "
                f"{self.pos_conv_groups}"
            )

    @property
    def feature_encoder_layers(self) -> list[tuple[int, int, int]]:
        """The feature encoder's convs ``(dim, kernel, stride)`` for this front end."""
        return self.conv_layers if self.frontend == "waveform" else self.fbank_conv_layers

    @property
    def feature_dim(self) -> int:
        """Channels of the feature encoder's output (the quantizer's input)."""
        return self.feature_encoder_layers[-1][0]


def tiny() -> Wav2Vec2Config:
    """asrkit's CPU size: base's mechanisms at 128/256 widths (see the module docstring)."""
    return Wav2Vec2Config(
        conv_layers=[(128, 10, 5)] + [(128, 3, 2)] * 4 + [(128, 2, 2)] * 2,
        fbank_conv_layers=[(128, 3, 1), (128, 3, 2)],
        encoder_dim=256,
        encoder_layers=4,
        encoder_heads=4,
        encoder_ffn_dim=1024,
        layerdrop=0.0,
        num_codevectors_per_group=64,
        codevector_dim=128,
        final_dim=128,
    )


def small() -> Wav2Vec2Config:
    """asrkit's workstation size, between tiny and base."""
    return Wav2Vec2Config(
        conv_layers=[(256, 10, 5)] + [(256, 3, 2)] * 4 + [(256, 2, 2)] * 2,
        fbank_conv_layers=[(256, 3, 1), (256, 3, 2)],
        encoder_dim=512,
        encoder_layers=8,
        encoder_heads=8,
        encoder_ffn_dim=2048,
        num_codevectors_per_group=160,
    )


def base() -> Wav2Vec2Config:
    """fairseq ``wav2vec2_base`` (``wav2vec_small.pt``, ``facebook/wav2vec2-base``)."""
    return Wav2Vec2Config()


def large() -> Wav2Vec2Config:
    """XLSR-53 / LV-60 shape (``facebook/wav2vec2-large-xlsr-53``): pre-LN, LayerNorm convs."""
    return Wav2Vec2Config(
        extractor_mode="layer_norm",
        conv_bias=True,
        normalize_waveform=True,
        fbank_conv_layers=[(512, 3, 1), (512, 3, 2)],
        encoder_dim=1024,
        encoder_layers=24,
        encoder_heads=16,
        encoder_ffn_dim=4096,
        layer_norm_first=True,
        layerdrop=0.1,
        feature_grad_mult=1.0,
        codevector_dim=768,
        final_dim=768,
    )


SIZES: dict[str, Callable[[], Wav2Vec2Config]] = {
    "tiny": tiny,
    "small": small,
    "base": base,
    "large": large,
    "xlsr": large,
}


def config_for(size: str, overrides: dict[str, Any] | None = None, where: str = "model") -> Wav2Vec2Config:
    """The config of a named size (:data:`SIZES`) with fields replaced by ``overrides``.

    The one place a size name becomes a config. A :class:`~asrkit.config.ConfigError`
    names an unknown size (``<where>.size``), an unknown field with its dotted name
    (``<where>.<field>``), or a value that does not fit.
    """
    if size not in SIZES:
        raise ConfigError(f"{where}.size: unknown wav2vec2 size '{size}'; choose one of {', '.join(SIZES)}")
    data = {**to_dict(SIZES[size]()), **(overrides or {})}
    try:
        return from_dict(Wav2Vec2Config, data, where)
    except ConfigError:
        raise
    except ValueError as e:  # __post_init__'s checks of how the fields fit together
        raise ConfigError(f"{where}: {e}") from None


class FeatureProjection(nn.Module):
    """LayerNorm of the latents (kept for the quantizer) and projection to the model width."""

    def __init__(self, in_dim: int, out_dim: int, dropout: float, eps: float) -> None:
        super().__init__()
        self.layer_norm = nn.LayerNorm(in_dim, eps=eps)
        self.projection = nn.Linear(in_dim, out_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        normed = self.layer_norm(z)
        return normed, self.dropout(self.projection(normed))


FFT_MAX_GROUP_WIDTH = 32  # channels per group up to which training runs the FFT form


class PositionalConvEmbedding(nn.Module):
    """Relative position through a wide grouped conv with weight norm over the kernel axis
    (fairseq ``pos_conv``: Conv1d(k=128, groups=16) → SamePad → GELU).

    When training on CPU with at most :data:`FFT_MAX_GROUP_WIDTH` channels per group (the
    tiny and small sizes) the same convolution is computed through the FFT
    (:func:`asrkit.models.ops.fft_conv1d`): oneDNN runs a 128-tap grouped conv's backward
    far below the machine's matmul rate (a tiny fine-tuning step spent ~15% of its time
    there), while the FFT form is 3-8x faster forward + backward at these widths. Without a backward
    (decoding, validation, a frozen encoder) oneDNN's forward alone is as fast or faster for
    one utterance, and at base width (48 channels per group) the frequency-domain weight
    outgrows the work saved, so the direct conv runs there.
    """

    def __init__(self, dim: int, kernel: int, groups: int) -> None:
        super().__init__()
        conv = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=groups)
        nn.init.normal_(conv.weight, mean=0.0, std=math.sqrt(4.0 / (kernel * dim)))
        nn.init.zeros_(conv.bias)
        self.conv = nn.utils.parametrizations.weight_norm(conv, name="weight", dim=2)
        self.remove = 1 if kernel % 2 == 0 else 0  # SamePad: an even kernel yields one extra frame
        self.use_fft = dim // groups <= FFT_MAX_GROUP_WIDTH

    def forward(self, x: torch.Tensor, chunk: int | None = None) -> torch.Tensor:  # [B, T, D] -> [B, T, D]
        """``chunk``: streaming, no tap reads past the frame's chunk of ``chunk`` frames
        (:func:`asrkit.models.streaming.chunked_pos_conv`)."""
        x = x.transpose(1, 2)
        backward = torch.is_grad_enabled() and (x.requires_grad or self.conv.bias.requires_grad)
        fft = self.use_fft and backward and x.device.type == "cpu"
        conv = self.conv
        if chunk is not None and chunk < x.shape[-1]:
            kernel = self._fft_kernel if fft else self._direct_kernel
            y = streaming.chunked_pos_conv(x, conv.weight, conv.bias, conv.groups, chunk, kernel)
        elif fft:
            y = ops.fft_conv1d(x, conv.weight, conv.bias, conv.groups, conv.padding[0]).to(x.dtype)
        else:
            y = self.conv(x)
            if self.remove:
                y = y[:, :, : -self.remove]
        return F.gelu(y).transpose(1, 2)

    def step(self, x: torch.Tensor, past: torch.Tensor) -> torch.Tensor:
        """Streaming: the output ``[B, n, D]`` for one chunk ``x [B, n, D]`` given the
        ``K/2`` frames before it ``past [B, K/2, D]`` (zeros before the stream's start)."""
        conv, half = self.conv, self.conv.weight.shape[-1] // 2
        window = torch.cat([past, x], 1).transpose(1, 2)
        y = self._direct_kernel(window, conv.weight[..., :half], conv.bias, half)[..., half:]
        y = y + self._direct_kernel(x.transpose(1, 2), conv.weight[..., half:], None, 0)
        return F.gelu(y).transpose(1, 2)

    def _direct_kernel(self, x, weight, bias, left):
        """``y_t = Σ_k w_k x_{t+k−left}`` over ``x``'s frames, zeros outside."""
        return F.conv1d(F.pad(x, (left, weight.shape[-1] - 1 - left)), weight, bias,
                        groups=self.conv.groups)

    def _fft_kernel(self, x, weight, bias, left):
        extra = max(0, left - weight.shape[-1] + 1)  # the FFT form reads at most K − 1 back
        y = ops.fft_conv1d(F.pad(x, (extra, 0)), weight, bias, self.conv.groups, left - extra)
        return y[..., : x.shape[-1]].to(x.dtype)


class SelfAttention(nn.Module):
    """Multi-head self-attention with one fused QKV projection and
    ``F.scaled_dot_product_attention`` (fairseq ``MultiheadAttention`` with separate
    ``q_proj``/``k_proj``/``v_proj``; importers concatenate them)."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.in_proj = nn.Linear(dim, 3 * dim)
        self.out_proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None,
                cache: streaming.AttentionCache | None = None) -> torch.Tensor:
        """``cache``: streaming, the keys and values of earlier chunks come first."""
        batch, steps, dim = x.shape
        qkv = self.in_proj(x).view(batch, steps, 3, self.heads, dim // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each [B, H, T, d_head]
        if cache is not None:
            k, v = cache.extend(k, v)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=self.dropout if self.training else 0.0
        )
        return self.out_proj(y.transpose(1, 2).reshape(batch, steps, dim))


class EncoderLayer(nn.Module):
    """Transformer block, post-LN (base) or pre-LN (``layer_norm_first``, large/XLSR)
    (fairseq ``TransformerSentenceEncoderLayer``)."""

    def __init__(self, cfg: Wav2Vec2Config) -> None:
        super().__init__()
        dim = cfg.encoder_dim
        self.layer_norm_first = cfg.layer_norm_first
        self.attention = SelfAttention(dim, cfg.encoder_heads, cfg.attention_dropout)
        self.self_attn_layer_norm = nn.LayerNorm(dim, eps=cfg.layer_norm_eps)
        self.fc1 = nn.Linear(dim, cfg.encoder_ffn_dim)
        self.fc2 = nn.Linear(cfg.encoder_ffn_dim, dim)
        self.final_layer_norm = nn.LayerNorm(dim, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)
        self.activation_dropout = nn.Dropout(cfg.activation_dropout)

    def feed_forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.fc2(self.activation_dropout(F.gelu(self.fc1(x)))))

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None,
                cache: streaming.AttentionCache | None = None) -> torch.Tensor:
        if self.layer_norm_first:
            x = x + self.dropout(self.attention(self.self_attn_layer_norm(x), attn_mask, cache))
            return x + self.feed_forward(self.final_layer_norm(x))
        x = self.self_attn_layer_norm(x + self.dropout(self.attention(x, attn_mask, cache)))
        return self.final_layer_norm(x + self.feed_forward(x))


class TransformerEncoder(nn.Module):
    """Context network: positional conv, Transformer layers with LayerDrop, final LayerNorm
    (after the embedding for post-LN, after the last layer for pre-LN)."""

    def __init__(self, cfg: Wav2Vec2Config) -> None:
        super().__init__()
        self.layer_norm_first = cfg.layer_norm_first
        self.layerdrop = cfg.layerdrop
        self.pos_conv = PositionalConvEmbedding(
            cfg.encoder_dim, cfg.pos_conv_kernel, cfg.pos_conv_groups
        )
        self.layer_norm = nn.LayerNorm(cfg.encoder_dim, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)
        self.layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.encoder_layers))
        for module in self.layers.modules():  # fairseq ``init_bert_params``
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
                nn.init.zeros_(module.bias)

    def forward(
        self, x: torch.Tensor, padding_mask: torch.Tensor | None, return_hidden_states: bool = False,
        chunking: streaming.Chunking | None = None,
    ) -> tuple[torch.Tensor, list[torch.Tensor] | None]:
        """``chunking``: streaming mode, attention and positional conv bounded by chunks
        (:mod:`asrkit.models.streaming`); a chunk holding every frame is the full context."""
        attn_mask = None
        if padding_mask is not None:
            x = x.masked_fill(padding_mask[..., None], 0.0)  # the positional conv must see zeros
            attn_mask = padding_mask.logical_not()[:, None, None, :]  # [B, 1, 1, T]
        chunk = None
        if chunking is not None and not chunking.covers(x.shape[1]):
            chunk, steps = chunking.frames, x.shape[1]
            visible = streaming.chunk_attention_mask(steps, chunk, chunking.left_chunks, x.device)
            if attn_mask is not None:  # a padding frame sees itself: no query without keys
                eye = torch.eye(steps, dtype=torch.bool, device=x.device)
                visible = (visible & attn_mask) | eye
            attn_mask = visible if visible.dim() == 4 else visible[None, None]
        x = x + self.pos_conv(x, chunk)
        if not self.layer_norm_first:
            x = self.layer_norm(x)
        x = self.dropout(x)
        states = [x] if return_hidden_states else None
        for layer in self.layers:
            if self.training and self.layerdrop > 0 and float(torch.rand(())) < self.layerdrop:
                if states is not None:
                    states.append(x)
                continue
            x = layer(x, attn_mask)
            if states is not None:
                states.append(x)
        if self.layer_norm_first:
            x = self.layer_norm(x)
        return x, states


@dataclass
class Features:
    """Feature encoder and projection outputs for one batch."""

    raw: torch.Tensor  # [B, T, C] the feature encoder's latents z (feature penalty)
    normed: torch.Tensor  # [B, T, C] after LayerNorm: the quantizer's input
    projected: torch.Tensor  # [B, T, D] after projection and dropout_input: the encoder's input
    lengths: torch.Tensor  # [B] valid frames
    padding_mask: torch.Tensor | None  # [B, T] True on padding; None when nothing is padded


@dataclass
class EncoderOutput:
    hidden: torch.Tensor  # [B, T, D] context vectors (padding frames hold no meaning)
    lengths: torch.Tensor  # [B] valid frames
    padding_mask: torch.Tensor | None  # [B, T] True on padding, None when nothing is padded
    # encoder input after the positional embedding, then every layer's output (L + 1 tensors;
    # pre-LN models' last entry is before the final LayerNorm that ``hidden`` has)
    hidden_states: list[torch.Tensor] | None = None
    time_mask: torch.Tensor | None = None  # [B, T] frames replaced by the mask embedding


class Wav2Vec2Model(nn.Module):
    """Encoder for fine-tuning and feature extraction: input → context vectors.

    ``inputs`` is a waveform ``[B, S]`` (16 kHz) or, with ``frontend="fbank"``, fbank
    ``[B, T, n_mels]``; ``lengths`` counts valid samples (frames) per item.
    """

    def __init__(self, cfg: Wav2Vec2Config) -> None:
        super().__init__()
        self.cfg = cfg
        if cfg.frontend == "waveform":
            self.feature_encoder = FeatureEncoder(cfg.conv_layers, cfg.extractor_mode, cfg.conv_bias)
        else:
            self.feature_encoder = FbankFeatureEncoder(cfg.n_mels, cfg.fbank_conv_layers)
        self.feature_projection = FeatureProjection(
            cfg.feature_dim, cfg.encoder_dim, cfg.dropout_input, cfg.layer_norm_eps
        )
        self.mask_emb = nn.Parameter(torch.empty(cfg.encoder_dim).uniform_())
        self.encoder = TransformerEncoder(cfg)
        self.feature_grad_mult = cfg.feature_grad_mult
        self.receptive_field = receptive_field(cfg.feature_encoder_layers)

    def freeze_feature_encoder(self) -> None:
        """Stop training the feature encoder (fairseq ``feature_grad_mult=0``)."""
        for p in self.feature_encoder.parameters():
            p.requires_grad_(False)
        self.feature_grad_mult = 0.0

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames the feature encoder makes of ``lengths`` input samples (or fbank frames)."""
        return conv_output_lengths(lengths, self.cfg.feature_encoder_layers)

    def _check_lengths(self, inputs: torch.Tensor, lengths: torch.Tensor | None) -> bool:
        """Check ``lengths`` against the padded ``inputs``; True when no input is padded.

        One host read for the three facts (shortest, longest, all full), not one each.
        """
        if lengths is None:
            return True
        if lengths.shape[0] != inputs.shape[0]:
            raise ValueError(f"{lengths.shape[0]} lengths for a batch of {inputs.shape[0]}")
        short, long, full = torch.stack(
            [lengths.min(), lengths.max(), (lengths == inputs.shape[1]).all().long()]).tolist()
        if long > inputs.shape[1]:
            raise ValueError(f"a length of {long} exceeds the padded input size {inputs.shape[1]}")
        if short < self.receptive_field:
            unit = "samples" if self.cfg.frontend == "waveform" else "frames"
            raise ValueError(
                f"an input of {short} {unit} is shorter than the feature encoder's receptive field "
                f"({self.receptive_field} {unit}) and yields no frame; drop such utterances "
                "before training (e.g. a minimum-duration filter on the data dir)"
            )
        return bool(full)

    def latents(self, inputs: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """The feature encoder's latents z ``[B, C, T]`` (waveform normalization included).
        An utterance's valid frames do not depend on the batch it is in (padding-exact norms),
        which is what lets :class:`asrkit.train.latent_cache.LatentCache` reuse them."""
        return self._latents(inputs, lengths, self._check_lengths(inputs, lengths))

    def _latents(self, inputs: torch.Tensor, lengths: torch.Tensor | None, full: bool,
                 chunk: int | None = None) -> torch.Tensor:
        """``chunk``: streaming, per-utterance statistics over what has arrived
        (:func:`asrkit.models.streaming.prefix_normalize`)."""
        if lengths is None:
            lengths = torch.full((inputs.shape[0],), inputs.shape[1], device=inputs.device)
        if self.cfg.frontend == "waveform" and self.cfg.normalize_waveform:
            if chunk is None:
                inputs = ops.utterance_mvn(inputs[..., None], lengths)[..., 0]
            else:
                inputs = self.feature_encoder.prefix_mvn(inputs[:, None], lengths, chunk)[:, 0]
        with torch.set_grad_enabled(torch.is_grad_enabled() and self.feature_grad_mult > 0):
            if chunk is None:
                return self.feature_encoder(inputs, None if full else lengths)
            return self.feature_encoder(inputs, lengths, chunk)

    def _stream_chunk(self, chunking: streaming.Chunking | None, steps: int) -> int | None:
        """The chunk size a forward pass over ``steps`` input units runs with (None: full context)."""
        if chunking is None or chunking.covers(int(self.output_lengths(torch.tensor(steps)))):
            return None
        if self.cfg.frontend == "waveform" and self.cfg.normalize_waveform \
                and self.cfg.extractor_mode == "group_norm":
            raise ValueError("streaming needs at most one per-utterance normalization in the "
                             "feature encoder; this model has normalize_waveform and a GroupNorm")
        return chunking.frames

    def extract_features(
        self, inputs: torch.Tensor, lengths: torch.Tensor | None = None, z: torch.Tensor | None = None,
        chunking: streaming.Chunking | None = None,
    ) -> Features:
        """Feature encoder, LayerNorm and projection (no masking); ``z`` = :meth:`latents`
        when already computed (a frozen feature encoder's cached latents); ``chunking``:
        streaming mode (:mod:`asrkit.models.streaming`)."""
        full = self._check_lengths(inputs, lengths)
        if lengths is None:
            lengths = torch.full((inputs.shape[0],), inputs.shape[1], device=inputs.device)
        chunk = self._stream_chunk(chunking, inputs.shape[1])
        if z is not None and chunk is not None:
            raise ValueError("cached latents are full-context ones; a chunked pass computes its own")
        if z is None:
            z = self._latents(inputs, lengths, full, chunk)
        if self.feature_grad_mult not in (0.0, 1.0) and z.requires_grad:
            z = ops.GradMultiply.apply(z, self.feature_grad_mult)
        z = z.transpose(1, 2)  # [B, T, C]
        out_lengths = self.output_lengths(lengths)
        padding_mask = None if full else masking.lengths_to_padding_mask(out_lengths, z.shape[1])
        normed, projected = self.feature_projection(z)
        return Features(z, normed, projected, out_lengths, padding_mask)

    def apply_masks(
        self,
        x: torch.Tensor,
        lengths: torch.Tensor,
        mask_time: bool = True,
        mask_channel: bool = True,
        time_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Replace masked frames by the learned mask embedding and zero masked channels
        (fairseq ``apply_mask``; SpecAugment-like when fine-tuning). ``time_mask`` gives
        the frames explicitly; otherwise they are drawn with the config's probabilities."""
        cfg = self.cfg
        batch, steps, dim = x.shape
        if time_mask is None and mask_time and cfg.mask_time_prob > 0:
            time_mask = masking.compute_span_mask(
                lengths, steps, cfg.mask_time_prob, cfg.mask_time_length, cfg.mask_time_min_masks
            )
        if time_mask is not None:
            x = torch.where(time_mask[..., None], self.mask_emb.to(x.dtype), x)
        if mask_channel and cfg.mask_channel_prob > 0:
            channels = torch.full((batch,), dim, device=x.device)
            channel_mask = masking.compute_span_mask(
                channels, dim, cfg.mask_channel_prob, cfg.mask_channel_length,
                cfg.mask_channel_min_masks,
            )
            x = x.masked_fill(channel_mask[:, None, :], 0.0)
        return x, time_mask

    def forward(
        self,
        inputs: torch.Tensor,
        lengths: torch.Tensor | None = None,
        mask_time: bool = False,
        mask_channel: bool = False,
        time_mask: torch.Tensor | None = None,
        return_hidden_states: bool = False,
        z: torch.Tensor | None = None,
        chunking: streaming.Chunking | None = None,
    ) -> EncoderOutput:
        """Context vectors. Masking happens only when asked for (``mask_time``,
        ``mask_channel`` or an explicit ``time_mask``), in train or eval mode alike.
        ``z``: :meth:`latents` of ``inputs``, when computed already. ``chunking``: the
        streaming model, every frame bounded by its chunk (:mod:`asrkit.models.streaming`)."""
        feats = self.extract_features(inputs, lengths, z, chunking)
        x, time_mask = self.apply_masks(
            feats.projected, feats.lengths, mask_time, mask_channel, time_mask
        )
        hidden, states = self.encoder(x, feats.padding_mask, return_hidden_states, chunking)
        return EncoderOutput(hidden, feats.lengths, feats.padding_mask, states, time_mask)


@dataclass
class PreTrainingOutput:
    loss: torch.Tensor  # Σ over masked frames of L_m, plus N·(α·L_d + λ_s·ICSL + β·pen)
    sample_size: int  # N, the number of masked frames
    logs: dict[str, float | torch.Tensor]  # per-frame means and diagnostics (0-dim tensors)
    logits: torch.Tensor  # [N, 1 + K] contrastive logits, positive first
    time_mask: torch.Tensor  # [B, T]


class Wav2Vec2ForPreTraining(nn.Module):
    """wav2vec 2.0 with quantizer and contrastive head (fairseq ``Wav2Vec2Model`` with
    ``quantize_targets=True``).

    ``forward`` returns what a trainer task needs: ``loss`` summed over masked frames,
    ``sample_size`` = their number, and ``logs`` with ``contrastive`` (mean per masked
    frame), ``diversity``, ``icsl``, ``feature_pen``, ``code_perplexity``,
    ``prob_perplexity``, ``accuracy``, ``temperature``, ``num_masked`` and the codebook's
    health (:func:`~asrkit.models.quantizer.codebook_health`: ``cos_within``,
    ``cos_between``, ``codes_used``, ``codevectors_distinct``).
    """

    def __init__(
        self, cfg: Wav2Vec2Config, loss_cfg: objectives.PreTrainingLossConfig | None = None
    ) -> None:
        super().__init__()
        if cfg.mask_time_prob <= 0:
            raise ValueError("pretraining needs time masking: set mask_time_prob > 0 (fairseq: 0.65)")
        self.cfg = cfg
        self.loss_cfg = loss_cfg or objectives.PreTrainingLossConfig()
        self.wav2vec2 = Wav2Vec2Model(cfg)
        self.dropout_features = nn.Dropout(cfg.dropout_features)
        self.quantizer = GumbelVectorQuantizer(
            cfg.feature_dim,
            cfg.num_codevector_groups,
            cfg.num_codevectors_per_group,
            cfg.codevector_dim,
            cfg.gumbel_temperature,
            cfg.codevector_init,
        )
        self.project_q = nn.Linear(cfg.codevector_dim, cfg.final_dim)
        self.final_proj = nn.Linear(cfg.encoder_dim, cfg.final_dim)
        self.num_updates = 0

    def set_num_updates(self, num_updates: int) -> None:
        """Advance the Gumbel temperature schedule to update ``num_updates``."""
        self.num_updates = num_updates
        self.quantizer.set_num_updates(num_updates)

    def forward(
        self,
        inputs: torch.Tensor,
        lengths: torch.Tensor | None = None,
        time_mask: torch.Tensor | None = None,
        negatives: torch.Tensor | None = None,
    ) -> PreTrainingOutput:
        """Mask, encode, quantize the masked frames' unmasked features, score the contrastive
        task. ``time_mask [B, T]`` and ``negatives [N, K]`` (masked-step numbering, see
        :mod:`asrkit.models.masking`) may be given to reproduce another implementation's
        draw; by default both are sampled here."""
        loss_cfg = self.loss_cfg
        feats = self.wav2vec2.extract_features(inputs, lengths)
        if time_mask is not None and feats.padding_mask is not None:
            if bool((time_mask & feats.padding_mask).any()):
                raise ValueError("time_mask marks padding frames as masked")
        x, time_mask = self.wav2vec2.apply_masks(
            feats.projected, feats.lengths, mask_time=True, mask_channel=True, time_mask=time_mask
        )
        context, _ = self.wav2vec2.encoder(x, feats.padding_mask)

        counts = time_mask.sum(1)
        first = counts.cumsum(0) - counts
        if negatives is None:
            negatives, valid = masking.sample_negatives(time_mask, loss_cfg.num_negatives)
        else:
            valid = torch.ones_like(negatives, dtype=torch.bool)
        quantized = self.quantizer(self.dropout_features(feats.normed[time_mask]))  # [N, ...]
        targets = self.project_q(quantized.vectors)
        predictions = self.final_proj(context[time_mask])
        logits = objectives.contrastive_logits(
            predictions, targets, negatives, valid, quantized.codes, first, counts,
            loss_cfg.logit_temp,
        )

        sample_size = predictions.shape[0]  # the masked frames, known since the mask selected them
        contrastive = objectives.contrastive_loss(logits)
        diversity = objectives.diversity_loss(
            quantized.prob_perplexity, self.quantizer.num_groups, self.quantizer.num_vars
        )
        icsl = objectives.icsl(self.quantizer.codevectors, loss_cfg.icsl_form)
        pen = objectives.feature_penalty(feats.raw, feats.padding_mask)
        extra = loss_cfg.diversity_weight * diversity + loss_cfg.feature_pen_weight * pen
        if loss_cfg.icsl_weight:
            extra = extra + loss_cfg.icsl_weight * icsl
        loss = contrastive + sample_size * extra
        # 0-dim tensors, not floats: reading each one would stall a GPU (the trainer reads
        # them all at once per update)
        logs = {
            "contrastive": contrastive.detach() / max(sample_size, 1),
            "diversity": diversity.detach(),
            "icsl": icsl.detach(),
            "feature_pen": pen.detach(),
            "code_perplexity": quantized.code_perplexity.detach(),
            "prob_perplexity": quantized.prob_perplexity.detach(),
            "accuracy": objectives.contrastive_accuracy(logits.detach()),
            "temperature": float(self.quantizer.temperature),
            "num_masked": float(sample_size),
            **codebook_health(self.quantizer.codevectors, quantized.codes),
        }
        return PreTrainingOutput(loss, sample_size, logs, logits, time_mask)
