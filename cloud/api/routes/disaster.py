"""Disaster alerts: author, preview, approve, release, update, cancel; CAP export/import; safety answers.

`router` is the operators' (behind the API's authentication, staff only); `public_router`, under
/disaster/public, holds what anyone may reach: the CAP feed and documents of sent alerts, the
one-tap safety links, the VAPID key.
Path parameters are named `disaster_id`, not `alert_id`: the latter names a watch alert, which
the scoping guard resolves to a household.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.concurrency import run_in_threadpool

from alerts.cap import CAP_MEDIA_TYPE, CapFormatError
from alerts.disaster import (
    CATALOGUES,
    AlertText,
    AreaError,
    AreaSpec,
    CapCertainty,
    CapSeverity,
    CapUrgency,
    Circle,
    InvalidAnswerLink,
    Language,
    SafetyAnswer,
    area_geometry,
    parse_hazard,
    pick_language,
)
from cloud.api.deps import ServiceDep
from cloud.db.disaster import DisasterAlert
from cloud.disaster import (
    ACTIVE_STATES,
    AlertDraft,
    ApprovalRequired,
    DisasterDesk,
    DisasterError,
    DisasterNotFound,
    content_of,
)
from maps import Hazard

router = APIRouter(prefix="/disaster", tags=["disaster"])
SSE_POLL_S = 0.5
SSE_HEARTBEAT_S = 15.0
public_router = APIRouter(prefix="/disaster/public", tags=["disaster (public)"])


class CircleIn(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: float = Field(gt=0, le=200_000)


class AreaIn(BaseModel):
    """The area: polygons of [lat, lon] points, circles in metres, and/or whole municipalities (N03 codes)."""

    polygons: list[list[tuple[float, float]]] = Field(default_factory=list)
    circles: list[CircleIn] = Field(default_factory=list)
    municipalities: list[str] = Field(default_factory=list, examples=[["13106"]])
    buffer_m: float = Field(default=0.0, ge=0, le=10_000, description="Grow the area by this many metres.")
    description: str = Field(default="", max_length=300, description="How people call the area (else the wards).")

    @model_validator(mode="after")
    def _something(self) -> AreaIn:
        if not (self.polygons or self.circles or self.municipalities):
            raise ValueError("give at least one polygon, circle or municipality")
        return self

    def spec(self) -> AreaSpec:
        return AreaSpec(
            polygons=tuple(tuple((lat, lon) for lat, lon in ring) for ring in self.polygons),
            circles=tuple(Circle(lat=c.lat, lon=c.lon, radius_m=c.radius_m) for c in self.circles),
            municipalities=tuple(self.municipalities),
            buffer_m=self.buffer_m,
            description=self.description,
        )


class TextIn(BaseModel):
    headline: str = Field(min_length=1, max_length=160)
    description: str = Field(default="", max_length=4000)
    instruction: str = Field(default="", max_length=2000)


class AlertIn(BaseModel):
    """A new alert; texts in languages you leave out come from the hazard's templates."""

    hazard: str = Field(
        description="flood, storm_surge, earthquake, tsunami, large_fire, landslide, inland_flood, "
        "volcano — or 洪水, 高潮, 地震, 津波, 大規模な火事, 崖崩れ等, 内水氾濫, 火山"
    )
    severity: CapSeverity = CapSeverity.SEVERE
    urgency: CapUrgency = CapUrgency.IMMEDIATE
    certainty: CapCertainty = CapCertainty.LIKELY
    area: AreaIn
    texts: dict[str, TextIn] = Field(default_factory=dict, description="By language: ja, ja-easy, en, zh-Hans, ko.")
    expires: datetime | None = None
    by: str = Field(default="operator", max_length=200, description="Who writes it (until logins say so).")

    @field_validator("hazard")
    @classmethod
    def _hazard(cls, value: str) -> str:
        return parse_hazard(value).value

    @field_validator("texts")
    @classmethod
    def _languages(cls, value: dict[str, TextIn]) -> dict[str, TextIn]:
        return {pick_language(language).value: text for language, text in value.items()}


