"""Alerts end by themselves at their expiry (CAP info/expires): no operator, no message, out of every active list."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from alerts.cap import CAP12_NS
from cloud.config import Settings
from cloud.service import CloudService
from protocol import ManualClock
from tests.disaster.conftest import ASAKUSA, START, TOKEN, register_device, release
from tests.support import wait_until

FLOOD = {"hazard": "洪水", "area": {"municipalities": ["13106"]}}
NS = {"cap": CAP12_NS, "atom": "http://www.w3.org/2005/Atom"}


def expired(api: httpx.Client, alert_id: int) -> bool:
    return bool(api.get(f"/api/v1/disaster/alerts/{alert_id}").json()["state"] == "expired")


def test_an_alert_without_an_expiry_gets_the_default_of_24_hours(api: httpx.Client) -> None:
    """Released with no expiry, the alert expires 24 h later, and its CAP says so."""
    alert_id = release(api, **FLOOD)

    shown = api.get(f"/api/v1/disaster/alerts/{alert_id}").json()
    cap = ET.fromstring(api.get(f"/api/v1/disaster/public/cap/{alert_id}.xml").content)

    assert datetime.fromisoformat(shown["expires_at"]) == START + timedelta(hours=24)
    assert cap.findtext("cap:info/cap:expires", namespaces=NS) == "2026-11-27T09:00:00+09:00"


def test_an_alert_expires_by_itself_for_the_console_and_the_resident(
    api: httpx.Client, anonymous: httpx.Client, clock: ManualClock
) -> None:
    """Past its expiry, the alert is expired in the console's list and no longer active on the resident's device."""
    token = register_device(anonymous, language="en", home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]})
    device = {"Authorization": f"Bearer {token}"}
    alert_id = release(api, **FLOOD, expires=(START + timedelta(hours=3)).isoformat())
    wait_until(lambda: anonymous.get("/api/v1/residents/devices/me/alerts", headers=device).json(), timeout=10)
    assert [a["id"] for a in api.get("/api/v1/disaster/alerts", params={"active": True}).json()] == [alert_id]

    clock.advance(timedelta(hours=3, seconds=1))
    wait_until(lambda: expired(api, alert_id), timeout=10, what="the alert expired")

    [on_device] = anonymous.get("/api/v1/residents/devices/me/alerts", headers=device).json()
    assert on_device["state"] == "expired" and on_device["active"] is False
    assert api.get("/api/v1/disaster/alerts", params={"active": True}).json() == []
    cap = ET.fromstring(api.get(f"/api/v1/disaster/public/cap/{alert_id}.xml").content)
    assert cap.findtext("cap:msgType", namespaces=NS) == "Alert"  # the message stays as issued
    feed = ET.fromstring(api.get("/api/v1/disaster/public/cap/feed").content)
    assert (feed.findtext("atom:entry/atom:title", namespaces=NS) or "").startswith("【期限切れ】")


def test_an_alert_before_its_expiry_stays_active(api: httpx.Client, service: CloudService, clock: ManualClock) -> None:
    """A minute before the end, the expiry job leaves the alert in force."""
    alert_id = release(api, **FLOOD, expires=(START + timedelta(hours=3)).isoformat())

    clock.advance(timedelta(hours=2, minutes=59))
    ended = service.disaster.expire_due()

    assert ended == []
    assert [a["id"] for a in api.get("/api/v1/disaster/alerts", params={"active": True}).json()] == [alert_id]


def test_a_safety_answer_after_expiry_is_still_recorded(
    api: httpx.Client, anonymous: httpx.Client, clock: ManualClock
) -> None:
    """Someone who answers "I need help" after the warning ended is still counted: the ward needs to know."""
    token = register_device(anonymous, home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]})
    device = {"Authorization": f"Bearer {token}"}
    alert_id = release(api, **FLOOD, expires=(START + timedelta(hours=1)).isoformat())
    wait_until(lambda: anonymous.get("/api/v1/residents/devices/me/alerts", headers=device).json(), timeout=10)
    clock.advance(timedelta(hours=2))
    wait_until(lambda: expired(api, alert_id), timeout=10, what="the alert expired")

    answered = anonymous.post(
        f"/api/v1/residents/devices/me/alerts/{alert_id}/answer", headers=device, json={"answer": "need_help"}
    )

    assert answered.status_code == 204
    assert api.get(f"/api/v1/disaster/alerts/{alert_id}/safety").json()["everyone"]["need_help"] == 1


def test_an_expiry_in_the_past_is_refused_at_release(api: httpx.Client) -> None:
    """An alert that would be over before it is sent is not sent."""
    draft = api.post("/api/v1/disaster/alerts", json={**FLOOD, "expires": (START - timedelta(minutes=1)).isoformat()})

    released = api.post(f"/api/v1/disaster/alerts/{draft.json()['id']}/release", json={"by": "operator"})

    assert released.status_code in (409, 422)
    assert api.get("/api/v1/disaster/alerts", params={"active": True}).json() == []


def test_the_default_expiry_is_configurable_per_hazard(make_service: Callable[..., CloudService]) -> None:
    """disaster_expiry_h_by_hazard gives earthquakes 72 h while floods keep the general default."""
    service = make_service(disaster_expiry_h=12, disaster_expiry_h_by_hazard={"地震": 72})
    assert service.api_url is not None
    with httpx.Client(base_url=service.api_url, headers={"Authorization": f"Bearer {TOKEN}"}) as api:
        quake = release(api, hazard="earthquake", area={"municipalities": ["13106"]})
        flood = release(api, **FLOOD)

        expiries = {
            alert["id"]: datetime.fromisoformat(alert["expires_at"])
            for alert in api.get("/api/v1/disaster/alerts").json()
        }

    assert expiries == {quake: START + timedelta(hours=72), flood: START + timedelta(hours=12)}


def test_an_unknown_hazard_in_the_expiry_settings_is_refused(tmp_path: Path) -> None:
    """A typo in the per-hazard expiries is an error in the settings, not a silent 24 h."""
    with pytest.raises(ValidationError, match="unknown hazard"):
        Settings(data_dir=tmp_path, disaster_expiry_h_by_hazard={"typhoon": 6})
