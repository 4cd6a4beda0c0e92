"""The targeting index is kept between previews, and every change of a device or a home shows in the next count."""

from __future__ import annotations

import httpx

from cloud.service import CloudService
from tests.disaster.conftest import ASAKUSA, ASAKUSA_CIRCLE, SUMIDA_SIDE, register_device, watched_home
from tests.support import NotificationReceiver

AREA = {"circles": [ASAKUSA_CIRCLE]}


def counted(api: httpx.Client) -> dict[str, int]:
    response = api.post("/api/v1/disaster/preview", json=AREA)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_second_preview_reuses_the_index(api: httpx.Client, anonymous: httpx.Client, service: CloudService) -> None:
    """Two previews with nothing changed between them build the device indexes once."""
    register_device(anonymous, home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]})
    counted(api)
    built = service.disaster.targeting.builds

    counted(api)

    assert service.disaster.targeting.builds == built


def test_a_device_registered_after_a_preview_is_counted_by_the_next(api: httpx.Client, anonymous: httpx.Client) -> None:
    """No stale cache: the device registered between two previews is in the second count."""
    register_device(anonymous, home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]})
    assert counted(api)["devices"] == 1

    register_device(anonymous, home={"lat": ASAKUSA[0] + 0.001, "lon": ASAKUSA[1]})

    assert counted(api)["devices"] == 2


def test_moving_deleting_and_live_location_show_in_the_next_preview(api: httpx.Client, anonymous: httpx.Client) -> None:
    """A home moved out, a live location moved in, a device deleted: each changes the next count."""
    token = register_device(anonymous, home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]}, live_opt_in=True)
    device = {"Authorization": f"Bearer {token}"}
    assert counted(api)["residents"] == 1

    anonymous.patch(
        "/api/v1/residents/devices/me",
        headers=device,
        json={"home": {"lat": SUMIDA_SIDE[0] + 0.05, "lon": SUMIDA_SIDE[1]}},
    )
    assert counted(api)["devices"] == 0

    anonymous.put("/api/v1/residents/devices/me/location", headers=device, json={"lat": ASAKUSA[0], "lon": ASAKUSA[1]})
    assert counted(api)["visitors"] == 1

    anonymous.delete("/api/v1/residents/devices/me", headers=device)
    assert counted(api)["devices"] == 0


def test_a_watched_home_added_after_a_preview_is_counted(
    api: httpx.Client, service: CloudService, receiver: NotificationReceiver
) -> None:
    """A household provisioned between two previews counts as a watched person in the second."""
    assert counted(api)["watched_people"] == 0

    watched_home(service, receiver, household_id="asakusa-01", where=ASAKUSA, person="浅草ハナ")

    assert counted(api)["watched_people"] == 1
