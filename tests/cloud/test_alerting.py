"""The alert lifecycle on a real entity store (SQLite and PostgreSQL): alerts, notifications queued, audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts import RuleName
from cloud.alerting import AlertLifecycle, AlertNotFound, AlertStateError
from cloud.db import Alert, AuditEntry
from protocol import ManualClock
from tests.cloud.watched_home import NOW, ContactSpec, add_home, entity_store, notifications, signal

FAMILY = ContactSpec("山田 一郎", "family", ["json://127.0.0.1:9/ichiro"], priority=0)
DAUGHTER = ContactSpec("Emma Yamada", "family", ["json://127.0.0.1:9/emma"], language="en", priority=1)
CASEWORKER = ContactSpec("佐藤 ケアマネ", "caseworker", ["json://127.0.0.1:9/sato"], priority=2)
INSTALLER = ContactSpec("鈴木 設置", "installer", ["json://127.0.0.1:9/suzuki"], priority=3)


@pytest.fixture
def sessions(tmp_path: Path, database_url: str) -> Iterator[sessionmaker[Session]]:
    store = entity_store(tmp_path, database_url)
    add_home(store, [FAMILY, DAUGHTER, CASEWORKER, INSTALLER])
    yield store
    store.kw["bind"].dispose()  # give PostgreSQL its connections back


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def lifecycle(sessions: sessionmaker[Session], clock: ManualClock) -> AlertLifecycle:
    return AlertLifecycle(sessions=sessions, clock=clock, public_url="https://mimamori.example/")


def escalate_to_everyone(lifecycle: AlertLifecycle, clock: ManualClock) -> None:
    """Let nobody acknowledge until every step of the chain was told."""
    for _ in range(3):
        clock.advance(timedelta(minutes=11))
        lifecycle.run_escalations()


def only_alert(sessions: sessionmaker[Session]) -> Alert:
    with sessions() as session:
        [alert] = session.scalars(select(Alert)).all()
        session.expunge(alert)
        return alert


def test_raise_opens_alert_and_notifies_the_first_family_contact(
    lifecycle: AlertLifecycle, sessions: sessionmaker[Session]
) -> None:
    """An emergency opens an alert and first tells the family contact of highest priority."""
    [alert_id] = lifecycle.apply([signal()])
    assert only_alert(sessions).state == "open"
    assert notifications(sessions) == [("山田 一郎", "opened", "【緊急】山田 花子さんが緊急ボタンを押しました")]
    assert alert_id == only_alert(sessions).id


def test_unacknowledged_alert_reaches_the_next_contacts_in_their_language(
    lifecycle: AlertLifecycle, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    """Nobody acknowledging moves the alert down the chain: next family member, then the caseworker."""
    lifecycle.apply([signal()])
    escalate_to_everyone(lifecycle, clock)
    assert [row for row in notifications(sessions) if row[1] == "escalated"] == [
        ("Emma Yamada", "escalated", "NOT YET HANDLED: EMERGENCY: 山田 花子 pressed the emergency button"),
        ("佐藤 ケアマネ", "escalated", "【未対応・再通知】【緊急】山田 花子さんが緊急ボタンを押しました"),
    ]


def test_message_links_to_the_alert(lifecycle: AlertLifecycle, sessions: sessionmaker[Session]) -> None:
    """The queued message carries the alert's public link."""
    [alert_id] = lifecycle.apply([signal()])
    with sessions() as session:
        bodies = session.scalars(select(Alert).where(Alert.id == alert_id)).one().notifications
        assert all(f"https://mimamori.example/alerts/{alert_id}" in item.body for item in bodies)


