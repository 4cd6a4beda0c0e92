"""A BLE tag's presence end to end: the real gateway agent hears (and stops hearing) a tag, its
presence goes through Mosquitto to ingest and the tracker desk, the family's receiver gets the
"left home at night" message, and the trackers API shows home / not home since HH:MM."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cloud.db import Alert
from cloud.service import CloudService
from cloud.trackers import add_tracker
from protocol import ManualClock
from tests.support import MosquittoBroker, NotificationReceiver, wait_until
from tests.support.gateway_process import GatewayProcess, write_gateway_config
from tests.trackers.conftest import GATEWAY, HOME, HOUSEHOLD
from tests.web.people import SECRET, logged_in, seed_people

FAMILY = "/family/ichiro"
# AltBeacon's Eddystone-UID test vector (see tests/edge/test_beacons.py for the source)
TAG_ADVERT = (
    "0201060303aafe1516aafe00e700010203040506070809010203040506"
    "000000000000000000000000000000000000000000000000000000000000000000"
)
SCANNER: dict[str, Any] = {
    "type": "ble_beacon",
    "id": "ble-entrance",
    "lat": HOME[0],
    "lon": HOME[1],
    "tags": [{"id": "tag-hanako", "tag_id": "eddystone:00010203040506070809:010203040506"}],
    "away_after_s": 120,
}
NIGHT = datetime(2026, 11, 26, 13, 30, tzinfo=UTC)  # 22:30 in Tokyo
NOON = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo


@pytest.fixture
def start_cloud(
    start_service: Callable[..., CloudService], clock: ManualClock, receiver: NotificationReceiver
) -> Callable[[datetime], CloudService]:
    """Start the cloud at a time of day, with the family's receiver, users and the tag registered."""

    def start(at: datetime) -> CloudService:
        clock.set(at)
        service = start_service(contacts=[receiver.url(FAMILY)], api_port=0, session_secret=SECRET)
        seed_people(service)
        add_tracker(
            service.sessions,
            tracker_id="trk-tag",
            household_id=HOUSEHOLD,
            kind="ble_tag",
            gateway_id=GATEWAY,
            device_id="tag-hanako",
            clock=clock,
        )
        desk = service.tracker_desk
        assert desk is not None
        wait_until(desk.connected.is_set, timeout=10, what="tracker desk connected")
        wait_until(lambda: "trk-tag" in desk.watch.index.tracker_index, timeout=10, what="desk knows the tag")
        return service

    return start


def gateway(tmp_path: Path, mosquitto: MosquittoBroker, at: datetime) -> GatewayProcess:
    config = write_gateway_config(tmp_path / "gateway", broker=mosquitto, gateway_id=GATEWAY, devices=[SCANNER])
    return GatewayProcess(config, clock_start=at)


def presence_shown(service: CloudService) -> dict[str, Any] | None:
    """Return the tag's presence as the family sees it in the trackers API."""
    assert service.api_url is not None
    with logged_in(service.api_url, "ichiro") as family:
        response = family.get("/api/v1/trackers")
    response.raise_for_status()
    [tracker] = response.json()
    presence: dict[str, Any] | None = tracker["presence"]
    return presence


def wait_presence(service: CloudService, state: str) -> dict[str, Any]:
    """Wait until the trackers API shows the tag in `state`; return its presence."""
    return wait_until(
        lambda: (shown := presence_shown(service)) and shown["state"] == state and shown,
        timeout=15,
        what=f"presence {state} in the API",
    )


def night_alerts(service: CloudService) -> list[Alert]:
    with service.sessions() as session:
        query = select(Alert).where(Alert.household_id == HOUSEHOLD, Alert.rule == "left_home_at_night")
        return list(session.scalars(query))


def test_a_tag_no_longer_heard_at_night_reaches_the_family_and_shows_not_home(
    tmp_path: Path,
    mosquitto: MosquittoBroker,
    receiver: NotificationReceiver,
    start_cloud: Callable[[datetime], CloudService],
) -> None:
    """Heard at 22:30, silent past the timeout: the family reads "not heard at home since 22:30"."""
    service = start_cloud(NIGHT)
    with gateway(tmp_path, mosquitto, NIGHT) as home_gateway:
        home_gateway.command(f"advert ble-entrance {TAG_ADVERT} -60")
        home = wait_presence(service, "home")
        assert home["since_local"] == "22:30" and home["rssi_dbm"] == -60
        home_gateway.command("advance 121")
        [notification] = receiver.wait_for(FAMILY, timeout=15)
        away = wait_presence(service, "not_home")
        assert "田中花子さんが夜に自宅を離れました" in notification.title
        assert "見守りタグが22:30から自宅で検知されていません" in notification.message
        assert away["since_local"] == "22:30"

        # back home two minutes later: the alert is resolved and the API says home since 22:32
        home_gateway.command(f"advert ble-entrance {TAG_ADVERT} -58")
        wait_until(
            lambda: [alert.state for alert in night_alerts(service)] == ["resolved"], timeout=15, what="alert resolved"
        )
        back = wait_presence(service, "home")
    assert back["since_local"] == "22:32"


def test_going_out_by_day_raises_nothing(
    tmp_path: Path,
    mosquitto: MosquittoBroker,
    receiver: NotificationReceiver,
    start_cloud: Callable[[datetime], CloudService],
) -> None:
    """Out at noon: "not home since 12:00" is shown, and the family's first message is the night's."""
    service = start_cloud(NOON)
    with gateway(tmp_path, mosquitto, NOON) as home_gateway:
        home_gateway.command(f"advert ble-entrance {TAG_ADVERT} -60")
        home_gateway.command("advance 121")
        away = wait_presence(service, "not_home")
        assert away["since_local"] == "12:00"
        # back in the evening, out again at 22:27: only that departure is news
        home_gateway.command("advance 37500")
        home_gateway.command(f"advert ble-entrance {TAG_ADVERT} -60")
        home_gateway.command("advance 121")
        [notification] = receiver.wait_for(FAMILY, timeout=15)
    assert "22:27" in notification.message
    assert len(night_alerts(service)) == 1
