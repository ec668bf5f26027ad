"""Tokenizers for CTC: characters with ``|`` between words, or SentencePiece pieces.

Both kinds put ``<blank>`` at id 0 (the CTC blank) and keep an ``<unk>``; both save
themselves into an experiment directory (``tokenizer.json`` + ``tokens.txt``, plus
``sp.model`` for SentencePiece) and come back with :func:`load_tokenizer`.

The word structure is explicit because the LM decoder needs it: :meth:`Tokenizer.spell`
gives the token ids of one word, ``word_delimiter_id`` is the id of ``|`` for characters
(``None`` for SentencePiece, whose word boundaries are the ``▁`` that starts a word).

*Vocabulary trap* (METHODS.md §5): a character vocabulary that keeps " " while encoding
maps spaces to ``|`` turns every word boundary into ``<unk>``. Here a space is never a
token: text is split into words and joined with ``|``.

Characters outside the vocabulary become ``<unk>`` and are counted in
:attr:`Tokenizer.oov_counts` (character -> count) for the caller to report.
"""

from __future__ import annotations

import collections
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from asrkit.config import to_dict
from asrkit.text.normalize import TextNormalizer

log = logging.getLogger(__name__)

BLANK = "<blank>"
UNK = "<unk>"
WORD_DELIMITER = "|"
SP_WORD_START = "\u2581"  # "▁", SentencePiece's mark of a word's first piece
KINDS = ("char", "unigram", "bpe")


class TokenizerError(ValueError):
    """Tokenizer input or files that cannot be used; the message says what to fix."""


def _named_texts(texts: Iterable[str] | Mapping[str, str]) -> list[tuple[str, str]]:
    """(name, text) pairs; ``name`` is the utterance id, or ``line N`` for a plain list."""
    if isinstance(texts, Mapping):
        return [(str(k), v) for k, v in texts.items()]
    return [(f"line {i}", t) for i, t in enumerate(texts, 1)]


class Tokenizer(ABC):
    """What the trainer, the decoders and the LM lexicon need from a tokenizer."""

    kind: str
    tokens: list[str]
    blank_id: int = 0
    unk_id: int
    #: id of ``|`` between words, or ``None`` when words are marked otherwise (▁).
    word_delimiter_id: int | None

    def __init__(self, normalizer: TextNormalizer | None = None) -> None:
        self.normalizer = normalizer
        self.oov_counts: collections.Counter[str] = collections.Counter()

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    @property
    def word_delimiter(self) -> str | None:
        return None if self.word_delimiter_id is None else self.tokens[self.word_delimiter_id]

    def prepare(self, text: str) -> str:
        """The text the tokens stand for: normalized (if configured), words one space apart."""
        if self.normalizer is not None:
            text = self.normalizer.normalize(text)
        return " ".join(text.split())

    @abstractmethod
    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``; unknown characters become ``unk_id`` and are counted."""

    @abstractmethod
    def decode(self, ids: Iterable[int]) -> str:
        """Text of token ids (blanks are skipped); words are separated by one space."""

    @abstractmethod
    def spell(self, word: str) -> list[int]:
        """Token ids of one word as it appears inside a sentence, without a delimiter.

        Unknown characters give ``unk_id`` but are not counted: this builds lexicons, and
        the caller decides what an unspellable word means there.
        """

    @abstractmethod
    def _save_files(self, out_dir: Path) -> dict[str, Any]:
        """Write kind-specific files; return the extra fields for ``tokenizer.json``."""

    def save(self, out_dir: str | Path) -> Path:
        """Write ``tokenizer.json`` and ``tokens.txt`` (one token per line, id = line - 1)."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "tokens.txt").write_text("".join(t + "\n" for t in self.tokens), encoding="utf-8")
        info = {
            "kind": self.kind,
            "vocab_size": self.vocab_size,
            "blank_id": self.blank_id,
            "unk_id": self.unk_id,
            "word_delimiter": self.word_delimiter,
            "normalizer": None if self.normalizer is None else to_dict(self.normalizer),
        }
        info.update(self._save_files(out_dir))
        with open(out_dir / "tokenizer.json", "w", encoding="utf-8") as f:
            json.dump(info, f, indent=2, ensure_ascii=False)
            f.write("\n")
        return out_dir

    def to_info(self) -> dict[str, Any]:
        """Small summary for checkpoints and logs."""
        return {"kind": self.kind, "vocab_size": self.vocab_size, "blank_id": self.blank_id}


