"""Disaster alerts end to end on a real service: devices, release, Web Push and apprise, answers, update, cancel."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from cloud.db import ResidentDevice
from cloud.provisioning import add_gateway
from cloud.service import CloudService
from protocol import EventKind, encode
from tests.cloud.conftest import GatewayPublisher, event, events_topic
from tests.disaster.conftest import (
    ASAKUSA,
    ASAKUSA_CIRCLE,
    START,
    SUMIDA_SIDE,
    UENO_PARK,
    register_device,
    release,
    watched_home,
)
from tests.disaster.push_service import PushService
from tests.support import MosquittoBroker, NotificationReceiver, wait_until

FLOOD = {"hazard": "洪水", "area": {"municipalities": ["13106"]}, "severity": "Severe"}


def device_count(service: CloudService) -> int:
    with service.sessions() as session:
        return len(session.scalars(select(ResidentDevice.id)).all())


def test_device_registers_without_an_account_and_sees_only_itself(anonymous: httpx.Client) -> None:
    """A device gets a token at registration; the token shows that device and no other."""
    mine = register_device(anonymous, language="en", home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]})
    register_device(anonymous, language="ko")

    me = anonymous.get("/api/v1/residents/devices/me", headers={"Authorization": f"Bearer {mine}"})

    assert me.status_code == 200
    assert me.json()["language"] == "en"
    assert anonymous.get("/api/v1/residents/devices/me").status_code == 401
    assert (
        anonymous.get("/api/v1/residents/devices/me", headers={"Authorization": "Bearer mmd_forged"}).status_code == 401
    )


def test_device_changes_and_deletion_remove_everything(
    anonymous: httpx.Client, api: httpx.Client, service: CloudService, push: PushService
) -> None:
    """A device can change its language and delete itself; the alert it got is forgotten with it."""
    token = register_device(
        anonymous, language="ja", home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]}, webpush=push.subscribe("a")
    )
    auth = {"Authorization": f"Bearer {token}"}
    assert (
        anonymous.patch("/api/v1/residents/devices/me", json={"language": "zh-Hans"}, headers=auth).json()["language"]
        == "zh-Hans"
    )
    alert_id = release(api, **FLOOD)
    push.wait_for("a")

    assert anonymous.delete("/api/v1/residents/devices/me", headers=auth).status_code == 204

    assert device_count(service) == 0
    assert anonymous.get("/api/v1/residents/devices/me", headers=auth).status_code == 401
    assert api.get(f"/api/v1/disaster/alerts/{alert_id}/safety").json()["everyone"]["total"] == 0


def test_preview_counts_residents_devices_and_watched_people(
    anonymous: httpx.Client, api: httpx.Client, service: CloudService, receiver: NotificationReceiver
) -> None:
    """Before sending, the operator sees who the area reaches: homes, live locations, watched people."""
    register_device(anonymous, home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]})
    visitor = register_device(anonymous, live_opt_in=True)
    anonymous.put(
        "/api/v1/residents/devices/me/location",
        json={"lat": ASAKUSA[0] + 0.001, "lon": ASAKUSA[1]},
        headers={"Authorization": f"Bearer {visitor}"},
    )
    register_device(anonymous, home={"lat": UENO_PARK[0], "lon": UENO_PARK[1]})
    watched_home(service, receiver, household_id="asakusa-01", where=ASAKUSA, person="浅草ハナ")

    counts = api.post("/api/v1/disaster/preview", json={"circles": [ASAKUSA_CIRCLE]}).json()

    assert counts == {"devices": 2, "residents": 1, "visitors": 1, "watched_people": 1, "households": 1}


def test_release_sends_web_push_in_the_device_language_with_a_flood_safe_shelter(
    anonymous: httpx.Client, api: httpx.Client, push: PushService
) -> None:
    """A flood alert reaches the device by Web Push, in English, naming a shelter open in an Arakawa flood."""
    register_device(anonymous, language="en", home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]}, webpush=push.subscribe("en"))
    register_device(
        anonymous, language="ko", home={"lat": SUMIDA_SIDE[0], "lon": SUMIDA_SIDE[1]}, webpush=push.subscribe("away")
    )

    release(api, **FLOOD)

    [received] = push.wait_for("en")
    assert received.payload["title"] == "[Warning] Flood (Taito City)"
    assert "Evacuation site: 上野中学校" in received.payload["body"]
    assert received.headers["Authorization"].startswith("vapid t=")
    assert push.messages("away") == []


def test_release_waits_for_a_second_person_when_approval_is_required(
    make_service: Callable[..., CloudService], anonymous: httpx.Client
) -> None:
    """With approval on, release is refused until someone other than the author approves."""
    service = make_service(disaster_approval_required=True)
    assert service.api_url is not None
    with httpx.Client(base_url=service.api_url, headers={"Authorization": "Bearer disaster-tests-api-token"}) as api:
        alert_id = api.post("/api/v1/disaster/alerts", json={**FLOOD, "by": "suzuki"}).json()["id"]
        refused = api.post(f"/api/v1/disaster/alerts/{alert_id}/release", json={"by": "suzuki"})
        self_approved = api.post(f"/api/v1/disaster/alerts/{alert_id}/approve", json={"by": "suzuki"})
        approved = api.post(f"/api/v1/disaster/alerts/{alert_id}/approve", json={"by": "tanaka"})
        released = api.post(f"/api/v1/disaster/alerts/{alert_id}/release", json={"by": "suzuki"})

    assert (refused.status_code, self_approved.status_code) == (409, 409)
    assert approved.json()["approved_by"] == "tanaka"
    assert released.json()["state"] == "released"


def test_family_of_a_watched_person_inside_is_notified_and_answers_by_link(
    api: httpx.Client, anonymous: httpx.Client, service: CloudService, receiver: NotificationReceiver
) -> None:
    """The family hears of the alert about their relative and one tap on 無事です marks them safe."""
    watched_home(service, receiver, household_id="asakusa-01", where=ASAKUSA, person="浅草ハナ")
    watched_home(service, receiver, household_id="ueno-01", where=UENO_PARK, person="上野タロウ")
    alert_id = release(api, hazard="earthquake", area={"circles": [ASAKUSA_CIRCLE], "description": "浅草"})

    [message] = receiver.wait_for("/family/asakusa-01")
    assert "浅草ハナさんのお住まい（浅草）に地震の危険があります。" in message.message
    safe_link = next(line.split(": ", 1)[1] for line in message.message.splitlines() if line.startswith("無事です: "))
    before = api.get(f"/api/v1/disaster/alerts/{alert_id}/safety").json()

    page = anonymous.get(urlsplit(safe_link).path)

    after = api.get(f"/api/v1/disaster/alerts/{alert_id}/safety").json()
    assert page.status_code == 200
    assert [person["name"] for person in before["unanswered"]] == ["浅草ハナ"]
    assert after["watched"] == {"total": 1, "safe": 1, "need_help": 0, "no_answer": 0}
    assert after["unanswered"] == []
    assert receiver.messages("/family/ueno-01") == []


def test_a_forged_safety_link_records_nothing(
    api: httpx.Client, anonymous: httpx.Client, service: CloudService, receiver: NotificationReceiver
) -> None:
    """A link whose signature does not verify is refused and changes no count."""
    watched_home(service, receiver, household_id="asakusa-01", where=ASAKUSA, person="浅草ハナ")
    alert_id = release(api, **FLOOD)
    receiver.wait_for("/family/asakusa-01")
    forged = service.disaster.links.token(alert_id=alert_id, recipient_id=1)[:-2] + "xx"

    page = anonymous.get(f"/api/v1/disaster/public/safety/{forged}/safe")

    assert page.status_code == 404
    assert api.get(f"/api/v1/disaster/alerts/{alert_id}/safety").json()["watched"]["no_answer"] == 1


def test_a_signed_link_with_an_answer_it_does_not_offer_records_nothing(
    api: httpx.Client, anonymous: httpx.Client, service: CloudService, receiver: NotificationReceiver
) -> None:
    """The answer is the link's last segment: only safe and need_help count."""
    watched_home(service, receiver, household_id="asakusa-01", where=ASAKUSA, person="浅草ハナ")
    alert_id = release(api, **FLOOD)
    receiver.wait_for("/family/asakusa-01")
    token = service.disaster.links.token(alert_id=alert_id, recipient_id=1)

    wrong = anonymous.get(f"/api/v1/disaster/public/safety/{token}/maybe")
    right = anonymous.get(f"/api/v1/disaster/public/safety/{token}/need_help")

    assert wrong.status_code == 404
    assert right.status_code == 200
    assert api.get(f"/api/v1/disaster/alerts/{alert_id}/safety").json()["watched"]["need_help"] == 1


