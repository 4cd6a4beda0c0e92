"""Scoping: a family member of household A reaches nothing of household B, on every route of the API."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from alerts import RuleName
from cloud.db.models import Contact
from cloud.provisioning import add_contact
from cloud.service import CloudService
from tests.web.people import HOUSEHOLD, OTHER_GATEWAY, OTHER_HOUSEHOLD, SECRET, logged_in, raise_alert, seed_people

# Routes that name nothing of a household and stream forever, checked on their own below.
STREAMING = {("get", "/api/v1/stream")}
# Routes outside the household world (no household data in them), e.g. logging in.
UNSCOPED = {
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/residents/devices"),  # anyone may register a resident device (anonymous by design)
}


@pytest.fixture
def world(start_service: Callable[..., CloudService]) -> dict[str, Any]:
    """Households A (family's) and B, each with an alert and a contact."""
    service = start_service(api_port=0, session_secret=SECRET)
    seed_people(service)
    other_contact = add_contact(service.sessions, household_id=OTHER_HOUSEHOLD, name="鈴木花子", channels=[])
    return {
        "service": service,
        "values": {
            "household_id": OTHER_HOUSEHOLD,
            "gateway_id": OTHER_GATEWAY,
            "alert_id": str(raise_alert(service, OTHER_HOUSEHOLD)),
            "contact_id": str(other_contact),
        },
        "own_alert": raise_alert(service, HOUSEHOLD),
    }


def test_family_member_reaches_nothing_of_another_household(world: dict[str, Any]) -> None:
    """Every route, every method: B's ids answer 403/404 and no answer carries B's data."""
    service: CloudService = world["service"]
    values: dict[str, str] = world["values"]
    assert service.api_url is not None
    spec = httpx.get(f"{service.api_url}/openapi.json").json()
    leaks: list[str] = []
    walked = 0
    with logged_in(service.api_url, "ichiro") as client:
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                if (method, path) in STREAMING | UNSCOPED:
                    continue
                names = re.findall(r"{(\w+)}", path)
                url = path
                for name in names:
                    url = url.replace("{" + name + "}", values.get(name, "1"))
                query = {
                    p["name"]: values[p["name"]]
                    for p in operation.get("parameters", [])
                    if p["in"] == "query" and p["name"] in values
                }
                body = {} if "requestBody" in operation else None
                response = client.request(method.upper(), url, params=query, json=body)
                walked += 1
                names_b = any(name in values for name in names) or bool(query)
                text = response.text
                if names_b and response.status_code not in (403, 404):
                    leaks.append(f"{method.upper()} {url} {query} answered {response.status_code}")
                elif response.status_code < 300 and (OTHER_HOUSEHOLD in text or "鈴木" in text):
                    leaks.append(f"{method.upper()} {url} shows household B: {text[:120]}")
                elif method != "get" and response.status_code < 300:
                    leaks.append(f"{method.upper()} {url} changed something: {response.status_code}")
    assert walked > 20
    assert leaks == []


def test_family_member_still_sees_and_acknowledges_their_own(world: dict[str, Any]) -> None:
    """The same family member sees household A and acknowledges its alert under their own name."""
    service: CloudService = world["service"]
    assert service.api_url is not None
    with logged_in(service.api_url, "ichiro") as client:
        households = [item["id"] for item in client.get("/api/v1/households").json()]
        acknowledged = client.post(f"/api/v1/alerts/{world['own_alert']}/acknowledge", json={"by": "someone else"})
    assert households == [HOUSEHOLD]
    assert acknowledged.json()["acknowledged_by"] == "田中一郎"


def test_caseworker_sees_only_their_ward(world: dict[str, Any]) -> None:
    """A caseworker of Taito City sees Taito's households, not Bunkyo's."""
    service: CloudService = world["service"]
    assert service.api_url is not None
    with logged_in(service.api_url, "sato") as client:
        households = [item["id"] for item in client.get("/api/v1/map/households").json()]
        other = client.get(f"/api/v1/households/{OTHER_HOUSEHOLD}")
    assert (households, other.status_code) == ([HOUSEHOLD], 404)


def test_installer_cannot_read_alerts(world: dict[str, Any]) -> None:
    """An installer works with gateways but is refused the alerts."""
    service: CloudService = world["service"]
    assert service.api_url is not None
    with logged_in(service.api_url, "kobayashi") as client:
        assert client.get("/api/v1/gateways").status_code == 200
        assert client.get("/api/v1/alerts").status_code == 403


def test_live_stream_carries_only_the_family_members_household(world: dict[str, Any]) -> None:
    """The family's live stream shows their alert and never household B's."""
    service: CloudService = world["service"]
    assert service.api_url is not None
    seen: list[str] = []
    with logged_in(service.api_url, "ichiro") as client, client.stream("GET", "/api/v1/stream") as stream:
        raise_alert(service, OTHER_HOUSEHOLD, RuleName.INACTIVITY)
        raise_alert(service, HOUSEHOLD, RuleName.INACTIVITY)
        for line in stream.iter_lines():
            if line.startswith("data: "):
                alert = json.loads(line.removeprefix("data: "))
                seen.append(alert["household_id"])
                if alert["rule"] == "inactivity":
                    break
    assert set(seen) == {HOUSEHOLD}


def test_resident_device_sees_only_itself(world: dict[str, Any]) -> None:
    """A resident device's token opens its own device and nothing of households, alerts or others."""
    service: CloudService = world["service"]
    assert service.api_url is not None
    spec = httpx.get(f"{service.api_url}/openapi.json").json()
    if "/api/v1/residents/devices" not in spec["paths"]:
        pytest.skip("resident devices are not in this build")
    with httpx.Client(base_url=service.api_url, timeout=10) as client:
        mine = client.post("/api/v1/residents/devices", json={"language": "en"}).json()
        other = client.post("/api/v1/residents/devices", json={"language": "ko"}).json()
        client.headers["Authorization"] = f"Bearer {mine['token']}"
        opened: list[str] = []
        for path, operations in spec["paths"].items():
            if (
                "get" not in operations
                or "{" in path
                or path.startswith("/api/v1/residents")
                or path == "/api/v1/stream"
            ):
                continue
            public = any(tag.endswith("(public)") for tag in operations["get"].get("tags", []))
            if not path.startswith("/api/v1/") or public:
                continue
            if client.get(path).status_code < 300:
                opened.append(path)
        me = client.get("/api/v1/residents/devices/me").json()
    assert (me["id"], me["language"]) == (mine["device"]["id"], "en")
    assert me["id"] != other["device"]["id"]
    # its own identity and the open shelter data, nothing else
    assert sorted(opened) == ["/api/v1/auth/me", "/api/v1/map/layers"]


def test_family_changes_the_familys_contacts_not_the_caseworkers(
    start_service: Callable[..., CloudService],
) -> None:
    """In their own household a family user may mute themselves, not the caseworker."""
    service = start_service(api_port=0, session_secret=SECRET)
    seed_people(service)
    own = add_contact(service.sessions, household_id=HOUSEHOLD, name="田中一郎", channels=[])
    ward = add_contact(service.sessions, household_id=HOUSEHOLD, name="佐藤", role="caseworker", channels=[])
    quiet = {"start": "22:00", "end": "07:00", "mode": "next"}
    assert service.api_url is not None
    with logged_in(service.api_url, "ichiro") as family:
        assert family.patch(f"/api/v1/contacts/{own}", json={"language": "en"}).status_code == 200
        assert family.put(f"/api/v1/contacts/{own}/quiet-hours", json=quiet).status_code == 200
        assert family.patch(f"/api/v1/contacts/{ward}", json={"active": False}).status_code == 403
        assert family.put(f"/api/v1/contacts/{ward}/quiet-hours", json=quiet).status_code == 403
        assert family.delete(f"/api/v1/contacts/{ward}/quiet-hours").status_code == 403
    with logged_in(service.api_url, "sato") as caseworker:
        assert caseworker.patch(f"/api/v1/contacts/{ward}", json={"active": False}).status_code == 200
    with service.sessions() as session:
        assert session.get_one(Contact, ward).active is False
        assert session.get_one(Contact, own).language == "en"
