"""The notification outbox against a real HTTP receiver: delivery, retries, fail-over, restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts import AppriseChannel, DeliveryResult, EventObserved, RuleEngine, RuleName
from alerts.signals import HouseholdProfile
from cloud.alerting import AlertLifecycle
from cloud.db import DeliveryAttempt, Notification
from cloud.notifier import NotificationOutbox
from protocol import EventKind, ManualClock
from tests.cloud.watched_home import HOUSEHOLD, NOW, ContactSpec, add_home, entity_store, signal
from tests.support import NotificationReceiver


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def store(tmp_path: Path) -> sessionmaker[Session]:
    return entity_store(tmp_path)


@pytest.fixture
def outboxes() -> Iterator[list[NotificationOutbox]]:
    """Outboxes made by a test; stopped after it."""
    made: list[NotificationOutbox] = []
    yield made
    for outbox in made:
        outbox.stop()


def new_outbox(
    store: sessionmaker[Session],
    clock: ManualClock,
    made: list[NotificationOutbox],
    *,
    max_attempts_per_channel: int = 3,
) -> NotificationOutbox:
    outbox = NotificationOutbox(
        sessions=store, clock=clock, channel=AppriseChannel(), max_attempts_per_channel=max_attempts_per_channel
    )
    made.append(outbox)
    return outbox


def attempts(store: sessionmaker[Session]) -> list[tuple[str, bool, str | None]]:
    """Return the delivery log as (channel label, ok, error)."""
    with store() as session:
        rows = session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)).all()
        return [(row.channel_label, row.ok, row.error) for row in rows]


def notification_states(store: sessionmaker[Session]) -> list[str]:
    with store() as session:
        return list(session.scalars(select(Notification.state).order_by(Notification.id)))


def queue_for_broken_line(store: sessionmaker[Session], clock: ManualClock, receiver: NotificationReceiver) -> None:
    """Queue an emergency for a contact whose first channel (/line) fails and second (/mail) works."""
    receiver.fail_paths.add("/line")
    add_home(store, [ContactSpec("山田 一郎", "family", [receiver.url("/line"), receiver.url("/mail")])])
    AlertLifecycle(sessions=store, clock=clock).apply([signal()])


def test_notification_reaches_the_contact_with_its_title_and_body(
    store: sessionmaker[Session], clock: ManualClock, outboxes: list[NotificationOutbox], receiver: NotificationReceiver
) -> None:
    """A queued emergency message arrives at the contact's endpoint with its title and body."""
    add_home(store, [ContactSpec("山田 一郎", "family", [receiver.url("/ichiro")])])
    AlertLifecycle(sessions=store, clock=clock).apply([signal()])
    assert new_outbox(store, clock, outboxes).run_due() == 1
    [received] = receiver.wait_for("/ichiro")
    assert received.title == "【緊急】山田 花子さんが緊急ボタンを押しました"
    assert "今すぐ山田 花子さんに電話してください" in received.message
    assert "11月26日(木) 09:05" in received.message
    with store() as session:
        sent = session.scalars(select(Notification)).one()
        assert (sent.state, sent.sent_at, sent.attempts) == ("sent", NOW, 1)
        assert sent.channel_id is not None


def test_failed_channel_is_retried_only_after_its_backoff(
    store: sessionmaker[Session], clock: ManualClock, outboxes: list[NotificationOutbox], receiver: NotificationReceiver
) -> None:
    """After a failure the next attempt waits 2 s, then 4 s (the injected clock decides)."""
    queue_for_broken_line(store, clock, receiver)
    outbox = new_outbox(store, clock, outboxes)
    assert outbox.run_due() == 1
    clock.advance(timedelta(seconds=1.9))
    assert outbox.run_due() == 0
    clock.advance(timedelta(seconds=0.1))
    assert outbox.run_due() == 1
    clock.advance(timedelta(seconds=3.9))
    assert outbox.run_due() == 0


def test_failing_first_channel_fails_over_to_the_second_after_retries(
    store: sessionmaker[Session], clock: ManualClock, outboxes: list[NotificationOutbox], receiver: NotificationReceiver
) -> None:
    """Three failures on the first channel hand the message to the second; every attempt is logged."""
    queue_for_broken_line(store, clock, receiver)
    outbox = new_outbox(store, clock, outboxes)
    outbox.run_due()
    clock.advance(timedelta(seconds=2))
    outbox.run_due()
    clock.advance(timedelta(seconds=4))
    assert outbox.run_due() == 2
    [received] = receiver.wait_for("/mail")
    assert received.title.startswith("【緊急】")
    label = f"json://127.0.0.1:{receiver.port}"
    log = attempts(store)
    assert [(channel, ok) for channel, ok, _ in log] == [(label, False)] * 3 + [(label, True)]
    assert all(error and "500" in error for _, ok, error in log if not ok)
    assert notification_states(store) == ["sent"]


