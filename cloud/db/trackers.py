"""Tables of trackers and safe zones: who carries which tracker, their zones, location consents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base


class Tracker(Base):
    """A GPS tracker, phone or BLE tag carried by a watched person.

    Its fixes are the location fixes with this `device_id` from `gateway_id` (the home gateway
    for a tag or a serial GPS; the cloud's bridge gateway for OwnTracks and OsmAnd), plus town
    beacon receivers' sightings of the same `device_id`. `external_id` is what the device
    calls itself: OwnTracks "user/device", the OsmAnd/Traccar "id", or a beacon's tag id.
    """

    __tablename__ = "trackers"
    __table_args__ = (UniqueConstraint("gateway_id", "device_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # gps | ble_tag | owntracks | osmand
    label: Mapped[str] = mapped_column(String(200), default="")
    gateway_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    not_back_by: Mapped[str | None] = mapped_column(String(5))  # HH:MM local time
    created_at: Mapped[datetime]


class SafeZoneRecord(Base):
    """A safe zone of a tracker: a circle or a polygon (lat, lon corners), with active hours."""

    __tablename__ = "safe_zones"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tracker_id: Mapped[str] = mapped_column(ForeignKey("trackers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="other")  # home | day_care | walk | other
    center_lat: Mapped[float | None] = mapped_column(Float)
    center_lon: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[float | None] = mapped_column(Float)
    polygon: Mapped[list[Any] | None] = mapped_column(JSON)
    active_from: Mapped[str | None] = mapped_column(String(5))  # HH:MM local time
    active_to: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LocationConsent(Base):
    """A recorded consent that lets family see a person's location without an open alert.

    `user_id` None means every family user of the household; `revoked_at` ends it early.
    """

    __tablename__ = "location_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracker_id: Mapped[str] = mapped_column(ForeignKey("trackers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    granted_by: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(String(500), default="")  # e.g. "本人・成年後見人の同意書 2026-11-01"
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class TagPresenceRecord(Base):
    """The presence of one BLE tag at its home gateway: home or not_home, and since when.

    Written by ingest from the gateway's presence messages (one row per tag, replaced by each
    newer report); `since` moves only when the state changes. Keyed like the tag's fixes, so a
    tracker finds its row through its own (gateway_id, device_id).
    """

    __tablename__ = "tag_presence"

    gateway_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # home | not_home
    since: Mapped[datetime]
    last_heard: Mapped[datetime | None]
    rssi_dbm: Mapped[float | None] = mapped_column(Float)
    battery_pct: Mapped[float | None] = mapped_column(Float)
    reported_at: Mapped[datetime]  # the gateway's time of the newest report (older ones are ignored)
    received_at: Mapped[datetime]
