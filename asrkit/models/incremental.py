"""Streaming decoding of a wav2vec 2.0 CTC model: input in, log-probs out, chunk by chunk.

::

    stream = IncrementalCTC(model, Chunking(frames=32, left_chunks=4))
    for piece in pieces:                  # samples [n] or fbank frames [n, bins], as they arrive
        lp = stream.accept(piece)         # [frames, V]: every chunk this piece completed
    lp = stream.finish()                  # the last, partial chunk

It computes exactly what the model computes offline with ``chunking`` (the chunk mask of
:mod:`asrkit.models.streaming`), from bounded state:

- **feature encoder**: the input units not yet used, the normalized frames the next chunk's
  convs still read, and running sums of the per-utterance statistics (float64);
- **positional conv**: the ``K/2`` projected frames before the chunk (its past taps);
- **attention**: per layer, the keys and values of the last ``left_chunks`` chunks
  (all of them with ``left_chunks = -1``, which grows with the stream).

A chunk is computed as soon as the input holds its last frame's receptive field; it never
waits for later audio, so the algorithmic latency is
:func:`asrkit.models.streaming.algorithmic_latency_ms` with :func:`frontend_lookahead_ms`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from asrkit.models.ctc import CTCModel
from asrkit.models.frontend import FbankFeatureEncoder, conv_output_lengths, receptive_field
from asrkit.models.streaming import AttentionCache, Chunking, prefix_stats
from asrkit.models.wav2vec2 import Wav2Vec2Model


def frontend_lookahead_ms(model: CTCModel, unit_ms: float, window_ms: float | None = None) -> float:
    """How far past an output frame's end its input reaches (ms): the feature encoder's
    receptive field beyond its stride, plus an fbank frame's window beyond its shift
    (``window_ms``; ``unit_ms`` is the input unit: a sample or an fbank shift)."""
    layers = model.encoder.cfg.feature_encoder_layers
    jump = math.prod(stride for _, _, stride in layers)
    extra = (window_ms - unit_ms) if window_ms is not None else 0.0
    return (receptive_field(layers) - jump) * unit_ms + extra


class IncrementalCTC:
    """One stream through a wav2vec 2.0 CTC model in chunked mode (eval mode, batch of one)."""

    def __init__(self, model: CTCModel, chunking: Chunking) -> None:
        if not isinstance(model.encoder, Wav2Vec2Model):
            raise ValueError("streaming decoding is implemented for wav2vec 2.0 encoders, not the Conformer")
        self.model = model.eval()
        self.encoder: Wav2Vec2Model = model.encoder
        self.chunking = chunking
        cfg = self.encoder.cfg
        blocks = list(self.encoder.feature_encoder.conv_layers)
        layers = list(cfg.feature_encoder_layers)
        # where the per-utterance normalization sits, and the convs before and after it
        self.pre = None  # the conv computing the normalized level from the input
        self.affine = None  # the GroupNorm's weight and bias
        self.normalize = True
        if isinstance(self.encoder.feature_encoder, FbankFeatureEncoder) or cfg.normalize_waveform:
            if cfg.frontend == "waveform" and cfg.extractor_mode == "group_norm":
                raise ValueError("streaming needs at most one per-utterance normalization in the "
                                 "feature encoder; this model has normalize_waveform and a GroupNorm")
            self.post, self.post_layers = blocks, layers
        elif cfg.extractor_mode == "group_norm":
            first = blocks[0]
            self.pre, self.pre_layer = first.conv, layers[0]
            self.affine = (first.group_norm.weight, first.group_norm.bias, first.group_norm.eps)
            self.post, self.post_layers = blocks[1:], layers[1:]
        else:  # LayerNorm convs: nothing per utterance
            self.normalize = False
            self.post, self.post_layers = blocks, layers
        self.jump = math.prod(stride for _, _, stride in self.post_layers)
        self.field = receptive_field(self.post_layers)
        self.reset()

    def reset(self) -> None:
        """Start a new stream."""
        dim = self.encoder.cfg.encoder_dim
        self.raw: torch.Tensor | None = None  # input units not yet used by the level's frames
        self.raw_offset = 0  # stream index of raw[0]
        self.raw_total = 0
        self.level: torch.Tensor | None = None  # normalized level frames [C, n] still read
        self.level_offset = 0
        self.level_done = 0  # level frames normalized so far
        self.sums = self.squares = None
        self.emitted = 0  # output frames computed
        param = next(self.model.parameters())
        half = self.encoder.encoder.pos_conv.conv.weight.shape[-1] // 2
        self.pos_past = torch.zeros(1, half, dim, dtype=param.dtype, device=param.device)
        frames, left = self.chunking.frames, self.chunking.left_chunks
        keep = None if left < 0 else left * frames
        self.caches = [AttentionCache(keep) for _ in self.encoder.encoder.layers]

    # ------------------------------------------------------------------------ the stream

    @torch.inference_mode()
    def accept(self, piece: torch.Tensor) -> torch.Tensor:
        """Add input units (``[n]`` samples or ``[n, bins]`` fbank frames); the log-probs
        ``[frames, V]`` of every chunk now complete."""
        piece = piece.to(self.pos_past.device)
        self.raw = piece if self.raw is None else torch.cat([self.raw, piece])
        self.raw_total += piece.shape[0]
        out = []
        chunk = self.chunking.frames
        while True:
            edge = (self.emitted + chunk - 1) * self.jump + self.field  # level frames needed
            if self._level_available() < edge:
                break
            out.append(self._chunk(self.emitted + chunk, edge))
        return self._cat(out)

    @torch.inference_mode()
    def finish(self) -> torch.Tensor:
        """End of input: the log-probs of the last, partial chunk (every level frame counts)."""
        total = self._level_available()
        frames = int(conv_output_lengths(torch.tensor(total), self.post_layers)) if total >= self.field else 0
        out = [self._chunk(frames, total)] if frames > self.emitted else []
        return self._cat(out)

    def _cat(self, out: list[torch.Tensor]) -> torch.Tensor:
        if out:
            return torch.cat(out)
        return torch.zeros(0, self.model.head.out_features)

    def _level_available(self) -> int:
        if self.pre is None:
            return self.raw_total
        kernel, stride = self.pre_layer[1], self.pre_layer[2]
        return max(0, (self.raw_total - kernel) // stride + 1)

    # ----------------------------------------------------------------------- one chunk

    def _chunk(self, end: int, edge: int) -> torch.Tensor:
        """Output frames ``[emitted, end)``, the level's first ``edge`` frames having arrived."""
        self._normalize_up_to(edge)
        start = self.emitted
        first = start * self.jump
        x = self.level[:, first - self.level_offset:(end - 1) * self.jump + self.field - self.level_offset]
        x = x[None]
        for block in self.post:
            x = block(x, None)
        keep = end * self.jump  # the next chunk's first frame reads from here
        self.level, self.level_offset = self.level[:, keep - self.level_offset:], keep
        z = x.transpose(1, 2)  # [1, n, C]
        _, x = self.encoder.feature_projection(z)
        hidden = self._context(x)
        self.emitted = end
        out = self.model(None, None, hidden=hidden, hidden_lengths=torch.tensor([hidden.shape[1]]))
        return out.log_probs[0].float().cpu()

    def _normalize_up_to(self, edge: int) -> None:
        """Normalize level frames ``[level_done, edge)`` with the statistics of ``[0, edge)``."""
        if edge <= self.level_done:
            return
        if self.pre is None:
            new = self.raw[self.level_done - self.raw_offset:edge - self.raw_offset]
            new = new.T if new.dim() == 2 else new[None]  # [C, n]
            drop = edge
        else:
            kernel, stride = self.pre_layer[1], self.pre_layer[2]
            lo, hi = self.level_done * stride, (edge - 1) * stride + kernel
            new = self.pre(self.raw[lo - self.raw_offset:hi - self.raw_offset][None, None])[0]
            drop = edge * stride
        self.raw, self.raw_offset = self.raw[drop - self.raw_offset:], drop
        new = new.to(self.pos_past.dtype)
        if self.normalize:
            sums, squares = new.sum(-1).double(), (new * new).sum(-1).double()
            if self.sums is None:
                self.sums, self.squares = sums, squares
            else:
                self.sums, self.squares = self.sums + sums, self.squares + squares
            eps = self.affine[2] if self.affine else 1e-5
            mean, rstd = prefix_stats(self.sums, self.squares, torch.tensor(float(edge), dtype=torch.float64), eps)
            new = (new - mean[:, None].to(new.dtype)) * rstd[:, None].to(new.dtype)
            if self.affine:
                new = F.gelu(new * self.affine[0][:, None] + self.affine[1][:, None])
        self.level = new if self.level is None else torch.cat([self.level, new], 1)
        self.level_done = edge

    def _context(self, x: torch.Tensor) -> torch.Tensor:
        """The context network on one chunk ``[1, n, D]`` (eval mode: no dropout)."""
        enc = self.encoder.encoder
        pos = enc.pos_conv.step(x, self.pos_past)
        half = self.pos_past.shape[1]
        self.pos_past = torch.cat([self.pos_past, x], 1)[:, -half:]
        x = x + pos
        if not enc.layer_norm_first:
            x = enc.layer_norm(x)
        for layer, cache in zip(enc.layers, self.caches):
            x = layer(x, None, cache)
        if enc.layer_norm_first:
            x = enc.layer_norm(x)
        return x


def stream_log_probs(model: CTCModel, inputs: torch.Tensor, chunking: Chunking,
                     piece: int) -> torch.Tensor:
    """The log-probs ``[T, V]`` of one input fed ``piece`` units at a time."""
    stream = IncrementalCTC(model, chunking)
    out = [stream.accept(inputs[i:i + piece]) for i in range(0, inputs.shape[0], piece)]
    out.append(stream.finish())
    return torch.cat(out)
