"""Trackers, their safe zones, location consents, and the live position behind the privacy gate.

Caseworkers draw zones on the console, which saves them here; a zone the rules could not
watch well (crossing itself, narrower than GPS accuracy, far from the ward) is refused with
422 and a `code` the pages translate. Reading a position passes
`cloud.trackers.privacy.location_access` (family: only while an alert about the person is
open, or with a recorded consent) and every read, allowed or refused, is audited. Live
positions (pushed as fixes arrive) are streamed by `cloud.api.routes.stream`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from alerts.messages import LOCAL_ZONE
from cloud.api.deps import STAFF, WATCHERS, PrincipalDep, Scope, ScopeDep, ServiceDep, SessionDep, allow
from cloud.auth import audit
from cloud.db.models import LocationRecord
from cloud.db.trackers import LocationConsent, SafeZoneRecord, Tracker
from cloud.trackers import (
    TrackerError,
    TrackerNotFound,
    add_tracker,
    audit_location_view,
    location_access,
    parse_hhmm,
    zone_of,
)
from cloud.trackers.presence import TagPresenceView, presence_of
from maps.geodata import TAITO_CITY, municipality_boundary
from maps.zones import ZoneRejected, check_zone_shape
from protocol import LocationSource

router = APIRouter(prefix="/trackers", tags=["trackers"])
_STAFF = Depends(allow(*STAFF))
_WATCHERS = Depends(allow(*WATCHERS))
HhMm = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Local time (Asia/Tokyo), HH:MM.")]


class TrackerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{2,63}$")
    household_id: str
    kind: Literal["gps", "ble_tag", "owntracks", "osmand"]
    label: str = Field(default="", max_length=200)
    gateway_id: str | None = Field(default=None, description="Home gateway of a BLE tag or serial GPS.")
    device_id: str | None = Field(default=None, description="Device id in the fixes of a BLE tag or serial GPS.")
    external_id: str | None = Field(
        default=None, max_length=200, description='OwnTracks "user/device", the OsmAnd id, or a beacon tag id.'
    )
    not_back_by: HhMm | None = None


class PresenceOut(BaseModel):
    state: Literal["home", "not_home"]
    since: datetime = Field(description="When this state began (for not_home: when the tag was last heard).")
    since_local: str = Field(description="The same, as HH:MM in Asia/Tokyo, for display.")
    last_heard: datetime | None
    rssi_dbm: float | None = Field(description="Smoothed signal strength when last heard.")
    battery_pct: float | None


class TrackerOut(BaseModel):
    id: str
    household_id: str
    person_id: int | None
    kind: str
    label: str
    gateway_id: str
    device_id: str
    external_id: str | None
    not_back_by: str | None
    outside: bool | None = Field(default=None, description="Out of every safe zone now (null: unknown).")
    presence: PresenceOut | None = Field(
        default=None, description="A BLE tag's home / not home, as its home gateway last said (null: no report)."
    )


class ZoneCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{2,63}$")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["home", "day_care", "walk", "other"] = "other"
    center_lat: float | None = Field(default=None, ge=-90, le=90)
    center_lon: float | None = Field(default=None, ge=-180, le=180)
    radius_m: float | None = Field(default=None, gt=0, le=20_000)
    polygon: list[tuple[float, float]] | None = Field(default=None, min_length=3, max_length=500)
    active_from: HhMm | None = None
    active_to: HhMm | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> ZoneCreate:
        circle = None not in (self.center_lat, self.center_lon, self.radius_m)
        if circle == (self.polygon is not None):
            raise ValueError("give either center_lat, center_lon and radius_m, or polygon [[lat, lon], …]")
        if (self.active_from is None) != (self.active_to is None):
            raise ValueError("active_from and active_to go together")
        return self


class ZoneOut(BaseModel):
    id: str
    tracker_id: str
    name: str
    kind: str
    center_lat: float | None
    center_lon: float | None
    radius_m: float | None
    polygon: list[tuple[float, float]] | None
    active_from: str | None
    active_to: str | None
    geojson: dict[str, Any]


class ConsentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int | None = Field(default=None, description="One family user; null: every family user of the home.")
    basis: str = Field(min_length=1, max_length=500, description="What the consent rests on (document, date).")
    expires_at: datetime | None = None


class ConsentOut(BaseModel):
    id: int
    tracker_id: str
    user_id: int | None
    granted_by: str
    basis: str
    granted_at: datetime
    expires_at: datetime | None


class FixOut(BaseModel):
    lat: float
    lon: float
    accuracy_m: float | None
    source: str
    ts: datetime
    gateway_id: str


class PositionOut(BaseModel):
    tracker_id: str
    household_id: str
    access: str = Field(description="Why the position is shown: role, open_alert or consent.")
    alert_ids: list[int]
    position: FixOut | None
    trail: list[FixOut] = Field(description="Earlier fixes (newest first), incl. town beacon receivers' sightings.")


def _tracker_in_scope(session: Session, scope: Scope, tracker_id: str) -> Tracker:
    tracker = session.get(Tracker, tracker_id)
    if tracker is None or not scope.allows(tracker.household_id):
        # the same answer as for a tracker that does not exist: no oracle
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"tracker {tracker_id!r} not found")
    return tracker


def _presence_out(view: TagPresenceView | None) -> PresenceOut | None:
    if view is None:
        return None
    return PresenceOut(
        state="home" if view.state == "home" else "not_home",
        since=view.since,
        since_local=view.since.astimezone(LOCAL_ZONE).strftime("%H:%M"),
        last_heard=view.last_heard,
        rssi_dbm=view.rssi_dbm,
        battery_pct=view.battery_pct,
    )


def _tracker_out(tracker: Tracker, service: Any, presence: TagPresenceView | None = None) -> TrackerOut:
    desk = getattr(service, "tracker_desk", None)
    outside: bool | None = None
    if desk is not None:
        try:
            outside = desk.watch.is_outside(tracker.id)
        except (KeyError, RuntimeError):
            outside = None
    return TrackerOut(
        id=tracker.id,
        household_id=tracker.household_id,
        person_id=tracker.person_id,
        kind=tracker.kind,
        label=tracker.label,
        gateway_id=tracker.gateway_id,
        device_id=tracker.device_id,
        external_id=tracker.external_id,
        not_back_by=tracker.not_back_by,
        outside=outside,
        presence=_presence_out(presence),
    )


def _zone_out(record: SafeZoneRecord) -> ZoneOut:
    geometry = zone_of(record).lonlat_geometry()
    return ZoneOut(
        id=record.id,
        tracker_id=record.tracker_id,
        name=record.name,
        kind=record.kind,
        center_lat=record.center_lat,
        center_lon=record.center_lon,
        radius_m=record.radius_m,
        polygon=[(float(p[0]), float(p[1])) for p in record.polygon] if record.polygon else None,
        active_from=record.active_from,
        active_to=record.active_to,
        geojson={"type": "Polygon", "coordinates": [[list(xy) for xy in geometry.exterior.coords]]},
    )


def _check_zone(record: SafeZoneRecord) -> None:
    """Answer 422 with a code and a message for a zone the rules could not watch well."""
    try:
        parse_hhmm(record.active_from)
        check_zone_shape(zone_of(record), service_area=municipality_boundary(TAITO_CITY))
    except ZoneRejected as exc:
        raise HTTPException(422, {"code": exc.code, "message": str(exc)}) from None
    except (TrackerError, ValueError) as exc:
        raise HTTPException(422, {"code": "invalid", "message": str(exc)}) from None


def _zones_changed(service: Any) -> None:
    """Let this process's tracker desk see the change now (others poll for it)."""
    desk = getattr(service, "tracker_desk", None)
    if desk is not None:
        desk.reload()


