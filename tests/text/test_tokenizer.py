"""Character and SentencePiece tokenizers: vocabulary, round trips, OOV counting, saving."""

from __future__ import annotations

import pytest

from asrkit.text.tokenizer import (
    BLANK,
    UNK,
    CharTokenizer,
    SentencePieceTokenizer,
    TokenizerError,
    build_tokenizer,
    load_tokenizer,
)

CATALAN = [
    "la col·lecció d'art és al museu",
    "l'home va dir que ça no és així",
    "el gat menja peix a la plaça",
    "però la música sona molt bé",
]


@pytest.fixture
def char_tok(tmp_path):
    return build_tokenizer("char", CATALAN, tmp_path / "tok")


def test_char_vocabulary_starts_with_blank_unk_and_delimiter_and_has_no_space(char_tok):
    assert char_tok.tokens[:3] == [BLANK, UNK, "|"]
    assert char_tok.blank_id == 0 and char_tok.word_delimiter_id == 2
    assert " " not in char_tok.tokens
    assert {"·", "'", "ç", "é", "ú"} <= set(char_tok.tokens)


@pytest.mark.parametrize("text", CATALAN)
def test_char_round_trip_keeps_catalan_spelling(char_tok, text):
    ids = char_tok.encode(text)
    assert char_tok.unk_id not in ids
    assert char_tok.decode(ids) == text


def test_spaces_become_single_delimiters_never_unk(char_tok):
    ids = char_tok.encode("  el   gat  ")
    assert ids.count(char_tok.word_delimiter_id) == 1
    assert char_tok.unk_id not in ids
    assert char_tok.decode(ids) == "el gat"
    assert not char_tok.oov_counts


def test_unknown_characters_become_unk_and_are_counted(char_tok):
    ids = char_tok.encode("el kiwi gat")
    assert ids.count(char_tok.unk_id) == 2  # k and w never occur in the training text
    assert char_tok.oov_counts == {"k": 1, "w": 1}
    assert char_tok.decode(ids) == f"el {UNK}i{UNK}i gat"


def test_decode_skips_blanks_and_repeated_delimiters(char_tok):
    ids = [0] + char_tok.encode("el") + [2, 2, 0] + char_tok.encode("gat") + [2]
    assert char_tok.decode(ids) == "el gat"


def test_char_tokenizer_saves_tokens_txt_and_loads_back(char_tok, tmp_path):
    lines = (tmp_path / "tok" / "tokens.txt").read_text(encoding="utf-8").splitlines()
    assert lines == char_tok.tokens
    again = load_tokenizer(tmp_path / "tok")
    assert isinstance(again, CharTokenizer)
    assert again.tokens == char_tok.tokens
    assert again.decode(again.encode(CATALAN[0])) == CATALAN[0]


def test_normalizer_is_applied_before_encoding_and_saved(tmp_path):
    tok = build_tokenizer("char", {"u1": "Hola, Món!"}, tmp_path / "t", normalizer="default")
    assert tok.decode(tok.encode("HOLA món.")) == "hola món"
    assert load_tokenizer(tmp_path / "t").decode(tok.encode("Món!")) == "món"


def test_transcript_with_delimiter_character_is_rejected_by_utterance(tmp_path):
    with pytest.raises(TokenizerError, match="utt7.*'\\|'"):
        build_tokenizer("char", {"utt7": "a | b"}, tmp_path / "t")


def test_spell_gives_word_tokens_without_counting(char_tok):
    assert char_tok.decode(char_tok.spell("col·lecció")) == "col·lecció"
    char_tok.spell("xx")
    assert not char_tok.oov_counts


@pytest.mark.parametrize("kind", ["unigram", "bpe"])
def test_sentencepiece_round_trip_with_blank_at_zero(tmp_path, kind):
    tok = build_tokenizer(kind, CATALAN * 5, tmp_path / kind, vocab_size=40)
    assert isinstance(tok, SentencePieceTokenizer) and tok.kind == kind
    assert tok.tokens[0] == BLANK and tok.blank_id == 0 and tok.tokens[tok.unk_id] == UNK
    assert tok.word_delimiter_id is None
    for text in CATALAN:
        ids = tok.encode(text)
        assert 0 not in ids and tok.unk_id not in ids
        assert tok.decode([0] + ids + [0]) == text
    again = load_tokenizer(tmp_path / kind)
    assert again.kind == kind and again.tokens == tok.tokens
    assert again.decode(again.encode("  el gat  ")) == "el gat"
    assert (tmp_path / kind / "sp.model").is_file()


def test_sentencepiece_counts_unknown_characters(tmp_path):
    tok = build_tokenizer("unigram", CATALAN * 5, tmp_path / "sp", vocab_size=40)
    ids = tok.encode("el kiwi")
    assert tok.unk_id in ids
    assert tok.oov_counts["k"] == 1 and tok.oov_counts["w"] == 1


def test_load_without_tokenizer_files_says_what_is_missing(tmp_path):
    with pytest.raises(TokenizerError, match="no tokenizer in"):
        load_tokenizer(tmp_path)


def test_unknown_kind_is_rejected(tmp_path):
    with pytest.raises(TokenizerError, match="unknown tokenizer kind"):
        build_tokenizer("wordpiece", CATALAN, tmp_path)


@pytest.mark.shared_data
def test_real_catalan_transcripts_round_trip_after_normalization(shared_data, tmp_path):
    import csv

    tsv = shared_data / "common_voice" / "cv-corpus-6.1-2020-12-11" / "ca" / "validated.tsv"
    with open(tsv, encoding="utf-8", newline="") as f:
        rows = {r["path"]: r["sentence"] for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)}
    tok = build_tokenizer("char", rows, tmp_path / "ca", normalizer="default")
    for sentence in rows.values():
        ids = tok.encode(sentence)
        assert tok.unk_id not in ids
        assert tok.decode(ids) == tok.prepare(sentence)
    assert not tok.oov_counts