class AlertChangeIn(BaseModel):
    """An update: only what changes."""

    severity: CapSeverity | None = None
    urgency: CapUrgency | None = None
    certainty: CapCertainty | None = None
    area: AreaIn | None = None
    texts: dict[str, TextIn] | None = None
    expires: datetime | None = None
    by: str = Field(default="operator", max_length=200)


class ActorIn(BaseModel):
    by: str = Field(default="operator", max_length=200)


class PreviewOut(BaseModel):
    devices: int
    residents: int
    visitors: int
    watched_people: int
    households: int


class DisasterAlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    identifier: str
    source: str
    state: str
    hazard: str
    hazard_label: str
    severity: str
    urgency: str
    certainty: str
    texts: dict[str, Any]
    area: dict[str, Any]
    area_geojson: dict[str, Any]
    versions: list[Any]
    created_by: str
    approved_by: str | None
    created_at: datetime
    updated_at: datetime
    released_at: datetime | None
    cancelled_at: datetime | None
    expires_at: datetime | None = Field(description="When it ends by itself (CAP expires); set at release.")
    active: bool = Field(description="Released or updated, and not yet expired or cancelled.")


class VulnerableOut(BaseModel):
    recipient_id: int
    person_id: int
    name: str
    household_id: str
    address: str
    status: str
    answer: str | None
    answered_at: datetime | None
    shelter: str | None
    shelter_distance_m: float | None


class TallyOut(BaseModel):
    total: int
    safe: int
    need_help: int
    no_answer: int


class SafetyOut(BaseModel):
    alert_id: int
    everyone: TallyOut
    watched: TallyOut
    unanswered: list[VulnerableOut]


class ImportUrlIn(BaseModel):
    url: str = Field(pattern=r"^https?://")


def _actor(request: Request, given: str) -> str:
    # a logged-in user is who they are; the shared integration token names nobody, so the body does
    principal = getattr(request.state, "principal", None)
    if principal is None or getattr(principal, "via", "") == "integration":
        return given
    return str(principal.actor)


def _out(alert: DisasterAlert) -> DisasterAlertOut:
    from shapely.geometry import mapping

    content = content_of(alert)
    try:
        geometry: dict[str, Any] = dict(mapping(area_geometry(content.area)))
    except AreaError:
        geometry = {}
    return DisasterAlertOut(
        id=alert.id,
        identifier=alert.identifier,
        source=alert.source,
        state=alert.state,
        hazard=alert.hazard,
        hazard_label=CATALOGUES[Language.JA].hazards[Hazard(alert.hazard)],
        severity=alert.severity,
        urgency=alert.urgency,
        certainty=alert.certainty,
        texts=alert.texts,
        area=alert.area,
        area_geojson=geometry,
        versions=alert.versions,
        created_by=alert.created_by,
        approved_by=alert.approved_by,
        created_at=alert.created_at,
        updated_at=alert.updated_at,
        released_at=alert.released_at,
        cancelled_at=alert.cancelled_at,
        expires_at=alert.expires_at,
        active=alert.state in ACTIVE_STATES,
    )


def _texts(texts: dict[str, TextIn]) -> dict[str, AlertText]:
    return {language: AlertText(**text.model_dump()) for language, text in texts.items()}


def _http(exc: Exception) -> HTTPException:
    if isinstance(exc, DisasterNotFound):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))
    if isinstance(exc, ApprovalRequired):
        return HTTPException(status.HTTP_409_CONFLICT, str(exc))
    if isinstance(exc, AreaError | CapFormatError):
        return HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc))
    return HTTPException(status.HTTP_409_CONFLICT, str(exc))


# --- operators ----------------------------------------------------------------------------------


