"""asrkit.wer: the one WER/CER definition, equal to jiwer's wherever jiwer's is defined."""

import math

import jiwer
import pytest

from asrkit.text.normalize import TextNormalizer
from asrkit.wer import Counts, align, error_counts, error_rates, error_rates_of

REFS = ["the cat sat on the mat", "a b c d e", "hello", "x y", "ça va, très bien!"]
HYPS = ["the bat sat on on the", "a c d e", "", "x y z", "ca va tres bien"]


def test_rates_equal_jiwer_bit_for_bit():
    rates = error_rates(REFS, HYPS)
    assert rates["wer"] == jiwer.process_words(REFS, HYPS).wer
    assert rates["cer"] == jiwer.process_characters(REFS, HYPS).cer
    assert rates["wer"] != rates["cer"]


def test_rates_equal_jiwer_on_normalized_text():
    norm = TextNormalizer.preset("default")
    refs, hyps = [norm(t) for t in REFS], [norm(t) for t in HYPS]
    rates = error_rates(REFS, HYPS, norm)
    assert rates == {"wer": jiwer.process_words(refs, hyps).wer,
                     "cer": jiwer.process_characters(refs, hyps).cer}


def test_counts_of_shards_add_up_to_the_whole_set():
    whole = error_counts(REFS, HYPS)
    parts = [error_counts(REFS[:2], HYPS[:2]), error_counts(REFS[2:], HYPS[2:])]
    summed = {k: float(parts[0][k] + parts[1][k]) for k in whole}  # as the trainer sums ranks
    assert summed == whole
    assert error_rates_of(summed) == error_rates(REFS, HYPS)


def test_empty_reference_is_scored_with_its_words_as_insertions():
    counts = error_counts(["a b", ""], ["a b", "uh oh"])
    assert (counts["word_errors"], counts["words"]) == (2, 2)
    assert error_rates(["a b", ""], ["a b", "uh oh"])["wer"] == 1.0
    (c, pairs), = align([""], ["uh oh"])
    assert (c.ins, c.wrd, c.snt_err) == (2, 0, 1)
    assert [op for _, _, op in pairs] == ["I", "I"]


def test_a_set_without_reference_words_has_rate_zero_or_one():
    assert error_rates([""], [""]) == {"wer": 0.0, "cer": 0.0}
    assert error_rates([""], ["x"]) == {"wer": 1.0, "cer": 1.0}
    assert error_rates([], []) == {"wer": 0.0, "cer": 0.0}
    assert Counts(wrd=0).rate(3) == 100.0 and Counts(wrd=0).rate(0) == 0.0


def test_rate_is_the_fraction_in_percent():
    c = Counts(wrd=7)
    assert math.isclose(c.rate(3), 100 * c.fraction(3))
    assert c.fraction(3) == 3 / 7


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        error_counts(["a", "b"], ["a"])
