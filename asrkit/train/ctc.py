"""What every stage that trains a CTC head needs (fine-tuning, BL-JUST): the tokenizer built
once per experiment, the filter that drops utterances CTC cannot align, and greedy error
counts for validation."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from asrkit import wer
from asrkit.data import DataDir
from asrkit.decoding import greedy_search
from asrkit.layout import TOKENIZER_DIR
from asrkit.text.normalize import TextNormalizer
from asrkit.text.tokenizer import Tokenizer, build_tokenizer, load_tokenizer
from asrkit.train.datasets import Batch

log = logging.getLogger(__name__)


@dataclass
class TokenizerConfig:
    kind: Literal["char", "unigram", "bpe"] = "char"
    vocab_size: int = 256  # SentencePiece only
    normalizer: str = "default"  # preset of asrkit.text.normalize.TextNormalizer


def make_tokenizer(cfg: TokenizerConfig, train_data: Path, exp: Path) -> Tokenizer:
    """The experiment's tokenizer: trained on ``train_data``'s text once, then loaded.

    It is built in a temporary folder renamed into place, so a killed run or a second
    process never sees half of it.
    """
    tok_dir = exp / TOKENIZER_DIR
    if (tok_dir / "tokenizer.json").is_file():
        return load_tokenizer(tok_dir)
    texts = DataDir.read(train_data).text
    if not texts:
        raise ValueError(f"{train_data}: no text file; CTC training needs transcripts")
    exp.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{TOKENIZER_DIR}.", dir=exp))
    try:
        build_tokenizer(cfg.kind, texts, tmp, normalizer=cfg.normalizer, vocab_size=cfg.vocab_size)
        shutil.rmtree(tok_dir, ignore_errors=True)  # a tokenizer dir without tokenizer.json
        os.replace(tmp, tok_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    tok = load_tokenizer(tok_dir)
    log.info("tokenizer: %s, %d tokens, saved in %s", cfg.kind, tok.vocab_size, tok_dir)
    return tok


def ctc_min_frames(ids: list[int]) -> int:
    """Frames a CTC alignment of ``ids`` needs: one per token plus a blank between repeats."""
    return len(ids) + sum(1 for a, b in zip(ids, ids[1:]) if a == b)


def alignable(output_lengths):
    """A :class:`~asrkit.train.FeatsDataset` ``keep`` filter: an utterance is dropped when its
    transcript is empty or has more tokens than CTC can align in its output frames
    (``output_lengths(lengths) -> frames``, the model's)."""

    def keep(utt: str, length: int, ids) -> str | None:
        if ids is not None and len(ids) == 0:
            return "empty-transcript"
        frames = int(output_lengths(torch.tensor([length]))[0])
        if ids is not None and frames < ctc_min_frames(list(ids)):
            return f"target-longer-than-frames ({len(ids)} tokens, {frames} frames)"
        return None

    return keep


def greedy_error_counts(log_probs_of, batches: Iterable[Batch], tokenizer: Tokenizer,
                        normalizer: TextNormalizer, device: torch.device) -> dict[str, float]:
    """Word and character error counts of greedy decoding over ``batches`` (one rank's
    validation shard); ``log_probs_of(batch) -> (log_probs [B, T, V], lengths)``."""
    refs, hyps = [], []
    for batch in batches:
        batch = batch.to(device)
        log_probs, lengths = log_probs_of(batch)
        best, _ = greedy_search(log_probs.float(), lengths, tokenizer.blank_id)
        for ids, tgt, n in zip(best, batch.targets.tolist(), batch.target_lengths.tolist()):
            refs.append(tokenizer.decode(tgt[:n]))
            hyps.append(tokenizer.decode(ids))
    if not refs:  # an empty shard (more ranks than validation batches)
        return {"word_errors": 0, "words": 0, "char_errors": 0, "chars": 0}
    return wer.error_counts(refs, hyps, normalizer)
