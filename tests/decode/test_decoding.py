"""Greedy and beam CTC decoding on constructed posteriors with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from asrkit.decoding import (
    DecodeConfig,
    DecodingError,
    build_decoder,
    greedy_search,
    prefix_beam_search,
)
from asrkit.decoding.beam import BeamSearchDecoder
from asrkit.decoding.greedy import GreedyDecoder
from asrkit.lm import train_lm
from asrkit.text.tokenizer import build_tokenizer

LM_TEXT = ["the cat sat on the mat", "the cat ran home", "a cat sat here", "the dog sat"]


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    texts = LM_TEXT + ["the kat"]  # k is a token, "kat" is not an LM word
    return build_tokenizer("char", texts, tmp_path_factory.mktemp("tok"))


@pytest.fixture(scope="module")
def word_lm(tmp_path_factory):
    d = tmp_path_factory.mktemp("lm")
    (d / "text").write_text("\n".join(LM_TEXT) + "\n", encoding="utf-8")
    train_lm(d / "text", d / "lm.arpa", order=2, backend="builtin")
    return d / "lm.arpa"


def posteriors(tok, frames: list[dict[str, float]]) -> torch.Tensor:
    """[1, T, V] log-posteriors; each frame gives probabilities of some tokens (the rest
    share what is left); "_" is the blank."""
    lp = torch.full((1, len(frames), tok.vocab_size), 1e-4)
    for t, frame in enumerate(frames):
        for token, p in frame.items():
            lp[0, t, 0 if token == "_" else tok.tokens.index(token)] = p
    return (lp / lp.sum(-1, keepdim=True)).log()


def spell(tok, text: str) -> list[dict[str, float]]:
    """Certain frames for ``text`` (``|`` between words), a blank after each character."""
    frames = []
    for ch in text.replace(" ", "|"):
        frames += [{ch: 1.0}, {"_": 1.0}]
    return frames


def test_greedy_collapses_repeats_but_keeps_blank_separated_ones(tok):
    frames = [{"s": 1}, {"e": 1}, {"e": 1}, {"_": 1}, {"e": 1}, {"_": 1}]
    lp = posteriors(tok, frames)
    tokens, scores = greedy_search(lp, torch.tensor([6]), blank_id=0)
    assert tok.decode(tokens[0]) == "see"
    assert scores[0] == pytest.approx(lp[0].max(-1).values.sum().item())


def test_greedy_blanks_only_give_an_empty_hypothesis(tok):
    hyp = GreedyDecoder(tok)(posteriors(tok, [{"_": 1}] * 5))[0][0]
    assert hyp.text == "" and hyp.tokens == [] and hyp.words == []


def test_greedy_is_batched_and_respects_lengths(tok):
    a = posteriors(tok, spell(tok, "the cat"))
    b = posteriors(tok, spell(tok, "a dog") + [{"t": 1}] * (a.shape[1] - 10))
    batch = torch.cat([a, b])
    hyps = GreedyDecoder(tok)(batch, torch.tensor([a.shape[1], 10]))
    assert [h[0].text for h in hyps] == ["the cat", "a dog"]


def test_beam_without_lm_finds_the_prefix_that_greedy_misses(tok):
    # best path is "_ _" (0.36), but "a" has total probability 0.64 over three paths
    frames = [{"a": 0.4, "_": 0.6}, {"a": 0.4, "_": 0.6}]
    lp = posteriors(tok, frames)
    assert GreedyDecoder(tok)(lp)[0][0].text == ""
    best = build_decoder(tok, "beam", beam_size=10)(lp)[0][0]
    assert best.text == "a"
    pa, pb = lp[0, 0, tok.tokens.index("a")].exp().item(), lp[0, 0, 0].exp().item()
    assert best.score == pytest.approx(math.log(pa * pa + 2 * pa * pb), abs=1e-5)


def test_beam_blanks_only_give_an_empty_hypothesis(tok):
    hyp = build_decoder(tok, "beam")(posteriors(tok, [{"_": 1}] * 4))[0][0]
    assert hyp.text == "" and hyp.tokens == []


def test_flashlight_beam_matches_reference_prefix_search_when_exhaustive(tmp_path):
    small = build_tokenizer("char", ["ab a"], tmp_path)  # 5 tokens
    rng = np.random.default_rng(1)
    decoder = build_decoder(small, "beam", nbest=4, beam_size=10_000, beam_threshold=1_000)
    for _ in range(3):
        lp = torch.from_numpy(rng.normal(0, 2, (1, 6, small.vocab_size))).float().log_softmax(-1)
        ours = decoder(lp)[0]
        ref: dict[str, float] = {}
        for prefix, score in prefix_beam_search(lp[0].numpy(), 10_000):
            ref.setdefault(small.decode(prefix), score)  # "ab|" and "ab" read the same
        for hyp in ours:
            assert hyp.score == pytest.approx(ref[hyp.text], abs=1e-4)
        assert [h.text for h in ours] == sorted(ref, key=lambda t: -ref[t])[:4]


def test_nbest_is_sorted_and_distinct(tok):
    lp = posteriors(tok, [{"a": 0.5, "e": 0.3, "_": 0.2}, {"_": 1.0}, {"t": 0.6, "_": 0.4}])
    nbest = build_decoder(tok, "beam", nbest=3)(lp)[0]
    assert len(nbest) == 3
    assert [h.score for h in nbest] == sorted((h.score for h in nbest), reverse=True)
    assert len({h.text for h in nbest}) == 3
    assert nbest[0].text == "at"


def test_word_lm_prefers_the_spelling_it_knows(tok, word_lm):
    # "the kat" by the acoustics (k 0.6 vs c 0.4); only "cat" is an LM word
    frames = spell(tok, "the ") + [{"k": 0.6, "c": 0.4}, {"_": 1}] + spell(tok, "at")
    lp = posteriors(tok, frames)
    assert GreedyDecoder(tok)(lp)[0][0].text == "the kat"
    assert build_decoder(tok, "beam")(lp)[0][0].text == "the kat"
    hyp = build_decoder(tok, "beam", lm=word_lm, lm_weight=1.0)(lp)[0][0]
    assert hyp.text == "the cat" and hyp.words == ["the", "cat"]
    assert hyp.lm_score is not None and hyp.lm_score < 0


def test_word_lm_completes_the_last_word_without_a_final_delimiter(tok, word_lm):
    frames = spell(tok, "the cat sat")
    assert frames[-2] == {"t": 1.0}  # no "|" after the last word
    hyp = build_decoder(tok, "beam", lm=word_lm)(posteriors(tok, frames))[0][0]
    assert hyp.text == "the cat sat"


def test_word_lm_unknown_words_spelled_from_tokens_when_allowed(tok, word_lm):
    # "ca" is only a prefix of the lexicon word "cat"
    lp = posteriors(tok, spell(tok, "the ca"))
    hyp = build_decoder(tok, "beam", lm=word_lm, lm_weight=0.5, unk_score=0.0)(lp)[0][0]
    assert hyp.text == "the ca"


def test_word_lm_spells_an_out_of_vocabulary_word_from_several_unknown_pieces(tok, word_lm):
    # "cast" is no LM word and no prefix of one: it comes out as the unknown pieces
    # "ca" (of cat) + "s" (of sat) + "t" (of the), read back as one word
    lp = posteriors(tok, spell(tok, "the cast sat"))
    closed = build_decoder(tok, "beam", lm=word_lm, lm_weight=0.5, unk_score=-math.inf)(lp)[0][0]
    assert "cast" not in closed.words
    hyp = build_decoder(tok, "beam", lm=word_lm, lm_weight=0.5, unk_score=0.0)(lp)[0][0]
    assert hyp.text == "the cast sat" and hyp.words == ["the", "cast", "sat"]


def test_character_lm_decodes_without_a_lexicon(tok, tmp_path):
    (tmp_path / "text").write_text("\n".join(LM_TEXT) + "\n", encoding="utf-8")
    train_lm(tmp_path / "text", tmp_path / "char" / "lm.arpa", order=4, backend="builtin", unit="char")
    frames = spell(tok, "the ") + [{"k": 0.6, "c": 0.4}, {"_": 1}] + spell(tok, "at")
    decoder = build_decoder(tok, "beam", lm=tmp_path / "char" / "lm.arpa", lm_weight=1.0)
    assert decoder.info()["lm_unit"] == "char"
    assert decoder(posteriors(tok, frames))[0][0].text == "the cat"


def test_sentencepiece_model_decodes_with_a_word_lm(tmp_path, word_lm):
    sp = build_tokenizer("unigram", LM_TEXT * 5, tmp_path / "sp", vocab_size=30)
    frames = []
    for i in sp.encode("the cat sat"):
        frames += [{sp.tokens[i]: 1.0}, {"_": 1.0}]
    lp = torch.full((1, len(frames), sp.vocab_size), 1e-4)
    for t, f in enumerate(frames):
        for token, p in f.items():
            lp[0, t, 0 if token == "_" else sp.tokens.index(token)] = p
    lp = (lp / lp.sum(-1, keepdim=True)).log()
    assert build_decoder(sp, "greedy")(lp)[0][0].text == "the cat sat"
    assert build_decoder(sp, "beam", lm=word_lm)(lp)[0][0].text == "the cat sat"


def test_zero_length_utterance_gives_empty_hypothesis(tok):
    lp = posteriors(tok, spell(tok, "the"))
    for kind in ("greedy", "beam"):
        assert build_decoder(tok, kind)(lp, torch.tensor([0]))[0][0].text == ""


def test_vocabulary_mismatch_is_reported(tok):
    with pytest.raises(DecodingError, match="tokenizer has"):
        build_decoder(tok, "greedy")(torch.zeros(1, 3, tok.vocab_size + 1))


def test_lm_words_the_tokenizer_cannot_spell_are_left_out(tok, tmp_path):
    (tmp_path / "text").write_text("the cat\nthe xylophone\n", encoding="utf-8")
    train_lm(tmp_path / "text", tmp_path / "lm.arpa", order=2, backend="builtin")
    decoder = build_decoder(tok, "beam", lm=tmp_path / "lm.arpa")
    assert decoder.skipped_words == ["xylophone"]
    assert decoder.info()["lexicon_words"] == 2


def test_decoder_from_config_builds_the_configured_kind(tok, word_lm):
    from asrkit.decoding import build_decoder_from_config

    assert isinstance(build_decoder_from_config(tok, DecodeConfig()), GreedyDecoder)
    beam = build_decoder_from_config(tok, DecodeConfig(kind="beam", beam_size=7, nbest=2), word_lm)
    assert isinstance(beam, BeamSearchDecoder)
    assert beam.info()["beam_size"] == 7 and beam.nbest == 2 and beam.info()["lm_unit"] == "word"


def test_bad_options_are_rejected_by_name(tok):
    with pytest.raises(DecodingError, match="beam_width"):
        build_decoder(tok, "beam", beam_width=3)
    with pytest.raises(DecodingError, match="greedy decoding cannot use an LM"):
        build_decoder(tok, "greedy", lm="x.arpa")