def test_emergency_button_during_an_alert_counts_as_need_help(
    api: httpx.Client, service: CloudService, receiver: NotificationReceiver, mosquitto: MosquittoBroker
) -> None:
    """A watched person pressing the emergency button while an alert is on shows as needing help."""
    watched_home(service, receiver, household_id="asakusa-01", where=ASAKUSA, person="浅草ハナ")
    add_gateway(service.sessions, household_id="asakusa-01", gateway_id="gw-asakusa-01")
    service.refresh_households()
    alert_id = release(api, **FLOOD)
    wait_until(lambda: api.get(f"/api/v1/disaster/alerts/{alert_id}/vulnerable").json(), what="recipients written")
    gateway = GatewayPublisher(mosquitto)
    press = event(gateway_id="gw-asakusa-01", kind=EventKind.BUTTON_PRESSED, device_id="button-1", ts=START)

    gateway.publish(events_topic("gw-asakusa-01"), encode(press))
    gateway.close()

    wait_until(
        lambda: api.get(f"/api/v1/disaster/alerts/{alert_id}/vulnerable").json()[0]["answer"] == "need_help",
        what="the button counted as need help",
    )
    [person] = api.get(f"/api/v1/disaster/alerts/{alert_id}/vulnerable").json()
    assert person["answer"] == "need_help"
    assert "emergency_button" in person["status"]
    assert person["shelter"] == "上野中学校"
    assert 2000 < person["shelter_distance_m"] < 2500


