"""CTC beam search with flashlight-text's C++ decoders, with or without a word n-gram LM.

Without an LM: ``LexiconFreeDecoder`` over tokens with a zero LM, i.e. a CTC prefix beam
search (``log_add`` sums the paths of a prefix, as the textbook algorithm does).

With a word LM (ARPA or KenLM binary): ``LexiconDecoder``. Words are spelled with the
tokenizer into a trie; the KenLM word score is added when a word is complete, and the
trie carries each word's best unigram score ("smearing") so partial words compete fairly.
The lexicon is the LM's vocabulary (the ARPA unigrams), or a word list given with
``lexicon``. Character models spell a word as its characters followed by ``|``; so the
utterance's last word is completed too, the decoder sees one extra frame in which ``|``
is certain. SentencePiece models spell a word as its pieces (the first starts with ▁).

Words outside the lexicon (the usual case in low-resource test sets) are allowed by default:
with a finite ``unk_score`` (default 0; -inf restricts the output to lexicon words) any prefix
of a lexicon word that is not itself a word may end as an unknown word, scored by the
LM's ``<unk>`` plus ``unk_score``, and the search goes on from the trie's root. An
out-of-vocabulary word is thus spelled as one or more such pieces, each paying for an
``<unk>``; the text is always read from the tokens the search chose, so the pieces of one
word come out as that word (``cantaven``, not ``canta ven``).

With a character LM (``asrkit-lm --unit char``, recorded in its ``lm_info.json``, or
``lm_unit="char"``): ``LexiconFreeDecoder`` scores every emitted token with the LM, so any
word can come out (open vocabulary) at C++ speed. Needs a character tokenizer.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

import torch

from asrkit.decoding.base import Decoder, DecodingError, Hypothesis
from asrkit.text.tokenizer import Tokenizer

log = logging.getLogger(__name__)

LM_SPECIAL = ("<s>", "</s>")
UNK_WORD = "<unk>"
# Log-score of the impossible tokens in the appended end-of-utterance frame; finite so
# that no NaN can arise from -inf arithmetic in the decoder.
IMPOSSIBLE = -1.0e5


@dataclass
class BeamOptions:
    """Beam search settings (flashlight-text's names; defaults as torchaudio's)."""

    beam_size: int = 50  # hypotheses kept per frame
    beam_size_token: int | None = None  # tokens tried per frame (None: all)
    beam_threshold: float = 25.0  # drop hypotheses this far below the best
    lm_weight: float = 2.0
    word_score: float = 0.0  # added per word (word insertion score)
    unk_score: float = 0.0  # per unknown-word piece (open vocabulary); -inf: lexicon words only
    sil_score: float = 0.0  # per word delimiter frame (character models)
    log_add: bool = True  # sum a prefix's paths (True) or keep the best path (False)
    lm_unit: str = "auto"  # "word", "char", or "auto": the LM's lm_info.json says (else word)

    def check(self) -> None:
        if self.beam_size < 1:
            raise DecodingError(f"beam_size must be at least 1, got {self.beam_size}")
        if self.beam_size_token is not None and self.beam_size_token < 1:
            raise DecodingError(f"beam_size_token must be at least 1, got {self.beam_size_token}")
        if self.beam_threshold <= 0:
            raise DecodingError(f"beam_threshold must be positive, got {self.beam_threshold}")
        if self.lm_unit not in ("auto", "word", "char"):
            raise DecodingError(f"lm_unit must be auto, word or char, got {self.lm_unit!r}")


def lm_unit_of(lm: Path) -> str:
    """"char" or "word", from the ``lm_info.json`` that ``asrkit-lm`` writes beside the LM."""
    import json

    info = lm.parent / "lm_info.json"
    if info.is_file():
        try:
            data = json.loads(info.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            return "word"
        if data.get("arpa") in (None, lm.name) and data.get("unit") == "char":
            return "char"
    return "word"


def read_word_list(path: str | Path) -> list[str]:
    """Words of a lexicon file: the first column of each non-empty line."""
    path = Path(path)
    if not path.is_file():
        raise DecodingError(f"lexicon {path} does not exist")
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts:
            words.append(parts[0])
    if not words:
        raise DecodingError(f"lexicon {path} has no words")
    return words


def lm_vocabulary(lm: str | Path) -> list[str]:
    """The words of an ARPA LM; a binary LM needs an explicit lexicon."""
    from asrkit.ngram import LMError, read_arpa_vocabulary

    lm = Path(lm)
    if not lm.is_file():
        raise DecodingError(f"language model {lm} does not exist")
    try:
        return read_arpa_vocabulary(lm)
    except (LMError, UnicodeDecodeError):
        raise DecodingError(
            f"{lm} is not an ARPA file, so its vocabulary cannot be read; pass lexicon=<word list> "
            f"(e.g. the training words) for a binary LM"
        ) from None


def _load_kenlm(kenlm_class, path: Path, dictionary):
    if not path.is_file():
        raise DecodingError(f"language model {path} does not exist")
    try:
        return kenlm_class(str(path), dictionary)
    except RuntimeError as e:
        raise DecodingError(
            f"KenLM cannot load {path}: {str(e).strip().splitlines()[-1]} (the pip build of KenLM "
            f"reads n-grams up to order 6)"
        ) from None


class BeamSearchDecoder(Decoder):
    """Prefix beam search (flashlight-text), optionally with a KenLM word LM."""

    kind = "beam"

    def __init__(
        self,
        tokenizer: Tokenizer,
        lm: str | Path | None = None,
        lexicon: str | Path | list[str] | None = None,
        nbest: int = 1,
        options: BeamOptions | None = None,
    ) -> None:
        super().__init__(tokenizer, nbest)
        from flashlight.lib.text import decoder as fl

        self.options = options or BeamOptions()
        self.options.check()
        self.lm_path = None if lm is None else Path(lm)
        self.skipped_words: list[str] = []
        self.lm_unit: str | None = None
        o = self.options
        v = tokenizer.vocab_size
        token_beam = min(o.beam_size_token or v, v)
        delimiter = tokenizer.word_delimiter_id
        # The "silence" token: the word delimiter, or blank for SentencePiece (no delimiter).
        self.sil_id = tokenizer.blank_id if delimiter is None else delimiter
        sil_score = o.sil_score if delimiter is not None else 0.0
        if self.lm_path is None:
            if lexicon is not None:
                raise DecodingError("a lexicon needs an LM (lm=...) to score its words")
            opts = fl.LexiconFreeDecoderOptions(
                beam_size=o.beam_size, beam_size_token=token_beam, beam_threshold=o.beam_threshold,
                lm_weight=0.0, sil_score=sil_score, log_add=o.log_add,
                criterion_type=fl.CriterionType.CTC,
            )
            self._lm = fl.ZeroLM()
            # flashlight starts every path on the "silence" token, which would merge a
            # leading delimiter into the empty prefix; -1 (no token) keeps the search exact.
            sil = self.sil_id if sil_score else -1
            self._decoder = fl.LexiconFreeDecoder(opts, self._lm, sil, tokenizer.blank_id, [])
            self._words = None
            return
        unit = o.lm_unit if o.lm_unit != "auto" else lm_unit_of(self.lm_path)
        if unit == "char":
            if lexicon is not None:
                raise DecodingError("a character LM decodes without a lexicon; drop lexicon=...")
            self._build_char_lm_decoder(fl, token_beam, sil_score)
            return
        words = lexicon if isinstance(lexicon, list) else (
            read_word_list(lexicon) if lexicon is not None else lm_vocabulary(self.lm_path)
        )
        self._build_lexicon_decoder(fl, words, token_beam, sil_score)

    def _build_char_lm_decoder(self, fl, token_beam: int, sil_score: float) -> None:
        from flashlight.lib.text.decoder.kenlm import KenLM
        from flashlight.lib.text.dictionary import Dictionary

        tok, o = self.tokenizer, self.options
        if tok.word_delimiter_id is None:
            raise DecodingError(
                "a character LM needs a character tokenizer (| between words); this model uses "
                f"{tok.kind} pieces: train a word LM instead"
            )
        tokens = Dictionary()
        for t in tok.tokens:
            tokens.add_entry(t)
        self._lm = _load_kenlm(KenLM, self.lm_path, tokens)
        opts = fl.LexiconFreeDecoderOptions(
            beam_size=o.beam_size, beam_size_token=token_beam, beam_threshold=o.beam_threshold,
            lm_weight=o.lm_weight, sil_score=sil_score, log_add=o.log_add,
            criterion_type=fl.CriterionType.CTC,
        )
        self._decoder = fl.LexiconFreeDecoder(opts, self._lm, self.sil_id, tok.blank_id, [])
        self._words = None
        self.lm_unit = "char"

    def _build_lexicon_decoder(self, fl, words: list[str], token_beam: int, sil_score: float) -> None:
        from flashlight.lib.text.decoder.kenlm import KenLM
        from flashlight.lib.text.dictionary import Dictionary

        tok, o = self.tokenizer, self.options
        word_dict = Dictionary()
        for w in dict.fromkeys(words):
            if w not in LM_SPECIAL:
                word_dict.add_entry(w)
        if not word_dict.contains(UNK_WORD):
            word_dict.add_entry(UNK_WORD)
        self._lm = _load_kenlm(KenLM, self.lm_path, word_dict)
        trie = fl.Trie(tok.vocab_size, self.sil_id)
        start = self._lm.start(False)
        suffix = [] if tok.word_delimiter_id is None else [tok.word_delimiter_id]
        for i in range(word_dict.index_size()):
            word = word_dict.get_entry(i)
            if word == UNK_WORD:
                continue
            spelling = tok.spell(word)
            if not spelling or tok.unk_id in spelling:
                self.skipped_words.append(word)
                continue
            _, score = self._lm.score(start, i)
            trie.insert(spelling + suffix, i, score)
        if self.skipped_words:
            log.warning(
                "%d of %d LM words cannot be spelled with the tokenizer's tokens and are left out "
                "of the lexicon (e.g. %s); is the LM text normalized like the training text?",
                len(self.skipped_words), word_dict.index_size() - 1,
                ", ".join(self.skipped_words[:5]),
            )
        if len(self.skipped_words) >= word_dict.index_size() - 1:
            raise DecodingError(
                f"no word of the LM {self.lm_path} can be spelled with the tokenizer's tokens; "
                f"train the LM on text normalized like the acoustic model's transcripts"
            )
        trie.smear(fl.SmearingMode.MAX)
        opts = fl.LexiconDecoderOptions(
            beam_size=o.beam_size, beam_size_token=token_beam, beam_threshold=o.beam_threshold,
            lm_weight=o.lm_weight, word_score=o.word_score, unk_score=o.unk_score,
            sil_score=sil_score, log_add=o.log_add, criterion_type=fl.CriterionType.CTC,
        )
        self._trie = trie  # the decoder keeps a reference only on the C++ side
        self._words = word_dict
        self._decoder = fl.LexiconDecoder(
            opts, trie, self._lm, self.sil_id, tok.blank_id, word_dict.get_index(UNK_WORD), [], False
        )
        self.lm_unit = "word"

    def info(self) -> dict[str, Any]:
        info = super().info()
        info.update(vars(self.options))
        info["lm"] = None if self.lm_path is None else str(self.lm_path)
        info["lm_unit"] = self.lm_unit
        if self._words is not None:
            info["lexicon_words"] = self._words.index_size() - 1 - len(self.skipped_words)
        return info

    def decode(self, log_probs: torch.Tensor, lengths: torch.Tensor) -> list[list[Hypothesis]]:
        emissions = log_probs.detach().to("cpu", torch.float32)
        return [self._decode_one(emissions[b, : int(n)]) for b, n in enumerate(lengths.tolist())]

    def _decode_one(self, emissions: torch.Tensor) -> list[Hypothesis]:
        if emissions.shape[0] == 0:
            return [Hypothesis("", [], 0.0, 0.0, 0.0)]
        if self._words is not None and self.tokenizer.word_delimiter_id is not None:
            end = torch.full((1, emissions.shape[1]), IMPOSSIBLE)
            end[0, self.tokenizer.word_delimiter_id] = 0.0
            emissions = torch.cat([emissions, end])
        emissions = emissions.contiguous()
        t, v = emissions.shape
        results = self._decoder.decode(emissions.data_ptr(), t, v)
        hyps: dict[str, Hypothesis] = {}
        for r in sorted(results, key=lambda r: -r.score):
            hyp = self._hypothesis(r)
            if hyp.text not in hyps:
                hyps[hyp.text] = hyp
            if len(hyps) == self.nbest:
                break
        return list(hyps.values()) or [Hypothesis("", [], -math.inf)]

    def _hypothesis(self, result) -> Hypothesis:
        tok = self.tokenizer
        path = [k for k, _ in groupby(result.tokens)]
        tokens = [i for i in path if 0 <= i < tok.vocab_size and i != tok.blank_id]
        delim = tok.word_delimiter_id
        while tokens and tokens[0] == delim:
            tokens.pop(0)
        while tokens and tokens[-1] == delim:
            tokens.pop()
        text = tok.decode(tokens)  # the tokens spell lexicon and unknown words alike
        words = text.split()
        return Hypothesis(
            text, tokens, float(result.score), float(result.emittingModelScore),
            float(result.lmScore), words,
        )
