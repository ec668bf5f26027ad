"""Word and character n-gram language models in ARPA format: estimation, reading, KenLM tools.

The stage that trains one for a recipe is :mod:`asrkit.lm` (``asrkit-lm``).

A *character* LM (``--unit char``) is the same model over the characters of each
sentence with ``|`` between words, as the character tokenizer writes them; the beam
decoder uses it without a lexicon, so it can spell words it never saw.

The LM is trained on the training transcripts (a Kaldi ``text`` file, whose first column
is dropped) or on a plain text file, one sentence per line. KenLM's ``lmplz`` is used when
it is on ``PATH``; otherwise the model is estimated here with the same method:
**interpolated modified Kneser-Ney** (Chen & Goodman 1998, as lmplz):

* highest order: raw counts; lower orders: continuation counts N1+(• w) (the number of
  distinct words seen before the n-gram), except n-grams starting with ``<s>``, which
  keep their raw counts (nothing can precede ``<s>``);
* three discounts per order from the count-of-counts t_k of those adjusted counts:
  Y = t1 / (t1 + 2 t2), D_k = k - (k + 1) Y t_{k+1} / t_k for k = 1, 2, 3+;
* p(w | h) = (a(hw) - D(a(hw))) / Σ_x a(hx) + γ(h) p(w | h'), with
  γ(h) = (D1 N1(h•) + D2 N2(h•) + D3+ N3+(h•)) / Σ_x a(hx); unigrams interpolate with the
  uniform distribution over the vocabulary (words, ``</s>``, ``<unk>``).

Written in backoff form, γ(h) is exactly the backoff weight of h, so every context's
probabilities sum to one. Optional count pruning (``--prune 0 1 1``: drop n-grams of
order ≥ 2 whose adjusted count is at most the threshold) keeps the n-grams that longer
kept ones need and renormalizes the backoff weights so the sums stay at one.
"""

from __future__ import annotations

import collections
import logging
import math
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)  # lmplz --discount_fallback
NGram = tuple[str, ...]


class LMError(ValueError):
    """Input or options the LM trainer cannot use; the message says what to fix."""


def read_sentences(
    path: str | Path, kaldi_text: bool, normalizer=None, skipped: list[str] | None = None
) -> Iterator[list[str]]:
    """Word lists of ``path``, one per non-empty line (Kaldi ``text``: utt id dropped).

    Empty transcripts are skipped; their ``file:line`` goes to ``skipped`` when given.
    """
    path = Path(path)
    if not path.is_file():
        raise LMError(f"LM training text {path} does not exist")
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if kaldi_text:
                parts = line.split(maxsplit=1)
                line = parts[1] if len(parts) == 2 else ""
            if normalizer is not None:
                line = normalizer.normalize(line)
            words = line.split()
            if words:
                yield words
            elif skipped is not None:
                skipped.append(f"{path}:{lineno}")


def as_characters(words: list[str], delimiter: str = "|") -> list[str]:
    """A sentence as character "words": ``ab cd`` -> ``a b | c d``."""
    out: list[str] = []
    for w in words:
        if out:
            out.append(delimiter)
        out.extend(w)
    return out


def count_ngrams(sentences: Iterable[list[str]], order: int) -> list[dict[NGram, int]]:
    """Raw counts of every n-gram (n = 1..order) of ``<s> w1 .. wm </s>``; index n-1."""
    counts: list[collections.Counter[NGram]] = [collections.Counter() for _ in range(order)]
    for words in sentences:
        seq = (BOS, *words, EOS)
        for n in range(1, order + 1):
            c = counts[n - 1]
            for i in range(len(seq) - n + 1):
                c[seq[i : i + n]] += 1
    return [dict(c) for c in counts]


def adjust_counts(raw: list[dict[NGram, int]]) -> list[dict[NGram, int]]:
    """Kneser-Ney adjusted counts: continuation counts below the highest order."""
    order = len(raw)
    adjusted = [dict(raw[-1])]
    for n in range(order - 1, 0, -1):
        continuation: collections.Counter[NGram] = collections.Counter(g[1:] for g in raw[n])
        adjusted.insert(
            0, {g: (c if g[0] == BOS else continuation[g]) for g, c in raw[n - 1].items()}
        )
    return adjusted