def test_reminders_back_off_to_every_two_hours(
    lifecycle: AlertLifecycle, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    """Left unanswered, an emergency is repeated after 15, 30 and 60 minutes, then every 2 hours."""
    lifecycle.apply([signal()])
    reminded_at: list[int] = []
    for minute in range(1, 6 * 60 + 1):
        clock.advance(timedelta(minutes=1))
        lifecycle.run_escalations()
        reminders = [row for row in notifications(sessions) if row[:2] == ("山田 一郎", "reminder")]
        if len(reminders) > len(reminded_at):
            reminded_at.append(minute)
    assert reminded_at == [15, 45, 105, 225, 345]


def test_high_severity_is_reminded_until_acknowledged(
    lifecycle: AlertLifecycle, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    """An unacknowledged emergency is repeated to those told every 15 minutes; acknowledging stops it."""
    [alert_id] = lifecycle.apply([signal()])
    clock.advance(timedelta(minutes=2))
    lifecycle.run_escalations()
    assert [purpose for _, purpose, _ in notifications(sessions)] == ["opened"]
    clock.advance(timedelta(minutes=14))
    lifecycle.run_escalations()
    assert ("山田 一郎", "reminder") in [(name, purpose) for name, purpose, _ in notifications(sessions)]
    lifecycle.acknowledge(alert_id, by="山田 一郎")
    before = len(notifications(sessions))
    clock.advance(timedelta(hours=1))
    lifecycle.run_escalations()
    assert len(notifications(sessions)) == before


def test_repeated_raises_update_the_alert_without_new_notifications(
    lifecycle: AlertLifecycle, sessions: sessionmaker[Session]
) -> None:
    """Pressing the button three times gives one alert with three occurrences and one message each."""
    lifecycle.apply([signal()])
    lifecycle.apply([signal(), signal(facts={"room": "玄関"})])
    alert = only_alert(sessions)
    assert alert.occurrences == 3
    assert alert.facts["room"] == "玄関"
    assert len(notifications(sessions)) == 1


def test_clear_resolves_and_tells_those_notified(lifecycle: AlertLifecycle, sessions: sessionmaker[Session]) -> None:
    """A cleared gateway alert is resolved automatically and only the people told about it hear so."""
    lifecycle.apply([signal(RuleName.GATEWAY_OFFLINE, facts={"gateway_id": "gw-1", "reason": "silence"})])
    lifecycle.apply([signal(RuleName.GATEWAY_OFFLINE, "clear", facts={"gateway_id": "gw-1"})])
    alert = only_alert(sessions)
    assert (alert.state, alert.resolved_by, alert.resolved_at) == ("resolved", "auto", NOW)
    resolved = [(name, title) for name, purpose, title in notifications(sessions) if purpose == "resolved"]
    assert resolved == [
        ("佐藤 ケアマネ", "【解決】山田 花子さん：見守り機器の接続切れ"),
        ("鈴木 設置", "【解決】山田 花子さん：見守り機器の接続切れ"),
    ]


def test_clear_without_an_open_alert_does_nothing(lifecycle: AlertLifecycle, sessions: sessionmaker[Session]) -> None:
    """A clear for a condition that has no open alert changes nothing."""
    assert lifecycle.apply([signal(RuleName.INACTIVITY, "clear", facts={})]) == []
    assert notifications(sessions) == []


def test_acknowledge_tells_the_others_who_is_handling_it(
    lifecycle: AlertLifecycle, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    """Acknowledging tells the other contacts notified, by name, and records who did it."""
    [alert_id] = lifecycle.apply([signal()])
    escalate_to_everyone(lifecycle, clock)
    alert = lifecycle.acknowledge(alert_id, by="山田 一郎")
    assert (alert.state, alert.acknowledged_by, alert.acknowledged_at) == ("acknowledged", "山田 一郎", clock.now())
    acknowledged = [(name, title) for name, purpose, title in notifications(sessions) if purpose == "acknowledged"]
    assert [name for name, _ in acknowledged] == ["Emma Yamada", "佐藤 ケアマネ"]
    with sessions() as session:
        bodies = [n.body for n in session.scalars(select(Alert)).one().notifications if n.purpose == "acknowledged"]
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "alert.acknowledged")).one()
    assert "山田 一郎さんが" in bodies[1]
    assert "山田 一郎 is taking care" in bodies[0]
    assert (audit.actor, audit.target) == ("山田 一郎", f"alert/{alert_id}")


def test_resolve_by_a_person_tells_the_others(
    lifecycle: AlertLifecycle, sessions: sessionmaker[Session], clock: ManualClock
) -> None:
    """Resolving by hand closes the alert and tells the other contacts who resolved it."""
    [alert_id] = lifecycle.apply([signal()])
    escalate_to_everyone(lifecycle, clock)
    alert = lifecycle.resolve(alert_id, by="佐藤 ケアマネ")
    assert (alert.state, alert.resolved_by) == ("resolved", "佐藤 ケアマネ")
    resolved = [name for name, purpose, _ in notifications(sessions) if purpose == "resolved"]
    assert resolved == ["山田 一郎", "Emma Yamada"]


def test_new_raise_after_resolution_opens_a_new_alert(
    lifecycle: AlertLifecycle, sessions: sessionmaker[Session]
) -> None:
    """After an alert is resolved, the next press opens a fresh alert and notifies again."""
    [first] = lifecycle.apply([signal()])
    lifecycle.resolve(first, by="山田 一郎")
    [second] = lifecycle.apply([signal()])
    assert second != first
    assert [purpose for _, purpose, _ in notifications(sessions)].count("opened") == 2


def test_acknowledging_a_resolved_alert_is_refused(lifecycle: AlertLifecycle) -> None:
    """A resolved alert cannot be acknowledged."""
    [alert_id] = lifecycle.apply([signal()])
    lifecycle.resolve(alert_id, by="山田 一郎")
    with pytest.raises(AlertStateError):
        lifecycle.acknowledge(alert_id, by="佐藤 ケアマネ")


def test_unknown_alert_is_reported(lifecycle: AlertLifecycle) -> None:
    """Acting on an alert id that does not exist raises AlertNotFound."""
    with pytest.raises(AlertNotFound):
        lifecycle.resolve(404, by="誰か")


def test_signal_for_unknown_household_is_skipped(lifecycle: AlertLifecycle, sessions: sessionmaker[Session]) -> None:
    """A signal for a household that does not exist is skipped; the others in the batch still apply."""
    touched = lifecycle.apply([signal(household_id="nowhere"), signal()])
    assert touched == [only_alert(sessions).id]


def test_outbox_is_woken_after_notifications_are_queued(sessions: sessionmaker[Session]) -> None:
    """The lifecycle wakes the outbox once per batch that queued notifications."""
    wakes: list[int] = []
    lifecycle = AlertLifecycle(sessions=sessions, clock=ManualClock(NOW), on_notification=lambda: wakes.append(1))
    lifecycle.apply([signal()])
    lifecycle.apply([signal()])
    assert wakes == [1]


def test_gateway_offline_falls_back_to_family_without_installer_or_caseworker(
    tmp_path: Path, database_url: str
) -> None:
    """A home with family only still hears that its gateway is offline."""
    store = entity_store(tmp_path, database_url)
    add_home(store, [FAMILY])
    AlertLifecycle(sessions=store, clock=ManualClock(NOW)).apply([signal(RuleName.GATEWAY_OFFLINE, facts={})])
    assert [name for name, _, _ in notifications(store)] == ["山田 一郎"]


def test_gateway_offline_goes_to_the_installer_not_the_family(tmp_path: Path, database_url: str) -> None:
    """With an installer on file, an offline gateway does not wake the family."""
    store = entity_store(tmp_path, database_url)
    add_home(store, [FAMILY, INSTALLER])
    AlertLifecycle(sessions=store, clock=ManualClock(NOW)).apply([signal(RuleName.GATEWAY_OFFLINE, facts={})])
    assert [name for name, _, _ in notifications(store)] == ["鈴木 設置"]


def test_bad_signal_does_not_undo_the_rest_of_the_batch(
    lifecycle: AlertLifecycle, sessions: sessionmaker[Session]
) -> None:
    """A signal whose facts cannot be stored is skipped; the other signals of the batch still apply."""
    unstorable = signal(RuleName.INACTIVITY, facts={"since": object()})  # type: ignore[dict-item]
    touched = lifecycle.apply([unstorable, signal()])
    alert = only_alert(sessions)
    assert touched == [alert.id]
    assert alert.rule == "emergency_button"
