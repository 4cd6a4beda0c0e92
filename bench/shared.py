"""Shared-memory numbers that benchmark processes update and the conductor samples."""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import SpawnContext
from typing import Protocol, cast

# spawn, not fork: the conductor runs threads (the notification receiver) before it starts processes
CONTEXT: SpawnContext = multiprocessing.get_context("spawn")


class SharedInt(Protocol):
    value: int


class SharedFloat(Protocol):
    value: float


def shared_int() -> SharedInt:
    """Return a lock-free shared integer (one writer, readers tolerate a stale value)."""
    return cast(SharedInt, CONTEXT.Value("q", 0, lock=False))


def shared_float() -> SharedFloat:
    """Return a lock-free shared float (one writer)."""
    return cast(SharedFloat, CONTEXT.Value("d", 0.0, lock=False))
