"""CTC forced alignment and word timings (asrkit.decoding.align)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from asrkit.decoding import greedy_search
from asrkit.decoding.align import AlignmentError, ctc_align, word_timings
from asrkit.text.tokenizer import CharTokenizer


def _path_score(lp: np.ndarray, tokens: list[int], spans: list[tuple[int, int]]) -> float:
    """Log-probability of the path the spans describe (blank on every other frame)."""
    labels = np.zeros(lp.shape[0], dtype=int)
    for tok, (a, b) in zip(tokens, spans):
        labels[a: b + 1] = tok
    return float(lp[np.arange(lp.shape[0]), labels].sum())


def _best_by_enumeration(lp: np.ndarray, tokens: list[int]) -> float:
    """The best path's score over every frame labelling that collapses to ``tokens``."""
    best = -np.inf
    for labels in itertools.product(range(lp.shape[1]), repeat=lp.shape[0]):
        collapsed = [k for k, _ in itertools.groupby(labels) if k != 0]
        if collapsed == tokens:
            best = max(best, float(lp[np.arange(lp.shape[0]), list(labels)].sum()))
    return best


def test_alignment_is_the_best_path_spelling_the_tokens():
    rng = np.random.default_rng(0)
    for _ in range(20):
        lp = torch.log_softmax(torch.from_numpy(rng.normal(size=(7, 3)) * 2), -1).numpy()
        tokens = [int(t) for t in rng.integers(1, 3, size=rng.integers(1, 4))]
        repeats = sum(a == b for a, b in zip(tokens, tokens[1:]))
        if len(tokens) + repeats > 7:
            continue
        spans = ctc_align(lp, tokens)
        assert _path_score(lp, tokens, spans) == pytest.approx(_best_by_enumeration(lp, tokens))


def test_alignment_of_a_greedy_hypothesis_is_the_greedy_path_on_a_long_input():
    torch.manual_seed(0)
    lp = torch.log_softmax(torch.randn(20000, 12) * 3, -1)
    tokens = greedy_search(lp[None], torch.tensor([20000]))[0][0]
    best = lp.argmax(-1).numpy()
    spans = ctc_align(lp, tokens)
    for tok, (a, b) in zip(tokens, spans):
        assert (best[a: b + 1] == tok).all()
    assert all(b1 < a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))


def test_a_hypothesis_unlike_the_greedy_path_gets_the_full_alignment_and_any_band_spells_it():
    torch.manual_seed(1)
    lp = torch.log_softmax(torch.randn(400, 5), -1)
    tokens = [1, 2] * 60  # nothing like the greedy path
    assert ctc_align(lp, tokens) == ctc_align(lp, tokens, band_tokens=10_000)
    narrow = ctc_align(lp, tokens, band_tokens=1)  # widened until a path fits
    assert len(narrow) == len(tokens) and all(a <= b for a, b in narrow)
    assert all(b1 < a2 for (_, b1), (a2, _) in zip(narrow, narrow[1:]))


def test_too_many_tokens_for_the_frames_is_an_error():
    lp = torch.log_softmax(torch.randn(3, 4), -1)
    with pytest.raises(AlignmentError, match="need more than 3 frames"):
        ctc_align(lp, [1, 1, 2])


def test_word_times_span_their_first_and_last_token_with_the_mean_posterior_as_confidence():
    tok = CharTokenizer(["<blank>", "<unk>", "|", "a", "b"])
    frames = [3, 0, 4, 4, 2, 0, 0, 4, 3, 0]  # "ab|ba"
    lp = torch.full((10, 5), -20.0)
    for t, k in enumerate(frames):
        lp[t, k] = np.log(0.5 if t == 2 else 1.0)
    words = word_timings(lp, [3, 4, 2, 4, 3], tok, frame_shift=0.02, offset=1.0)
    assert [(w.word, w.start, w.end) for w in words] == [("ab", 1.0, 1.08), ("ba", 1.14, 1.18)]
    assert words[0].confidence == pytest.approx((1 + 0.5 + 1) / 3, abs=1e-4)
    assert words[1].confidence == pytest.approx(1.0, abs=1e-4)
