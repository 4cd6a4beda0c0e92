"""The notification endpoint of the tests: the project's loopback inbox, with waiting."""

from __future__ import annotations

from simulators.inbox import Inbox, InboxPost
from tests.support.waiting import wait_until

ReceivedNotification = InboxPost
"""One notification as it reached the receiver (path, payload, title, message)."""


class NotificationReceiver(Inbox):
    """Collect every POST; `url(path)` gives the apprise json:// URL for a contact."""

    def __init__(self) -> None:
        super().__init__(name="test-receiver")

    def messages(self, path: str | None = None) -> list[ReceivedNotification]:
        """Return what arrived, at `path` or anywhere, oldest first."""
        return self.posts(path)

    def wait_for(self, path: str, *, count: int = 1, timeout: float = 15.0) -> list[ReceivedNotification]:
        """Wait until `count` notifications reached `path` and return them."""
        return wait_until(
            lambda: len(self.messages(path)) >= count and self.messages(path),
            timeout=timeout,
            what=f"{count} notification(s) at {path}",
        )
