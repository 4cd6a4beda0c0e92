"""Trackers and safe zones in the entity store: create them, and load what the desk evaluates."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.rules.safe_zone import TrackerProfile
from cloud.db.models import Gateway, Household, Person
from cloud.db.session import Sessions
from cloud.db.trackers import SafeZoneRecord, Tracker
from cloud.trackers.sources import BRIDGE_GATEWAY
from maps.zones import SafeZone, ZoneKind
from protocol import Clock, SystemClock

TRACKER_KINDS = frozenset({"gps", "ble_tag", "owntracks", "osmand"})
# kinds whose fixes come through the cloud's bridge, not a home gateway
BRIDGED_KINDS = frozenset({"owntracks", "osmand"})
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{2,63}$")


class TrackerError(ValueError):
    """A tracker or zone that cannot be created as asked."""


class TrackerNotFound(TrackerError):
    """No tracker (or zone) with that id."""


def parse_hhmm(text: str | None) -> time | None:
    """Read "HH:MM" (local time), or None."""
    if text is None:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise TrackerError(f"not a time of day (HH:MM): {text!r}") from None


def ensure_bridge_gateway(sessions: Sessions, *, clock: Clock) -> bool:
    """Register the gateway OwnTracks and OsmAnd fixes arrive from; True when it was created now."""
    with sessions.begin() as session:
        return _add_bridge_gateway(session, clock.now())


def _add_bridge_gateway(session: Session, now: datetime) -> bool:
    if session.get(Gateway, BRIDGE_GATEWAY) is not None:
        return False
    # no household: its fixes are tied to people through the trackers table, and it must never
    # count as a home's gateway (its silence is not a home going offline)
    session.add(Gateway(id=BRIDGE_GATEWAY, household_id=None, label="OwnTracks / OsmAnd bridge", created_at=now))
    session.flush()
    return True


def add_tracker(
    sessions: Sessions,
    *,
    tracker_id: str,
    household_id: str,
    kind: str,
    gateway_id: str | None = None,
    device_id: str | None = None,
    external_id: str | None = None,
    label: str = "",
    not_back_by: str | None = None,
    clock: Clock | None = None,
) -> Tracker:
    """Register a tracker of a household's person; return it.

    Call `CloudService.refresh_households` afterwards: a phone tracker may have registered the
    bridge gateway, which ingest accepts only once it has reloaded its registry.
    """
    if not _ID.match(tracker_id):
        raise TrackerError(f"invalid tracker id {tracker_id!r}: 3-64 of a-z, 0-9, - and _")
    if kind not in TRACKER_KINDS:
        raise TrackerError(f"unknown tracker kind {kind!r}; one of {sorted(TRACKER_KINDS)}")
    parse_hhmm(not_back_by)
    if kind in BRIDGED_KINDS:
        if not external_id:
            raise TrackerError(f"a {kind} tracker needs the id the app sends (external_id)")
        gateway_id, device_id = BRIDGE_GATEWAY, tracker_id
    elif not gateway_id or not device_id:
        raise TrackerError(f"a {kind} tracker needs the gateway_id and device_id its fixes carry")
    now = (clock or SystemClock()).now()
    with sessions.begin() as session:
        if session.get(Household, household_id) is None:
            raise TrackerNotFound(f"household {household_id!r} not found")
        if session.get(Tracker, tracker_id) is not None:
            raise TrackerError(f"tracker {tracker_id!r} already exists")
        if kind in BRIDGED_KINDS:
            _add_bridge_gateway(session, now)
        person_id = session.scalar(select(Person.id).where(Person.household_id == household_id).order_by(Person.id))
        tracker = Tracker(
            id=tracker_id,
            household_id=household_id,
            person_id=person_id,
            kind=kind,
            label=label,
            gateway_id=gateway_id,
            device_id=device_id,
            external_id=external_id,
            not_back_by=not_back_by,
            created_at=now,
        )
        session.add(tracker)
        session.flush()
        session.expunge(tracker)
    return tracker


def zone_of(record: SafeZoneRecord) -> SafeZone:
    """Turn a stored zone into the geometry the rules evaluate."""
    center = None
    if record.center_lat is not None and record.center_lon is not None:
        center = (record.center_lat, record.center_lon)
    polygon = None if record.polygon is None else tuple((float(p[0]), float(p[1])) for p in record.polygon)
    return SafeZone(
        zone_id=record.id,
        tracker_id=record.tracker_id,
        name=record.name,
        kind=ZoneKind(record.kind),
        center=center,
        radius_m=record.radius_m,
        polygon=polygon,
        active_from=parse_hhmm(record.active_from),
        active_to=parse_hhmm(record.active_to),
    )


@dataclass(frozen=True, slots=True)
class WatchInputs:
    """What the tracker desk evaluates: trackers, their zones, and how fixes find their tracker."""

    profiles: list[TrackerProfile]
    zones: list[SafeZone]
    by_device: dict[tuple[str, str], str]  # (gateway id, device id) -> tracker id
    by_external: dict[str, str]  # tag id seen by town receivers -> tracker id
    generation: tuple[int, str]


def generation(session: Session) -> tuple[int, str]:
    """Return a value that changes whenever trackers or zones change (for cheap polling)."""
    zones = session.execute(select(func.count(), func.max(SafeZoneRecord.updated_at))).one()
    trackers = session.execute(select(func.count(), func.max(Tracker.created_at))).one()
    return int(zones[0]) * 100_003 + int(trackers[0]), f"{zones[1]}|{trackers[1]}"


def load_watch_inputs(sessions: Sessions) -> WatchInputs:
    """Read every tracker and zone."""
    with sessions() as session:
        trackers: Sequence[Tracker] = session.scalars(select(Tracker).order_by(Tracker.id)).all()
        names = {row[0]: row[1] for row in session.execute(select(Person.id, Person.name))}
        # the household's night hours decide "left home at night" for its people's tags
        nights = {
            row[0]: (parse_hhmm(row[1]), parse_hhmm(row[2]), row[3])
            for row in session.execute(
                select(Household.id, Household.night_start, Household.night_end, Household.timezone)
            )
        }
        records = session.scalars(select(SafeZoneRecord).order_by(SafeZoneRecord.id)).all()
        gen = generation(session)
    profiles = [
        TrackerProfile(
            tracker_id=tracker.id,
            household_id=tracker.household_id,
            person_name=names.get(tracker.person_id, "") if tracker.person_id is not None else "",
            not_back_by=parse_hhmm(tracker.not_back_by),
            night_start=night_start,
            night_end=night_end,
            timezone=timezone,
        )
        for tracker in trackers
        for night_start, night_end, timezone in [nights.get(tracker.household_id, (None, None, "Asia/Tokyo"))]
    ]
    return WatchInputs(
        profiles=profiles,
        zones=[zone_of(record) for record in records],
        by_device={(tracker.gateway_id, tracker.device_id): tracker.id for tracker in trackers},
        by_external={tracker.external_id: tracker.id for tracker in trackers if tracker.external_id},
        generation=gen,
    )