def test_update_and_cancel_reach_the_same_recipients(
    anonymous: httpx.Client, api: httpx.Client, push: PushService
) -> None:
    """After release, an update and a cancellation reach the device the alert reached, even if it moved away."""
    token = register_device(
        anonymous, language="ja", home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]}, webpush=push.subscribe("hanako")
    )
    alert_id = release(api, **FLOOD)
    push.wait_for("hanako")
    anonymous.patch(
        "/api/v1/residents/devices/me",
        json={"home": {"lat": SUMIDA_SIDE[0], "lon": SUMIDA_SIDE[1]}},
        headers={"Authorization": f"Bearer {token}"},
    )

    api.post(f"/api/v1/disaster/alerts/{alert_id}/update", json={"severity": "Extreme"})
    push.wait_for("hanako", count=2)
    api.post(f"/api/v1/disaster/alerts/{alert_id}/cancel", json={})
    titles = [item.payload["title"] for item in push.wait_for("hanako", count=3)]

    assert titles == ["【警報】洪水（台東区）", "【更新】【緊急】洪水（台東区）", "【解除】洪水（台東区）"]


def test_an_expired_subscription_is_removed_on_410(
    anonymous: httpx.Client, api: httpx.Client, push: PushService, service: CloudService
) -> None:
    """When the push service answers 410 Gone, the device's subscription is dropped and the delivery marked gone."""
    subscription = push.subscribe("old")
    token = register_device(anonymous, home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]}, webpush=subscription)
    push.gone.add("/push/old")

    alert_id = release(api, **FLOOD)

    wait_until(
        lambda: api.get(f"/api/v1/disaster/alerts/{alert_id}/deliveries").json() == {"alert": {"gone": 1}}, what="gone"
    )
    me = anonymous.get("/api/v1/residents/devices/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["webpush"] is False


def test_device_answers_from_the_app(anonymous: httpx.Client, api: httpx.Client, push: PushService) -> None:
    """A device sees the alert in its language and answers 助けが必要 from the app."""
    token = register_device(
        anonymous, language="ja-easy", home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]}, webpush=push.subscribe("easy")
    )
    auth = {"Authorization": f"Bearer {token}"}
    alert_id = release(api, **FLOOD)
    push.wait_for("easy")

    [shown] = anonymous.get("/api/v1/residents/devices/me/alerts", headers=auth).json()
    answered = anonymous.post(
        f"/api/v1/residents/devices/me/alerts/{alert_id}/answer", json={"answer": "need_help"}, headers=auth
    )

    assert shown["title"].startswith("【危ない】")
    assert answered.status_code == 204
    assert api.get(f"/api/v1/disaster/alerts/{alert_id}/safety").json()["everyone"]["need_help"] == 1


