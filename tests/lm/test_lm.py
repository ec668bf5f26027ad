"""The built-in interpolated modified Kneser-Ney trainer and the asrkit-lm CLI."""

from __future__ import annotations

import json
import math

import pytest

from asrkit.lm import main
from asrkit.ngram import (
    BOS,
    EOS,
    UNK,
    LMError,
    as_characters,
    discounts,
    estimate,
    read_arpa_vocabulary,
)

TOY = [["a", "b"], ["a", "c"], ["b"]]
CORPUS = [s.split() for s in [
    "the cat sat on the mat", "the dog sat on the log", "a cat and a dog",
    "the cat", "on the mat the cat sat", "dog dog dog", "a mat on a log",
    "the log sat", "cat and dog and cat", "the the cat",
]]


def test_discounts_follow_chen_goodman_from_count_of_counts():
    adjusted = {}
    for count, how_many in ((1, 10), (2, 5), (3, 3), (4, 2), (7, 4)):
        for i in range(how_many):
            adjusted[(f"w{count}_{i}",)] = count
    d1, d2, d3 = discounts(adjusted, 1)
    y = 10 / (10 + 2 * 5)
    assert d1 == pytest.approx(1 - 2 * y * 5 / 10)
    assert d2 == pytest.approx(2 - 3 * y * 3 / 5)
    assert d3 == pytest.approx(3 - 4 * y * 2 / 3)


def test_toy_bigram_matches_hand_computed_values():
    # Count-of-counts of the toy corpus leave D3+ undefined, so the fallback
    # discounts (0.5, 1, 1.5) apply. Continuation counts: a 1, b 2, c 1, </s> 2.
    m = estimate(TOY, order=2)
    assert m.discounts == [(0.5, 1.0, 1.5), (0.5, 1.0, 1.5)]
    gamma0 = (0.5 * 2 + 1.0 * 2) / 6  # two singletons, two doubletons, total 6
    uniform = 1 / 5  # a b c </s> <unk>
    assert m.probability("a") == pytest.approx(0.5 / 6 + gamma0 * uniform)
    assert m.probability("b") == pytest.approx(1.0 / 6 + gamma0 * uniform)
    assert m.probability(UNK) == pytest.approx(gamma0 * uniform)
    p_b = 1.0 / 6 + gamma0 * uniform
    assert m.probability("b", ("a",)) == pytest.approx(0.5 / 2 + 0.5 * p_b)
    assert m.backoff[("a",)] == pytest.approx(0.5)
    p_a = 0.5 / 6 + gamma0 * uniform
    assert m.probability("a", (BOS,)) == pytest.approx(1 / 3 + 0.5 * p_a)
    # an unseen bigram backs off: p(c | b) = bow(b) p(c)
    assert m.probability("c", ("b",)) == pytest.approx(m.backoff[("b",)] * m.probability("c"))


def _contexts(model):
    ctx = {(), (BOS,), ("the", "zebra"), ("dog", "dog")}
    for n in range(2, model.order + 1):
        ctx |= {g[:-1] for g in model.prob[n - 1]}
    return ctx


@pytest.mark.parametrize("prune", [None, [0, 1, 1]])
def test_probabilities_of_every_context_sum_to_one(prune):
    m = estimate(CORPUS, order=3, prune=prune)
    vocab = [w for w in m.vocabulary() if w != BOS]
    for h in _contexts(m):
        assert sum(m.probability(w, h) for w in vocab) == pytest.approx(1.0, abs=1e-9), h
    if prune:
        full = estimate(CORPUS, order=3)
        assert len(m.prob[2]) < len(full.prob[2])


@pytest.mark.parametrize("prune", [None, [0, 1, 1]])
def test_arpa_loads_in_kenlm_and_sums_to_one_there(tmp_path, prune):
    kenlm = pytest.importorskip("kenlm")
    m = estimate(CORPUS, order=3, prune=prune)
    arpa = m.write_arpa(tmp_path / "lm.arpa")
    k = kenlm.Model(str(arpa))
    assert k.order == 3
    vocab = [w for w in m.vocabulary() if w != BOS]
    for h in _contexts(m):
        state = kenlm.State()
        if h[:1] == (BOS,):
            k.BeginSentenceWrite(state)
            h = h[1:]
        else:
            k.NullContextWrite(state)
        for w in h:
            nxt = kenlm.State()
            k.BaseScore(state, w, nxt)
            state = nxt
        total = sum(10 ** k.BaseScore(state, w, kenlm.State()) for w in vocab)
        assert total == pytest.approx(1.0, abs=1e-5)
    # the sentence score equals the product of our conditional probabilities
    ours = sum(math.log10(m.probability(w, h)) for w, h in
               [("the", (BOS,)), ("cat", (BOS, "the")), ("sat", ("the", "cat")), (EOS, ("cat", "sat"))])
    assert k.score("the cat sat", bos=True, eos=True) == pytest.approx(ours, abs=1e-4)


