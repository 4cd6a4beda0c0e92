"""What every driver shares: how it reports an event, and how a sensor reports a failure."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from protocol import Clock, EventKind, Reading

EmitEvent = Callable[[str, EventKind], None]
"""Report an event of a device (device id, kind); called from gpiozero's threads."""


class SensorError(Exception):
    """A sensor that could not be read this time (file missing, bad CRC, value out of range)."""


class GpioInput:
    """What the GPIO input drivers share: their device id, the event callback and a trigger count."""

    def __init__(self, device_id: str, *, emit: EmitEvent, clock: Clock) -> None:
        self.device_id = device_id
        self._emit = emit
        self._clock = clock
        self._lock = threading.Lock()
        self._triggers = 0

    @property
    def triggers(self) -> int:
        """How many times the input fired (whether it became an event or was held back)."""
        return self._triggers

    def _report(self, kind: EventKind | None) -> None:
        """Hand an event on (None: fired but held back) and count the trigger either way."""
        try:
            if kind is not None:
                self._emit(self.device_id, kind)
        finally:
            # counted after the hand-over, so whoever waits on the count also sees the event
            with self._lock:
                self._triggers += 1


class InputDriver(Protocol):
    """A GPIO input that reports events through an `EmitEvent`."""

    @property
    def triggers(self) -> int:
        """How many times the input fired (whether it became an event or was held back)."""
        ...

    def close(self) -> None:
        """Release the pins."""
        ...


class PolledDriver(Protocol):
    """A sensor read on a schedule; `read` blocks on file I/O, so run it in a thread."""

    def read(self, now: datetime) -> list[Reading]:
        """Return the current readings, or raise SensorError."""
        ...

    def close(self) -> None:
        """Release what the driver holds."""
        ...
