"""Safety confirmation (安否確認): signed one-tap answer links and the tally the operator watches."""

from __future__ import annotations

import binascii
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeSerializer

from alerts.disaster.compose import AnswerLinks

SALT = "mimamori.disaster.safety"
# stands for a recipient's own link base ("<base url>/<signed token>") in a message composed once
# for many recipients; the links are that base and the answer ("…/safe", "…/need_help"), filled in
# when the message is sent (`SafetyLinks.fill_text`, `fill_json`) with one signature per recipient
# (private-use characters: no alert text has them, and PostgreSQL text takes them, unlike NUL)
LINK_MARK = "\ue000answer-link\ue000"
MARKS = AnswerLinks(safe=f"{LINK_MARK}/safe", need_help=f"{LINK_MARK}/need_help")
# the mark as the payloads' JSON (ensure_ascii=False) writes it, in UTF-8
_MARK_JSON = json.dumps(LINK_MARK, ensure_ascii=False)[1:-1].encode()


class SafetyAnswer(StrEnum):
    SAFE = "safe"
    NEED_HELP = "need_help"


class InvalidAnswerLink(ValueError):
    """A safety link whose signature does not verify (forged, altered, or signed with another secret)."""


@dataclass(frozen=True, slots=True)
class SignedAnswer:
    """What a verified link says: which recipient of which alert answered what."""

    alert_id: int
    recipient_id: int
    answer: SafetyAnswer


class SafetyLinks:
    """Sign and verify answer links with the server's secret (HMAC-SHA1 by itsdangerous).

    One token per recipient of an alert, signed once; the answer is the link's last segment
    (`<base>/<token>/safe`, `<base>/<token>/need_help`): the recipient may give either answer,
    so signing the answer as well would protect nothing and cost a second signature per message.
    """

    def __init__(self, secret: str, *, base_url: str) -> None:
        if not secret:
            raise ValueError("a safety link secret is needed")
        self._secret = secret
        self._serializer = URLSafeSerializer(secret, salt=SALT)
        self._base_url = base_url.rstrip("/")
        signer = self._serializer.make_signer()
        key = signer.derive_key().ljust(64, b"\0")  # HMAC-SHA1 with the derived key, its pads hashed once
        self._inner = hashlib.sha1(bytes(byte ^ 0x36 for byte in key))
        self._outer = hashlib.sha1(bytes(byte ^ 0x5C for byte in key))
        self._separator_bytes = signer.sep if isinstance(signer.sep, bytes) else signer.sep.encode()
        self._base_prefix = f"{self._base_url}/".encode()
        # a fan-out signs a token per resident: the same token as itsdangerous writes, at a sixth
        # of its cost, unless this itsdangerous signs differently (then its own, slower path is used)
        self._fast = self._sign(1, 2) == self._serializer.dumps([1, 2])

    def token(self, *, alert_id: int, recipient_id: int) -> str:
        """Return the signed token of one recipient of one alert."""
        if self._fast:
            return self._sign(alert_id, recipient_id)
        return str(self._serializer.dumps([alert_id, recipient_id]))

    def _sign(self, alert_id: int, recipient_id: int) -> str:
        return self._signed(alert_id, recipient_id).decode()

    def _signed(self, alert_id: int, recipient_id: int) -> bytes:
        # what URLSafeSerializer.dumps writes for a payload too short to compress: base64url(JSON).base64url(HMAC)
        payload = _b64(b"[%d,%d]" % (alert_id, recipient_id))
        inner, outer = self._inner.copy(), self._outer.copy()
        inner.update(payload)
        outer.update(inner.digest())
        return payload + self._separator_bytes + _b64(outer.digest())

    def base(self, *, alert_id: int, recipient_id: int) -> str:
        """Return the recipient's link base: the answer goes after it (`MARKS` stands for it)."""
        return f"{self._base_url}/{self.token(alert_id=alert_id, recipient_id=recipient_id)}"

    def _base_bytes(self, alert_id: int, recipient_id: int) -> bytes:
        if self._fast:
            return self._base_prefix + self._signed(alert_id, recipient_id)
        return self.base(alert_id=alert_id, recipient_id=recipient_id).encode()

    def links(self, *, alert_id: int, recipient_id: int) -> AnswerLinks:
        """Return the recipient's two one-tap links."""
        base = self.base(alert_id=alert_id, recipient_id=recipient_id)
        return AnswerLinks(safe=f"{base}/{SafetyAnswer.SAFE.value}", need_help=f"{base}/{SafetyAnswer.NEED_HELP.value}")

    def fill_text(self, text: str, *, alert_id: int, recipient_id: int) -> str:
        """Return `text` with the marks (`MARKS`) replaced by the recipient's two links."""
        if LINK_MARK not in text:
            return text
        return text.replace(LINK_MARK, self.base(alert_id=alert_id, recipient_id=recipient_id))

    def fill_json(self, payload: bytes, recipient: tuple[int, ...]) -> bytes:
        """Return a UTF-8 JSON payload with the marks replaced by the links of `recipient` (alert id, recipient id).

        The links are URL-safe text, which JSON writes as it is: a byte replace gives the same
        document as composing with the links would (this runs in the Web Push sender processes).
        """
        if _MARK_JSON not in payload:
            return payload
        alert_id, recipient_id = recipient
        return payload.replace(_MARK_JSON, self._base_bytes(alert_id, recipient_id))

    def __reduce__(self) -> tuple[Callable[[str, str], SafetyLinks], tuple[str, str]]:
        # sent to the Web Push sender processes as its secret and base URL (hash objects do not pickle)
        return (_restored, (self._secret, self._base_url))

    def verify(self, token: str, answer: str) -> SignedAnswer:
        """Return what a link says (its token and its answer segment), or raise InvalidAnswerLink."""
        try:
            alert_id, recipient_id = self._serializer.loads(token)
            return SignedAnswer(alert_id=int(alert_id), recipient_id=int(recipient_id), answer=SafetyAnswer(answer))
        except (BadSignature, ValueError, TypeError) as exc:
            raise InvalidAnswerLink("invalid safety link") from exc


def _restored(secret: str, base_url: str) -> SafetyLinks:
    return SafetyLinks(secret, base_url=base_url)


def _b64(data: bytes) -> bytes:
    # base64url without padding, as itsdangerous writes it
    return binascii.b2a_base64(data, newline=False).translate(_URL_SAFE).rstrip(b"=")


_URL_SAFE = bytes.maketrans(b"+/", b"-_")


@dataclass(frozen=True, slots=True)
class SafetyTally:
    """How many recipients answered what; `no_answer` are those not heard from yet."""

    total: int
    safe: int
    need_help: int

    @property
    def no_answer(self) -> int:
        return self.total - self.safe - self.need_help


def tally(total: int, answers: Iterable[SafetyAnswer]) -> SafetyTally:
    """Count the latest answers of `total` recipients."""
    listed = list(answers)
    return SafetyTally(
        total=total,
        safe=sum(answer is SafetyAnswer.SAFE for answer in listed),
        need_help=sum(answer is SafetyAnswer.NEED_HELP for answer in listed),
    )
