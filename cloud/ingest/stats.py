"""Counters of what ingest accepted and dropped, read by the API and /metrics."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

REJECT_REASONS = (
    "oversize",
    "bad_topic",
    "malformed_json",
    "invalid_payload",
    "topic_mismatch",
    "unknown_gateway",
    "duplicate",
    "store_error",
)


@dataclass(frozen=True, slots=True)
class IngestSnapshot:
    """Counters at one moment."""

    accepted: int
    rejected: dict[str, int]
    ignored: int
    batches: int
    queue_depth: int
    broker_connected: bool
    rule_errors: int
    last_batch_size: int
    last_batch_seconds: float
    uptime_s: float

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


@dataclass
class IngestStats:
    """Live counters; only the ingest thread writes them, so plain ints suffice."""

    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REJECT_REASONS, 0))
    ignored: int = 0
    batches: int = 0
    rule_errors: int = 0
    last_batch_size: int = 0
    last_batch_seconds: float = 0.0
    broker_connected: bool = False
    started_monotonic: float = field(default_factory=time.monotonic)

    def reject(self, reason: str, count: int = 1) -> None:
        """Count dropped messages under a reason."""
        self.rejected[reason] = self.rejected.get(reason, 0) + count

    def snapshot(self, *, queue_depth: int = 0) -> IngestSnapshot:
        """Copy the counters for a reader in another thread."""
        return IngestSnapshot(
            accepted=self.accepted,
            rejected=dict(self.rejected),
            ignored=self.ignored,
            batches=self.batches,
            queue_depth=queue_depth,
            broker_connected=self.broker_connected,
            rule_errors=self.rule_errors,
            last_batch_size=self.last_batch_size,
            last_batch_seconds=self.last_batch_seconds,
            uptime_s=time.monotonic() - self.started_monotonic,
        )
