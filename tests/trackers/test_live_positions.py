"""Live positions pushed as fixes arrive (Server-Sent Events) behind the privacy gate, and the
checks that refuse a safe zone the rules could not watch well."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cloud.db import AuditEntry
from cloud.service import CloudService
from cloud.trackers import TrackerDesk
from tests.support import wait_until
from tests.trackers.conftest import HOME, HOUSEHOLD, register_phone
from tests.trackers.test_cloud_trackers import east_of_home, osmand, stored_fixes
from tests.web.people import logged_in, raise_alert


class EventReader:
    """Read a live stream in a thread and keep its events, as a browser's EventSource would."""

    def __init__(self, client: httpx.Client, url: str) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.status: int | None = None
        self.ended = threading.Event()
        self._client, self._url = client, url
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        name = ""
        try:
            with self._client.stream("GET", self._url, timeout=httpx.Timeout(10, read=30)) as response:
                self.status = response.status_code
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        name = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        self.events.append((name, json.loads(line.removeprefix("data: "))))
        except httpx.HTTPError:
            pass
        finally:
            self.ended.set()

    def positions(self) -> list[dict[str, Any]]:
        return [data for name, data in self.events if name == "position"]

    def named(self, event: str) -> list[dict[str, Any]]:
        return [data for name, data in self.events if name == event]


@contextmanager
def live_view(service: CloudService, username: str, **params: str) -> Iterator[EventReader]:
    """Open the live position stream as a logged-in user; close it at the end."""
    assert service.api_url is not None
    query = "&".join(f"{key}={value}" for key, value in params.items())
    with logged_in(service.api_url, username) as client:
        reader = EventReader(client, f"/api/v1/stream/positions?{query}")
        wait_until(lambda: reader.status is not None or reader.ended.is_set(), timeout=10, what="stream answered")
        try:
            yield reader
        finally:
            client.close()


def send_fix(service: CloudService, device: str, metres_east: float, seconds_on: float) -> tuple[float, float]:
    """Post one fix `metres_east` of home through the OsmAnd endpoint; return where it was."""
    assert service.api_url is not None
    where = east_of_home(metres_east)
    with httpx.Client(base_url=service.api_url, timeout=10) as device_client:
        response = osmand(device_client, device, *where, service.clock.now().timestamp() + seconds_on)
    assert response.status_code == 200
    return where


def near(where: tuple[float, float]) -> Any:
    return pytest.approx(where, abs=1e-9)


def views_of(service: CloudService, actor: str, action: str) -> list[AuditEntry]:
    with service.sessions() as session:
        query = select(AuditEntry).where(AuditEntry.action == action, AuditEntry.actor == actor)
        return list(session.scalars(query))


def test_family_with_an_open_alert_gets_each_new_fix_pushed(people: CloudService, desk: TrackerDesk) -> None:
    """Each fix posted over OsmAnd reaches the family's open view; the view is audited once, not per fix."""
    service = people
    tracker = register_phone(service, desk, kind="osmand", external_id="dev-1")
    raise_alert(service, HOUSEHOLD)
    with live_view(service, "ichiro", household_id=HOUSEHOLD) as view:
        assert view.status == 200
        wait_until(lambda: desk.live.viewers == 1, timeout=10, what="view subscribed")
        sent = [send_fix(service, "dev-1", metres, 30 * step) for step, metres in enumerate([50, 120, 200], 1)]
        pushed = wait_until(lambda: len(view.positions()) == 3 and view.positions(), timeout=10, what="3 pushes")
    assert [(p["lat"], p["lon"]) for p in pushed] == [near(where) for where in sent]
    assert {p["tracker_id"] for p in pushed} == {tracker}
    [row] = views_of(service, "田中一郎", "location.view")
    assert row.target == f"tracker:{tracker}" and row.detail["reason"] == "open_alert"


def test_family_view_stops_when_the_alert_is_resolved(people: CloudService, desk: TrackerDesk) -> None:
    """Once the alert is resolved the family's view says closed, ends, and a later fix is not pushed."""
    service = people
    tracker = register_phone(service, desk, kind="osmand", external_id="dev-1")
    alert_id = raise_alert(service, HOUSEHOLD)
    with live_view(service, "ichiro", household_id=HOUSEHOLD) as view:
        wait_until(lambda: desk.live.viewers == 1, timeout=10, what="view subscribed")
        send_fix(service, "dev-1", 60, 30)
        wait_until(view.positions, timeout=10, what="first push")
        service.lifecycle.resolve(alert_id, by="佐藤")
        [closed] = wait_until(lambda: view.named("closed"), timeout=10, what="view closed")
        assert view.ended.wait(10)
        send_fix(service, "dev-1", 400, 60)
        # the desk has taken the later fix; the view was closed before it
        wait_until(lambda: desk.evaluated >= 2, timeout=10, what="desk saw the later fix")
    assert closed == {"tracker_id": tracker, "reason": "no_open_alert"}
    assert len(view.positions()) == 1
    assert desk.live.viewers == 0


