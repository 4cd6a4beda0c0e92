"""Trackers in the cloud: OwnTracks over the real broker, OsmAnd over the real API, safe-zone
alerts through the lifecycle, the privacy gate with its audit log, and the retention job."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from cloud.db import Alert, AuditEntry, LocationRecord
from cloud.provisioning import add_gateway
from cloud.service import CloudService
from cloud.trackers import TrackerDesk, add_tracker, purge_location_history
from maps.projection import from_plane, to_plane
from protocol import LocationFix, LocationSource, TopicKind, encode, new_message_id, topic_for
from tests.cloud.conftest import GatewayPublisher
from tests.support import wait_until
from tests.trackers.conftest import GATEWAY, HOME, HOUSEHOLD, register_phone
from tests.web.people import logged_in


def east_of_home(metres: float) -> tuple[float, float]:
    x, y = to_plane(*HOME)
    return from_plane(x + metres, y)


def stored_fixes(service: CloudService, device_id: str, source: str | None = None) -> list[LocationRecord]:
    with service.sessions() as session:
        query = select(LocationRecord).where(LocationRecord.device_id == device_id).order_by(LocationRecord.ts)
        if source is not None:
            query = query.where(LocationRecord.source == source)
        return list(session.scalars(query))


def open_alerts(service: CloudService, rule: str) -> list[Alert]:
    with service.sessions() as session:
        return list(
            session.scalars(
                select(Alert).where(Alert.household_id == HOUSEHOLD, Alert.rule == rule, Alert.state != "resolved")
            )
        )


def audit_rows(service: CloudService, action: str) -> list[AuditEntry]:
    with service.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def owntracks(lat: float, lon: float, tst: float, *, acc: float = 10, batt: int = 80) -> bytes:
    return json.dumps({"_type": "location", "lat": lat, "lon": lon, "tst": int(tst), "acc": acc, "batt": batt}).encode()


def osmand(client: httpx.Client, device: str, lat: float, lon: float, ts: float, **extra: str) -> httpx.Response:
    params = {"id": device, "lat": str(lat), "lon": str(lon), "timestamp": str(int(ts)), "accuracy": "12", "batt": "76"}
    params.update(extra)
    return client.get("/osmand", params=params)


def test_owntracks_location_through_the_broker_is_stored(
    service: CloudService, desk: TrackerDesk, publisher: GatewayPublisher
) -> None:
    """A phone's OwnTracks JSON on owntracks/hanako/phone is stored as a fix of its tracker."""
    tracker = register_phone(service, desk, kind="owntracks", external_id="hanako/phone")
    publisher.publish("owntracks/hanako/phone", owntracks(*HOME, service.clock.now().timestamp()))
    [fix] = wait_until(lambda: stored_fixes(service, tracker, "owntracks"), timeout=10, what="fix stored")
    assert (fix.lat, fix.lon, fix.accuracy_m) == (HOME[0], HOME[1], 10)


def test_bad_owntracks_payload_is_dropped_and_the_next_one_stored(
    service: CloudService, desk: TrackerDesk, publisher: GatewayPublisher
) -> None:
    """Broken JSON is counted and dropped; a good fix after it is still stored."""
    tracker = register_phone(service, desk, kind="owntracks", external_id="hanako/phone")
    publisher.publish("owntracks/hanako/phone", b"{not json")
    publisher.publish("owntracks/hanako/phone", owntracks(*HOME, service.clock.now().timestamp()))
    wait_until(lambda: stored_fixes(service, tracker), timeout=10, what="good fix stored")
    assert desk.dropped["malformed_json"] == 1


def test_walking_out_of_the_zone_with_owntracks_opens_an_alert(
    service: CloudService, desk: TrackerDesk, publisher: GatewayPublisher
) -> None:
    """Two fixes 300 m outside the home zone open a safe-zone alert for the household."""
    register_phone(service, desk, kind="owntracks", external_id="hanako/phone")
    now = service.clock.now().timestamp()
    for step, metres in enumerate([20, 450, 470]):
        publisher.publish("owntracks/hanako/phone", owntracks(*east_of_home(metres), now + 30 * step))
    [alert] = wait_until(lambda: open_alerts(service, "safe_zone_exit"), timeout=10, what="exit alert")
    assert alert.severity == "high" and alert.facts["zone"] == "自宅"


def test_osmand_fix_through_the_api_is_stored(service: CloudService, desk: TrackerDesk) -> None:
    """GET /osmand?id=…&lat=…&lon=…&timestamp=…&accuracy=…&batt=… answers 200 and the fix is stored."""
    tracker = register_phone(service, desk, kind="osmand", external_id="358240051111110")
    assert service.api_url is not None
    with httpx.Client(base_url=service.api_url, timeout=10) as client:
        response = osmand(client, "358240051111110", *HOME, service.clock.now().timestamp())
    assert response.status_code == 200
    [fix] = wait_until(lambda: stored_fixes(service, tracker, "osmand"), timeout=10, what="fix stored")
    assert fix.accuracy_m == 12


