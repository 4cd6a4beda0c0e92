"""Web Push: VAPID keys kept in the data dir; each payload encrypted so only its subscriber can read it."""

from __future__ import annotations

from pathlib import Path

from alerts.channels.webpush import VapidKeys, WebPushChannel
from tests.disaster.push_service import PushService


def test_vapid_keys_are_generated_once_and_kept(tmp_path: Path) -> None:
    """The first run writes the key pair; the next run loads the same public key."""
    first = VapidKeys.load_or_create(tmp_path)

    again = VapidKeys.load_or_create(tmp_path)

    assert (tmp_path / "vapid_private.pem").stat().st_mode & 0o077 == 0
    assert again.public_key == first.public_key
    assert len(first.public_key) == 87  # 65 bytes of an uncompressed P-256 point, base64url


def test_the_push_service_decrypts_the_payload_with_the_subscription_key(tmp_path: Path, push: PushService) -> None:
    """What the push service receives decrypts (aes128gcm) with the subscriber's private key to our JSON."""
    channel = WebPushChannel(VapidKeys.load_or_create(tmp_path), subject="mailto:bousai@city.taito.lg.jp")

    result = channel.send(push.subscribe("phone"), '{"title": "【警報】洪水"}'.encode())

    assert result.ok and result.status == 201
    [received] = push.messages("phone")
    assert received.payload == {"title": "【警報】洪水"}
    assert received.headers["Content-Encoding"] == "aes128gcm"


def test_a_gone_subscription_is_reported_as_gone(tmp_path: Path, push: PushService) -> None:
    """A 410 from the push service is reported so the caller removes the subscription."""
    channel = WebPushChannel(VapidKeys.load_or_create(tmp_path), subject="mailto:bousai@city.taito.lg.jp")
    subscription = push.subscribe("expired")
    push.gone.add("/push/expired")

    result = channel.send(subscription, b"{}")

    assert not result.ok and result.gone and result.status == 410


def test_a_message_too_long_for_web_push_fails_without_dropping_the_subscription(
    tmp_path: Path, push: PushService
) -> None:
    """Over 4 KB is the message's fault: the resident keeps their subscription, nothing is sent."""
    channel = WebPushChannel(VapidKeys.load_or_create(tmp_path), subject="mailto:bousai@city.taito.lg.jp")

    result = channel.send(push.subscribe("phone"), b'{"body": "' + b"x" * 5000 + b'"}')

    assert not result.ok and not result.gone
    assert "at most" in (result.error or "")
    assert push.messages("phone") == []