def discounts(adjusted: dict[NGram, int], n: int) -> tuple[float, float, float]:
    """(D1, D2, D3+) from the count-of-counts of one order; lmplz's fallback if undefined."""
    t = collections.Counter(c for g, c in adjusted.items() if c <= 4 and g != (BOS,))
    try:
        y = t[1] / (t[1] + 2 * t[2])
        d = tuple(k - (k + 1) * y * t[k + 1] / t[k] for k in (1, 2, 3))
    except ZeroDivisionError:
        d = ()
    if len(d) != 3 or not all(0 < dk <= k for k, dk in zip((1, 2, 3), d)):
        log.warning(
            "order %d: count-of-counts %s give invalid discounts; "
            "using the fallback discounts %s", n, dict(sorted(t.items())), FALLBACK_DISCOUNTS,
        )
        return FALLBACK_DISCOUNTS
    return d  # type: ignore[return-value]


@dataclass
class NGramModel:
    """An n-gram model in backoff form: log10 probabilities and backoff weights."""

    order: int
    prob: list[dict[NGram, float]]  # index n-1: n-gram -> probability (not log)
    backoff: dict[NGram, float] = field(default_factory=dict)  # context -> weight (not log)
    discounts: list[tuple[float, float, float]] = field(default_factory=list)

    def vocabulary(self) -> list[str]:
        return sorted(g[0] for g in self.prob[0])

    def probability(self, word: str, context: NGram = ()) -> float:
        """p(word | context) by the ARPA backoff rule."""
        context = tuple(context)[-(self.order - 1) :] if self.order > 1 else ()
        weight = 1.0
        while True:
            p = self.prob[len(context)].get((*context, word))
            if p is not None:
                return weight * p
            if not context:
                return weight * self.prob[0][(UNK,)]
            weight *= self.backoff.get(context, 1.0)
            context = context[1:]

    def write_arpa(self, path: str | Path) -> Path:
        """Write ``path`` in ARPA format (log10 values; ``<s>`` gets -99 as lmplz writes)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n\\data\\\n")
            for n in range(1, self.order + 1):
                f.write(f"ngram {n}={len(self.prob[n - 1])}\n")
            for n in range(1, self.order + 1):
                f.write(f"\n\\{n}-grams:\n")
                for g in sorted(self.prob[n - 1]):
                    p = self.prob[n - 1][g]
                    lp = -99.0 if g == (BOS,) else math.log10(p)
                    line = f"{lp:.7f}\t{' '.join(g)}"
                    if n < self.order and g in self.backoff:
                        line += f"\t{math.log10(self.backoff[g]):.7f}"
                    f.write(line + "\n")
            f.write("\n\\end\\\n")
        return path


def estimate(
    sentences: Iterable[list[str]], order: int = 3, prune: list[int] | None = None
) -> NGramModel:
    """Interpolated modified Kneser-Ney estimate of an ``order``-gram model."""
    if order < 1:
        raise LMError(f"the LM order must be at least 1, got {order}")
    prune = list(prune or [])
    if prune and (len(prune) > order or prune[0] != 0 or any(b < a for a, b in zip(prune, prune[1:]))):
        raise LMError(
            f"--prune takes one threshold per order, starting with 0 for unigrams and never "
            f"decreasing (e.g. 0 1 1 for a trigram), got {prune}"
        )
    prune += [prune[-1] if prune else 0] * (order - len(prune))
    raw = count_ngrams(sentences, order)
    if not raw[0]:
        raise LMError("the LM training text has no words")
    adjusted = adjust_counts(raw)
    discount = [discounts(adjusted[n - 1], n) for n in range(1, order + 1)]

    vocab = {g for g in adjusted[0] if g != (BOS,)} | {(UNK,), (EOS,)}
    interp: list[dict[NGram, float]] = []
    gamma: dict[NGram, float] = {}
    for n in range(1, order + 1):
        d1, d2, d3 = discount[n - 1]
        by_context: dict[NGram, list[NGram]] = collections.defaultdict(list)
        for g in adjusted[n - 1]:
            if g != (BOS,):
                by_context[g[:-1]].append(g)
        probs: dict[NGram, float] = {}
        for h, grams in by_context.items():
            counts = [adjusted[n - 1][g] for g in grams]
            total = sum(counts)
            nk = collections.Counter(min(c, 3) for c in counts)
            gamma[h] = (d1 * nk[1] + d2 * nk[2] + d3 * nk[3]) / total
            for g, c in zip(grams, counts):
                lower = 1.0 / len(vocab) if n == 1 else interp[n - 2][g[1:]]
                probs[g] = (c - (d1, d2, d3)[min(c, 3) - 1]) / total + gamma[h] * lower
        if n == 1:
            for g in vocab - set(probs):  # <unk>, and </s> for an empty text
                probs[g] = gamma[()] / len(vocab)
            probs[(BOS,)] = 0.0
        interp.append(probs)

    if not any(prune):
        backoff = {h: w for h, w in gamma.items() if h}
        return NGramModel(order, interp, backoff, discount)
    return _prune(interp, adjusted, prune, discount)


def _prune(
    interp: list[dict[NGram, float]],
    adjusted: list[dict[NGram, int]],
    prune: list[int],
    discount: list[tuple[float, float, float]],
) -> NGramModel:
    """Drop rare n-grams (keeping those longer kept n-grams need) and renormalize backoffs."""
    order = len(interp)
    keep: list[set[NGram]] = [set() for _ in range(order)]
    keep[0] = set(interp[0])
    for n in range(order, 1, -1):
        kept = {g for g in interp[n - 1] if adjusted[n - 1][g] > prune[n - 1]}
        if n < order:
            kept |= {g[:-1] for g in keep[n]} | {g[1:] for g in keep[n]}
        keep[n - 1] = kept
    model = NGramModel(order, [{g: interp[n][g] for g in keep[n]} for n in range(order)], {}, discount)
    for n in range(2, order + 1):
        children: dict[NGram, list[NGram]] = collections.defaultdict(list)
        for g in model.prob[n - 1]:
            children[g[:-1]].append(g)
        for h, grams in children.items():
            left = 1.0 - sum(model.prob[n - 1][g] for g in grams)
            lower = 1.0 - sum(model.probability(g[-1], h[1:]) for g in grams)
            model.backoff[h] = max(left, 1e-12) / max(lower, 1e-12)
    return model


def read_arpa_vocabulary(path: str | Path) -> list[str]:
    """The unigrams of an ARPA file (plain or .gz), in file order."""
    import gzip

    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    words: list[str] = []
    section = None
    with opener(path, "rt", encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if line.startswith("\\"):
                section = line
                if section == "\\2-grams:" or section == "\\end\\":
                    break
                continue
            if section == "\\1-grams:" and line:
                parts = line.split()
                if len(parts) < 2:
                    raise LMError(f"{path}:{lineno}: malformed unigram line {line!r}")
                words.append(parts[1])
    if not words:
        raise LMError(f"{path}: no \\1-grams: section; is this an ARPA file?")
    return words


def run_lmplz(text_file: Path, arpa: Path, order: int, prune: list[int], memory: str) -> None:
    """Estimate with KenLM's ``lmplz`` (same method, faster on large text)."""
    cmd = ["lmplz", "-o", str(order), "-S", memory, "--text", str(text_file), "--arpa", str(arpa),
           "--discount_fallback"]
    if prune and any(prune):
        cmd += ["--prune", *map(str, prune)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LMError(f"lmplz failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")


def build_binary(arpa: Path, binary: Path) -> Path:
    """KenLM binary format via ``build_binary`` (faster loading)."""
    if shutil.which("build_binary") is None:
        raise LMError(
            "--binary needs KenLM's build_binary on PATH (build KenLM from source); "
            "the ARPA file works without it"
        )
    proc = subprocess.run(["build_binary", str(arpa), str(binary)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise LMError(f"build_binary failed on {arpa}: {proc.stderr[-2000:]}")
    return binary
