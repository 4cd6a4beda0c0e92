"""Live positions: every fix the tracker desk accepts, pushed to the live views open in this process.

The desk calls `LivePositions.publish` from its worker thread; each open view (an SSE stream in
the API's event loop) holds a `LiveSubscription` and awaits the next fix of the trackers it
watches. Nothing here decides who may see what: the stream asks the privacy gate before it
passes a fix on. A slow viewer loses its oldest fixes, never the newest (the newest is where
the person is).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from protocol import LocationFix

QUEUE_LIMIT = 100


@dataclass(frozen=True, slots=True)
class LiveFix:
    """One accepted fix of a tracker, as a live view shows it."""

    tracker_id: str
    lat: float
    lon: float
    accuracy_m: float | None
    source: str
    ts: datetime
    gateway_id: str

    @classmethod
    def of(cls, tracker_id: str, fix: LocationFix) -> LiveFix:
        """Take the parts of a location fix a map needs."""
        return cls(
            tracker_id=tracker_id,
            lat=fix.lat,
            lon=fix.lon,
            accuracy_m=fix.accuracy_m,
            source=fix.source.value,
            ts=fix.ts,
            gateway_id=fix.gateway_id,
        )


class LiveSubscription:
    """The fixes of some trackers, for one view, delivered into its event loop."""

    def __init__(self, hub: LivePositions, tracker_ids: Iterable[str], loop: asyncio.AbstractEventLoop) -> None:
        self.tracker_ids = set(tracker_ids)
        self._hub = hub
        self._loop = loop
        self._queue: asyncio.Queue[LiveFix] = asyncio.Queue(maxsize=QUEUE_LIMIT)

    async def next(self, timeout_s: float) -> LiveFix | None:
        """Return the next fix, or None when none came within `timeout_s`."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout_s)
        except TimeoutError:
            return None

    def stop_watching(self, tracker_id: str) -> None:
        """Take no more fixes of a tracker (its view was closed by the privacy gate)."""
        self.tracker_ids.discard(tracker_id)

    def close(self) -> None:
        """Leave the hub."""
        self._hub._leave(self)

    def _offer(self, fix: LiveFix) -> None:
        # runs in the view's loop: a full queue drops its oldest fix, the newest always goes in
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(fix)

    def _deliver(self, fix: LiveFix) -> None:
        try:
            self._loop.call_soon_threadsafe(self._offer, fix)
        except RuntimeError:
            # the view's loop has closed (server stopping): it will not read again
            self.close()


class LivePositions:
    """Fan the desk's accepted fixes out to the subscriptions that watch their trackers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: list[LiveSubscription] = []

    def subscribe(self, tracker_ids: Iterable[str]) -> LiveSubscription:
        """Start receiving the fixes of these trackers in the running event loop."""
        subscription = LiveSubscription(self, tracker_ids, asyncio.get_running_loop())
        with self._lock:
            self._subscriptions.append(subscription)
        return subscription

    def publish(self, fixes: Iterable[tuple[str, LocationFix]]) -> None:
        """Pass each (tracker id, fix) to the subscriptions watching that tracker."""
        with self._lock:
            subscriptions = list(self._subscriptions)
        if not subscriptions:
            return
        for tracker_id, fix in fixes:
            live: LiveFix | None = None
            for subscription in subscriptions:
                if tracker_id in subscription.tracker_ids:
                    live = live or LiveFix.of(tracker_id, fix)
                    subscription._deliver(live)

    @property
    def viewers(self) -> int:
        """How many live views are open."""
        with self._lock:
            return len(self._subscriptions)

    def _leave(self, subscription: LiveSubscription) -> None:
        with self._lock:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)
