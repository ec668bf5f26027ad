"""Confusion counts and what classification reports from them: accuracy, macro-F1,
per-class precision, recall and F1 (one definition for training's validation and
stage 7's evaluation).

Rows are true labels, columns predicted ones. A true label the classifier cannot
predict (a test label training never saw) has a row and an empty column, so it is
scored wrong and lowers the macro average, as scikit-learn's ``f1_score(average="macro")``
does over the labels present in either the references or the predictions. A
precision or recall whose denominator is 0 is 0 (scikit-learn's ``zero_division=0``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class Confusion:
    labels: list[str]
    counts: np.ndarray  # [labels, labels] int64: counts[true, predicted]

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]], labels: Sequence[str] = ()) -> Confusion:
        """Counts of ``(true, predicted)`` pairs; ``labels`` first in their order, then any
        other label met, in order of appearance."""
        return cls.of_counts(Counter(pairs), labels)

    @classmethod
    def of_counts(cls, pair_counts: Mapping[tuple[str, str], float],
                  labels: Sequence[str] = ()) -> Confusion:
        """As :meth:`of`, from ``{(true, predicted): count}``."""
        order = list(dict.fromkeys([*labels, *(t for t, _ in pair_counts), *(p for _, p in pair_counts)]))
        index = {label: i for i, label in enumerate(order)}
        counts = np.zeros((len(order), len(order)), dtype=np.int64)
        for (true, predicted), n in pair_counts.items():
            counts[index[true], index[predicted]] += int(n)
        return cls(order, counts)

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def present(self) -> list[int]:
        """Indices of labels that occur as reference or prediction (the macro average's)."""
        return [i for i in range(len(self.labels))
                if self.counts[i].sum() > 0 or self.counts[:, i].sum() > 0]

    def accuracy(self) -> float:
        return float(np.trace(self.counts)) / self.total if self.total else 0.0

    def per_class(self) -> dict[str, dict[str, float]]:
        """``{label: {precision, recall, f1, support}}`` for the labels present."""
        out = {}
        for i in self.present():
            hit = float(self.counts[i, i])
            support = float(self.counts[i].sum())
            predicted = float(self.counts[:, i].sum())
            precision = hit / predicted if predicted else 0.0
            recall = hit / support if support else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            out[self.labels[i]] = {"precision": precision, "recall": recall, "f1": f1,
                                   "support": int(support)}
        return out

    def macro_f1(self) -> float:
        scores = [c["f1"] for c in self.per_class().values()]
        return float(np.mean(scores)) if scores else 0.0

    def metrics(self) -> dict[str, float]:
        return {"accuracy": self.accuracy(), "macro_f1": self.macro_f1()}

    def as_text(self) -> str:
        """The matrix as an aligned table (true labels down, predictions across)."""
        width = max([len("true \\ predicted"), *(len(label) for label in self.labels)])
        cell = max([5, *(len(label) for label in self.labels), len(str(self.counts.max(initial=0)))])
        lines = ["true \\ predicted".ljust(width) + " " + " ".join(lb.rjust(cell) for lb in self.labels)]
        for label, row in zip(self.labels, self.counts):
            lines.append(label.ljust(width) + " " + " ".join(str(int(n)).rjust(cell) for n in row))
        return "\n".join(lines) + "\n"
