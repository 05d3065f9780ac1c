"""Work done in steps: a generator that yields between steps and returns its result, so that a caller can run it
in one go (``finish``) or give other work a turn between steps (``services.group.GroupMerger``)."""

from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

T = TypeVar("T")
Steps = Generator[None, None, T]


def finish(steps: Steps[T]) -> T:
    """Runs the steps to the end; their result."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            result: T = done.value
            return result
