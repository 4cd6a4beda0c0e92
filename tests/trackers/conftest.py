"""Fixtures of the tracker tests: the cloud service (real Mosquitto, SQLite, API) and its tracker desk."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cloud.service import CloudService
from cloud.trackers import TrackerDesk, add_tracker
from tests.cloud.conftest import GATEWAY, HOUSEHOLD, GatewayPublisher, clock, gateway, make_settings, start_service
from tests.support import wait_until
from tests.web.people import SECRET, seed_people

__all__ = ["GATEWAY", "HOUSEHOLD", "clock", "gateway", "make_settings", "start_service"]

HOME = (35.7126, 139.7800)


@pytest.fixture
def service(start_service: Callable[..., CloudService]) -> CloudService:
    """A started cloud with its API on a free port and household taito-0001."""
    return start_service(api_port=0, session_secret=SECRET)


@pytest.fixture
def people(service: CloudService) -> CloudService:
    """The service with its users: admin, caseworker sato (Taito), family ichiro (taito-0001), installer."""
    seed_people(service)
    return service


@pytest.fixture
def desk(service: CloudService) -> TrackerDesk:
    """The service's tracker desk, connected to the same broker."""
    desk = service.tracker_desk
    assert desk is not None
    wait_until(desk.connected.is_set, timeout=10, what="tracker desk connected")
    return desk


@pytest.fixture
def publisher(gateway: GatewayPublisher) -> GatewayPublisher:
    """An MQTT client publishing at QoS 1 (a phone running OwnTracks, a gateway)."""
    return gateway


def register_phone(service: CloudService, desk: TrackerDesk, *, kind: str, external_id: str) -> str:
    """Register a phone tracker of taito-0001 with a 150 m home zone; wait until the desk knows it."""
    tracker_id = f"trk-{kind}"
    add_tracker(
        service.sessions,
        tracker_id=tracker_id,
        household_id=HOUSEHOLD,
        kind=kind,
        external_id=external_id,
        clock=service.clock,
    )
    # a phone tracker brings in the bridge gateway: ingest must accept it
    service.refresh_households()
    from cloud.db.trackers import SafeZoneRecord

    now = service.clock.now()
    with service.sessions.begin() as session:
        session.add(
            SafeZoneRecord(
                id=f"{tracker_id}-home",
                tracker_id=tracker_id,
                name="自宅",
                kind="home",
                center_lat=HOME[0],
                center_lon=HOME[1],
                radius_m=150.0,
                created_at=now,
                updated_at=now,
            )
        )
    wait_until(lambda: len(desk.watch.index.zones_of(tracker_id)) == 1, timeout=10, what="desk reloaded")
    return tracker_id
