"""Greedy (best path) CTC decoding, vectorized over the batch on any device."""

from __future__ import annotations

import torch

from asrkit.decoding.base import Decoder, Hypothesis


def greedy_search(
    log_probs: torch.Tensor, lengths: torch.Tensor, blank_id: int = 0
) -> tuple[list[list[int]], torch.Tensor]:
    """Best-path token ids per utterance (repeats collapsed, blanks dropped) and the
    path's log-probability [B]."""
    best, ids = log_probs.max(dim=-1)  # [B, T]
    frames = torch.arange(ids.shape[1], device=ids.device)
    valid = frames[None, :] < lengths[:, None]
    previous = torch.nn.functional.pad(ids[:, :-1], (1, 0), value=-1)
    keep = valid & (ids != blank_id) & (ids != previous)
    scores = torch.where(valid, best, torch.zeros_like(best)).sum(dim=1)
    flat = ids[keep].tolist()
    out, start = [], 0
    for n in keep.sum(dim=1).tolist():
        out.append(flat[start : start + n])
        start += n
    return out, scores


class GreedyDecoder(Decoder):
    """argmax per frame, collapse repeats, drop blanks."""

    kind = "greedy"

    def decode(self, log_probs: torch.Tensor, lengths: torch.Tensor) -> list[list[Hypothesis]]:
        tokens, scores = greedy_search(log_probs, lengths, self.tokenizer.blank_id)
        return [
            [Hypothesis(self.tokenizer.decode(ids), ids, float(s))]
            for ids, s in zip(tokens, scores.tolist())
        ]