def test_notification_fails_when_every_channel_fails(
    store: sessionmaker[Session], clock: ManualClock, outboxes: list[NotificationOutbox], receiver: NotificationReceiver
) -> None:
    """When all channels keep failing, the notification ends up failed with the last error."""
    receiver.fail_paths.add("/line")
    add_home(store, [ContactSpec("山田 一郎", "family", [receiver.url("/line")])])
    AlertLifecycle(sessions=store, clock=clock).apply([signal()])
    outbox = new_outbox(store, clock, outboxes, max_attempts_per_channel=2)
    outbox.run_due()
    clock.advance(timedelta(seconds=2))
    outbox.run_due()
    assert notification_states(store) == ["failed"]
    assert len(attempts(store)) == 2


def test_pending_notifications_survive_a_restart(
    store: sessionmaker[Session],
    clock: ManualClock,
    outboxes: list[NotificationOutbox],
    receiver: NotificationReceiver,
    tmp_path: Path,
) -> None:
    """Notifications queued before a restart are sent by the new outbox after it."""
    add_home(store, [ContactSpec("山田 一郎", "family", [receiver.url("/ichiro")])])
    AlertLifecycle(sessions=store, clock=clock).apply([signal()])
    reopened = entity_store(tmp_path)
    new_outbox(reopened, clock, outboxes).start()
    assert receiver.wait_for("/ichiro", timeout=10)[0].title.startswith("【緊急】")


def test_button_press_is_handed_to_the_channel_promptly(
    store: sessionmaker[Session], clock: ManualClock, outboxes: list[NotificationOutbox], receiver: NotificationReceiver
) -> None:
    """From a button press into the rules to the message at the receiver takes well under a second."""
    add_home(store, [ContactSpec("山田 一郎", "family", [receiver.url("/ichiro")])])
    # a long poll: only the wake-up can deliver in time
    outbox = NotificationOutbox(sessions=store, clock=clock, channel=AppriseChannel(), poll_interval_s=60)
    outboxes.append(outbox)
    outbox.start()
    engine = RuleEngine(profiles=[HouseholdProfile(HOUSEHOLD, "山田 花子", frozenset({"gw-1"}))])
    lifecycle = AlertLifecycle(sessions=store, clock=clock, on_notification=outbox.wake)
    started = time.monotonic()
    press = EventObserved(HOUSEHOLD, "gw-1", "btn-1", EventKind.BUTTON_PRESSED, NOW, "寝室")
    lifecycle.apply(engine.observe(press, now=NOW))
    receiver.wait_for("/ichiro", timeout=5)
    assert time.monotonic() - started < 0.5


class FlakyChannel:
    """A channel that raises for one address and delivers through apprise otherwise."""

    def __init__(self, broken_url: str) -> None:
        self.broken_url = broken_url
        self.apprise = AppriseChannel()

    def send(self, url: str, *, title: str, body: str) -> DeliveryResult:
        if url == self.broken_url:
            raise RuntimeError("driver crashed")
        return self.apprise.send(url, title=title, body=body)

    def describe(self, url: str) -> str:
        return self.apprise.describe(url)


def test_channel_exception_is_logged_and_the_worker_goes_on(
    store: sessionmaker[Session], clock: ManualClock, outboxes: list[NotificationOutbox], receiver: NotificationReceiver
) -> None:
    """A channel that raises counts as a failed attempt; the outbox keeps sending other messages."""
    broken = receiver.url("/broken")
    add_home(store, [ContactSpec("山田 一郎", "family", [broken], priority=0)])
    add_home(store, [ContactSpec("佐藤 一郎", "family", [receiver.url("/sato")])], household_id="taito-0002")
    outbox = NotificationOutbox(sessions=store, clock=clock, channel=FlakyChannel(broken), workers=1)
    outboxes.append(outbox)
    outbox.start()
    AlertLifecycle(sessions=store, clock=clock, on_notification=outbox.wake).apply(
        [signal(), signal(household_id="taito-0002")]
    )
    receiver.wait_for("/sato", timeout=5)
    AlertLifecycle(sessions=store, clock=clock, on_notification=outbox.wake).apply(
        [signal(RuleName.INACTIVITY, facts={}, household_id="taito-0002")]
    )
    receiver.wait_for("/sato", count=2, timeout=5)
    assert (f"json://127.0.0.1:{receiver.port}", False, "RuntimeError: driver crashed") in attempts(store)
