"""Named points where a test can stop a process at an exact moment, instead of killing it after
a guessed delay.

A test runs a command with ``INCOMETRACK_FAULT=POINT`` (or ``POINT@N``: at the Nth arrival) and
the process kills itself with SIGKILL when it gets there, as a power cut or an out-of-memory kill
would. With the variable unset (always, outside tests) each point costs one dictionary lookup.

Points: ``import:chunk-inserted`` (after each 10,000-row insert of an import),
``import:finished`` (the import written, not yet committed), ``export:bytes@N`` (a file being
written reaches N bytes), ``export:before-rename`` (a file complete under its temporary name).
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from typing import BinaryIO

ENVIRONMENT_VARIABLE = "INCOMETRACK_FAULT"
_arrivals: Counter[str] = Counter()


def _target(point: str) -> int | None:
    """The arrival at which ``point`` is to fail, or None when no fault names it."""
    spec = os.environ.get(ENVIRONMENT_VARIABLE)
    if not spec:
        return None
    name, _, nth = spec.partition("@")
    return int(nth or 1) if name == point else None


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def checkpoint(point: str) -> None:
    """Kill this process here when the fault names ``point`` (at its Nth arrival)."""
    nth = _target(point)
    if nth is None:
        return
    _arrivals[point] += 1
    if _arrivals[point] >= nth:
        _die()


class _DyingStream:
    """A file that kills the process once ``limit`` bytes have been written into it."""

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        self._stream, self._limit, self._written = stream, limit, 0

    def write(self, data) -> int:
        room = self._limit - self._written
        if len(data) >= room:
            self._stream.write(data[:room])
            self._stream.flush()
            _die()
        self._written += len(data)
        return self._stream.write(data)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def watch_bytes(stream: BinaryIO) -> BinaryIO:
    """``stream``, or (when the fault is ``export:bytes@N``) one that dies at its Nth byte."""
    limit = _target("export:bytes")
    return stream if limit is None else _DyingStream(stream, limit)