def _fix_out(record: LocationRecord) -> FixOut:
    return FixOut(
        lat=record.lat,
        lon=record.lon,
        accuracy_m=record.accuracy_m,
        source=record.source,
        ts=record.ts,
        gateway_id=record.gateway_id,
    )


def fixes_of(session: Session, tracker: Tracker, *, since: datetime | None = None, limit: int) -> list[LocationRecord]:
    """Return a tracker's stored fixes, newest first, incl. town beacon receivers' sightings of its tag."""
    mine = and_(LocationRecord.gateway_id == tracker.gateway_id, LocationRecord.device_id == tracker.device_id)
    where = mine
    if tracker.external_id:
        sightings = and_(
            LocationRecord.source == LocationSource.BEACON_RECEIVER.value,
            LocationRecord.device_id == tracker.external_id,
        )
        where = or_(mine, sightings)
    query = select(LocationRecord).where(where)
    if since is not None:
        query = query.where(LocationRecord.ts >= since)
    return list(session.scalars(query.order_by(LocationRecord.ts.desc()).limit(limit)))


@router.post("", response_model=TrackerOut, status_code=201, dependencies=[_STAFF])
def create_tracker(body: TrackerCreate, scope: ScopeDep, service: ServiceDep, principal: PrincipalDep) -> TrackerOut:
    """Register a tracker (GPS, BLE tag, OwnTracks phone, OsmAnd/Traccar client) of a household's person."""
    if not scope.allows(body.household_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"household {body.household_id!r} not found")
    try:
        tracker = add_tracker(
            service.sessions,
            tracker_id=body.id,
            household_id=body.household_id,
            kind=body.kind,
            gateway_id=body.gateway_id,
            device_id=body.device_id,
            external_id=body.external_id,
            label=body.label,
            not_back_by=body.not_back_by,
            clock=service.clock,
        )
    except TrackerNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except TrackerError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    with service.sessions.begin() as session:
        audit(session, at=service.clock.now(), actor=principal.actor, action="tracker.create", target=tracker.id)
    # ingest must accept the bridge gateway a phone tracker may just have brought in
    service.refresh_households()
    _zones_changed(service)
    return _tracker_out(tracker, service)


