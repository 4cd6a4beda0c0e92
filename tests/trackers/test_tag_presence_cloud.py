"""Ingest keeps each BLE tag's presence from its gateway's reports through the real broker."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from cloud.db import TagPresenceRecord
from cloud.service import CloudService
from protocol import Presence, PresenceState, TopicKind, encode, new_message_id, topic_for
from tests.cloud.conftest import START, GatewayPublisher
from tests.support import wait_until
from tests.trackers.conftest import GATEWAY


def presence(state: PresenceState, ts: datetime, *, last_heard: datetime | None = None, rssi: float = -60) -> bytes:
    return encode(
        Presence(
            msg_id=new_message_id(),
            gateway_id=GATEWAY,
            ts=ts,
            device_id="tag-hanako",
            state=state,
            last_heard=last_heard,
            rssi_dbm=rssi,
            battery_pct=81.0,
        )
    )


def stored(service: CloudService) -> TagPresenceRecord | None:
    with service.sessions() as session:
        return session.scalars(select(TagPresenceRecord)).one_or_none()


def test_presence_is_kept_since_it_began_and_late_replays_do_not_turn_it_back(
    service: CloudService, publisher: GatewayPublisher
) -> None:
    """ "home" twice keeps its first time; "not_home" starts when last heard; an older "home" is ignored."""
    topic = topic_for(GATEWAY, TopicKind.PRESENCE)
    home_at = START
    publisher.publish(topic, presence(PresenceState.HOME, home_at, last_heard=home_at))
    # the gateway restarted and says "home" again: the person has been home since the first report
    publisher.publish(topic, presence(PresenceState.HOME, home_at + timedelta(hours=1), rssi=-70))
    wait_until(lambda: service.stats.accepted == 2, timeout=10, what="two reports accepted")
    record = stored(service)
    assert record is not None
    assert (record.state, record.since, record.rssi_dbm, record.battery_pct) == ("home", home_at, -70, 81.0)

    last_heard = home_at + timedelta(hours=2)
    publisher.publish(topic, presence(PresenceState.NOT_HOME, last_heard + timedelta(minutes=2), last_heard=last_heard))
    publisher.publish(topic, presence(PresenceState.HOME, home_at + timedelta(minutes=30)))  # an outbox replay
    wait_until(lambda: service.stats.accepted == 4, timeout=10, what="four reports accepted")
    record = stored(service)
    assert record is not None
    assert (record.state, record.since, record.last_heard) == ("not_home", last_heard, last_heard)
