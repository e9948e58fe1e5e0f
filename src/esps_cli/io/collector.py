"""Pausing Python's cyclic garbage collector while a command builds many long-lived objects.

An import of 100,000 score rows, or a summary of 1,000 units (a million marks, standings and
models that all live until the command ends), makes the collector walk the same objects again
and again as they pile up, for a large part of the command's time. Reference
counting still frees everything as usual meanwhile; only reference cycles wait for the end.
A worker process forked during a pause inherits it: `batch.parallel_map`'s workers turn the
collector back on as they start.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off for the block (and back on after, if it was on)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
