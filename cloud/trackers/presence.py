"""Presence of BLE tags at home in the entity store: what ingest writes, what the API shows.

A home gateway sends a tag's `Presence` each time it comes home or leaves. One row per tag
keeps the newest report: the state, `since` (when that state began), when the tag was last
heard, its smoothed RSSI and battery. Reports older than the stored one are ignored, so a late
duplicate or an outbox replay after an outage cannot turn the clock back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, insert, or_, select, update
from sqlalchemy.orm import Session

from cloud.db.trackers import TagPresenceRecord, Tracker
from protocol import Presence, PresenceState

_presence: Table = TagPresenceRecord.__table__  # type: ignore[assignment]
_KEYS_PER_QUERY = 200


@dataclass(frozen=True, slots=True)
class TagPresenceView:
    """A tag's presence as people see it: home or not_home, since when."""

    state: str
    since: datetime
    last_heard: datetime | None
    rssi_dbm: float | None
    battery_pct: float | None


def began_at(report: Presence) -> datetime:
    """Return when the reported state began: a person who left went out when last heard."""
    if report.state is PresenceState.NOT_HOME and report.last_heard is not None:
        return report.last_heard
    return report.ts


def store_presence(connection: Connection, reports: Sequence[Presence], *, received_at: datetime) -> int:
    """Write presence reports in the caller's transaction; return how many changed a row."""
    if not reports:
        return 0
    keys = {(report.gateway_id, report.device_id) for report in reports}
    current = _current_rows(connection, keys)
    written = 0
    for report in sorted(reports, key=lambda item: item.ts):
        key = (report.gateway_id, report.device_id)
        row = current.get(key)
        if row is not None and report.ts < row["reported_at"]:
            continue  # older than what is stored: a late replay (duplicates never get here)
        state = report.state.value
        values: dict[str, Any] = {
            "state": state,
            "since": row["since"] if row is not None and row["state"] == state else began_at(report),
            "last_heard": report.last_heard or (row["last_heard"] if row is not None else None),
            "rssi_dbm": report.rssi_dbm,
            "battery_pct": report.battery_pct if report.battery_pct is not None else _old(row, "battery_pct"),
            "reported_at": report.ts,
            "received_at": received_at,
        }
        if row is None:
            connection.execute(insert(_presence).values(gateway_id=key[0], device_id=key[1], **values))
        else:
            connection.execute(
                update(_presence)
                .where(_presence.c.gateway_id == key[0], _presence.c.device_id == key[1])
                .values(**values)
            )
        current[key] = values
        written += 1
    return written


def presence_of(session: Session, trackers: Iterable[Tracker]) -> dict[str, TagPresenceView]:
    """Return tracker id → presence for the trackers that have a reported presence."""
    by_key = {(tracker.gateway_id, tracker.device_id): tracker.id for tracker in trackers}
    views: dict[str, TagPresenceView] = {}
    keys = list(by_key)
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start : start + _KEYS_PER_QUERY]
        query = select(TagPresenceRecord).where(
            or_(*(and_(TagPresenceRecord.gateway_id == g, TagPresenceRecord.device_id == d) for g, d in chunk))
        )
        for record in session.scalars(query):
            views[by_key[(record.gateway_id, record.device_id)]] = TagPresenceView(
                state=record.state,
                since=record.since,
                last_heard=record.last_heard,
                rssi_dbm=record.rssi_dbm,
                battery_pct=record.battery_pct,
            )
    return views


def _current_rows(connection: Connection, keys: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), _KEYS_PER_QUERY):
        chunk = ordered[start : start + _KEYS_PER_QUERY]
        query = select(_presence).where(
            or_(*(and_(_presence.c.gateway_id == g, _presence.c.device_id == d) for g, d in chunk))
        )
        for row in connection.execute(query).mappings():
            rows[(row["gateway_id"], row["device_id"])] = dict(row)
    return rows


def _old(row: dict[str, Any] | None, name: str) -> Any:
    return None if row is None else row[name]
