"""Reuse a frozen wav2vec 2.0 feature encoder's latents across epochs.

fairseq-style fine-tuning freezes the convolutional feature encoder (``feature_grad_mult 0``), so
each epoch recomputes the same latents ``z`` for every utterance: ~20% of a ``tiny`` CPU
step, ~13% of a ``base`` one. Fine-tuning sets are small and seen for many epochs, so
:class:`LatentCache` keeps each utterance's ``z`` (its valid frames, on the CPU) the
first time it is computed and assembles later batches from it.

This is exact, not an approximation: asrkit's feature encoders are padding-exact (the
waveform feature encoder's GroupNorm takes its statistics over the valid samples only; the fbank
feature encoder normalizes per utterance and per frame), so an utterance's latents do not depend
on the batch it lands in, and the Transformer zeroes padded frames before using them. The
feature encoder has no dropout, and fine-tuning inputs are never cropped (utterances with targets
are whole), so the same utterance id always gives the same latents.

The cache holds at most ``max_mb`` megabytes; utterances met once it is full are computed
each time, as without a cache. One cache per data set (utterance ids are keys).
"""

from __future__ import annotations

import logging

import torch

from asrkit.models.wav2vec2 import Wav2Vec2Model

log = logging.getLogger(__name__)


class LatentCache:
    """Per-utterance latents ``[C, T_u]`` of a frozen :class:`Wav2Vec2Model`."""

    def __init__(self, max_mb: float, name: str = "train") -> None:
        self.max_bytes = int(max_mb * 2**20)
        self.name = name
        self.store: dict[str, torch.Tensor] = {}
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self.full_logged = False

    @staticmethod
    def applies_to(encoder: torch.nn.Module) -> bool:
        """True for a wav2vec 2.0 encoder whose feature encoder is frozen."""
        return isinstance(encoder, Wav2Vec2Model) and encoder.feature_grad_mult == 0.0 and not any(
            p.requires_grad for p in encoder.feature_encoder.parameters()
        )

    def __call__(self, encoder: Wav2Vec2Model, utt_ids: list[str], inputs: torch.Tensor,
                 lengths: torch.Tensor) -> torch.Tensor:
        """``encoder.latents(inputs, lengths)`` ``[B, C, T]``, from the cache where it can.
        Frames past an utterance's length are zero (the encoder masks them)."""
        out_lengths = encoder.output_lengths(lengths).tolist()
        steps = int(encoder.output_lengths(torch.tensor([inputs.shape[1]]))[0])
        missing = [i for i, utt in enumerate(utt_ids) if utt not in self.store]
        self.hits += len(utt_ids) - len(missing)
        self.misses += len(missing)
        computed: dict[int, torch.Tensor] = {}
        if missing:
            index = torch.tensor(missing, device=inputs.device)
            sub_lengths = lengths[index]
            sub_inputs = inputs[index, : int(sub_lengths.max())]
            with torch.no_grad():
                z = encoder.latents(sub_inputs, sub_lengths)
            for row, i in enumerate(missing):
                computed[i] = z[row, :, : out_lengths[i]]
                self._keep(utt_ids[i], computed[i])
            if len(missing) == len(utt_ids) and z.shape[-1] == steps:
                return z.float()  # nothing to assemble
        first = computed[missing[0]] if missing else self.store[utt_ids[0]]
        out = torch.zeros(len(utt_ids), first.shape[0], steps, dtype=torch.float32,
                          device=inputs.device)
        for i, utt in enumerate(utt_ids):
            latents = computed[i] if i in computed else self.store[utt]
            out[i, :, : latents.shape[-1]] = latents.to(out.device, non_blocking=True)
        return out

    def _keep(self, utt: str, latents: torch.Tensor) -> None:
        size = latents.numel() * 4  # stored as float32
        if self.bytes + size > self.max_bytes:
            if not self.full_logged:
                log.info("latent cache (%s) is full at %.0f MB (%d utterances); the rest is "
                         "computed each time (raise finetune.latent_cache_mb to keep more)",
                         self.name, self.bytes / 2**20, len(self.store))
                self.full_logged = True
            return
        # float32 whatever the autocast of the pass that computed them: a pass with
        # another autocast (or none) reads them too
        self.store[utt] = latents.detach().to("cpu", dtype=torch.float32, copy=True)
        self.bytes += size

    def summary(self) -> str:
        total = self.hits + self.misses
        rate = 100.0 * self.hits / total if total else 0.0
        return (f"latent cache ({self.name}): {len(self.store)} utterances, "
                f"{self.bytes / 2**20:.1f} MB, {rate:.0f}% of lookups served")