@router.post("/alerts", response_model=DisasterAlertOut, status_code=status.HTTP_201_CREATED)
def create_alert(body: AlertIn, request: Request, service: ServiceDep) -> DisasterAlertOut:
    """Draft an alert (nothing is sent until release)."""
    desk = service.disaster
    try:
        alert_id = desk.create(
            AlertDraft(
                hazard=Hazard(body.hazard),
                area=body.area.spec(),
                severity=body.severity,
                urgency=body.urgency,
                certainty=body.certainty,
                texts=_texts(body.texts),
                expires=body.expires,
            ),
            by=_actor(request, body.by),
        )
    except (AreaError, DisasterError) as exc:
        raise _http(exc) from None
    return _out(desk.get(alert_id))


@router.get("/alerts", response_model=list[DisasterAlertOut])
def list_alerts(service: ServiceDep, state: str | None = None, active: bool = False) -> list[DisasterAlertOut]:
    """List disaster alerts, newest first; `active=true` lists only those in force (not expired or cancelled)."""
    states = list(ACTIVE_STATES) if active else None if state is None else [state]
    return [_out(alert) for alert in service.disaster.alerts(states=states)]


@router.get("/alerts/{disaster_id}", response_model=DisasterAlertOut)
def get_alert(disaster_id: int, service: ServiceDep) -> DisasterAlertOut:
    """Show one disaster alert."""
    try:
        return _out(service.disaster.get(disaster_id))
    except DisasterNotFound as exc:
        raise _http(exc) from None


@router.post("/preview", response_model=PreviewOut)
def preview_area(area: AreaIn, service: ServiceDep) -> PreviewOut:
    """Count the residents, devices and watched people inside an area, before anything is sent."""
    try:
        return PreviewOut.model_validate(service.disaster.preview(area.spec()), from_attributes=True)
    except AreaError as exc:
        raise _http(exc) from None


@router.get("/alerts/{disaster_id}/preview", response_model=PreviewOut)
def preview_alert(disaster_id: int, service: ServiceDep) -> PreviewOut:
    """Count who the alert's area reaches now."""
    try:
        content = content_of(service.disaster.get(disaster_id))
        return PreviewOut.model_validate(service.disaster.preview(content.area), from_attributes=True)
    except (DisasterNotFound, AreaError) as exc:
        raise _http(exc) from None


@router.post("/alerts/{disaster_id}/approve", response_model=DisasterAlertOut)
def approve_alert(disaster_id: int, body: ActorIn, request: Request, service: ServiceDep) -> DisasterAlertOut:
    """Approve a draft (a second person: the author cannot)."""
    try:
        return _out(service.disaster.approve(disaster_id, by=_actor(request, body.by)))
    except (DisasterNotFound, DisasterError) as exc:
        raise _http(exc) from None


@router.post("/alerts/{disaster_id}/release", response_model=DisasterAlertOut)
def release_alert(disaster_id: int, body: ActorIn, request: Request, service: ServiceDep) -> DisasterAlertOut:
    """Release an alert: everyone inside is notified in the background."""
    try:
        return _out(service.disaster.release(disaster_id, by=_actor(request, body.by)))
    except (DisasterNotFound, DisasterError, AreaError) as exc:
        raise _http(exc) from None


@router.post("/alerts/{disaster_id}/update", response_model=DisasterAlertOut)
def update_alert(disaster_id: int, body: AlertChangeIn, request: Request, service: ServiceDep) -> DisasterAlertOut:
    """Send an update to everyone the alert reached (and anyone a larger area now reaches)."""
    try:
        return _out(
            service.disaster.update(
                disaster_id,
                by=_actor(request, body.by),
                texts=None if body.texts is None else _texts(body.texts),
                severity=body.severity,
                urgency=body.urgency,
                certainty=body.certainty,
                area=None if body.area is None else body.area.spec(),
                expires=body.expires,
            )
        )
    except (DisasterNotFound, DisasterError, AreaError) as exc:
        raise _http(exc) from None


@router.post("/alerts/{disaster_id}/cancel", response_model=DisasterAlertOut)
def cancel_alert(disaster_id: int, body: ActorIn, request: Request, service: ServiceDep) -> DisasterAlertOut:
    """Cancel an alert; everyone it reached is told."""
    try:
        return _out(service.disaster.cancel(disaster_id, by=_actor(request, body.by)))
    except (DisasterNotFound, DisasterError) as exc:
        raise _http(exc) from None


