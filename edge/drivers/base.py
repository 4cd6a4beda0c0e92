"""What every driver shares: how it reports an event, and how a sensor reports a failure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from protocol import EventKind, Reading

EmitEvent = Callable[[str, EventKind], None]
"""Report an event of a device (device id, kind); called from gpiozero's threads."""


class SensorError(Exception):
    """A sensor that could not be read this time (file missing, bad CRC, value out of range)."""


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