def test_arpa_loads_in_flashlight_kenlm(tmp_path):
    fl_kenlm = pytest.importorskip("flashlight.lib.text.decoder.kenlm")
    from flashlight.lib.text.dictionary import Dictionary

    m = estimate(CORPUS, order=3)
    arpa = m.write_arpa(tmp_path / "lm.arpa")
    words = Dictionary()
    for w in ["the", "cat", UNK]:
        words.add_entry(w)
    lm = fl_kenlm.KenLM(str(arpa), words)
    state, score = lm.score(lm.start(False), words.get_index("the"))
    assert score == pytest.approx(math.log10(m.probability("the", (BOS,))), abs=1e-4)
    _, score = lm.score(state, words.get_index("cat"))
    assert score == pytest.approx(math.log10(m.probability("cat", (BOS, "the"))), abs=1e-4)


def test_arpa_header_counts_match_sections(tmp_path):
    m = estimate(CORPUS, order=3)
    text = m.write_arpa(tmp_path / "lm.arpa").read_text()
    for n in (1, 2, 3):
        declared = int(text.split(f"ngram {n}=")[1].split()[0])
        section = text.split(f"\\{n}-grams:\n")[1].split("\n\n")[0].strip().splitlines()
        assert declared == len(section) == len(m.prob[n - 1])
    assert text.rstrip().endswith("\\end\\")
    assert set(read_arpa_vocabulary(tmp_path / "lm.arpa")) >= {BOS, EOS, UNK, "cat"}


def test_cli_trains_on_kaldi_text_dropping_utterance_ids(tmp_path):
    text = tmp_path / "text"
    text.write_text("u1 the cat sat\nu2 the dog\nu3\n", encoding="utf-8")
    out = tmp_path / "lm_3gram" / "lm.arpa"
    assert main(["--text", str(text), "--kaldi-text", "true", "--out", str(out),
                 "--backend", "builtin"]) == 0
    vocab = read_arpa_vocabulary(out)
    assert "u1" not in vocab and "cat" in vocab
    info = json.loads((out.parent / "lm_info.json").read_text())
    assert info["sentences"] == 2 and info["skipped_empty"] == 1 and info["unit"] == "word"
    assert (out.parent / ".done").is_file()


def test_cli_reports_a_missing_text_file_without_traceback(tmp_path, capsys):
    assert main(["--text", str(tmp_path / "nope"), "--out", str(tmp_path / "lm.arpa")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_character_lm_uses_delimiter_between_words(tmp_path):
    assert as_characters(["ab", "c"]) == ["a", "b", "|", "c"]
    text = tmp_path / "t.txt"
    text.write_text("ab c\n", encoding="utf-8")
    assert main(["--text", str(text), "--out", str(tmp_path / "c" / "lm.arpa"),
                 "--unit", "char", "--order", "4", "--backend", "builtin"]) == 0
    assert set(read_arpa_vocabulary(tmp_path / "c" / "lm.arpa")) == {"a", "b", "c", "|", BOS, EOS, UNK}


def test_bad_prune_thresholds_are_rejected():
    with pytest.raises(LMError, match="--prune"):
        estimate(CORPUS, order=3, prune=[1, 1, 1])


@pytest.mark.shared_data
def test_real_librispeech_transcripts_give_a_normalized_trigram(shared_data, tmp_path):
    kenlm = pytest.importorskip("kenlm")
    lines = []
    for f in sorted((shared_data / "librispeech").rglob("*.trans.txt")):
        lines += f.read_text(encoding="utf-8").splitlines()
    text = tmp_path / "text"
    text.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "lm" / "lm.arpa"
    assert main(["--text", str(text), "--kaldi-text", "true", "--out", str(out),
                 "--backend", "builtin"]) == 0
    vocab = [w for w in read_arpa_vocabulary(out) if w != BOS]
    k = kenlm.Model(str(out))
    for context in (["THE"], ["OF", "THE"], ["ZZZ"]):
        state = kenlm.State()
        k.NullContextWrite(state)
        for w in context:
            nxt = kenlm.State()
            k.BaseScore(state, w, nxt)
            state = nxt
        assert sum(10 ** k.BaseScore(state, w, kenlm.State()) for w in vocab) == pytest.approx(1.0, abs=1e-4)
