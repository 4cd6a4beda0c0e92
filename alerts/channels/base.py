"""What every notification channel offers the outbox: send one message to one address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The outcome of handing one message to a channel; `error` says why it failed."""

    ok: bool
    error: str | None = None


class NotificationChannel(Protocol):
    """A way to deliver a message to an address (an apprise URL, a Web Push subscription…)."""

    def send(self, url: str, *, title: str, body: str) -> DeliveryResult:
        """Deliver one message to `url`; never raise for a delivery failure, report it."""
        ...

    def describe(self, url: str) -> str:
        """Name the destination for the delivery log without its secrets."""
        ...