@router.get("", response_model=list[TrackerOut], dependencies=[_WATCHERS])
def list_trackers(
    session: SessionDep, scope: ScopeDep, service: ServiceDep, household_id: str | None = None
) -> list[TrackerOut]:
    """List the trackers in scope (of one household, when given)."""
    query = select(Tracker).order_by(Tracker.id)
    if scope.household_ids is not None:
        query = query.where(Tracker.household_id.in_(sorted(scope.household_ids)))
    if household_id is not None:
        query = query.where(Tracker.household_id == household_id)
    trackers = list(session.scalars(query))
    presence = presence_of(session, trackers)
    return [_tracker_out(tracker, service, presence.get(tracker.id)) for tracker in trackers]


@router.post("/{tracker_id}/zones", response_model=ZoneOut, status_code=201, dependencies=[_STAFF])
def create_zone(
    tracker_id: str,
    body: ZoneCreate,
    session: SessionDep,
    scope: ScopeDep,
    service: ServiceDep,
    principal: PrincipalDep,
) -> ZoneOut:
    """Add a safe zone (a circle or a polygon, with optional active hours) to a tracker."""
    _tracker_in_scope(session, scope, tracker_id)
    if session.get(SafeZoneRecord, body.id) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"zone {body.id!r} already exists")
    now = service.clock.now()
    record = SafeZoneRecord(
        id=body.id,
        tracker_id=tracker_id,
        name=body.name,
        kind=body.kind,
        center_lat=body.center_lat,
        center_lon=body.center_lon,
        radius_m=body.radius_m,
        polygon=[list(corner) for corner in body.polygon] if body.polygon else None,
        active_from=body.active_from,
        active_to=body.active_to,
        created_at=now,
        updated_at=now,
    )
    _check_zone(record)
    session.add(record)
    audit(session, at=now, actor=principal.actor, action="zone.create", target=f"zone:{body.id}", tracker=tracker_id)
    session.commit()
    _zones_changed(service)
    return _zone_out(record)


@router.get("/{tracker_id}/zones", response_model=list[ZoneOut], dependencies=[_WATCHERS])
def list_zones(tracker_id: str, session: SessionDep, scope: ScopeDep) -> list[ZoneOut]:
    """List a tracker's safe zones, each with its GeoJSON polygon (circles as 64-gons)."""
    _tracker_in_scope(session, scope, tracker_id)
    records = session.scalars(select(SafeZoneRecord).where(SafeZoneRecord.tracker_id == tracker_id))
    return [_zone_out(record) for record in records]


