"""Signed, expiring acknowledgement links: one tap in a notification acknowledges as that contact.

A token carries the alert id, the contact id and an expiry, signed with HMAC-SHA256 under the
server's link secret; nothing is stored per link, and a changed secret voids every link. The
token is URL-safe base64, short enough for an SMS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SECRET_FILE = "link_secret"
# Used only in demo mode; refused anywhere else (cloud.config.Settings checks it).
DEMO_LINK_SECRET = "mimamori-demo-link-secret"
_SIGNATURE_BYTES = 18


class InvalidAckLink(ValueError):
    """The link was tampered with, signed with another secret, or has expired."""


@dataclass(frozen=True, slots=True)
class AckClaim:
    """What a valid link says: acknowledge this alert as this contact."""

    alert_id: int
    contact_id: int
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AckLinkSigner:
    """Make and check acknowledgement tokens under one secret."""

    def __init__(self, secret: bytes, *, ttl: timedelta = timedelta(hours=72)) -> None:
        if len(secret) < 16:
            raise ValueError("the link secret must be at least 16 bytes")
        self._secret = secret
        self._ttl = ttl

    def token(self, *, alert_id: int, contact_id: int, now: datetime) -> str:
        """Return a token acknowledging `alert_id` as `contact_id`, valid for the link lifetime."""
        expires = int((now + self._ttl).timestamp())
        payload = _b64(json.dumps([alert_id, contact_id, expires], separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def read(self, token: str, *, now: datetime) -> AckClaim:
        """Check a token and return its claim, or raise InvalidAckLink."""
        payload, _, signature = token.partition(".")
        if not payload or not hmac.compare_digest(signature, self._sign(payload)):
            raise InvalidAckLink("bad signature")
        try:
            alert_id, contact_id, expires = json.loads(_unb64(payload))
            expires_at = datetime.fromtimestamp(int(expires), UTC)
        except (ValueError, TypeError) as exc:
            raise InvalidAckLink("unreadable token") from exc
        if now >= expires_at:
            raise InvalidAckLink("expired")
        return AckClaim(alert_id=int(alert_id), contact_id=int(contact_id), expires_at=expires_at)

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest()
        return _b64(digest[:_SIGNATURE_BYTES])


def link_secret(*, configured: str | None, demo: bool, data_dir: Path) -> bytes:
    """Return the link secret: the configured one, the demo one, or one generated once and kept in data_dir."""
    if configured:
        return configured.encode()
    if demo:
        return DEMO_LINK_SECRET.encode()
    path = data_dir / SECRET_FILE
    if path.is_file():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32).encode()
    path.write_bytes(value)
    path.chmod(0o600)
    return value
