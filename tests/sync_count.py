"""Count the calls that make a GPU wait for the host (host-device syncs), on any device.

On CUDA, reading a tensor's value into Python (``.item()``, ``float(t)``, ``if t:``,
``.tolist()``) and ops whose output shape depends on values (``nonzero``, boolean-mask
indexing, ``masked_select``) block until the GPU has caught up. A CPU test cannot time
that, but it can count the calls: wrap a step in :class:`SyncCounter` and assert how many
there were::

    with SyncCounter() as syncs:
        model(x)
    assert syncs.count == 0, syncs.calls

Calls made on tensors that live on the CPU count as well (a CPU test has no others), so a
step that keeps shape-deciding integers in a CPU tensor on purpose should read them before
entering the counter.
"""

from __future__ import annotations

import functools
import traceback

import torch

# Python-level entry points that read a value to the host. Each is patched on torch.Tensor.
_VALUE_READS = ("item", "tolist", "__bool__", "__int__", "__float__", "__index__", "nonzero",
                "masked_select")
_FUNCTIONS = ("nonzero", "masked_select")


def _is_mask(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in items)


class SyncCounter:
    """Context manager: ``count`` syncs seen inside, ``calls`` as (what, file:line) pairs."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []
        self._saved: list[tuple[object, str, object, bool]] = []
        self._depth = 0

    @property
    def count(self) -> int:
        return len(self.calls)

    def _record(self, what: str) -> None:
        # The innermost frame outside this file and torch's own Python code says who asked.
        for frame in reversed(traceback.extract_stack()[:-2]):
            if frame.filename != __file__ and "/torch/" not in frame.filename:
                self.calls.append((what, f"{frame.filename}:{frame.lineno}"))
                return
        self.calls.append((what, "?"))

    def _wrap(self, owner, name: str, what: str, counts=lambda *a, **k: True) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def counted(*args, **kwargs):
            # A sync inside another counted call (tolist calling item, say) is one sync.
            if self._depth == 0 and counts(*args, **kwargs):
                self._record(what)
            self._depth += 1
            try:
                return original(*args, **kwargs)
            finally:
                self._depth -= 1

        self._saved.append((owner, name, original, name in vars(owner)))
        setattr(owner, name, counted)

    def __enter__(self) -> SyncCounter:
        for name in _VALUE_READS:
            self._wrap(torch.Tensor, name, name)
        for name in _FUNCTIONS:
            self._wrap(torch, name, f"torch.{name}")
        self._wrap(torch.Tensor, "__getitem__", "boolean-mask indexing",
                   lambda t, index: _is_mask(index))
        self._wrap(torch.Tensor, "__setitem__", "boolean-mask assignment",
                   lambda t, index, value: _is_mask(index))
        return self

    def __exit__(self, *exc) -> None:
        for owner, name, original, own in reversed(self._saved):
            if own:
                setattr(owner, name, original)
            else:  # inherited from torch's C base class: uncover it again
                delattr(owner, name)
        self._saved.clear()