class CharTokenizer(Tokenizer):
    """Every character of the training text, ``|`` between words, ``<blank>`` and ``<unk>``.

    Ids: ``<blank>`` 0, ``<unk>`` 1, ``|`` 2, then characters by falling frequency (ties in
    code-point order), so the same text always gives the same vocabulary.
    """

    kind = "char"

    def __init__(self, tokens: list[str], normalizer: TextNormalizer | None = None) -> None:
        super().__init__(normalizer)
        if tokens[:3] != [BLANK, UNK, WORD_DELIMITER]:
            raise TokenizerError(
                f"a character vocabulary must start with {BLANK}, {UNK}, {WORD_DELIMITER}; "
                f"got {tokens[:3]}"
            )
        bad = [t for t in tokens[3:] if len(t) != 1 or t.isspace()]
        if bad:
            raise TokenizerError(
                f"character vocabulary entries must be single non-space characters; got {bad[:5]}"
            )
        if len(set(tokens)) != len(tokens):
            dup = [t for t, n in collections.Counter(tokens).items() if n > 1]
            raise TokenizerError(f"duplicate tokens in the character vocabulary: {dup[:5]}")
        self.tokens = list(tokens)
        self.unk_id = 1
        self.word_delimiter_id = 2
        self._ids = {t: i for i, t in enumerate(self.tokens)}

    @classmethod
    def train(
        cls, texts: Iterable[str] | Mapping[str, str], normalizer: TextNormalizer | None = None
    ) -> "CharTokenizer":
        """Vocabulary of every character in ``texts`` (after ``normalizer``)."""
        counts: collections.Counter[str] = collections.Counter()
        probe = cls([BLANK, UNK, WORD_DELIMITER], normalizer)
        for name, text in _named_texts(texts):
            text = probe.prepare(text)
            if WORD_DELIMITER in text:
                raise TokenizerError(
                    f"transcript {name} contains {WORD_DELIMITER!r}, the word delimiter of the "
                    f"character vocabulary: {text!r}. Remove it from the transcripts (or use a "
                    f"normalizer that removes punctuation)."
                )
            counts.update(text.replace(" ", ""))
        if not counts:
            raise TokenizerError("no characters in the training transcripts: they are all empty")
        chars = sorted(counts, key=lambda c: (-counts[c], c))
        return cls([BLANK, UNK, WORD_DELIMITER] + chars, normalizer)

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for word in self.prepare(text).split(" "):
            if not word:
                continue
            if ids:
                ids.append(self.word_delimiter_id)
            ids.extend(self._char_id(ch) for ch in word)
        return ids

    def spell(self, word: str) -> list[int]:
        return [self._char_id(ch, count=False) for ch in word]

    def _char_id(self, ch: str, count: bool = True) -> int:
        i = self._ids.get(ch)
        if i is None or i < 3:
            if count:
                self.oov_counts[ch] += 1
            return self.unk_id
        return i

    def decode(self, ids: Iterable[int]) -> str:
        words: list[str] = []
        current: list[str] = []
        for i in ids:
            i = int(i)
            if i == self.blank_id:
                continue
            if i == self.word_delimiter_id:
                if current:
                    words.append("".join(current))
                    current = []
                continue
            current.append(self.tokens[i])
        if current:
            words.append("".join(current))
        return " ".join(words)

    def _save_files(self, out_dir: Path) -> dict[str, Any]:
        return {}