def test_osmand_fix_posted_as_a_form_is_stored(service: CloudService, desk: TrackerDesk) -> None:
    """POST /osmand with the fix as a form body (as Traccar Client can send it) answers 200 and is stored."""
    tracker = register_phone(service, desk, kind="osmand", external_id="358240051111110")
    assert service.api_url is not None
    fix = {"id": "358240051111110", "lat": str(HOME[0]), "lon": str(HOME[1])}
    fix |= {"timestamp": str(int(service.clock.now().timestamp())), "accuracy": "9", "batt": "64"}
    with httpx.Client(base_url=service.api_url, timeout=10) as client:
        response = client.post("/osmand", data=fix)
    assert response.status_code == 200, response.text
    [stored] = wait_until(lambda: stored_fixes(service, tracker, "osmand"), timeout=10, what="fix stored")
    assert stored.accuracy_m == 9


def test_osmand_fix_of_an_unknown_device_is_refused(service: CloudService, desk: TrackerDesk) -> None:
    """A device id nobody registered gets 404 and nothing is stored."""
    assert service.api_url is not None
    with httpx.Client(base_url=service.api_url, timeout=10) as client:
        response = osmand(client, "999", *HOME, service.clock.now().timestamp())
    assert response.status_code == 404


def test_family_is_refused_the_position_without_an_open_alert(people: CloudService, desk: TrackerDesk) -> None:
    """A family member asking for the position with no alert open gets 403, and the refusal is audited."""
    service = people
    tracker = register_phone(service, desk, kind="osmand", external_id="dev-1")
    assert service.api_url is not None
    with logged_in(service.api_url, "ichiro") as family:
        response = family.get(f"/api/v1/trackers/{tracker}/position")
    assert response.status_code == 403
    [row] = audit_rows(service, "location.refused")
    assert row.actor and row.target == f"tracker:{tracker}" and row.detail["reason"] == "no_open_alert"


def test_family_sees_the_live_position_while_an_alert_is_open(people: CloudService, desk: TrackerDesk) -> None:
    """After an exit alert opens, the family gets 200 with the newest fix, and the view is audited."""
    service = people
    tracker = register_phone(service, desk, kind="osmand", external_id="dev-1")
    assert service.api_url is not None
    now = service.clock.now().timestamp()
    with httpx.Client(base_url=service.api_url, timeout=10) as device:
        for step, metres in enumerate([10, 400, 420]):
            assert osmand(device, "dev-1", *east_of_home(metres), now + 30 * step).status_code == 200
    wait_until(lambda: open_alerts(service, "safe_zone_exit"), timeout=10, what="exit alert")
    wait_until(lambda: len(stored_fixes(service, tracker)) == 3, timeout=10, what="fixes stored")
    with logged_in(service.api_url, "ichiro") as family:
        response = family.get(f"/api/v1/trackers/{tracker}/position")
    assert response.status_code == 200
    body = response.json()
    assert body["access"] == "open_alert"
    assert math.isclose(body["position"]["lon"], east_of_home(420)[1], abs_tol=1e-9)
    assert len(body["trail"]) == 2
    [row] = audit_rows(service, "location.view")
    assert row.detail["role"] == "family" and row.detail["alert_ids"]


def test_family_with_a_recorded_consent_sees_the_position(people: CloudService, desk: TrackerDesk) -> None:
    """A consent recorded by a caseworker lets the family see the position without an alert."""
    service = people
    tracker = register_phone(service, desk, kind="osmand", external_id="dev-1")
    assert service.api_url is not None
    with logged_in(service.api_url, "sato") as caseworker:
        granted = caseworker.post(f"/api/v1/trackers/{tracker}/consents", json={"basis": "本人と長男の同意書"})
        assert granted.status_code == 201
    with logged_in(service.api_url, "ichiro") as family:
        response = family.get(f"/api/v1/trackers/{tracker}/position")
    assert response.status_code == 200 and response.json()["access"] == "consent"


def test_caseworker_sees_the_position_by_role(people: CloudService, desk: TrackerDesk) -> None:
    """A caseworker of the ward sees the position without an alert; the view is audited."""
    service = people
    tracker = register_phone(service, desk, kind="osmand", external_id="dev-1")
    assert service.api_url is not None
    with logged_in(service.api_url, "sato") as caseworker:
        response = caseworker.get(f"/api/v1/trackers/{tracker}/position")
    assert response.status_code == 200 and response.json()["access"] == "role"
    assert len(audit_rows(service, "location.view")) == 1


def test_zones_are_created_and_listed_with_geojson(people: CloudService, desk: TrackerDesk) -> None:
    """A caseworker adds a circle and a polygon zone; the list returns both with GeoJSON polygons."""
    service = people
    tracker = register_phone(service, desk, kind="osmand", external_id="dev-1")
    assert service.api_url is not None
    polygon = [[35.7130, 139.7790], [35.7130, 139.7810], [35.7140, 139.7810], [35.7140, 139.7790]]
    with logged_in(service.api_url, "sato") as caseworker:
        circle = caseworker.post(
            f"/api/v1/trackers/{tracker}/zones",
            json={
                "id": "day-care",
                "name": "デイサービス",
                "kind": "day_care",
                "center_lat": 35.71,
                "center_lon": 139.78,
                "radius_m": 80,
                "active_from": "09:00",
                "active_to": "17:00",
            },
        )
        walk = caseworker.post(
            f"/api/v1/trackers/{tracker}/zones", json={"id": "walk", "name": "散歩道", "polygon": polygon}
        )
        listed = caseworker.get(f"/api/v1/trackers/{tracker}/zones").json()
    assert circle.status_code == 201 and walk.status_code == 201
    assert {zone["id"] for zone in listed} == {f"{tracker}-home", "day-care", "walk"}
    assert all(zone["geojson"]["type"] == "Polygon" for zone in listed)


