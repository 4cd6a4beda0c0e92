"""Escalation on the real stack: one-tap acknowledgement links, quiet hours, and durable steps
that survive a SIGKILL of `mimamori serve`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from alerts import RuleName, Severity
from alerts.messages import CATALOGUES
from cloud.alerting import AlertLifecycle
from cloud.db import AlertEscalation, AuditEntry, Contact, ContactQuietHours, Notification
from cloud.db.session import make_sessions, migrate
from cloud.provisioning import add_contact, add_gateway, add_household
from cloud.service import CloudService
from cloud.watch_settings import change_overrides
from protocol import EventKind, ManualClock, encode
from tests.cloud.conftest import GATEWAY, HOUSEHOLD, GatewayPublisher, event, events_topic
from tests.cloud.watched_home import ContactSpec, add_home, entity_store, notifications
from tests.cloud.watched_home import signal as rule_signal
from tests.support import MosquittoBroker, NotificationReceiver, wait_until

ACK_LINK = re.compile(r"(https?://\S+/ack/\S+)")


@pytest.fixture
def linked(start_service: Callable[..., CloudService], receiver: NotificationReceiver) -> CloudService:
    """A service with its API on, whose messages carry acknowledgement links to it."""
    service = start_service(contacts=[receiver.url("/family"), receiver.url("/son")], api_port=0)
    return service


def test_tapping_the_link_acknowledges_as_that_contact(
    linked: CloudService, gateway: GatewayPublisher, receiver: NotificationReceiver
) -> None:
    """The link in the emergency message acknowledges as the contact it was sent to, with a page in Japanese."""
    settings = linked.settings
    # the service was started before its API port was known: messages link to the live API
    linked.lifecycle._public_url = linked.api_url
    gateway.publish(events_topic(), encode(event(kind=EventKind.BUTTON_PRESSED)))
    [message] = receiver.wait_for("/family", timeout=15)
    [link] = ACK_LINK.findall(message.message)
    page = httpx.get(link, timeout=10)
    assert page.status_code == 200
    assert "対応を受け付けました" in page.text and "contact 0" in page.text
    with linked.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "alert.acknowledged")).one()
    assert (entry.actor, entry.detail["via"]) == ("contact 0", "link")
    assert settings.api_port == 0


def test_an_easy_japanese_contact_gets_the_page_in_easy_japanese(
    linked: CloudService, gateway: GatewayPublisher, receiver: NotificationReceiver
) -> None:
    """The confirmation page speaks やさしい日本語 and tells the browser it is Japanese (lang="ja")."""
    with linked.sessions() as session:
        session.scalars(select(Contact).where(Contact.name == "contact 0")).one().language = "ja-easy"
        session.commit()
    linked.lifecycle._public_url = linked.api_url
    gateway.publish(events_topic(), encode(event(kind=EventKind.BUTTON_PRESSED)))
    [message] = receiver.wait_for("/family", timeout=15)
    [link] = ACK_LINK.findall(message.message)
    page = httpx.get(link, timeout=10)
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text
    assert CATALOGUES["ja-easy"]["page.acknowledged.title"] in page.text


def test_a_tampered_link_is_refused(linked: CloudService) -> None:
    """A link whose signature does not match acknowledges nothing and says so."""
    page = httpx.get(f"{linked.api_url}/ack/WzEsMSwxOTk5OTk5OTk5XQ.forged", timeout=10)
    assert page.status_code == 403
    assert "このリンクは使えません" in page.text


def test_an_expired_link_is_refused(linked: CloudService, clock: ManualClock) -> None:
    """A link past its lifetime (72 hours) no longer acknowledges."""
    signer = linked.lifecycle.links
    assert signer is not None
    token = signer.token(alert_id=1, contact_id=1, now=clock.now() - timedelta(hours=73))
    page = httpx.get(f"{linked.api_url}/ack/{token}", timeout=10)
    assert page.status_code == 403


def quiet_home(tmp_path: Path, *, mode: str) -> tuple[AlertLifecycle, Callable[[], list[tuple[str, str, str]]]]:
    """Return a lifecycle at 02:00 Tokyo time whose first family contact has quiet hours 22:00–07:00."""
    store = entity_store(tmp_path)
    add_home(
        store,
        [
            ContactSpec("山田 一郎", "family", ["json://127.0.0.1:9/ichiro"], priority=0),
            ContactSpec("佐藤 ケアマネ", "caseworker", ["json://127.0.0.1:9/sato"], priority=2),
        ],
    )
    with store() as session:
        contact_id = session.scalars(select(Notification.contact_id)).first()
        ichiro = session.scalars(select(Contact).where(Contact.name == "山田 一郎")).one()
        session.add(ContactQuietHours(contact_id=ichiro.id, start="22:00", end="07:00", mode=mode))
        session.commit()
        assert contact_id is None
    night = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # 02:00 in Tokyo
    lifecycle = AlertLifecycle(sessions=store, clock=ManualClock(night))
    return lifecycle, lambda: notifications(store)


def test_quiet_hours_hold_a_low_severity_alert_until_morning(tmp_path: Path) -> None:
    """A gateway problem at 02:00 to a contact in quiet hours is held until 07:00."""
    lifecycle, _ = quiet_home(tmp_path, mode="hold")
    lifecycle.apply([rule_signal(RuleName.UNUSUAL_DAY, facts={"reasons": "no_door"})])
    with lifecycle._sessions() as session:
        [row] = session.scalars(select(Notification)).all()
    assert row.next_attempt_at == datetime(2026, 11, 26, 22, 0, tzinfo=UTC)  # 07:00 in Tokyo


def test_quiet_hours_can_pass_a_low_severity_alert_to_the_next_contact(tmp_path: Path) -> None:
    """With "next", the contact in quiet hours is skipped and the caseworker is told at once."""
    lifecycle, rows = quiet_home(tmp_path, mode="next")
    lifecycle.apply([rule_signal(RuleName.UNUSUAL_DAY, facts={"reasons": "no_door"})])
    assert [name for name, _, _ in rows()] == ["佐藤 ケアマネ"]


def test_quiet_hours_never_hold_an_emergency(tmp_path: Path) -> None:
    """An emergency at 02:00 reaches the contact in quiet hours at once."""
    lifecycle, _ = quiet_home(tmp_path, mode="hold")
    lifecycle.apply([rule_signal()])
    with lifecycle._sessions() as session:
        [row] = session.scalars(select(Notification)).all()
    assert row.next_attempt_at == datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    assert rule_signal().severity is Severity.CRITICAL


# --- durable escalation across SIGKILL -------------------------------------------------------


def serve_env(data_dir: Path, broker: MosquittoBroker) -> dict[str, str]:
    return {
        **os.environ,
        "MIMAMORI_DATA_DIR": str(data_dir),
        "MIMAMORI_MQTT_HOST": broker.host,
        "MIMAMORI_MQTT_PORT": str(broker.port),
        "MIMAMORI_API_PORT": "",
        "MIMAMORI_RULE_TICK_S": "0.05",
        "MIMAMORI_CHECKPOINT_INTERVAL_S": "0.5",
    }


@pytest.fixture
def serve(tmp_path: Path, mosquitto: MosquittoBroker) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start `mimamori serve` as a subprocess (killed after the test)."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        path = tmp_path / f"serve-{len(started)}.log"
        log = path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "cloud.cli", "serve"],
            env=serve_env(tmp_path / "data", mosquitto),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        wait_until(lambda: b"connected to broker" in path.read_bytes(), timeout=30, what="mimamori serve connected")
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_escalation_fires_once_at_its_time_after_sigkill(
    tmp_path: Path,
    mosquitto: MosquittoBroker,
    receiver: NotificationReceiver,
    serve: Callable[[], subprocess.Popen[bytes]],
) -> None:
    """Cloud SIGKILLed while an escalation is pending, restarted: the caseworker hears once, on time."""
    url = f"sqlite:///{tmp_path / 'data' / 'mimamori.db'}"
    (tmp_path / "data").mkdir()
    migrate(url)
    sessions = make_sessions(url)
    add_household(sessions, household_id=HOUSEHOLD, name="田中家", person_name="田中花子")
    add_gateway(sessions, gateway_id=GATEWAY, household_id=HOUSEHOLD)
    add_contact(sessions, household_id=HOUSEHOLD, name="娘", channels=[receiver.url("/daughter")], priority=0)
    add_contact(
        sessions, household_id=HOUSEHOLD, name="ケアマネ", role="caseworker", channels=[receiver.url("/cm")], priority=1
    )
    with sessions.begin() as session:
        # the emergency escalates after 12 seconds; no reminders in this test
        change_overrides(
            session,
            HOUSEHOLD,
            {"escalation_critical_step_min": 0.2, "reminder_every_min": 0},
            by="test",
            now=datetime.now(UTC),
        )
    sessions.kw["bind"].dispose()

    first = serve()
    publisher = GatewayPublisher(mosquitto)
    try:
        publisher.publish(events_topic(), encode(event(kind=EventKind.BUTTON_PRESSED, ts=datetime.now(UTC))))
        receiver.wait_for("/daughter", timeout=20)
    finally:
        publisher.close()
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert receiver.messages("/cm") == [], "killed before the step was due"

    serve()
    sessions = make_sessions(url)
    with sessions() as session:
        due = session.scalars(select(AlertEscalation.next_step_at)).one()
    assert due is not None
    [message] = receiver.wait_for("/cm", timeout=30)
    arrived = datetime.now(UTC)
    assert timedelta(0) <= arrived - due < timedelta(seconds=5), (due, arrived)
    assert "未対応" in message.title

    def step_recorded() -> bool:
        with sessions() as session:
            return session.scalars(select(AlertEscalation.next_step_at)).one() is None

    wait_until(step_recorded, timeout=10, what="the escalation step recorded as done")
    with sessions() as session:
        escalated = session.scalars(select(Notification).where(Notification.purpose == "escalated")).all()
    assert len(escalated) == 1
    assert len(receiver.messages("/cm")) == 1
    sessions.kw["bind"].dispose()
