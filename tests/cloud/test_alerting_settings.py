"""Per-household watch rule settings through the API: read, change, reset, and the rules follow."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from cloud.service import CloudService
from tests.cloud.conftest import HOUSEHOLD

TOKEN = "s3cret-token-for-watch-settings"


@pytest.fixture
def api(start_service: Callable[..., CloudService]) -> Iterator[httpx.Client]:
    service = start_service(api_port=0, api_token=TOKEN)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=f"{service.api_url}/api/v1", timeout=10, headers=headers) as client:
        yield client


def test_defaults_are_shown_for_a_new_household(api: httpx.Client) -> None:
    """A household that changed nothing shows the defaults, including the WBGT alert level 28."""
    body = api.get(f"/households/{HOUSEHOLD}/watch-rules").json()
    assert body["overrides"] == {}
    assert body["settings"]["heat_alert_level"] == 28.0
    assert body["settings"]["night_start"] == "22:00"


def test_a_change_is_kept_and_a_null_puts_the_default_back(api: httpx.Client) -> None:
    """Changing the wandering wait keeps it; null resets it to the default."""
    changed = api.patch(f"/households/{HOUSEHOLD}/watch-rules", json={"wandering_after_min": 5}).json()
    assert changed["settings"]["wandering_after_min"] == 5.0
    assert changed["overrides"] == {"wandering_after_min": 5.0}
    reset = api.patch(f"/households/{HOUSEHOLD}/watch-rules", json={"wandering_after_min": None}).json()
    assert reset["settings"]["wandering_after_min"] == 10.0


def test_an_unknown_setting_is_refused(api: httpx.Client) -> None:
    """A misspelt setting is refused with 422, nothing is stored."""
    response = api.patch(f"/households/{HOUSEHOLD}/watch-rules", json={"heat_alert_levle": 27})
    assert response.status_code == 422
    assert api.get(f"/households/{HOUSEHOLD}/watch-rules").json()["overrides"] == {}


def test_quiet_hours_are_set_for_a_contact(start_service: Callable[..., CloudService]) -> None:
    """A contact's quiet hours can be set and read back."""
    service = start_service(api_port=0, api_token=TOKEN, contacts=["json://127.0.0.1:9/a"])
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=f"{service.api_url}/api/v1", timeout=10, headers=headers) as client:
        body = client.put("/contacts/1/quiet-hours", json={"start": "22:00", "end": "07:00", "mode": "next"}).json()
    assert (body["start"], body["end"], body["mode"]) == ("22:00:00", "07:00:00", "next")