def test_family_cannot_create_zones(people: CloudService, desk: TrackerDesk) -> None:
    """Zones are the ward's to draw: a family member gets 403."""
    service = people
    tracker = register_phone(service, desk, kind="osmand", external_id="dev-1")
    assert service.api_url is not None
    with logged_in(service.api_url, "ichiro") as family:
        response = family.post(
            f"/api/v1/trackers/{tracker}/zones",
            json={"id": "mine", "name": "x", "center_lat": 35.71, "center_lon": 139.78, "radius_m": 50},
        )
    assert response.status_code == 403


def test_retention_deletes_location_history_older_than_thirty_days(service: CloudService, desk: TrackerDesk) -> None:
    """Fixes older than 30 days are gone from the store after the job; newer ones stay."""
    now = service.clock.now()
    with service.sessions.begin() as session:
        for index, age in enumerate([timedelta(days=45), timedelta(days=31), timedelta(days=2)]):
            session.add(
                LocationRecord(
                    msg_id=f"retention-{index:04d}",
                    gateway_id="trackers-cloud",
                    device_id="trk-old",
                    lat=HOME[0],
                    lon=HOME[1],
                    accuracy_m=10,
                    source="osmand",
                    ts=now - age,
                    received_at=now - age,
                )
            )
    removed = purge_location_history(service.sessions, now=now)
    with service.sessions() as session:
        left = session.scalars(select(LocationRecord.ts).where(LocationRecord.device_id == "trk-old")).all()
        total_old = session.scalar(
            select(func.count()).select_from(LocationRecord).where(LocationRecord.ts < now - timedelta(days=30))
        )
    assert removed == 2
    assert left == [now - timedelta(days=2)]
    assert total_old == 0


def test_town_beacon_receiver_sightings_form_the_last_seen_trail(
    people: CloudService, desk: TrackerDesk, publisher: GatewayPublisher
) -> None:
    """Sightings of a tag by two town receivers show as the position and trail of its tracker."""
    service = people
    tag = "eddystone:00010203040506070809:010203040506"
    add_tracker(
        service.sessions,
        tracker_id="trk-tag",
        household_id=HOUSEHOLD,
        kind="ble_tag",
        gateway_id=GATEWAY,
        device_id="tag-hanako",
        external_id=tag,
        clock=service.clock,
    )
    for receiver in ("rx-ueno-station", "rx-okachimachi-shop"):
        add_gateway(service.sessions, gateway_id=receiver, household_id=None, clock=service.clock)
    service.refresh_households()
    now = service.clock.now()
    for minutes, (receiver, where) in enumerate([("rx-ueno-station", 300), ("rx-okachimachi-shop", 900)]):
        lat, lon = east_of_home(where)
        sighting = LocationFix(
            msg_id=new_message_id(),
            gateway_id=receiver,
            ts=now + timedelta(minutes=minutes),
            device_id=tag,
            lat=lat,
            lon=lon,
            accuracy_m=30,
            source=LocationSource.BEACON_RECEIVER,
        )
        publisher.publish(topic_for(receiver, TopicKind.LOCATION), encode(sighting))
    wait_until(lambda: len(stored_fixes(service, tag)) == 2, timeout=10, what="sightings stored")
    assert service.api_url is not None
    with logged_in(service.api_url, "sato") as caseworker:
        body = caseworker.get("/api/v1/trackers/trk-tag/position").json()
    assert body["position"]["gateway_id"] == "rx-okachimachi-shop"
    assert [fix["gateway_id"] for fix in body["trail"]] == ["rx-ueno-station"]


def test_a_replaced_zone_is_what_the_desk_evaluates(people: CloudService, desk: TrackerDesk) -> None:
    """After a caseworker widens the home zone to 1 km, the desk judges fixes against the new radius."""
    service = people
    tracker = register_phone(service, desk, kind="osmand", external_id="dev-1")
    assert service.api_url is not None
    wider = {"id": f"{tracker}-home", "name": "自宅", "kind": "home", "center_lat": HOME[0], "center_lon": HOME[1]}
    with logged_in(service.api_url, "sato") as caseworker:
        response = caseworker.put(f"/api/v1/trackers/{tracker}/zones/{tracker}-home", json={**wider, "radius_m": 1000})
    assert response.status_code == 200
    home = lambda: desk.watch.index.zones_of(tracker)  # noqa: E731
    wait_until(lambda: home() and home()[0].radius_m == 1000, timeout=10, what="desk reloaded the zone")
