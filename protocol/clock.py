"""Injected clocks: every component asks a Clock for the time, so tests and the demo move it.

All clocks return timezone-aware UTC datetimes.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class AcceleratedClock:
    """Simulated time that runs `speed` times faster than the wall clock from `start`."""

    def __init__(self, *, start: datetime, speed: float) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = start.astimezone(UTC)
        self.speed = speed
        self._wall_start = time.monotonic()

    def now(self) -> datetime:
        elapsed = time.monotonic() - self._wall_start
        return self.start + timedelta(seconds=elapsed * self.speed)

    def wall_seconds(self, simulated: timedelta) -> float:
        """How many wall-clock seconds a span of simulated time takes."""
        return simulated.total_seconds() / self.speed


class ManualClock:
    """A clock that only moves when told to; for tests."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward and return the new time."""
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> None:
        """Jump to a moment (timezone-aware)."""
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        with self._lock:
            self._now = moment.astimezone(UTC)
