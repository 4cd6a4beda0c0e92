"""What every telemetry backend offers: samples in, samples out, idempotent on the series key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of one metric of one device at one time (timezone-aware UTC)."""

    household_id: str | None
    gateway_id: str
    device_id: str
    metric: str
    ts: datetime
    value: float


class TelemetryUnavailable(Exception):
    """The store cannot be reached or is overloaded right now; the same write may be retried later."""


class TelemetryStore(Protocol):
    """A time-series store of sensor readings; writes of the same (gateway, device, metric, ts) replace."""

    def write(self, samples: Sequence[Sample]) -> None:
        """Store samples; writing a sample again with the same key keeps one.

        Raises TelemetryUnavailable when a server-backed store cannot take them now.
        """
        ...

    def query(
        self,
        *,
        household_id: str | None = None,
        gateway_id: str | None = None,
        device_id: str | None = None,
        metric: str | None = None,
        start: datetime,
        end: datetime,
    ) -> list[Sample]:
        """Return the samples with start <= ts < end that match every given filter, oldest first."""
        ...

    def latest(
        self,
        *,
        household_id: str | None = None,
        gateway_id: str | None = None,
        device_id: str | None = None,
        metric: str | None = None,
    ) -> list[Sample]:
        """Return the newest sample of every matching series (gateway, device, metric)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
