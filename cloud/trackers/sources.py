"""Location from outside our gateways: OwnTracks JSON over MQTT and the OsmAnd/Traccar HTTP protocol.

Both become a `protocol.LocationFix` of the cloud's bridge gateway (`BRIDGE_GATEWAY`), with the
tracker's `device_id`, and go through the broker like a gateway's fix: ingest validates,
de-duplicates and stores it, the tracker desk evaluates it. The message id is derived from
the device and its own timestamp, so a phone that re-sends a fix (both apps do, after a bad
connection) is stored once.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from protocol import LocationFix, LocationSource

BRIDGE_GATEWAY = "trackers-cloud"
DEFAULT_OWNTRACKS_TOPIC = "owntracks/+/+"


class SourceError(ValueError):
    """A payload that is not a usable location; `reason` is a short counter name."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ExternalFix:
    """A fix from an outside source, before it is tied to a tracker."""

    external_id: str
    lat: float
    lon: float
    ts: datetime
    accuracy_m: float | None
    battery_pct: float | None
    source: LocationSource

    def to_location_fix(self, *, device_id: str) -> LocationFix:
        """Return the wire message of this fix for the tracker's device id."""
        digest = hashlib.sha256(f"{self.source.value}|{self.external_id}|{self.ts.isoformat()}".encode()).hexdigest()
        try:
            return LocationFix(
                msg_id=digest[:32],
                gateway_id=BRIDGE_GATEWAY,
                ts=self.ts,
                device_id=device_id,
                lat=self.lat,
                lon=self.lon,
                accuracy_m=self.accuracy_m,
                source=self.source,
                battery_pct=self.battery_pct,
            )
        except ValidationError as exc:
            raise SourceError("invalid_fix", str(exc.errors()[0]["msg"])) from None


def _number(value: object, name: str, *, required: bool) -> float | None:
    if value is None or value == "":
        if required:
            raise SourceError("missing_field", name)
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SourceError("bad_field", f"{name}={value!r}") from None
    if not math.isfinite(number):
        raise SourceError("bad_field", f"{name}={value!r}")
    return number


def _battery(value: float | None) -> float | None:
    # a phone reports -1 or nothing when it does not know
    return None if value is None or value < 0 else min(value, 100.0)


def owntracks_fix(topic: str, payload: bytes) -> ExternalFix | None:
    """Read an OwnTracks message; None for message types that are not locations (transition, lwt…).

    Topic ``owntracks/<user>/<device>``; the tracker's external id is ``<user>/<device>``.
    """
    parts = topic.split("/")
    if len(parts) < 3:
        raise SourceError("bad_topic", topic)
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError("malformed_json", str(exc)) from None
    if not isinstance(data, dict):
        raise SourceError("malformed_json", "not an object")
    if data.get("_type") != "location":
        return None
    tst = _number(data.get("tst"), "tst", required=True)
    assert tst is not None
    return ExternalFix(
        external_id=f"{parts[-2]}/{parts[-1]}",
        lat=_require(_number(data.get("lat"), "lat", required=True)),
        lon=_require(_number(data.get("lon"), "lon", required=True)),
        ts=datetime.fromtimestamp(tst, UTC),
        accuracy_m=_number(data.get("acc"), "acc", required=False),
        battery_pct=_battery(_number(data.get("batt"), "batt", required=False)),
        source=LocationSource.OWNTRACKS,
    )


def osmand_fix(params: Mapping[str, str]) -> ExternalFix:
    """Read the OsmAnd/Traccar client query (``id``, ``lat``, ``lon``, ``timestamp``, ``accuracy``, ``batt``).

    ``timestamp`` is UNIX seconds (milliseconds are accepted too) or ISO 8601.
    """
    device = (params.get("id") or params.get("deviceid") or "").strip()
    if not device:
        raise SourceError("missing_field", "id")
    return ExternalFix(
        external_id=device,
        lat=_require(_number(params.get("lat"), "lat", required=True)),
        lon=_require(_number(params.get("lon"), "lon", required=True)),
        ts=_osmand_time(params.get("timestamp")),
        accuracy_m=_number(params.get("accuracy"), "accuracy", required=False),
        battery_pct=_battery(_number(params.get("batt"), "batt", required=False)),
        source=LocationSource.OSMAND,
    )


def _osmand_time(raw: str | None) -> datetime:
    if raw is None or raw == "":
        raise SourceError("missing_field", "timestamp")
    try:
        number = float(raw)
    except ValueError:
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise SourceError("bad_field", f"timestamp={raw!r}") from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if number > 1e11:  # milliseconds
        number /= 1000
    return datetime.fromtimestamp(number, UTC)


def _require(value: float | None) -> float:
    assert value is not None  # _number(required=True) raised otherwise
    return value
