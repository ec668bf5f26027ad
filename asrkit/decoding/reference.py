"""A plain CTC prefix beam search, the reference the fast decoders are tested against.

Each prefix keeps two log-probabilities: of the paths that end in a blank and of those
that end in the prefix's last token; a repeated token extends the prefix only after a
blank. Exact when the beam holds every prefix.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

NEG_INF = -math.inf


def _logadd(a: float, b: float) -> float:
    if a == NEG_INF:
        return b
    if b == NEG_INF:
        return a
    m = max(a, b)
    return m + math.log1p(math.exp(-abs(a - b)))


def prefix_beam_search(
    log_probs: np.ndarray, beam_size: int, blank_id: int = 0
) -> list[tuple[tuple[int, ...], float]]:
    """(token prefix, log-probability) pairs of the best ``beam_size`` prefixes, best first.

    ``log_probs``: [T, V] log-posteriors of one utterance.
    """
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, NEG_INF)}
    for frame in np.asarray(log_probs, dtype=np.float64):
        nxt: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [NEG_INF, NEG_INF])
        for prefix, (p_blank, p_token) in beams.items():
            total = _logadd(p_blank, p_token)
            last = prefix[-1] if prefix else None
            for v, p in enumerate(frame):
                if v == blank_id:
                    nxt[prefix][0] = _logadd(nxt[prefix][0], total + p)
                elif v == last:
                    nxt[prefix][1] = _logadd(nxt[prefix][1], p_token + p)
                    nxt[prefix + (v,)][1] = _logadd(nxt[prefix + (v,)][1], p_blank + p)
                else:
                    nxt[prefix + (v,)][1] = _logadd(nxt[prefix + (v,)][1], total + p)
        ranked = sorted(nxt.items(), key=lambda kv: -_logadd(*kv[1]))[:beam_size]
        beams = {k: (v[0], v[1]) for k, v in ranked}
    return sorted(((k, _logadd(*v)) for k, v in beams.items()), key=lambda kv: -kv[1])
