"""The HTTP API on a real uvicorn, driven with httpx."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from alerts import RuleName, Severity
from alerts.signals import AlertSignal
from cloud.service import CloudService
from protocol import EventKind, encode
from tests.cloud.conftest import GATEWAY, HOUSEHOLD, START, GatewayPublisher, event, events_topic, wait_stored
from tests.support import NotificationReceiver, wait_until

TOKEN = "s3cret-token-for-tests"


def raise_emergency(service: CloudService) -> int:
    """Open an emergency alert through the alert lifecycle, as the rules would; return its id."""
    [alert_id] = service.lifecycle.apply(
        [
            AlertSignal(
                action="raise",
                household_id=HOUSEHOLD,
                rule=RuleName.EMERGENCY_BUTTON,
                severity=Severity.CRITICAL,
                at=START,
                facts={"pressed_at": START.isoformat(), "device_id": "btn-1", "room": "寝室"},
            )
        ]
    )
    return alert_id


@pytest.fixture
def service(start_service: Callable[..., CloudService], receiver: NotificationReceiver) -> CloudService:
    return start_service(api_port=0, api_token=TOKEN, contacts=[receiver.url("/family/ichiro")])


@pytest.fixture
def api(service: CloudService) -> Iterator[httpx.Client]:
    """A client of an integration: it carries MIMAMORI_API_TOKEN."""
    assert service.api_url is not None
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=service.api_url, timeout=10, headers=headers) as client:
        yield client


def test_health_reports_broker_and_database(api: httpx.Client) -> None:
    """/health says ok when ingest is connected and the database answers."""
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "broker_connected": True, "database_ok": True}


def test_metrics_count_accepted_and_rejected(
    api: httpx.Client, service: CloudService, gateway: GatewayPublisher
) -> None:
    """/metrics shows the ingest counters in Prometheus text."""
    message = event()
    gateway.publish(events_topic(), b"not json")
    gateway.publish(events_topic(), encode(message))
    wait_stored(service, message.msg_id)

    text = api.get("/metrics").text

    assert "mimamori_ingest_accepted_total 1" in text
    assert 'mimamori_ingest_rejected_total{reason="malformed_json"} 1' in text


def test_ingest_stats(api: httpx.Client, service: CloudService, gateway: GatewayPublisher) -> None:
    """The ingest stats endpoint counts rejects by reason."""
    message = event()
    gateway.publish(events_topic("gw-unknown"), encode(event(gateway_id="gw-unknown")))
    gateway.publish(events_topic(), encode(message))
    wait_stored(service, message.msg_id)

    stats = api.get("/api/v1/ingest/stats").json()

    assert (stats["accepted"], stats["rejected"]["unknown_gateway"], stats["broker_connected"]) == (1, 1, True)


def test_create_and_list_households(api: httpx.Client) -> None:
    """A household created through the API is listed with its person."""
    created = api.post(
        "/api/v1/households", json={"id": "taito-0002", "name": "鈴木家", "person_name": "鈴木一郎", "lat": 35.71}
    )

    assert created.status_code == 201
    listed = {item["id"]: item for item in api.get("/api/v1/households").json()}
    assert listed["taito-0002"]["people"][0]["name"] == "鈴木一郎"
    assert listed[HOUSEHOLD]["gateway_ids"] == [GATEWAY]


def test_create_existing_household_conflicts(api: httpx.Client) -> None:
    """Creating a household id twice answers 409."""
    response = api.post("/api/v1/households", json={"id": HOUSEHOLD, "name": "again"})
    assert response.status_code == 409


def test_create_household_with_bad_body_is_unprocessable(api: httpx.Client) -> None:
    """A household without a name answers 422."""
    response = api.post("/api/v1/households", json={"id": "taito-0003"})
    assert response.status_code == 422


def test_unknown_household_is_not_found(api: httpx.Client) -> None:
    """Asking for a household that does not exist answers 404."""
    assert api.get("/api/v1/households/nobody").status_code == 404
    assert api.get("/api/v1/households/nobody/contacts").status_code == 404


def test_patch_watch_settings(api: httpx.Client) -> None:
    """Changed watch settings are shown on the household."""
    response = api.patch(
        f"/api/v1/households/{HOUSEHOLD}/watch", json={"inactivity_day_hours": 6, "night_start": "21:30"}
    )

    assert response.status_code == 200
    watch = api.get(f"/api/v1/households/{HOUSEHOLD}").json()["watch"]
    assert (watch["inactivity_day_hours"], watch["night_start"], watch["night_end"]) == (6.0, "21:30", "07:00")


def test_patch_watch_settings_refuses_unknown_time_zone(api: httpx.Client) -> None:
    """A time zone that does not exist answers 422."""
    response = api.patch(f"/api/v1/households/{HOUSEHOLD}/watch", json={"timezone": "Mars/Olympus"})
    assert response.status_code == 422


def test_add_and_list_contacts_without_their_secrets(api: httpx.Client) -> None:
    """A contact added is listed with channel kinds, never the URLs (they hold tokens)."""
    created = api.post(
        f"/api/v1/households/{HOUSEHOLD}/contacts",
        json={"name": "佐藤", "role": "caseworker", "channels": ["mailto://user:pw@example.com"], "priority": 5},
    )

    assert created.status_code == 201
    contacts = api.get(f"/api/v1/households/{HOUSEHOLD}/contacts").json()
    assert [(item["name"], item["channels"]) for item in contacts] == [("contact 0", ["json"]), ("佐藤", ["mailto"])]


def test_register_gateway_then_its_messages_are_accepted(
    api: httpx.Client, service: CloudService, gateway: GatewayPublisher
) -> None:
    """A gateway registered through the API may send at once."""
    response = api.post("/api/v1/gateways", json={"id": "gw-taito-0009", "household_id": HOUSEHOLD})
    message = event(gateway_id="gw-taito-0009")

    gateway.publish(events_topic("gw-taito-0009"), encode(message))

    assert response.status_code == 201
    wait_stored(service, message.msg_id)


def test_register_gateway_twice_conflicts(api: httpx.Client) -> None:
    """Registering a known gateway id answers 409, an unknown household 404."""
    assert api.post("/api/v1/gateways", json={"id": GATEWAY}).status_code == 409
    assert api.post("/api/v1/gateways", json={"id": "gw-new-1", "household_id": "nobody"}).status_code == 404


def test_devices_of_a_household(api: httpx.Client, service: CloudService, gateway: GatewayPublisher) -> None:
    """Devices heard from a household's gateway are listed under the household."""
    message = event(device_id="btn-1", kind=EventKind.BUTTON_PRESSED, room="寝室")
    gateway.publish(events_topic(), encode(message))
    wait_stored(service, message.msg_id)

    devices = api.get(f"/api/v1/households/{HOUSEHOLD}/devices").json()

    assert [(item["device_id"], item["kind"], item["room"]) for item in devices] == [("btn-1", "button", "寝室")]
    assert api.get("/api/v1/devices", params={"gateway_id": GATEWAY}).json() == devices