@router.get("/alerts/{disaster_id}/deliveries")
def deliveries(disaster_id: int, service: ServiceDep) -> dict[str, dict[str, int]]:
    """Count the alert's deliveries by purpose (alert, update, cancel) and state."""
    return service.disaster.delivery_counts(disaster_id)


@router.get("/alerts/{disaster_id}/vulnerable", response_model=list[VulnerableOut])
def vulnerable(disaster_id: int, service: ServiceDep) -> list[VulnerableOut]:
    """The caseworker's list: watched people inside, their status, answer and nearest suitable shelter."""
    try:
        return [VulnerableOut.model_validate(p, from_attributes=True) for p in service.disaster.vulnerable(disaster_id)]
    except DisasterNotFound as exc:
        raise _http(exc) from None


def _safety_out(desk: Any, disaster_id: int) -> SafetyOut:
    report = desk.safety_report(disaster_id)

    def tally_out(tally: Any) -> TallyOut:
        return TallyOut(total=tally.total, safe=tally.safe, need_help=tally.need_help, no_answer=tally.no_answer)

    return SafetyOut(
        alert_id=report.alert_id,
        everyone=tally_out(report.everyone),
        watched=tally_out(report.watched),
        unanswered=[VulnerableOut.model_validate(p, from_attributes=True) for p in report.unanswered],
    )


@router.get("/alerts/{disaster_id}/safety", response_model=SafetyOut)
def safety(disaster_id: int, service: ServiceDep) -> SafetyOut:
    """Counts of safety answers and the watched people not heard from yet."""
    try:
        return _safety_out(service.disaster, disaster_id)
    except DisasterNotFound as exc:
        raise _http(exc) from None


@router.get(
    "/alerts/{disaster_id}/safety/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def safety_stream(disaster_id: int, request: Request, service: ServiceDep) -> StreamingResponse:
    """The same report as Server-Sent Events (`event: safety`), sent again whenever it changes."""
    desk = service.disaster
    try:
        # off the event loop: on SQLite a read waits for the write lock, which a request whose
        # session the loop has yet to close may hold (the loop blocked here, both waited 30 s)
        await asyncio.to_thread(desk.get, disaster_id)
    except DisasterNotFound as exc:
        raise _http(exc) from None

    async def events() -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        loop = asyncio.get_running_loop()
        last, quiet_since = "", loop.time()
        while not await request.is_disconnected():
            text = (await asyncio.to_thread(_safety_out, desk, disaster_id)).model_dump_json()
            if text != last:
                last, quiet_since = text, loop.time()
                yield f"event: safety\ndata: {text}\n\n"
            elif loop.time() - quiet_since > SSE_HEARTBEAT_S:
                quiet_since = loop.time()
                yield ": still here\n\n"
            await asyncio.sleep(SSE_POLL_S)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )


@router.post(
    "/cap/import",
    response_model=list[DisasterAlertOut],
    openapi_extra={"requestBody": {"content": {CAP_MEDIA_TYPE: {}, "application/xml": {}}}},
)
async def import_cap(request: Request, service: ServiceDep) -> list[DisasterAlertOut]:
    """Import a CAP message posted as XML, or {"url": …} of a CAP message or an Atom feed of them."""
    body = await request.body()
    from_url = request.headers.get("content-type", "").startswith("application/json")
    # off the event loop: the import reads and writes the database (and may fetch the URL); on
    # SQLite it waits for the write lock, which a request whose session the loop has yet to close may hold
    return await run_in_threadpool(_import, service.disaster, body, from_url=from_url)


def _import(desk: DisasterDesk, body: bytes, *, from_url: bool) -> list[DisasterAlertOut]:
    """Import a posted CAP message, or the one or the feed at a posted URL; answer the alerts made."""
    try:
        ids = desk.import_url(ImportUrlIn.model_validate_json(body).url) if from_url else [desk.import_cap(body)]
    except (CapFormatError, AreaError, DisasterError) as exc:
        raise _http(exc) from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    return [_out(desk.get(alert_id)) for alert_id in ids]


