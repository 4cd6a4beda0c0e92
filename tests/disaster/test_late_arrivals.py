"""A device that registers or moves inside an alert already in force gets that alert, once."""

from __future__ import annotations

from typing import Any

import httpx

from tests.disaster.conftest import ASAKUSA, SUMIDA_SIDE, UENO_PARK, register_device, release
from tests.disaster.push_service import PushService
from tests.support import wait_until

FLOOD = {"hazard": "洪水", "area": {"municipalities": ["13106"]}, "severity": "Severe"}


def home(point: tuple[float, float]) -> dict[str, float]:
    return {"lat": point[0], "lon": point[1]}


def pushes(push: PushService, name: str) -> list[dict[str, Any]]:
    return [item.payload for item in push.received if item.path == f"/push/{name}"]


def test_a_visitor_who_registers_during_a_flood_warning_gets_the_warning(
    api: httpx.Client, anonymous: httpx.Client, push: PushService
) -> None:
    """Registered after the release, inside the area: the warning arrives; outside it: nothing."""
    alert_id = release(api, **FLOOD)
    register_device(anonymous, language="en", home=home(SUMIDA_SIDE), webpush=push.subscribe("outside"))
    token = register_device(anonymous, language="en", home=home(ASAKUSA), webpush=push.subscribe("inside"))

    [warning] = wait_until(lambda: pushes(push, "inside"), timeout=30, what="the warning on the new device")

    assert warning["title"] == "[Warning] Flood (Taito City)" and warning["alert_id"] == alert_id
    # devices are looked at in the order they registered: the one outside was passed over already
    assert pushes(push, "outside") == []
    on_device = anonymous.get("/api/v1/residents/devices/me/alerts", headers={"Authorization": f"Bearer {token}"})
    assert [(alert["alert_id"], alert["active"]) for alert in on_device.json()] == [(alert_id, True)]


def test_a_device_moving_into_the_area_gets_the_warning_once(
    api: httpx.Client, anonymous: httpx.Client, push: PushService
) -> None:
    """Moving home into the area sends the warning; moving again within it does not send it twice."""
    token = register_device(anonymous, language="ja", home=home(SUMIDA_SIDE), webpush=push.subscribe("mover"))
    device = {"Authorization": f"Bearer {token}"}
    release(api, **FLOOD)

    assert anonymous.patch("/api/v1/residents/devices/me", headers=device, json={"home": home(ASAKUSA)}).is_success
    wait_until(lambda: pushes(push, "mover"), timeout=30, what="the warning after moving in")
    assert anonymous.patch("/api/v1/residents/devices/me", headers=device, json={"home": home(UENO_PARK)}).is_success
    register_device(anonymous, language="ja", home=home(ASAKUSA), webpush=push.subscribe("later"))
    wait_until(lambda: pushes(push, "later"), timeout=30, what="a later device's warning")

    assert len(pushes(push, "mover")) == 1