class SentencePieceTokenizer(Tokenizer):
    """SentencePiece unigram or BPE pieces, trained on the training text.

    The model is trained with ``<blank>`` as its id-0 control symbol (SentencePiece's pad
    slot), ``<unk>`` at 1 and no BOS/EOS, so its ids are the CTC output ids unchanged.
    Text is not rewritten by SentencePiece (``identity`` normalization): normalization is
    the :class:`TextNormalizer`'s job, so decode(encode(x)) gives x back.
    """

    MODEL = "sp.model"

    def __init__(
        self, model_file: str | Path, normalizer: TextNormalizer | None = None, kind: str | None = None
    ) -> None:
        import sentencepiece as spm

        super().__init__(normalizer)
        self.model_file = Path(model_file)
        if not self.model_file.is_file():
            raise TokenizerError(f"SentencePiece model {self.model_file} does not exist")
        self.sp = spm.SentencePieceProcessor(model_file=str(self.model_file))
        self.tokens = [self.sp.id_to_piece(i) for i in range(self.sp.get_piece_size())]
        if self.tokens[0] != BLANK:
            raise TokenizerError(
                f"{self.model_file}: id 0 is {self.tokens[0]!r}, not {BLANK}; this model was not "
                f"trained by asrkit for CTC (retrain it with build_tokenizer)"
            )
        self.unk_id = self.sp.unk_id()
        self.word_delimiter_id = None
        self._known_chars = {ch for i, t in enumerate(self.tokens) if not self.sp.is_control(i) and i != self.unk_id for ch in t} | {" "}
        self.kind = kind or self._model_type()

    def _model_type(self) -> str:
        """"bpe" or "unigram", read from the model file (needs protobuf)."""
        from sentencepiece import sentencepiece_model_pb2 as pb

        proto = pb.ModelProto()
        proto.ParseFromString(self.model_file.read_bytes())
        return "bpe" if proto.trainer_spec.model_type == pb.TrainerSpec.BPE else "unigram"

    @classmethod
    def train(
        cls,
        texts: Iterable[str] | Mapping[str, str],
        out_dir: str | Path,
        model_type: str = "unigram",
        vocab_size: int = 256,
        character_coverage: float = 1.0,
        normalizer: TextNormalizer | None = None,
    ) -> "SentencePieceTokenizer":
        """Train on ``texts``; ``vocab_size`` counts ``<blank>`` and ``<unk>``.

        Small corpora cannot fill a large vocabulary; the model then stops at the largest
        size the text supports (logged), rather than failing.
        """
        import sentencepiece as spm

        if model_type not in ("unigram", "bpe"):
            raise TokenizerError(f"SentencePiece model type must be unigram or bpe, got {model_type!r}")
        probe = CharTokenizer([BLANK, UNK, WORD_DELIMITER], normalizer)
        lines = [probe.prepare(t) for _, t in _named_texts(texts)]
        lines = [t for t in lines if t]
        if not lines:
            raise TokenizerError("no text to train SentencePiece on: the transcripts are all empty")
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        prefix = out_dir / Path(cls.MODEL).stem
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(lines),
                model_prefix=str(prefix),
                model_type=model_type,
                vocab_size=vocab_size,
                character_coverage=character_coverage,
                normalization_rule_name="identity",
                pad_id=0,
                pad_piece=BLANK,
                unk_id=1,
                unk_piece=UNK,
                bos_id=-1,
                eos_id=-1,
                hard_vocab_limit=False,
                num_threads=1,
                minloglevel=2,
            )
        except RuntimeError as e:
            raise TokenizerError(f"SentencePiece training failed ({model_type}, vocab {vocab_size}): {e}") from None
        tok = cls(prefix.with_suffix(".model"), normalizer, model_type)
        if tok.vocab_size < vocab_size:
            log.warning(
                "SentencePiece %s: the training text supports %d pieces, fewer than the requested %d",
                model_type, tok.vocab_size, vocab_size,
            )
        return tok

    def encode(self, text: str) -> list[int]:
        text = self.prepare(text)
        if not text:
            return []
        ids = self.sp.encode(text, out_type=int)
        if self.unk_id in ids:
            self.oov_counts.update(ch for ch in text if ch not in self._known_chars)
        return ids

    def spell(self, word: str) -> list[int]:
        return self.sp.encode(word, out_type=int)

    def decode(self, ids: Iterable[int]) -> str:
        ids = [int(i) for i in ids if int(i) != self.blank_id]
        return " ".join(self.sp.decode(ids).split())

    def _save_files(self, out_dir: Path) -> dict[str, Any]:
        target = out_dir / self.MODEL
        if target.resolve() != self.model_file.resolve():
            target.write_bytes(self.model_file.read_bytes())
        return {"model": self.MODEL}


def build_tokenizer(
    kind: str,
    texts: Iterable[str] | Mapping[str, str],
    out_dir: str | Path,
    normalizer: str | dict | TextNormalizer | None = None,
    vocab_size: int = 256,
    character_coverage: float = 1.0,
) -> Tokenizer:
    """Train a tokenizer of ``kind`` ("char", "unigram", "bpe") and save it in ``out_dir``.

    ``texts`` is a list of transcripts or a mapping utterance id -> transcript (error
    messages then name the utterance). ``normalizer`` (preset name, mapping or instance)
    is applied to the training text and to every text encoded later.
    """
    norm = None if normalizer is None else TextNormalizer.from_spec(normalizer)
    if kind == "char":
        tok: Tokenizer = CharTokenizer.train(texts, norm)
    elif kind in ("unigram", "bpe"):
        tok = SentencePieceTokenizer.train(
            texts, out_dir, kind, vocab_size, character_coverage, norm
        )
    else:
        raise TokenizerError(f"unknown tokenizer kind {kind!r}; choose one of {', '.join(KINDS)}")
    tok.save(out_dir)
    return tok


def load_tokenizer(directory: str | Path) -> Tokenizer:
    """The tokenizer saved in ``directory`` (``tokenizer.json``; a bare ``tokens.txt`` is
    read as a character vocabulary)."""
    directory = Path(directory)
    info_file = directory / "tokenizer.json"
    if info_file.is_file():
        try:
            info = json.loads(info_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise TokenizerError(f"{info_file}: not valid JSON ({e})") from None
    elif (directory / "tokens.txt").is_file():
        info = {"kind": "char"}
    else:
        raise TokenizerError(
            f"no tokenizer in {directory}: expected tokenizer.json or tokens.txt "
            f"(written by build_tokenizer during fine-tuning)"
        )
    norm = info.get("normalizer")
    norm = None if norm is None else TextNormalizer.from_spec(norm)
    kind = info.get("kind")
    if kind == "char":
        tokens_file = directory / "tokens.txt"
        if not tokens_file.is_file():
            raise TokenizerError(f"{tokens_file} is missing")
        tokens = tokens_file.read_text(encoding="utf-8").split("\n")
        if tokens and tokens[-1] == "":
            tokens.pop()
        try:
            return CharTokenizer(tokens, norm)
        except TokenizerError as e:
            raise TokenizerError(f"{tokens_file}: {e}") from None
    if kind in ("unigram", "bpe"):
        return SentencePieceTokenizer(
            directory / info.get("model", SentencePieceTokenizer.MODEL), norm, kind
        )
    raise TokenizerError(f"{info_file}: unknown tokenizer kind {kind!r}; expected one of {', '.join(KINDS)}")
