"""Progress of long loops that stays readable in a log file.

On a terminal this is a tqdm bar. When stderr is a file or a pipe (a job log, SLURM's
output), a bar would be one line of carriage-return updates hundreds of characters long,
and the tail of a killed job's log would say nothing; there, progress is written as a
plain line every ``interval`` seconds (and at the end)::

    decoding dump/fbank/test: 120/480 batch (25%), 3.1 batch/s, 1m56s left

Use it as tqdm: ``for x in progress(items, desc=...)`` or ``bar = progress(total=N)`` with
``update``, ``set_postfix`` and ``close``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from tqdm import tqdm

#: Seconds between plain progress lines (``ASRKIT_PROGRESS_INTERVAL`` overrides).
INTERVAL = float(os.environ.get("ASRKIT_PROGRESS_INTERVAL", "60"))


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class LineProgress:
    """tqdm's interface, printing a whole line every ``interval`` seconds."""

    def __init__(self, iterable: Iterable | None = None, total: float | None = None,
                 initial: float = 0, desc: str = "", unit: str = "it", file: TextIO | None = None,
                 interval: float | None = None, disable: bool = False, **_: Any):
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.total, self.n, self.start_n = total, initial, initial
        self.desc, self.unit = desc, unit
        self.file = file or sys.stderr
        self.interval = INTERVAL if interval is None else interval
        self.disable = disable
        self.postfix = ""
        self.started = self.last = time.monotonic()
        self.closed = False

    def __iter__(self) -> Iterator:
        for item in self.iterable:
            yield item
            self.update(1)
        self.close()

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def update(self, n: float = 1) -> None:
        self.n += n
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self._write(now)

    def set_postfix(self, refresh: bool = False, **values: Any) -> None:
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def line(self, now: float | None = None) -> str:
        elapsed = (now or time.monotonic()) - self.started
        done = self.n - self.start_n
        rate = done / elapsed if elapsed > 0 else 0.0
        text = f"{self.desc}: " if self.desc else ""
        if self.total:
            text += f"{self.n:g}/{self.total:g} {self.unit} ({100 * self.n / self.total:.0f}%)"
        else:
            text += f"{self.n:g} {self.unit}"
        text += f", {rate:.3g} {self.unit}/s"
        if self.total and rate > 0 and self.n < self.total:
            text += f", {_duration((self.total - self.n) / rate)} left"
        elif not self.total or self.n >= self.total:
            text += f", {_duration(elapsed)} elapsed"
        return text + (f" [{self.postfix}]" if self.postfix else "")

    def _write(self, now: float | None = None) -> None:
        if not self.disable:
            print(self.line(now), file=self.file, flush=True)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.n != self.start_n:
                self._write()


def progress(iterable: Iterable | None = None, *, file: TextIO | None = None, **kwargs: Any):
    """A tqdm bar on a terminal, else :class:`LineProgress` (plain lines for log files)."""
    file = file or sys.stderr
    if getattr(file, "isatty", lambda: False)():
        return tqdm(iterable, file=file, **kwargs)
    kwargs.pop("mininterval", None)
    kwargs.pop("dynamic_ncols", None)
    return LineProgress(iterable, file=file, **kwargs)
