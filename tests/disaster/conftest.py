"""Fixtures of the disaster tests: a started cloud service with its API, a push service, Taito homes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.config import Settings
from cloud.provisioning import add_contact, add_household
from cloud.service import CloudService
from protocol import ManualClock
from tests.disaster.push_service import PushService
from tests.support import MosquittoBroker, NotificationReceiver, wait_until

START = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
TOKEN = "disaster-tests-api-token"

# Real places in Taito City (lat, lon)
ASAKUSA = (35.7148, 139.7967)  # near Sensō-ji, inside Taito, by the Sumida
UENO_PARK = (35.7156, 139.7745)
SUMIDA_SIDE = (35.7105, 139.8107)  # across the river, in Sumida City
# a circle over Asakusa that leaves Ueno Park out
ASAKUSA_CIRCLE = {"lat": ASAKUSA[0], "lon": ASAKUSA[1], "radius_m": 600}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def push() -> Iterator[PushService]:
    """A local HTTP server playing the browsers' push service."""
    service = PushService().start()
    yield service
    service.stop()


@pytest.fixture
def make_service(
    tmp_path: Path, mosquitto: MosquittoBroker, clock: ManualClock, database_url: str
) -> Iterator[Callable[..., CloudService]]:
    """Start a cloud service with its API on a free port (entities in the test's database); stopped after the test."""
    started: list[CloudService] = []

    def start(**overrides: Any) -> CloudService:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "mqtt_host": mosquitto.host,
            "mqtt_port": mosquitto.port,
            "api_port": 0,
            "api_token": TOKEN,
            "rule_tick_s": 0.05,
        }
        if not database_url.startswith("sqlite"):
            values["database_url"] = database_url
        values.update(overrides)
        service = CloudService(Settings(**values), clock=clock).start()
        started.append(service)
        wait_until(lambda: service.broker_connected, timeout=10, what="ingest connected")
        return service

    yield start
    for service in reversed(started):
        service.stop()


@pytest.fixture
def service(make_service: Callable[..., CloudService]) -> CloudService:
    return make_service()


@pytest.fixture
def api(service: CloudService) -> Iterator[httpx.Client]:
    """A client of the ward's operators (carries the API token)."""
    assert service.api_url is not None
    with httpx.Client(base_url=service.api_url, timeout=10, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


@pytest.fixture
def anonymous(service: CloudService) -> Iterator[httpx.Client]:
    """A client with no credentials (a resident's phone, a CAP consumer)."""
    assert service.api_url is not None
    with httpx.Client(base_url=service.api_url, timeout=10) as client:
        yield client


def watched_home(
    service: CloudService, receiver: NotificationReceiver, *, household_id: str, where: tuple[float, float], person: str
) -> str:
    """Register a watched person's home at `where` with a family contact reached through the receiver."""
    add_household(
        service.sessions,
        household_id=household_id,
        name=f"{person}さん宅",
        address="東京都台東区浅草2-3-1",
        lat=where[0],
        lon=where[1],
        person_name=person,
    )
    add_contact(
        service.sessions, household_id=household_id, name="長女", channels=[receiver.url(f"/family/{household_id}")]
    )
    service.refresh_households()
    return household_id


def register_device(client: httpx.Client, **body: Any) -> str:
    """Register a resident device and return its token."""
    response = client.post("/api/v1/residents/devices", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def release(api: httpx.Client, **body: Any) -> int:
    """Draft and release an alert; return its id."""
    draft = api.post("/api/v1/disaster/alerts", json=body)
    assert draft.status_code == 201, draft.text
    alert_id = int(draft.json()["id"])
    released = api.post(f"/api/v1/disaster/alerts/{alert_id}/release", json={"by": "operator"})
    assert released.status_code == 200, released.text
    return alert_id
