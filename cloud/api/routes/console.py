"""What the web pages show: map markers and layers, a household's timeline, charts and summary."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from shapely.geometry import mapping
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from alerts import wbgt_indoor
from alerts.messages import room_name
from cloud.api.deps import WATCHERS, PrincipalDep, ScopeDep, ServiceDep, SessionDep, allow, contact_to_change
from cloud.api.routes.households import load_household
from cloud.auth import audit
from cloud.db.models import Alert, Gateway, Household, StoredEvent
from maps.geodata import TAITO_CITY, Shelter, emergency_sites, evacuation_shelters, municipality_boundary

router = APIRouter(tags=["console"])
_WATCHERS = Depends(allow(*WATCHERS))
TOKYO = ZoneInfo("Asia/Tokyo")
HouseholdState = Literal["ok", "attention", "alert", "offline"]
DATA_CREDITS = (
    "出典：国土地理院 指定緊急避難場所・指定避難所データ / 国土数値情報（行政区域データ）国土交通省 を加工して作成"
)


class MapHousehold(BaseModel):
    id: str
    name: str
    person: str
    address: str
    lat: float | None
    lon: float | None
    state: HouseholdState
    open_alerts: int


class EventOut(BaseModel):
    ts: datetime
    kind: str
    device_id: str
    room: str | None


class SeriesPoint(BaseModel):
    ts: datetime
    value: float


class ChartsOut(BaseModel):
    range: Literal["24h", "7d"]
    motion_per_hour: list[SeriesPoint]
    temperature_c: list[SeriesPoint]
    wbgt_c: list[SeriesPoint] = Field(description="Indoor WBGT estimated from temperature and humidity.")


class SummaryOut(BaseModel):
    household_id: str
    person: str
    state: HouseholdState
    sentence: str
    last_motion_at: datetime | None
    last_motion_room: str | None


class ContactSettingsPatch(BaseModel):
    language: Literal["ja", "en", "zh", "ko", "ja-easy"] | None = None
    active: bool | None = None


def household_state(alerts: list[Alert], gateways: list[Gateway]) -> HouseholdState:
    """Colour a household: an urgent open alert, else offline gateways, else any unresolved alert."""
    active = [alert for alert in alerts if alert.state != "resolved"]
    if any(alert.state == "open" and alert.severity in ("high", "critical") for alert in active):
        return "alert"
    if gateways and any(gateway.state == "offline" for gateway in gateways):
        return "offline"
    return "attention" if active else "ok"


@router.get("/map/households", response_model=list[MapHousehold], dependencies=[_WATCHERS])
def map_households(session: SessionDep, scope: ScopeDep) -> list[MapHousehold]:
    """Every household the caller may see, with its position and state colour."""
    query = scope.restrict(
        select(Household).options(selectinload(Household.people), selectinload(Household.gateways)), Household.id
    )
    households = session.scalars(query.order_by(Household.id)).all()
    active = session.scalars(scope.restrict(select(Alert).where(Alert.state != "resolved"), Alert.household_id)).all()
    by_household: dict[str, list[Alert]] = {}
    for alert in active:
        by_household.setdefault(alert.household_id, []).append(alert)
    return [
        MapHousehold(
            id=household.id,
            name=household.name,
            person=household.people[0].name if household.people else household.name,
            address=household.address,
            lat=household.lat,
            lon=household.lon,
            state=household_state(by_household.get(household.id, []), list(household.gateways)),
            open_alerts=len(by_household.get(household.id, [])),
        )
        for household in households
    ]


def _shelter_feature(shelter: Shelter, kind: str) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [shelter.lon, shelter.lat]},
        "properties": {
            "id": shelter.id,
            "kind": kind,
            "name": shelter.name,
            "address": shelter.address,
            "hazards": sorted(hazard.value for hazard in shelter.hazards),
            "remarks": shelter.remarks,
        },
    }


@lru_cache(maxsize=1)
def _layers() -> dict[str, Any]:
    features = [_shelter_feature(shelter, "shelter") for shelter in evacuation_shelters()]
    features += [_shelter_feature(site, "emergency_site") for site in emergency_sites()]
    return {
        "boundary": {
            "type": "Feature",
            "geometry": mapping(municipality_boundary(TAITO_CITY)),
            "properties": {"code": TAITO_CITY, "name": "台東区"},
        },
        "shelters": {"type": "FeatureCollection", "features": features},
        # slots the tracker and disaster features fill as they land
        "safe_zones": {"type": "FeatureCollection", "features": []},
        "disaster_areas": {"type": "FeatureCollection", "features": []},
    }


def shelter_layer() -> dict[str, Any]:
    """Return the shelters and emergency sites as GeoJSON (public open data)."""
    shelters: dict[str, Any] = _layers()["shelters"]
    return shelters


@router.get("/map/layers")
def map_layers(principal: PrincipalDep, service: ServiceDep) -> dict[str, Any]:
    """The map's vector layers (ward boundary, shelters with hazard flags), tiles and data credits."""
    settings = service.settings
    return {
        **_layers(),
        "tiles": {"url": settings.map_tile_url, "attribution": settings.map_tile_attribution},
        "credits": DATA_CREDITS,
    }


