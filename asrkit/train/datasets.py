"""Training data read lazily from a stage-2 dump directory, and the padded batch.

A dump directory holds ``feats.scp`` (kaldiio ark offsets: raw waveform vectors [T], float32
or int16 WAV scaled to [-1, 1] as :func:`asrkit.features.load_feature` reads them, or fbank
matrices [T, F]), the lengths in ``utt2num_samples`` (raw) or ``utt2num_frames``
(fbank), and the per-utterance table that holds the targets when the task has any:
``text`` for ASR, or any ``utt2<label>`` (``utt2accent``, ``utt2lang``) for classification.
Only the tables are read up front: bucketing needs
lengths, never audio, and each item opens its ark at its offset when the loader asks
for it, so the corpus is never in memory.

Utterances a task cannot use are excluded with a reason in :attr:`FeatsDataset.exclusions`
(the trainer writes them to ``<exp>/excluded_utts.txt``): shorter than ``min_length``,
longer than ``max_length`` when they cannot be cropped (they have targets), no target, a
target the task's ``to_ids`` rejects, or whatever the task's ``keep`` filter
says (e.g. CTC needs at least as many frames as tokens).

Crops and augmentation (``augment``, e.g. :class:`asrkit.data.augment.NoiseAugment`) are
random but reproducible: they depend only on (seed, epoch, utterance), not on worker
processes, ranks or resumption.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch

from asrkit.data.exclusions import Exclusions
from asrkit.data.tables import Table, load_table
from asrkit.features import load_feature

TARGET_PAD = -1
_AUGMENT_STREAM = 1  # the 4th seed word of augmentation's generator (crops use 3)


class DatasetError(ValueError):
    """A dump directory the trainer cannot read; the message says which file and what to do."""


class EmptyDatasetError(DatasetError):
    """No utterance is left after exclusions."""


@dataclass
class Example:
    utt_id: str
    inputs: torch.Tensor  # [T] or [T, F]
    targets: torch.Tensor | None = None  # [S] token ids


@dataclass
class Batch:
    """Padded examples. Padding is 0 in ``inputs`` and ``TARGET_PAD`` (-1) in ``targets``."""

    utt_ids: list[str]
    inputs: torch.Tensor  # [B, T] or [B, T, F]
    lengths: torch.Tensor  # [B] int64
    targets: torch.Tensor | None = None  # [B, S] int64
    target_lengths: torch.Tensor | None = None  # [B] int64

    def __len__(self) -> int:
        return len(self.utt_ids)

    def _map(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> Batch:
        values = {}
        for f in fields(self):
            value = getattr(self, f.name)
            values[f.name] = fn(value) if isinstance(value, torch.Tensor) else value
        return Batch(**values)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        return self._map(lambda t: t.to(device, non_blocking=non_blocking))

    def pin_memory(self) -> Batch:
        return self._map(lambda t: t.pin_memory())


@dataclass
class JointBatch:
    """One micro-batch of each stream a joint update reads (joint SSL + CTC training): a
    ``labeled`` and an ``unlabeled`` batch, either of which is None when the update does not
    read that stream. Both come from dumps of one feature type, so lengths share a unit."""

    labeled: Batch | None = None
    unlabeled: Batch | None = None

    @property
    def parts(self) -> list[Batch]:
        return [b for b in (self.unlabeled, self.labeled) if b is not None]

    @property
    def utt_ids(self) -> list[str]:
        return [u for b in self.parts for u in b.utt_ids]

    @property
    def lengths(self) -> torch.Tensor:
        return torch.cat([b.lengths for b in self.parts])

    def __len__(self) -> int:
        return len(self.utt_ids)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> JointBatch:
        def move(batch: Batch | None) -> Batch | None:
            return batch.to(device, non_blocking=non_blocking) if batch is not None else None

        return JointBatch(move(self.labeled), move(self.unlabeled))


def shapes(batch: Batch | JointBatch) -> str:
    """The padded input shape(s) of a micro-batch, for messages."""
    if isinstance(batch, JointBatch):
        return " + ".join(f"{name} {tuple(b.inputs.shape)}" for name, b in
                          (("unlabeled", batch.unlabeled), ("labeled", batch.labeled)) if b is not None)
    return f"{tuple(batch.inputs.shape)}"


def collate(examples: Sequence[Example]) -> Batch:
    """Zero-pad inputs along time; pad targets with ``TARGET_PAD``."""
    first = examples[0].inputs
    for ex in examples:
        if ex.inputs.shape[1:] != first.shape[1:]:
            raise DatasetError(
                f"utterance '{ex.utt_id}' has feature shape {tuple(ex.inputs.shape[1:])}, but "
                f"'{examples[0].utt_id}' has {tuple(first.shape[1:])}; the dump mixes feature "
                "types: re-run stage 2 for this set"
            )
    lengths = torch.tensor([ex.inputs.shape[0] for ex in examples], dtype=torch.long)
    inputs = first.new_zeros((len(examples), int(lengths.max()), *first.shape[1:]))
    for i, ex in enumerate(examples):
        inputs[i, : ex.inputs.shape[0]] = ex.inputs
    targets = target_lengths = None
    if examples[0].targets is not None:
        target_lengths = torch.tensor([len(ex.targets) for ex in examples], dtype=torch.long)
        targets = torch.full((len(examples), int(target_lengths.max())), TARGET_PAD, dtype=torch.long)
        for i, ex in enumerate(examples):
            targets[i, : len(ex.targets)] = ex.targets
    return Batch([ex.utt_id for ex in examples], inputs, lengths, targets, target_lengths)


class FeatsDataset(torch.utils.data.Dataset):
    """Utterances of one dump directory, read one at a time.

    ``min_length``/``max_length`` are in the dump's unit (:attr:`unit`: "samples" or
    "frames"). ``targets`` names the table of targets (``text`` or a ``utt2<label>``)
    and ``to_ids`` maps its value to ids (raise ``ValueError`` or ``KeyError`` to reject
    it; a label becomes one id); without ``to_ids`` there are no targets. ``keep(utt_id, length, target_ids)`` returns a reason to
    exclude an utterance, or None. ``crop`` applies to utterances longer than
    ``max_length`` when there are no targets; with targets they are excluded instead.
    ``augment(array, rng)`` changes each item as it is read (training sets only), with a
    generator seeded from (seed, epoch, index).
    """

    def __init__(
        self,
        data_dir: str | Path,
        *,
        name: str | None = None,
        min_length: int = 0,
        max_length: int | None = None,
        crop: bool = True,
        targets: str = "text",
        to_ids: Callable[[str], Sequence[int]] | None = None,
        keep: Callable[[str, int, Sequence[int] | None], str | None] | None = None,
        augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
        seed: int = 0,
        sample_rate: int = 16000,
        frame_shift: float = 0.01,
    ):
        self.data_dir = Path(data_dir)
        self.name = name or self.data_dir.name
        self.min_length = min_length
        self.max_length = max_length
        self.crop = crop and to_ids is None
        self.targets = targets
        self.augment = augment
        self.seed = seed
        self.epoch = 0
        self.exclusions = Exclusions()
        if max_length is not None and max_length < max(min_length, 1):
            raise DatasetError(f"max_length {max_length} is below min_length {min_length}")

        scp = self.data_dir / "feats.scp"
        if not scp.is_file():
            raise DatasetError(
                f"{scp}: no such file; run stage 2 (asrkit-dump) for {self.data_dir} first"
            )
        feats = load_table(scp)
        self.unit, lengths = self._read_lengths()
        self.seconds_per_unit = 1.0 / sample_rate if self.unit == "samples" else frame_shift
        texts = self._read_targets() if to_ids is not None else None

        utt_ids: list[str] = []
        specs: list[str] = []
        targets: list[np.ndarray] = []
        kept_lengths = []
        for utt, spec in feats.values.items():
            where = f"{scp}:{feats.lines[utt]}"
            length = lengths.get(utt)
            if length is None:
                self.exclusions.add(utt, "no-length", f"{where}: not in utt2num_{self.unit}")
                continue
            ids = None
            if texts is not None:
                if utt not in texts.values:
                    self.exclusions.add(utt, f"no-{self.targets}", f"{where}: not in {texts.path}")
                    continue
                text_where = f"{texts.path}:{texts.lines[utt]}"
                try:
                    ids = np.asarray(list(to_ids(texts.values[utt])), dtype=np.int64)
                except (ValueError, KeyError) as e:
                    reason = e.args[0] if isinstance(e, KeyError) and e.args else e  # no repr quotes
                    self.exclusions.add(utt, "untokenizable", f"{text_where}: {reason}")
                    continue
                if ids.size == 0:
                    self.exclusions.add(utt, "empty-target", f"{text_where}: no tokens")
                    continue
            if length < max(min_length, 1):
                self.exclusions.add(
                    utt, "too-short", f"{where}: {length} {self.unit} < min_length {min_length}"
                )
                continue
            if max_length is not None and length > max_length:
                if not self.crop:
                    self.exclusions.add(
                        utt, "too-long", f"{where}: {length} {self.unit} > max_length {max_length}"
                    )
                    continue
                length = max_length
            reason = keep(utt, length, ids) if keep is not None else None
            if reason:
                self.exclusions.add(utt, reason, where)
                continue
            utt_ids.append(utt)
            specs.append(spec)
            kept_lengths.append(length)
            if ids is not None:
                targets.append(ids)
        self.total = len(feats.values)
        # numpy byte strings, not lists of str: forked loader workers touching millions of
        # Python objects would copy them page by page (their reference counts change)
        self._utt_ids = np.array([u.encode() for u in utt_ids], dtype=np.bytes_)
        self._specs = np.array([s.encode() for s in specs], dtype=np.bytes_)
        self.lengths = np.asarray(kept_lengths, dtype=np.int64)
        self.has_targets = texts is not None
        self.target_lengths = np.array([len(t) for t in targets], dtype=np.int64)
        self._target_ids = np.concatenate(targets) if targets else np.zeros(0, dtype=np.int64)
        self._target_starts = np.concatenate([[0], np.cumsum(self.target_lengths)])
        if not utt_ids:
            raise EmptyDatasetError(
                f"{self.data_dir}: no utterance left of {self.total} after exclusions\n"
                f"{self.exclusions.summary(self.total)}\n"
                "Check min_length/max_length against the data (utt2num_*), the transcripts and "
                "the tokenizer, or re-run stage 2."
            )

    def _read_lengths(self) -> tuple[str, dict[str, int]]:
        for unit in ("samples", "frames"):
            path = self.data_dir / f"utt2num_{unit}"
            if path.is_file():
                table = load_table(path)
                lengths = {}
                for utt, value in table.values.items():
                    try:
                        lengths[utt] = int(value)
                    except ValueError:
                        raise DatasetError(
                            f"{path}:{table.lines[utt]}: length of '{utt}' is '{value}', not an "
                            "integer; re-run stage 2"
                        ) from None
                return unit, lengths
        raise DatasetError(
            f"{self.data_dir}: neither utt2num_samples nor utt2num_frames exists; the trainer "
            "needs lengths to batch without opening the arks: re-run stage 2 (asrkit-dump)"
        )

    def _read_targets(self) -> Table:
        path = self.data_dir / self.targets
        if not path.is_file():
            what = "the transcripts" if self.targets == "text" else "the labels"
            raise DatasetError(f"{path}: no such file; the task's targets are {what} of {self.name}")
        return load_table(path, allow_empty_value=True)

    def __len__(self) -> int:
        return len(self._utt_ids)

    @property
    def utt_ids(self) -> list[str]:
        return [u.decode() for u in self._utt_ids]

    def utt_id(self, index: int) -> str:
        return self._utt_ids[index].decode()

    def spec(self, index: int) -> str:
        """The ``feats.scp`` value of item ``index`` (``ark_path:offset``)."""
        return self._specs[index].decode()

    def set_epoch(self, epoch: int) -> None:
        """Pick the crop windows of ``epoch`` (call before creating the epoch's loader)."""
        self.epoch = epoch

    def __getitem__(self, index: int | tuple[int, int]) -> Example:
        """Item ``index``; an ``(epoch, index)`` pair crops as in that epoch (the trainer's
        loader workers persist across epochs and learn the epoch this way)."""
        epoch, index = index if isinstance(index, tuple) else (self.epoch, index)
        utt, spec = self.utt_id(index), self.spec(index)
        try:
            array = load_feature(spec)
        except Exception as e:  # kaldiio raises many types for a bad offset or file
            raise DatasetError(
                f"{self.data_dir / 'feats.scp'}: cannot read '{utt}' from {spec} "
                f"({type(e).__name__}: {e}); re-run stage 2 for {self.data_dir}"
            ) from None
        expected_ndim = 1 if self.unit == "samples" else 2
        if array.ndim != expected_ndim:
            raise DatasetError(
                f"{self.data_dir / 'feats.scp'}: '{utt}' has shape {array.shape}, expected "
                f"{'a waveform [T]' if expected_ndim == 1 else 'a matrix [T, F]'} as utt2num_{self.unit} "
                "says; re-run stage 2"
            )
        if self.crop and self.max_length is not None and len(array) > self.max_length:
            rng = np.random.default_rng([self.seed, epoch, index])
            start = int(rng.integers(0, len(array) - self.max_length + 1))
            array = array[start : start + self.max_length]
        if self.augment is not None:
            # its own stream: turning augmentation on leaves the crops as they were
            array = self.augment(array, np.random.default_rng([self.seed, epoch, index, _AUGMENT_STREAM]))
        inputs = torch.tensor(array, dtype=torch.float32)  # a copy: kaldiio's may be read-only
        targets = None
        if self.has_targets:
            start, end = self._target_starts[index], self._target_starts[index + 1]
            targets = torch.from_numpy(self._target_ids[start:end].copy())
        return Example(utt, inputs, targets)

    def collate(self, examples: Sequence[Example]) -> Batch:
        return collate(examples)