def test_family_without_an_open_alert_gets_403_and_the_refusal_is_audited(
    people: CloudService, desk: TrackerDesk
) -> None:
    """No alert open, no consent: the live view is refused outright and no position is sent."""
    service = people
    tracker = register_phone(service, desk, kind="osmand", external_id="dev-1")
    send_fix(service, "dev-1", 10, 0)
    with live_view(service, "ichiro", household_id=HOUSEHOLD) as view:
        assert view.ended.wait(10)
    assert view.status == 403 and view.positions() == []
    [row] = views_of(service, "田中一郎", "location.refused")
    assert row.target == f"tracker:{tracker}" and row.detail["reason"] == "no_open_alert"
    assert views_of(service, "田中一郎", "location.view") == []


def test_caseworker_view_starts_with_the_last_stored_fix_and_follows(people: CloudService, desk: TrackerDesk) -> None:
    """A caseworker's view first shows where the person was last seen, then each new fix."""
    service = people
    tracker = register_phone(service, desk, kind="osmand", external_id="dev-1")
    first = send_fix(service, "dev-1", 30, 0)
    wait_until(lambda: stored_fixes(service, tracker), timeout=10, what="fix stored")
    with live_view(service, "sato") as view:
        [stored] = wait_until(view.positions, timeout=10, what="stored fix sent")
        later = send_fix(service, "dev-1", 90, 30)
        wait_until(lambda: len(view.positions()) == 2, timeout=10, what="new fix pushed")
    assert (stored["lat"], stored["lon"]) == near(first)
    assert (view.positions()[1]["lat"], view.positions()[1]["lon"]) == near(later)
    assert len(views_of(service, "佐藤", "location.view")) == 1


def zone_answer(service: CloudService, tracker: str, zone: dict[str, Any]) -> httpx.Response:
    assert service.api_url is not None
    with logged_in(service.api_url, "sato") as caseworker:
        return caseworker.post(f"/api/v1/trackers/{tracker}/zones", json={"id": "drawn", "name": "描いた", **zone})


def test_a_self_intersecting_polygon_is_refused_with_its_reason(people: CloudService, desk: TrackerDesk) -> None:
    """A bow-tie polygon answers 422 self_intersecting, and no zone is added."""
    tracker = register_phone(people, desk, kind="osmand", external_id="dev-1")
    lat, lon = HOME
    bow_tie = [[lat, lon], [lat + 0.002, lon + 0.002], [lat, lon + 0.002], [lat + 0.002, lon]]
    response = zone_answer(people, tracker, {"polygon": bow_tie})
    assert response.status_code == 422 and response.json()["detail"]["code"] == "self_intersecting"
    assert len(desk.watch.index.zones_of(tracker)) == 1


def test_a_circle_narrower_than_gps_accuracy_is_refused(people: CloudService, desk: TrackerDesk) -> None:
    """A 10 m circle answers 422 radius_too_small; 30 m is accepted."""
    tracker = register_phone(people, desk, kind="osmand", external_id="dev-1")
    small = zone_answer(people, tracker, {"center_lat": HOME[0], "center_lon": HOME[1], "radius_m": 10})
    fine = zone_answer(people, tracker, {"center_lat": HOME[0], "center_lon": HOME[1], "radius_m": 30})
    assert small.status_code == 422 and small.json()["detail"]["code"] == "radius_too_small"
    assert fine.status_code == 201


def test_a_zone_far_from_the_ward_is_refused(people: CloudService, desk: TrackerDesk) -> None:
    """A circle around Shinjuku station (some 7 km from Taito City) answers 422 outside_area."""
    tracker = register_phone(people, desk, kind="osmand", external_id="dev-1")
    response = zone_answer(people, tracker, {"center_lat": 35.6896, "center_lon": 139.7006, "radius_m": 300})
    assert response.status_code == 422 and response.json()["detail"]["code"] == "outside_area"
