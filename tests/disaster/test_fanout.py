"""A fan-out big enough for the batched path: Web Push encrypted in worker processes, results recorded per batch."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from alerts.channels.webpush_batch import CONNECTIONS_PER_SERVICE, IN_PROCESS_LIMIT
from protocol import ManualClock
from tests.disaster.conftest import ASAKUSA, register_device, release
from tests.disaster.push_service import PushService
from tests.support import wait_until

FLOOD = {"hazard": "洪水", "area": {"municipalities": ["13106"]}, "severity": "Severe"}
LANGUAGES = ("ja", "en", "ko", "zh-Hans", "ja-easy")

pytestmark = pytest.mark.slow


def register_many(anonymous: httpx.Client, push: PushService, count: int) -> list[str]:
    """Register `count` devices around Asakusa, each with its own subscription; return their tokens."""
    tokens = []
    for index in range(count):
        home = {"lat": ASAKUSA[0] + (index % 20) * 1e-4, "lon": ASAKUSA[1] + (index // 20) * 1e-4}
        tokens.append(
            register_device(
                anonymous,
                language=LANGUAGES[index % len(LANGUAGES)],
                home=home,
                webpush=push.subscribe(f"d{index}"),
            )
        )
    return tokens


def deliveries(api: httpx.Client, alert_id: int) -> dict[str, Any]:
    return dict(api.get(f"/api/v1/disaster/alerts/{alert_id}/deliveries").json())


def has_subscription(anonymous: httpx.Client, token: str) -> bool:
    me = anonymous.get("/api/v1/residents/devices/me", headers={"Authorization": f"Bearer {token}"}).json()
    return bool(me["webpush"])


def test_a_few_hundred_residents_each_get_their_own_decryptable_message(
    anonymous: httpx.Client, api: httpx.Client, push: PushService
) -> None:
    """300 devices: each push decrypts with its own key, in its own language, with its own answer links."""
    register_many(anonymous, push, 300)

    alert_id = release(api, **FLOOD)

    wait_until(lambda: deliveries(api, alert_id) == {"alert": {"sent": 300}}, timeout=90, what="300 pushes sent")
    by_path = {item.path: item.payload for item in push.received}
    assert sorted(by_path) == sorted(f"/push/d{index}" for index in range(300))
    assert len(push.received) == 300  # each exactly once
    assert {by_path[f"/push/d{index}"]["language"] for index in range(0, 300, 5)} == {"ja"}
    assert by_path["/push/d1"]["title"] == "[Warning] Flood (Taito City)"
    assert len({payload["safe_url"] for payload in by_path.values()}) == 300
    for payload in by_path.values():
        assert payload["safe_url"] in payload["body"] and payload["need_help_url"] in payload["body"]
    assert push.connections < 300  # connections are kept alive, not one per message
    # the links were signed where the message was encrypted: one tap answers for that resident
    tapped = anonymous.get(urlsplit(by_path["/push/d7"]["need_help_url"]).path)
    assert tapped.status_code == 200
    everyone = api.get(f"/api/v1/disaster/alerts/{alert_id}/safety").json()["everyone"]
    assert everyone == {"total": 300, "safe": 0, "need_help": 1, "no_answer": 299}


def test_recipients_written_in_slices_each_get_exactly_one_message(
    anonymous: httpx.Client, api: httpx.Client, push: PushService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ward is written and sent a slice at a time: nobody is left out between slices or sent twice."""
    monkeypatch.setattr("cloud.disaster.FIRST_SLICE", 7)
    monkeypatch.setattr("cloud.disaster.SLICE", 50)
    register_many(anonymous, push, 120)

    alert_id = release(api, **FLOOD)

    wait_until(lambda: deliveries(api, alert_id) == {"alert": {"sent": 120}}, timeout=60, what="120 pushes sent")
    paths = [item.path for item in push.received]
    assert sorted(paths) == sorted(f"/push/d{index}" for index in range(120))
    everyone = api.get(f"/api/v1/disaster/alerts/{alert_id}/safety").json()["everyone"]
    assert everyone["total"] == 120


def test_the_sender_keeps_its_connections_open_from_one_batch_to_the_next(
    anonymous: httpx.Client, api: httpx.Client, push: PushService
) -> None:
    """Two alerts in turn open no more connections than the sender processes keep (no new handshakes per batch)."""
    register_many(anonymous, push, 100)

    first = release(api, **FLOOD)
    wait_until(lambda: deliveries(api, first) == {"alert": {"sent": 100}}, timeout=60, what="first alert sent")
    second = release(api, **FLOOD)
    wait_until(lambda: deliveries(api, second) == {"alert": {"sent": 100}}, timeout=60, what="second alert sent")

    assert len(push.received) == 200
    # each batch of 100 goes to the worker processes in two halves of 8 connections each: opened
    # anew every time, the two alerts would take 32
    assert push.connections <= (os.cpu_count() or 1) * CONNECTIONS_PER_SERVICE


def test_one_gone_subscription_in_a_batch_is_the_only_one_removed(
    anonymous: httpx.Client, api: httpx.Client, push: PushService
) -> None:
    """A 410 for one device among a batch drops that device's subscription and no other."""
    count = IN_PROCESS_LIMIT + 36
    tokens = register_many(anonymous, push, count)
    push.gone.add("/push/d50")

    alert_id = release(api, **FLOOD)

    wait_until(
        lambda: deliveries(api, alert_id) == {"alert": {"sent": count - 1, "gone": 1}}, timeout=60, what="batch done"
    )
    assert not has_subscription(anonymous, tokens[50])
    assert has_subscription(anonymous, tokens[49]) and has_subscription(anonymous, tokens[51])
    assert len(push.received) == count - 1


def test_a_push_service_error_is_retried_after_a_backoff(
    anonymous: httpx.Client, api: httpx.Client, push: PushService, clock: ManualClock
) -> None:
    """A 500 leaves that delivery pending; once the backoff has passed, it is sent again and arrives."""
    count = IN_PROCESS_LIMIT + 36
    register_many(anonymous, push, count)
    push.failing["/push/d7"] = 1

    alert_id = release(api, **FLOOD)

    wait_until(
        lambda: deliveries(api, alert_id) == {"alert": {"sent": count - 1, "pending": 1}}, timeout=60, what="first pass"
    )
    assert push.messages("d7") == []
    clock.advance(timedelta(seconds=2))
    [retried] = push.wait_for("d7", timeout=30)
    assert retried.payload["alert_id"] == alert_id
    wait_until(lambda: deliveries(api, alert_id) == {"alert": {"sent": count}}, what="all sent")