@router.put("/{tracker_id}/zones/{zone_id}", response_model=ZoneOut, dependencies=[_STAFF])
def replace_zone(
    tracker_id: str,
    zone_id: str,
    body: ZoneCreate,
    session: SessionDep,
    scope: ScopeDep,
    service: ServiceDep,
    principal: PrincipalDep,
) -> ZoneOut:
    """Replace a safe zone's shape, name and hours (the desk picks the change up within seconds)."""
    _tracker_in_scope(session, scope, tracker_id)
    record = session.get(SafeZoneRecord, zone_id)
    if record is None or record.tracker_id != tracker_id or body.id != zone_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"zone {zone_id!r} not found")
    record.name, record.kind = body.name, body.kind
    record.center_lat, record.center_lon, record.radius_m = body.center_lat, body.center_lon, body.radius_m
    record.polygon = [list(corner) for corner in body.polygon] if body.polygon else None
    record.active_from, record.active_to = body.active_from, body.active_to
    record.updated_at = service.clock.now()
    _check_zone(record)
    audit(session, at=record.updated_at, actor=principal.actor, action="zone.replace", target=f"zone:{zone_id}")
    session.commit()
    _zones_changed(service)
    return _zone_out(record)


@router.delete("/{tracker_id}/zones/{zone_id}", status_code=204, dependencies=[_STAFF])
def delete_zone(
    tracker_id: str, zone_id: str, session: SessionDep, scope: ScopeDep, service: ServiceDep, principal: PrincipalDep
) -> None:
    """Remove a safe zone."""
    _tracker_in_scope(session, scope, tracker_id)
    record = session.get(SafeZoneRecord, zone_id)
    if record is None or record.tracker_id != tracker_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"zone {zone_id!r} not found")
    session.delete(record)
    audit(session, at=service.clock.now(), actor=principal.actor, action="zone.delete", target=f"zone:{zone_id}")
    session.commit()
    _zones_changed(service)


@router.post("/{tracker_id}/consents", response_model=ConsentOut, status_code=201, dependencies=[_STAFF])
def record_consent(
    tracker_id: str,
    body: ConsentCreate,
    session: SessionDep,
    scope: ScopeDep,
    service: ServiceDep,
    principal: PrincipalDep,
) -> ConsentOut:
    """Record a consent that lets family see the location without an open alert."""
    _tracker_in_scope(session, scope, tracker_id)
    now = service.clock.now()
    consent = LocationConsent(
        tracker_id=tracker_id,
        user_id=body.user_id,
        granted_by=principal.actor,
        basis=body.basis,
        granted_at=now,
        expires_at=body.expires_at,
        revoked_at=None,
    )
    session.add(consent)
    audit(session, at=now, actor=principal.actor, action="location.consent", target=f"tracker:{tracker_id}")
    session.commit()
    return ConsentOut(
        id=consent.id,
        tracker_id=tracker_id,
        user_id=consent.user_id,
        granted_by=consent.granted_by,
        basis=consent.basis,
        granted_at=consent.granted_at,
        expires_at=consent.expires_at,
    )


@router.get("/{tracker_id}/position", response_model=PositionOut, dependencies=[_WATCHERS])
def live_position(
    tracker_id: str,
    session: SessionDep,
    scope: ScopeDep,
    service: ServiceDep,
    principal: PrincipalDep,
    trail_hours: Annotated[float, Query(gt=0, le=72)] = 6.0,
) -> PositionOut:
    """Show where a person is now and their recent trail; family only while an alert about them is open."""
    tracker = _tracker_in_scope(session, scope, tracker_id)
    now = service.clock.now()
    access = location_access(session, tracker, principal, now)
    audit_location_view(session, tracker=tracker, principal=principal, access=access, now=now)
    session.commit()
    if not access.allowed:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "the location is shown to family only while an alert about this person is open",
        )
    records = fixes_of(session, tracker, since=now - timedelta(hours=trail_hours), limit=200)
    if not records:
        records = fixes_of(session, tracker, limit=1)
    return PositionOut(
        tracker_id=tracker.id,
        household_id=tracker.household_id,
        access=access.reason,
        alert_ids=list(access.alert_ids),
        position=_fix_out(records[0]) if records else None,
        trail=[_fix_out(record) for record in records[1:]],
    )
