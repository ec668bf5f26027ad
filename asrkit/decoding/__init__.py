"""CTC decoding: greedy and beam search (flashlight-text), with an optional n-gram LM.

    from asrkit.decoding import build_decoder
    decoder = build_decoder(tokenizer, kind="beam", lm="exp/lm_3gram/lm.arpa", beam_size=50)
    nbest = decoder(log_probs, lengths)   # [B, T, V] log-softmax outputs, [B] frame counts
    nbest[0][0].text, nbest[0][0].tokens, nbest[0][0].score

* :mod:`~asrkit.decoding.greedy`: best path, batched on any device; :func:`greedy_search`
  is also what fine-tuning validation decodes with.
* :mod:`~asrkit.decoding.beam`: :class:`BeamSearchDecoder`, a prefix beam search without an
  LM; with a word LM (ARPA/KenLM) a lexicon search that lets unknown words through unless
  ``unk_score`` is -inf; with a character LM (``asrkit-lm --unit char``) an open-vocabulary
  search. ``lm_unit="auto"`` reads the LM's unit from its ``lm_info.json``.
* :mod:`~asrkit.decoding.reference`: :func:`prefix_beam_search`, a plain Python search the
  fast decoders are tested against.

``DecodeConfig`` is the ``decoder:`` section of ``conf/decode_*.yaml`` and
:func:`build_decoder_from_config` builds its decoder. ``decoder.info()`` gives the settings
that decoding records in ``decode_info.json`` (:mod:`asrkit.layout`), which RESULTS.md
shows (:mod:`asrkit.results`).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

from asrkit.decoding.base import Decoder, DecodingError, Hypothesis
from asrkit.decoding.beam import BeamOptions, BeamSearchDecoder
from asrkit.decoding.greedy import GreedyDecoder, greedy_search
from asrkit.decoding.reference import prefix_beam_search
from asrkit.text.tokenizer import Tokenizer

__all__ = [
    "BeamOptions", "BeamSearchDecoder", "DecodeConfig", "Decoder", "DecodingError",
    "GreedyDecoder", "Hypothesis", "build_decoder", "build_decoder_from_config", "greedy_search",
    "prefix_beam_search",
]


@dataclass
class DecodeConfig:
    """Decoding settings as written in ``conf/decode_*.yaml``."""

    kind: Literal["greedy", "beam"] = "greedy"
    nbest: int = 1
    beam_size: int = 50
    beam_size_token: int | None = None
    beam_threshold: float = 25.0
    lm_weight: float = 2.0
    word_score: float = 0.0
    unk_score: float = 0.0  # word LM: per unknown-word piece; -inf: lexicon words only
    sil_score: float = 0.0
    log_add: bool = True
    lm_unit: Literal["auto", "word", "char"] = "auto"
    lexicon: str | None = None  # word list for the LM decoder (default: the LM's words)


def build_decoder(
    tokenizer: Tokenizer,
    kind: str = "greedy",
    lm: str | Path | None = None,
    lexicon: str | Path | list[str] | None = None,
    nbest: int = 1,
    **options,
) -> Decoder:
    """A decoder of ``kind`` ("greedy" or "beam"); ``options`` are :class:`BeamOptions`."""
    if kind == "greedy":
        if lm is not None:
            raise DecodingError("greedy decoding cannot use an LM; use kind='beam' with lm=...")
        if nbest != 1:
            raise DecodingError("greedy decoding gives one hypothesis; use kind='beam' for N-best")
        return GreedyDecoder(tokenizer)
    if kind == "beam":
        valid = {f.name for f in fields(BeamOptions)}
        unknown = sorted(set(options) - valid)
        if unknown:
            raise DecodingError(f"unknown beam option {unknown[0]!r}; valid: {', '.join(sorted(valid))}")
        return BeamSearchDecoder(tokenizer, lm, lexicon, nbest, BeamOptions(**options))
    raise DecodingError(f"unknown decoder kind {kind!r}; choose greedy or beam")


def build_decoder_from_config(
    tokenizer: Tokenizer, cfg: DecodeConfig, lm: str | Path | None = None
) -> Decoder:
    """The decoder a :class:`DecodeConfig` describes (``lm`` from the command line)."""
    if cfg.kind == "greedy":
        return build_decoder(tokenizer, "greedy", lm=lm)
    opts = {f.name: getattr(cfg, f.name) for f in fields(BeamOptions)}
    return build_decoder(tokenizer, "beam", lm=lm, lexicon=cfg.lexicon, nbest=cfg.nbest, **opts)