def test_alerts_list_filters_by_state(api: httpx.Client, service: CloudService) -> None:
    """Open alerts are listed; filtering by 'resolved' leaves them out."""
    alert_id = raise_emergency(service)

    active = api.get("/api/v1/alerts", params={"state": "active", "household_id": HOUSEHOLD}).json()
    resolved = api.get("/api/v1/alerts", params={"state": "resolved"}).json()

    assert [(item["id"], item["rule"], item["state"]) for item in active] == [(alert_id, "emergency_button", "open")]
    assert resolved == []


def test_acknowledge_then_resolve_an_alert(api: httpx.Client, service: CloudService) -> None:
    """An alert acknowledged and then resolved shows who did both."""
    alert_id = raise_emergency(service)

    acknowledged = api.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={"by": "山田一郎"})
    resolved = api.post(f"/api/v1/alerts/{alert_id}/resolve", json={"by": "佐藤"})

    assert acknowledged.status_code == 200
    assert acknowledged.json()["state"] == "acknowledged"
    body = resolved.json()
    assert (body["state"], body["acknowledged_by"], body["resolved_by"]) == ("resolved", "山田一郎", "佐藤")


def test_acknowledging_a_resolved_alert_conflicts(api: httpx.Client, service: CloudService) -> None:
    """Acknowledging an alert that is already resolved answers 409."""
    alert_id = raise_emergency(service)
    api.post(f"/api/v1/alerts/{alert_id}/resolve", json={"by": "佐藤"})

    response = api.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={"by": "山田一郎"})

    assert response.status_code == 409


def test_unknown_alert_is_not_found(api: httpx.Client) -> None:
    """Showing or acknowledging an alert that does not exist answers 404."""
    assert api.get("/api/v1/alerts/999").status_code == 404
    assert api.post("/api/v1/alerts/999/acknowledge", json={"by": "x"}).status_code == 404


def test_acknowledge_with_an_empty_name_is_unprocessable(api: httpx.Client, service: CloudService) -> None:
    """An integration naming nobody ("by": "") answers 422."""
    alert_id = raise_emergency(service)
    assert api.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={"by": ""}).status_code == 422


def test_notifications_show_delivery_attempts(
    api: httpx.Client, service: CloudService, receiver: NotificationReceiver
) -> None:
    """The delivery log shows a notification sent and its successful attempt."""
    alert_id = raise_emergency(service)
    receiver.wait_for("/family/ichiro")

    def sent() -> list[dict[str, object]]:
        items = api.get("/api/v1/notifications", params={"alert_id": alert_id}).json()
        return [item for item in items if item["state"] == "sent"]

    [notification] = wait_until(sent, what="notification marked sent")
    assert [attempt["ok"] for attempt in notification["attempts_log"]] == [True]


def test_openapi_describes_endpoints(api: httpx.Client) -> None:
    """The OpenAPI document carries the endpoint docstrings and tags."""
    spec = api.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/alerts/{alert_id}/acknowledge"]["post"]
    assert operation["tags"] == ["alerts"]
    assert "Acknowledge" in operation["description"]


@pytest.fixture
def guarded(start_service: Callable[..., CloudService]) -> Iterator[httpx.Client]:
    service = start_service(api_port=0, api_token=TOKEN)
    assert service.api_url is not None
    with httpx.Client(base_url=service.api_url, timeout=10) as client:
        yield client


def test_token_is_required_when_set(guarded: httpx.Client) -> None:
    """With a token configured, /api answers 401 without it and 200 with it; /health stays open."""
    assert guarded.get("/api/v1/households").status_code == 401
    assert guarded.get("/api/v1/households", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert guarded.get("/api/v1/households", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert guarded.get("/health").status_code == 200


def test_metrics_need_an_admin(service: CloudService) -> None:
    """/metrics tells who is connected and how busy the ward is: not for anonymous callers."""
    assert service.api_url is not None
    with httpx.Client(base_url=service.api_url, timeout=10) as anonymous:
        assert anonymous.get("/metrics").status_code == 401
        assert anonymous.get("/health").status_code == 200