@router.get("/households/{household_id}/events", response_model=list[EventOut], dependencies=[_WATCHERS])
def household_events(
    household_id: str,
    session: SessionDep,
    scope: ScopeDep,
    service: ServiceDep,
    hours: Annotated[int, Query(ge=1, le=24 * 31)] = 24,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[EventOut]:
    """The household's recent events (motion, doors, button), newest first."""
    since = service.clock.now() - timedelta(hours=hours)
    rows = session.scalars(
        select(StoredEvent)
        .where(StoredEvent.household_id == household_id, StoredEvent.ts >= since)
        .order_by(StoredEvent.ts.desc())
        .limit(limit)
    )
    return [EventOut(ts=row.ts, kind=row.kind, device_id=row.device_id, room=row.room) for row in rows]


@router.get("/households/{household_id}/charts", response_model=ChartsOut, dependencies=[_WATCHERS])
def household_charts(
    household_id: str,
    session: SessionDep,
    scope: ScopeDep,
    service: ServiceDep,
    span: Annotated[Literal["24h", "7d"], Query(alias="range")] = "24h",
) -> ChartsOut:
    """Motion per hour, temperature and WBGT of the last 24 hours or 7 days."""
    now = service.clock.now()
    hours = 24 if span == "24h" else 24 * 7
    start = (now - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    counts: dict[datetime, int] = {start + timedelta(hours=index): 0 for index in range(hours + 1)}
    motions = session.scalars(
        select(StoredEvent.ts).where(
            StoredEvent.household_id == household_id,
            StoredEvent.kind == "motion_detected",
            StoredEvent.ts >= start,
        )
    )
    for ts in motions:
        bucket = ts.replace(minute=0, second=0, microsecond=0)
        if bucket in counts:
            counts[bucket] += 1

    def thinned(points: list[SeriesPoint]) -> list[SeriesPoint]:
        step = max(1, len(points) // 500)  # the page draws a line, not every reading
        return points[::step]

    temperatures = service.telemetry.query(household_id=household_id, metric="temperature_c", start=start, end=now)
    humidities = {
        (sample.device_id, sample.ts): sample.value
        for sample in service.telemetry.query(household_id=household_id, metric="humidity_pct", start=start, end=now)
    }
    # the same indoor WBGT estimate the heat rule alerts on, where a reading has both values
    wbgt = [
        SeriesPoint(ts=sample.ts, value=round(wbgt_indoor(sample.value, humidities[(sample.device_id, sample.ts)]), 1))
        for sample in temperatures
        if (sample.device_id, sample.ts) in humidities
    ]
    return ChartsOut(
        range=span,
        motion_per_hour=[SeriesPoint(ts=ts, value=count) for ts, count in counts.items()],
        temperature_c=thinned([SeriesPoint(ts=sample.ts, value=sample.value) for sample in temperatures]),
        wbgt_c=thinned(wbgt),
    )


def _sentence(*, language: str, state: HouseholdState, last: StoredEvent | None, now: datetime) -> str:
    english = language == "en"
    if last is None:
        return "No movement recorded yet." if english else "まだ動きの記録がありません。"
    local = last.ts.astimezone(TOKYO)
    today = local.date() == now.astimezone(TOKYO).date()
    when = local.strftime("%H:%M") if today else local.strftime("%m/%d %H:%M")
    room = room_name(last.room, "en" if english else "ja") if last.room else ""
    if english:
        opening = {
            "ok": "Activity normal today",
            "attention": "Needs attention",
            "alert": "Alert open: please check",
            "offline": "The home gateway is offline",
        }[state]
        where = f" in the {room}" if room else ""
        return f"{opening}, last movement {when}{where}."
    opening = {
        "ok": "今日の活動は普段どおりです",
        "attention": "確認が必要です",
        "alert": "アラート発生中です。確認してください",
        "offline": "見守り機器がオフラインです",
    }[state]
    where = f"{room}で" if room else ""
    return f"{opening}。最後の動きは{when}に{where}ありました。"


@router.get("/households/{household_id}/summary", response_model=SummaryOut, dependencies=[_WATCHERS])
def household_summary(
    household_id: str,
    session: SessionDep,
    scope: ScopeDep,
    service: ServiceDep,
    language: Literal["ja", "en"] = "ja",
) -> SummaryOut:
    """The relative's state in one sentence, for the family view."""
    household = load_household(session, household_id)
    alerts = list(session.scalars(select(Alert).where(Alert.household_id == household_id, Alert.state != "resolved")))
    state = household_state(alerts, list(household.gateways))
    last = session.scalar(
        select(StoredEvent)
        .where(StoredEvent.household_id == household_id, StoredEvent.kind == "motion_detected")
        .order_by(StoredEvent.ts.desc())
        .limit(1)
    )
    return SummaryOut(
        household_id=household_id,
        person=household.people[0].name if household.people else household.name,
        state=state,
        sentence=_sentence(language=language, state=state, last=last, now=service.clock.now()),
        last_motion_at=None if last is None else last.ts,
        last_motion_room=None if last is None else last.room,
    )


@router.patch("/contacts/{contact_id}", dependencies=[_WATCHERS])
def patch_contact(
    contact_id: int,
    body: ContactSettingsPatch,
    session: SessionDep,
    scope: ScopeDep,
    service: ServiceDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Change a contact's settings (language, whether they are notified)."""
    contact = contact_to_change(session, contact_id, principal)
    change = body.model_dump(exclude_unset=True, exclude_none=True)
    for key, value in change.items():
        setattr(contact, key, value)
    audit(
        session,
        at=service.clock.now(),
        actor=principal.actor,
        action="contact.changed",
        target=f"contact/{contact_id}",
        household_id=contact.household_id,
        **change,
    )
    session.commit()
    return {"id": contact.id, "language": contact.language, "active": contact.active}
