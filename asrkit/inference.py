"""A trained CTC experiment, loaded for inference: what decoding, transcription, export and
explanations share.

::

    from asrkit.inference import Recognizer, load_for_inference

    model, tokenizer = load_for_inference("exp/asr_tiny")          # model.pt + tokenizer/
    rec = Recognizer(model, decoder, torch.device("cpu"), units_per_second=100, chunk_seconds=30)
    nbest = rec(batch.inputs, batch.lengths)                      # one N-best list per utterance

The model carries its own input normalization (the training set's CMVN is a buffer of
:class:`~asrkit.models.ctc.CTCModel`), so it takes the features stage 2 dumped as they are.
"""

from __future__ import annotations

from pathlib import Path

import torch

from asrkit.layout import MODEL_FILE, TOKENIZER_DIR
from asrkit.models import load as load_model
from asrkit.models.ctc import CTCModel
from asrkit.text.tokenizer import Tokenizer, load_tokenizer


class NotACTCModel(ValueError):
    """The checkpoint holds another kind of model than a fine-tuned CTC model."""


def resolve_device(name: str) -> torch.device:
    """``auto`` (a GPU when there is one), ``cpu``, ``cuda`` or ``cuda:N``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def input_stride(model: CTCModel) -> int:
    """Input units (samples or fbank frames) per output frame."""
    first = model.min_input_length
    frames = model.output_lengths(torch.arange(first, first + 4097))
    return int(torch.nonzero(frames > 1)[0, 0])


def load_for_inference(model_dir: str | Path, checkpoint: str = MODEL_FILE) -> tuple[CTCModel, Tokenizer]:
    """The CTC model (in eval mode, on the CPU) and tokenizer of a fine-tuning experiment.

    ``model_dir`` is the experiment directory (``checkpoint`` names the file in it:
    ``model.pt``, the averaged model stage 4 writes, or ``checkpoint_best.pt``, ...) or a
    checkpoint file whose folder holds ``tokenizer/``.
    """
    model_dir = Path(model_dir)
    path = model_dir / checkpoint if model_dir.is_dir() else model_dir
    model, ckpt = load_model(path)
    if not isinstance(model, CTCModel):
        raise NotACTCModel(f"{path} holds a '{ckpt['kind']}' model; inference needs a fine-tuned CTC "
                           "model (stage 4's model.pt)")
    return model.eval(), load_tokenizer(path.parent / TOKENIZER_DIR)


class Recognizer:
    """Model + decoder over padded batches; inputs longer than ``chunk_seconds`` are encoded
    chunk by chunk so no input runs out of memory, and inputs too short for one output
    frame are padded to give one."""

    def __init__(self, model: CTCModel, decoder, device: torch.device, units_per_second: float,
                 chunk_seconds: float):
        self.model = model.to(device)
        self.decoder = decoder
        self.device = device
        self.min_length = model.min_input_length
        self.chunk = max(int(chunk_seconds * units_per_second), self.min_length)

    @torch.inference_mode()
    def log_probs(self, inputs: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        inputs, lengths = inputs.to(self.device), lengths.to(self.device)
        if inputs.shape[1] < self.min_length:  # too short for one frame: pad to give one
            pad = [0, 0] * (inputs.dim() - 2) + [0, self.min_length - inputs.shape[1]]
            inputs = torch.nn.functional.pad(inputs, pad)
        lengths = lengths.clamp(min=self.min_length)
        if inputs.shape[1] <= self.chunk:
            out = self.model(inputs, lengths)
            return out.log_probs.cpu(), out.lengths.cpu()
        pieces = []
        for start in range(0, inputs.shape[1], self.chunk):  # one long utterance at a time
            piece = inputs[:, start:start + self.chunk]
            if piece.shape[1] < self.min_length:
                break
            out = self.model(piece, torch.tensor([piece.shape[1]], device=self.device))
            pieces.append(out.log_probs[:, : int(out.lengths[0])].cpu())
        lp = torch.cat(pieces, dim=1)
        return lp, torch.tensor([lp.shape[1]])

    def __call__(self, inputs: torch.Tensor, lengths: torch.Tensor):
        lp, n = self.log_probs(inputs, lengths)
        return self.decoder(lp, n)


def batches_by_length(lengths: list[int], batch_bins: int, chunk: int) -> list[list[int]]:
    """Indices sorted by length, grouped so that Σ padded length ≤ ``batch_bins``; inputs
    longer than ``chunk`` go alone (they are chunked)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    out: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if lengths[i] > chunk:
            out.append([i])
            continue
        if current and lengths[current[0]] * (len(current) + 1) > batch_bins:
            out.append(current)
            current = []
        current.append(i)
    if current:
        out.append(current)
    return out
