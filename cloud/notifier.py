"""The notification outbox: send pending notifications, retry, fail over, log every attempt.

Notifications are rows (written with their alert), so they survive a restart and are sent after
it. Each is tried on its contact's channels in `position` order: a failing channel is retried
with exponential backoff up to `max_attempts_per_channel` times, then the next channel takes
over; when every channel has failed the notification is marked failed. Every attempt writes a
DeliveryAttempt row, the delivery log.

`wake()` sends at once (an emergency must reach the family's phone within a fraction of a
second of the button press); a once-a-second poll picks up retries as they fall due, and runs
the duties added with `add_duty` first (the alert lifecycle's escalation steps), so what they
queue goes out in the same round.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.channels import DeliveryResult, NotificationChannel
from cloud.db.models import ContactChannel, DeliveryAttempt, Notification
from protocol import Clock

log = logging.getLogger(__name__)

DUE_BATCH = 500


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one attempt needs, read before the send so no transaction stays open across it."""

    notification_id: int
    title: str
    body: str
    channels: list[tuple[int, str]]  # (channel id, apprise URL), in position order
    failures: Counter[int]


class NotificationOutbox:
    """Deliver pending notifications through a channel, with retries, fail-over and a delivery log."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        clock: Clock,
        channel: NotificationChannel,
        max_attempts_per_channel: int = 3,
        retry_base_s: float = 2.0,
        workers: int = 4,
        poll_interval_s: float = 1.0,
    ) -> None:
        if max_attempts_per_channel < 1:
            raise ValueError("max_attempts_per_channel must be at least 1")
        self._sessions = sessions
        self._clock = clock
        self._channel = channel
        self._max_attempts = max_attempts_per_channel
        self._retry_base_s = retry_base_s
        self._workers = max(1, workers)
        self._poll_interval_s = poll_interval_s
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._claim_lock = threading.Lock()
        self._in_flight: set[int] = set()
        self._dispatcher: threading.Thread | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._duties: list[Callable[[], object]] = []

    def add_duty(self, duty: Callable[[], object]) -> None:
        """Run `duty` on every poll, before the due notifications are read (e.g. escalation steps)."""
        self._duties.append(duty)

    def start(self) -> None:
        """Start sending in the background: at once when woken, and on a one-second poll."""
        if self._dispatcher is not None:
            return
        self._stopping.clear()
        self._executor = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="notifier")
        self._dispatcher = threading.Thread(target=self._dispatch_forever, name="notifier-dispatch", daemon=True)
        self._dispatcher.start()
        self.wake()  # send what was left pending before a restart

    def stop(self) -> None:
        """Stop sending; attempts already handed to a channel finish first."""
        if self._dispatcher is None:
            return
        self._stopping.set()
        self._wakeup.set()
        self._dispatcher.join()
        self._dispatcher = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        with self._claim_lock:
            # cancelled work never ran; its rows stay pending for the next start
            self._in_flight.clear()

    def wake(self) -> None:
        """Tell the outbox something new is due, so it sends without waiting for the poll."""
        self._wakeup.set()

    def run_due(self) -> int:
        """Send everything due now, in this thread, and return the number of attempts made."""
        attempts = 0
        while True:
            claimed = [notification_id for notification_id in self._due_ids() if self._claim(notification_id)]
            made = 0
            for notification_id in claimed:
                try:
                    made += self._attempt(notification_id)
                except Exception:
                    log.exception("notification %d: attempt failed unexpectedly", notification_id)
                finally:
                    self._release(notification_id)
            attempts += made
            # a failed channel hands over to the next one at once; loop until nothing more is due
            if made == 0:
                return attempts

    def _dispatch_forever(self) -> None:
        while not self._stopping.is_set():
            self._wakeup.wait(timeout=self._poll_interval_s)
            self._wakeup.clear()
            if self._stopping.is_set():
                return
            self._run_duties()
            try:
                due = self._due_ids()
            except Exception:
                log.exception("could not read the notification outbox")
                continue
            executor = self._executor
            for notification_id in due:
                if executor is None or self._stopping.is_set():
                    return
                if self._claim(notification_id):
                    executor.submit(self._work, notification_id)

    def _run_duties(self) -> None:
        for duty in self._duties:
            try:
                duty()
            except Exception:
                # a failing duty must not stop deliveries; it runs again on the next poll
                log.exception("outbox duty %r failed", duty)

    def _work(self, notification_id: int) -> None:
        try:
            self._attempt(notification_id)
        except Exception:
            # never let one bad row or a database hiccup kill a worker; the poll retries it
            log.exception("notification %d: attempt failed unexpectedly", notification_id)
        finally:
            self._release(notification_id)

    def _claim(self, notification_id: int) -> bool:
        with self._claim_lock:
            if notification_id in self._in_flight:
                return False
            self._in_flight.add(notification_id)
            return True

    def _release(self, notification_id: int) -> None:
        with self._claim_lock:
            self._in_flight.discard(notification_id)

    def _due_ids(self) -> list[int]:
        now = self._clock.now()
        with self._sessions() as session:
            return list(
                session.scalars(
                    select(Notification.id)
                    .where(Notification.state == "pending", Notification.next_attempt_at <= now)
                    .order_by(Notification.next_attempt_at, Notification.id)
                    .limit(DUE_BATCH)
                )
            )

    def _plan(self, notification_id: int) -> _Plan | None:
        with self._sessions() as session:
            notification = session.get(Notification, notification_id)
            if notification is None or notification.state != "pending":
                return None
            if notification.next_attempt_at > self._clock.now():
                return None
            channels = session.execute(
                select(ContactChannel.id, ContactChannel.apprise_url)
                .where(ContactChannel.contact_id == notification.contact_id)
                .order_by(ContactChannel.position, ContactChannel.id)
            ).all()
            failed = session.scalars(
                select(DeliveryAttempt.channel_id).where(
                    DeliveryAttempt.notification_id == notification_id, DeliveryAttempt.ok.is_(False)
                )
            ).all()
            return _Plan(
                notification_id=notification_id,
                title=notification.title,
                body=notification.body,
                channels=[(channel_id, url) for channel_id, url in channels],
                failures=Counter(channel_id for channel_id in failed if channel_id is not None),
            )

    def _attempt(self, notification_id: int) -> int:
        """Make one delivery attempt for a due notification; return 1 if a channel was tried."""
        plan = self._plan(notification_id)
        if plan is None:
            return 0
        remaining = [(cid, url) for cid, url in plan.channels if plan.failures[cid] < self._max_attempts]
        if not remaining:
            reason = "every channel failed" if plan.channels else "the contact has no channel"
            self._give_up(notification_id, reason)
            return 0
        channel_id, url = remaining[0]
        result = self._send(url, title=plan.title, body=plan.body)
        self._record(
            notification_id, channel_id, url, result, failures=plan.failures[channel_id] + 1, more=remaining[1:]
        )
        return 1

    def _send(self, url: str, *, title: str, body: str) -> DeliveryResult:
        try:
            return self._channel.send(url, title=title, body=body)
        except Exception as exc:
            log.exception("channel raised while sending")
            return DeliveryResult(ok=False, error=f"{type(exc).__name__}: {exc}")

    def _label(self, url: str) -> str:
        try:
            return self._channel.describe(url)[:200]
        except Exception:
            return "unknown"

    def _record(
        self,
        notification_id: int,
        channel_id: int,
        url: str,
        result: DeliveryResult,
        *,
        failures: int,
        more: list[tuple[int, str]],
    ) -> None:
        now = self._clock.now()
        label = self._label(url)
        failing_over = False
        with self._sessions() as session:
            notification = session.get_one(Notification, notification_id)
            session.add(
                DeliveryAttempt(
                    notification_id=notification_id,
                    channel_id=channel_id,
                    channel_label=label,
                    attempted_at=now,
                    ok=result.ok,
                    error=None if result.ok else (result.error or "delivery failed"),
                )
            )
            notification.attempts += 1
            if result.ok:
                notification.state = "sent"
                notification.sent_at = now
                notification.channel_id = channel_id
                notification.last_error = None
                log.info("notification %d sent via %s", notification_id, label)
            else:
                notification.last_error = result.error or "delivery failed"
                if failures < self._max_attempts:
                    delay = self._retry_base_s * 2 ** (failures - 1)
                    notification.next_attempt_at = now + timedelta(seconds=delay)
                    log.warning(
                        "notification %d via %s failed, retry in %.1fs: %s", notification_id, label, delay, result.error
                    )
                elif more:
                    notification.next_attempt_at = now
                    log.warning("notification %d: giving up on %s, trying the next channel", notification_id, label)
                    failing_over = True
                else:
                    notification.state = "failed"
                    log.error("notification %d failed on every channel: %s", notification_id, result.error)
            session.commit()
        if failing_over:
            self.wake()  # the next channel is due now, not at the next poll

    def _give_up(self, notification_id: int, reason: str) -> None:
        with self._sessions() as session:
            notification = session.get_one(Notification, notification_id)
            notification.state = "failed"
            notification.last_error = notification.last_error or reason
            session.commit()
        log.error("notification %d failed: %s", notification_id, reason)
