"""From a gateway's MQTT message to a family's phone: ingest, rules, alert lifecycle, notification."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from cloud.db import Alert, Notification
from cloud.service import CloudService
from protocol import EventKind, GatewayState, GatewayStatus, ManualClock, TopicKind, encode, new_message_id, topic_for
from tests.cloud.conftest import GATEWAY, START, GatewayPublisher, event, events_topic
from tests.support import NotificationReceiver, wait_until


def alerts_of(service: CloudService) -> list[tuple[str, str]]:
    with service.sessions() as session:
        return [(alert.rule, alert.state) for alert in session.scalars(select(Alert).order_by(Alert.id))]


def all_notifications_settled(service: CloudService) -> bool:
    with service.sessions() as session:
        states = list(session.scalars(select(Notification.state)))
    return bool(states) and "pending" not in states


def test_emergency_button_sent_twice_notifies_once(
    start_service: Callable[..., CloudService], gateway: GatewayPublisher, receiver: NotificationReceiver
) -> None:
    """An emergency button message delivered twice (same msg_id) reaches the family once."""
    service = start_service(contacts=[receiver.url("/family/ichiro")])
    press = event(device_id="btn-1", kind=EventKind.BUTTON_PRESSED, room="寝室")

    gateway.publish(events_topic(), encode(press))
    gateway.publish(events_topic(), encode(press))

    [notification] = receiver.wait_for("/family/ichiro")
    wait_until(lambda: service.stats.rejected["duplicate"] == 1, what="duplicate dropped")
    wait_until(lambda: all_notifications_settled(service), what="outbox settled")
    assert len(receiver.messages("/family/ichiro")) == 1
    assert "緊急" in notification.title
    assert alerts_of(service) == [("emergency_button", "open")]


def test_silent_gateway_alert_survives_a_restart(
    start_service: Callable[..., CloudService],
    gateway: GatewayPublisher,
    receiver: NotificationReceiver,
    clock: ManualClock,
) -> None:
    """A gateway heard before a restart and silent after it raises 'gateway offline' once time passes."""
    first = start_service(contacts=[receiver.url("/installer")])
    status = GatewayStatus(
        msg_id=new_message_id(), gateway_id=GATEWAY, ts=START, state=GatewayState.ONLINE, started_at=START
    )
    gateway.publish(topic_for(GATEWAY, TopicKind.STATUS), encode(status))
    wait_until(lambda: first.stats.accepted == 1, what="status stored")
    first.stop()

    clock.advance(timedelta(minutes=30))
    second = start_service()

    wait_until(lambda: ("gateway_offline", "open") in alerts_of(second), what="gateway offline alert")