# --- public -------------------------------------------------------------------------------------


def _base_url(request: Request, service: Any) -> str:
    return str(service.settings.public_url or str(request.base_url)).rstrip("/")


@public_router.get("/cap/feed", response_class=Response, responses={200: {"content": {"application/atom+xml": {}}}})
def cap_feed(request: Request, service: ServiceDep) -> Response:
    """The Atom feed of sent alerts, each entry linking to its CAP 1.2 document."""
    return Response(service.disaster.atom(base_url=_base_url(request, service)), media_type="application/atom+xml")


@public_router.get(
    "/cap/{disaster_id}.xml", response_class=Response, responses={200: {"content": {CAP_MEDIA_TYPE: {}}}}
)
def cap_document(disaster_id: int, service: ServiceDep) -> Response:
    """The CAP 1.2 message of a sent alert (its current version)."""
    try:
        alert = service.disaster.get(disaster_id)
    except DisasterNotFound as exc:
        raise _http(exc) from None
    if not alert.versions:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"disaster alert {disaster_id} not found")
    return Response(service.disaster.cap(disaster_id), media_type=CAP_MEDIA_TYPE)


@public_router.get("/webpush/key")
def vapid_key(service: ServiceDep) -> dict[str, str]:
    """The VAPID public key the resident app subscribes to Web Push with."""
    webpush = service.disaster.webpush
    if webpush is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Web Push is off")
    return {"public_key": webpush.keys.public_key}


_THANKS = {
    SafetyAnswer.SAFE: "ありがとうございます。無事と伝えました。 / Thank you: we noted you are safe.",
    SafetyAnswer.NEED_HELP: "助けが必要と伝えました。職員が確認します。 / We noted that you need help.",
}


_ENDED = "この情報は終了しましたが、お答えは記録しました。 / This alert has ended; your answer was still recorded."


def _answer_page(message: str) -> str:
    return (
        '<!doctype html><html lang="ja"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>安否確認</title><body><p>{message}</p></body></html>"
    )


# Messengers fetch a link to draw its preview; that fetch is not the person tapping it.
PREVIEW_AGENTS = (
    "line-poker",
    "linespider",
    "facebookexternalhit",
    "slackbot",
    "twitterbot",
    "whatsapp",
    "telegrambot",
    "discordbot",
    "skypeuripreview",
    "google-pagerenderer",
)


def _record_link(token: str, answer_text: str, service: Any, user_agent: str = "") -> HTMLResponse:
    if any(agent in user_agent.lower() for agent in PREVIEW_AGENTS):
        return HTMLResponse(_answer_page("安否確認 / Safety check"))
    try:
        alert, answer = service.disaster.answer_link(token, answer_text)
    except InvalidAnswerLink:
        return HTMLResponse(_answer_page("このリンクは無効です / This link is not valid."), status_code=404)
    except DisasterNotFound:
        return HTMLResponse(_answer_page("この通知は削除されました / This alert no longer exists."), status_code=404)
    if alert.state not in ACTIVE_STATES:
        # still recorded: who needs help matters to the ward after the warning has ended too
        return HTMLResponse(_answer_page(f"{_ENDED}<br>{_THANKS[answer]}"))
    return HTMLResponse(_answer_page(_THANKS[answer]))


@public_router.get("/safety/{token}/{answer}", response_class=HTMLResponse)
def answer_by_link(token: str, answer: str, request: Request, service: ServiceDep) -> HTMLResponse:
    """Record a one-tap safety answer (…/safe 無事です, …/need_help 助けが必要) from a signed link.

    Link previews record nothing.
    """
    return _record_link(token, answer, service, request.headers.get("user-agent", ""))


@public_router.post("/safety/{token}/{answer}", response_class=HTMLResponse)
def answer_by_link_post(token: str, answer: str, service: ServiceDep) -> HTMLResponse:
    """The same answer, for clients that POST (the app's notification actions)."""
    return _record_link(token, answer, service)
