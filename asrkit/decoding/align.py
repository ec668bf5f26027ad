"""Where each token and word of a CTC hypothesis lies in time: a Viterbi forced alignment.

::

    spans = ctc_align(log_probs, hyp.tokens)                  # [(first, last) frame per token]
    words = word_timings(log_probs, hyp.tokens, tokenizer, frame_shift=0.02)
    words[0].word, words[0].start, words[0].end, words[0].confidence

The alignment is the best CTC path that spells exactly the hypothesis' tokens, whichever
decoder found them (for a greedy hypothesis it is the best path itself). A word starts at
the first frame of its first token and ends after the last frame of its last token; its
**confidence** is the mean posterior of the aligned token over the word's non-blank frames
(for a greedy hypothesis, the mean of the frames' max posteriors), in [0, 1].

Memory is bounded for long recordings: at each frame only a band of states around where
the greedy path is (scaled to the hypothesis' length) is kept, ``T × band`` bytes of
back-pointers instead of ``T × (2L + 1)``; when the best path in the band runs along its
edge (or none fits), the alignment runs again with a band twice as wide, up to the full one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from asrkit.text.tokenizer import Tokenizer

#: Half-width of the first band, in tokens; beam/LM hypotheses differ from greedy locally.
BAND_TOKENS = 32
_NEG = -np.inf


class AlignmentError(ValueError):
    """Tokens that no CTC path over the given frames can spell."""


@dataclass
class WordTiming:
    word: str
    start: float  # seconds
    end: float  # seconds
    confidence: float  # mean posterior of the word's aligned tokens, see the module doc


def _greedy_progress(log_probs: np.ndarray, blank: int) -> np.ndarray:
    """Tokens the greedy path has emitted up to and including each frame."""
    best = log_probs.argmax(axis=1)
    new = (best != blank) & (best != np.concatenate([[-1], best[:-1]]))
    return np.cumsum(new)


def _windows(log_probs: np.ndarray, num_tokens: int, blank: int, width: int) -> np.ndarray:
    """The first state of each frame's band: centred on the greedy path's progress scaled to
    ``num_tokens``, never decreasing, ending on the final states."""
    t, s = log_probs.shape[0], 2 * num_tokens + 1
    if width >= s:
        return np.zeros(t, dtype=np.int64)
    progress = _greedy_progress(log_probs, blank).astype(np.float64)
    if progress[-1] > 0:
        progress *= num_tokens / progress[-1]
    start = np.clip(np.round(2 * progress).astype(np.int64) + 1 - width // 2, 0, s - width)
    start = np.minimum(start, 2 * np.arange(t))  # state 2t+1 is the furthest reachable at t
    start[-1] = s - width
    return np.maximum.accumulate(start)


def _viterbi(log_probs: np.ndarray, ext: np.ndarray, skip: np.ndarray, starts: np.ndarray,
             width: int) -> np.ndarray | None:
    """The best path's state per frame within the band, or None when no path stays inside
    it without touching its edges."""
    t_len, s_len = log_probs.shape[0], ext.shape[0]
    back = np.zeros((t_len, width), dtype=np.uint8)  # 0: same state, 1: from s-1, 2: from s-2
    score = np.full(width, _NEG)
    first = log_probs[0, ext[:width]]
    score[: min(2, width)] = first[: min(2, width)]
    extended = np.full(width + 2, _NEG)
    for t in range(1, t_len):
        o, prev_o = starts[t], starts[t - 1]
        shift = o - 2 - prev_o  # extended[i] is state o - 2 + i of the previous frame
        extended.fill(_NEG)
        lo, hi = max(0, -shift), min(width + 2, width - shift)
        if lo < hi:
            extended[lo:hi] = score[lo + shift: hi + shift]
        stay, one = extended[2:], extended[1:-1]
        two = np.where(skip[o: o + width], extended[:-2], _NEG)
        choice = np.argmax(np.stack([stay, one, two]), axis=0)
        best = np.choose(choice, [stay, one, two])
        score = best + log_probs[t, ext[o: o + width]]
        back[t] = choice
    o = starts[-1]
    finals = [s for s in (s_len - 1, s_len - 2) if s >= o and s >= 0]
    end = max(finals, key=lambda s: score[s - o])
    if not np.isfinite(score[end - o]):
        return None
    path = np.empty(t_len, dtype=np.int64)
    state = end
    for t in range(t_len - 1, -1, -1):
        path[t] = state
        state -= back[t, state - starts[t]]
    if path[0] > 1:
        return None
    # A path along the band's edge may have been cut off from a better one outside it.
    low = (path == starts) & (starts > 0)
    high = (path == starts + width - 1) & (starts + width < s_len)
    return None if (low | high).any() else path


def ctc_align(log_probs: torch.Tensor | np.ndarray, tokens: list[int], blank: int = 0,
              band_tokens: int = BAND_TOKENS) -> list[tuple[int, int]]:
    """``(first, last)`` frame of each token on the best CTC path spelling ``tokens``.

    ``log_probs``: [T, V] log posteriors of one utterance (its valid frames only).
    """
    lp = np.asarray(log_probs.detach().cpu() if isinstance(log_probs, torch.Tensor) else log_probs,
                    dtype=np.float64)
    if not tokens:
        return []
    ext = np.full(2 * len(tokens) + 1, blank, dtype=np.int64)
    ext[1::2] = tokens
    skip = np.zeros(ext.shape[0], dtype=bool)
    skip[3::2] = ext[3::2] != ext[1:-2:2]  # a token may follow the previous one without a blank
    repeats = int(np.sum(~skip[3::2]))
    if lp.shape[0] < len(tokens) + repeats:
        raise AlignmentError(f"{len(tokens)} tokens ({repeats} repeated) need more than "
                             f"{lp.shape[0]} frames")
    width = min(ext.shape[0], 4 * band_tokens + 1)
    while True:
        path = _viterbi(lp, ext, skip, _windows(lp, len(tokens), blank, width), width)
        if path is not None:
            break
        if width == ext.shape[0]:
            raise AlignmentError("no CTC path spells these tokens")  # only if a token has -inf
        width = min(ext.shape[0], 2 * width)
    spans: list[list[int]] = [[-1, -1] for _ in tokens]
    for t, state in enumerate(path.tolist()):
        if state % 2:
            span = spans[state // 2]
            if span[0] < 0:
                span[0] = t
            span[1] = t
    return [(a, b) for a, b in spans]


def _word_starts(tokens: list[int], tokenizer: Tokenizer) -> list[bool]:
    """Whether each token begins a word (after ``|``, or a ``▁`` piece)."""
    delim = tokenizer.word_delimiter_id
    starts, after_delim = [], True
    for i in tokens:
        if delim is not None:
            starts.append(after_delim and i != delim)
            after_delim = i == delim
        else:
            starts.append(tokenizer.tokens[i].startswith("\u2581"))
    return starts


def word_timings(log_probs: torch.Tensor | np.ndarray, tokens: list[int], tokenizer: Tokenizer,
                 frame_shift: float, offset: float = 0.0) -> list[WordTiming]:
    """The hypothesis' words with start/end times (seconds from ``offset``) and confidences.

    ``frame_shift`` is the model's output stride in seconds.
    """
    lp = np.asarray(log_probs.detach().cpu() if isinstance(log_probs, torch.Tensor) else log_probs)
    spans = ctc_align(lp, tokens, tokenizer.blank_id)
    delim = tokenizer.word_delimiter_id
    groups: list[list[int]] = []
    for k, (i, begins) in enumerate(zip(tokens, _word_starts(tokens, tokenizer))):
        if i == delim:
            continue
        if begins or not groups:
            groups.append([])
        groups[-1].append(k)
    words = []
    for group in groups:
        text = tokenizer.decode([tokens[k] for k in group]).strip()
        if not text:
            continue
        posteriors = [np.exp(lp[t, tokens[k]]) for k in group
                      for t in range(spans[k][0], spans[k][1] + 1)]
        first, last = spans[group[0]][0], spans[group[-1]][1]
        words.append(WordTiming(text, round(offset + first * frame_shift, 3),
                                round(offset + (last + 1) * frame_shift, 3),
                                round(float(np.mean(posteriors)), 4)))
    return words