def test_cap_feed_lists_sent_alerts_and_serves_valid_cap(anonymous: httpx.Client, api: httpx.Client) -> None:
    """The public Atom feed links each sent alert's CAP 1.2 document, which validates against the schema."""
    from alerts.cap import cap_links, validate_cap

    alert_id = release(api, **FLOOD)
    draft_id = api.post("/api/v1/disaster/alerts", json=FLOOD).json()["id"]

    feed = anonymous.get("/api/v1/disaster/public/cap/feed")
    [link] = cap_links(feed.content)
    document = anonymous.get(urlsplit(link).path)

    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert urlsplit(link).path == f"/api/v1/disaster/public/cap/{alert_id}.xml"
    validate_cap(document.content)
    assert anonymous.get(f"/api/v1/disaster/public/cap/{draft_id}.xml").status_code == 404


def test_operator_routes_need_the_api_token(anonymous: httpx.Client) -> None:
    """Nobody without credentials can draft an alert."""
    assert anonymous.post("/api/v1/disaster/alerts", json=FLOOD).status_code == 401


def test_the_safety_stream_sends_the_new_counts_when_someone_answers(
    api: httpx.Client, anonymous: httpx.Client, push: PushService
) -> None:
    """The operator's live view (SSE) sends a fresh report when a resident answers."""
    token = register_device(anonymous, home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]}, webpush=push.subscribe("s"))
    alert_id = release(api, **FLOOD)
    push.wait_for("s")
    reports = []

    with api.stream("GET", f"/api/v1/disaster/alerts/{alert_id}/safety/stream") as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                reports.append(json.loads(line.removeprefix("data: ")))
                if len(reports) == 1:
                    anonymous.post(
                        f"/api/v1/residents/devices/me/alerts/{alert_id}/answer",
                        json={"answer": "safe"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                else:
                    break

    assert [report["everyone"]["safe"] for report in reports] == [0, 1]


def test_a_messenger_link_preview_records_no_answer(
    api: httpx.Client, anonymous: httpx.Client, service: CloudService, receiver: NotificationReceiver
) -> None:
    """LINE fetching the link to draw a preview is not the family tapping 無事です."""
    watched_home(service, receiver, household_id="asakusa-01", where=ASAKUSA, person="浅草ハナ")
    alert_id = release(api, **FLOOD)
    [message] = receiver.wait_for("/family/asakusa-01")
    safe_link = next(line.split(": ", 1)[1] for line in message.message.splitlines() if line.startswith("無事です: "))

    preview = anonymous.get(urlsplit(safe_link).path, headers={"User-Agent": "facebookexternalhit/1.1;line-poker/1.0"})

    assert preview.status_code == 200
    assert api.get(f"/api/v1/disaster/alerts/{alert_id}/safety").json()["watched"]["no_answer"] == 1
