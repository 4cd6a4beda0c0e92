"""Residents' devices: register (no account, no name), change, delete; live location; alerts and answers.

A device proves itself with the bearer token it got at registration (`CurrentResidentDevice`)
and sees only itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from alerts.disaster import Language, SafetyAnswer, pick_language
from cloud.api.deps import ServiceDep
from cloud.auth import Principal, Role
from cloud.db.disaster import ResidentDevice
from cloud.disaster import DEVICE_TOKEN_PREFIX, DeviceChange, DisasterError, DisasterNotFound

router = APIRouter(prefix="/residents", tags=["residents"])

_device_bearer = HTTPBearer(
    auto_error=False, description=f"The device token ({DEVICE_TOKEN_PREFIX}…) from registration."
)


def current_resident_device(
    service: ServiceDep,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_device_bearer)],
) -> int:
    """Return the id of the device whose token the request carries; 401 otherwise."""
    device_id = service.disaster.device_for_token(credentials.credentials) if credentials else None
    if device_id is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing or unknown device token", {"WWW-Authenticate": "Bearer"}
        )
    request.state.resident_device_id = device_id
    return device_id


CurrentResidentDevice = Annotated[int, Depends(current_resident_device)]


def resident_principal(request: Request, token: str) -> Principal | None:
    """Resolve a device token for the shared guard: a resident who sees no household (register under the prefix)."""
    device_id = request.app.state.service.disaster.device_for_token(token)
    if device_id is None:
        return None
    return Principal(
        actor=f"device:{device_id}",
        role=Role.RESIDENT,
        household_ids=frozenset(),
        device_id=str(device_id),
        via="device",
    )


LanguageCode = Literal["ja", "ja-easy", "en", "zh-Hans", "ko"]


class Point(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class DeviceIn(BaseModel):
    """What a resident registers: all optional but the language; at least one way to be reached is wise."""

    language: LanguageCode = "ja"
    home: Point | None = None
    live_opt_in: bool = False
    webpush: dict[str, Any] | None = Field(default=None, description="The browser's PushSubscription JSON.")
    apprise_urls: list[str] = Field(default_factory=list, max_length=5)


class DeviceChangeIn(BaseModel):
    """A change; fields left out stay. `home: null` or `webpush: null` removes them."""

    language: LanguageCode | None = None
    home: Point | None = None
    live_opt_in: bool | None = None
    webpush: dict[str, Any] | None = None
    apprise_urls: list[str] | None = Field(default=None, max_length=5)


class DeviceOut(BaseModel):
    id: int
    language: str
    home: Point | None
    live_opt_in: bool
    live: Point | None
    live_at: datetime | None
    webpush: bool
    apprise_urls: int


class RegisteredOut(BaseModel):
    token: str = Field(description="Keep it: it is shown once and is the only key to this device.")
    device: DeviceOut


class ResidentAlertOut(BaseModel):
    alert_id: int
    state: str
    active: bool = Field(description="In force: not expired and not cancelled.")
    expires_at: datetime | None
    hazard: str
    title: str
    body: str
    shelter: str | None
    shelter_distance_m: int | None = Field(description="Metres to the shelter, rounded to 10 m as the text says it.")
    shelter_distance_text: str | None = Field(description="The distance as the text says it: 約140m, about 140 m.")
    map_link: str | None
    answer: str | None
    updated_at: datetime


class NearestShelterOut(BaseModel):
    """The nearest suitable shelter to the device's home, with the distance as alert texts say it."""

    shelter: str
    distance_m: int = Field(description="Metres in a straight line, rounded to 10 m.")
    distance_text: str = Field(description="In the device's language: 約140m, about 140 m.")
    map_link: str


class AnswerIn(BaseModel):
    answer: Literal["safe", "need_help"]


def _out(device: ResidentDevice) -> DeviceOut:
    home = (
        Point(lat=device.home_lat, lon=device.home_lon)
        if device.home_lat is not None and device.home_lon is not None
        else None
    )
    live = (
        Point(lat=device.live_lat, lon=device.live_lon)
        if device.live_lat is not None and device.live_lon is not None
        else None
    )
    return DeviceOut(
        id=device.id,
        language=device.language,
        home=home,
        live_opt_in=device.live_opt_in,
        live=live,
        live_at=device.live_at,
        webpush=device.webpush is not None,
        apprise_urls=len(device.apprise_urls or []),
    )


def _refuse(exc: Exception) -> HTTPException:
    if isinstance(exc, DisasterNotFound):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))
    return HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc))


@router.post("/devices", response_model=RegisteredOut, status_code=status.HTTP_201_CREATED)
def register(body: DeviceIn, service: ServiceDep) -> RegisteredOut:
    """Register a device for disaster alerts; returns its token (no account, no name)."""
    desk = service.disaster
    try:
        device_id, token = desk.register_device(
            DeviceChange(
                language=body.language,
                home=None if body.home is None else (body.home.lat, body.home.lon),
                live_opt_in=body.live_opt_in,
                webpush=body.webpush,
                apprise_urls=tuple(body.apprise_urls),
            )
        )
    except DisasterError as exc:
        raise _refuse(exc) from None
    return RegisteredOut(token=token, device=_out(desk.device(device_id)))


@router.get("/devices/me", response_model=DeviceOut)
def show(device_id: CurrentResidentDevice, service: ServiceDep) -> DeviceOut:
    """Show what this device registered."""
    return _out(service.disaster.device(device_id))


@router.patch("/devices/me", response_model=DeviceOut)
def change(body: DeviceChangeIn, device_id: CurrentResidentDevice, service: ServiceDep) -> DeviceOut:
    """Change the language, home, live-location consent or how the device is reached."""
    given = body.model_fields_set
    try:
        device = service.disaster.change_device(
            device_id,
            DeviceChange(
                language=body.language,
                home=None if body.home is None else (body.home.lat, body.home.lon),
                clear_home="home" in given and body.home is None,
                live_opt_in=body.live_opt_in,
                webpush=body.webpush,
                clear_webpush="webpush" in given and body.webpush is None,
                apprise_urls=None if body.apprise_urls is None else tuple(body.apprise_urls),
            ),
        )
    except (DisasterError, DisasterNotFound) as exc:
        raise _refuse(exc) from None
    return _out(device)


@router.delete("/devices/me", status_code=status.HTTP_204_NO_CONTENT)
def delete(device_id: CurrentResidentDevice, service: ServiceDep) -> None:
    """Delete this device and everything about it."""
    service.disaster.delete_device(device_id)


@router.put("/devices/me/location", status_code=status.HTTP_204_NO_CONTENT)
def live_location(body: Point, device_id: CurrentResidentDevice, service: ServiceDep) -> None:
    """Report where the device is now (only after opting in to live location)."""
    try:
        service.disaster.set_live_location(device_id, body.lat, body.lon)
    except DisasterError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


@router.get("/devices/me/alerts", response_model=list[ResidentAlertOut])
def my_alerts(device_id: CurrentResidentDevice, service: ServiceDep) -> list[ResidentAlertOut]:
    """The alerts that reached this device, newest first, in its language."""
    from alerts.disaster import compose, rounded_distance_m
    from cloud.disaster import ACTIVE_STATES, content_of, shelter_choice

    desk = service.disaster
    language = pick_language(desk.device(device_id).language)
    found = []
    for alert, recipient in desk.device_alerts(device_id):
        shelter = shelter_choice(recipient)
        message = compose(content_of(alert), Language(language), shelter=shelter)
        found.append(
            ResidentAlertOut(
                alert_id=alert.id,
                state=alert.state,
                active=alert.state in ACTIVE_STATES,
                expires_at=alert.expires_at,
                hazard=alert.hazard,
                title=message.title,
                body=message.body,
                shelter=recipient.shelter_name,
                # the one distance the resident sees: the card shows what the text says
                shelter_distance_m=rounded_distance_m(shelter.distance_m) if shelter else None,
                shelter_distance_text=message.shelter_distance,
                map_link=message.map_link,
                answer=recipient.answer,
                updated_at=alert.updated_at,
            )
        )
    return found


@router.get("/devices/me/shelter", response_model=NearestShelterOut)
def nearest_shelter(
    device_id: CurrentResidentDevice, service: ServiceDep, hazard: str | None = None
) -> NearestShelterOut:
    """The nearest shelter to this device's home (suited to `hazard` when given), measured as alerts measure it."""
    from alerts.disaster import ShelterFinder, distance_phrase, parse_hazard, rounded_distance_m

    device = service.disaster.device(device_id)
    if device.home_lat is None or device.home_lon is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this device has no home location")
    try:
        finder = ShelterFinder(None if hazard is None else parse_hazard(hazard))
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    choice = finder.nearest(device.home_lat, device.home_lon)
    if choice is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no suitable shelter")
    return NearestShelterOut(
        shelter=choice.shelter.name,
        distance_m=rounded_distance_m(choice.distance_m),
        distance_text=distance_phrase(choice.distance_m, pick_language(device.language)),
        map_link=choice.map_link,
    )


@router.post("/devices/me/alerts/{disaster_id}/answer", status_code=status.HTTP_204_NO_CONTENT)
def answer(disaster_id: int, body: AnswerIn, device_id: CurrentResidentDevice, service: ServiceDep) -> None:
    """Answer 無事です (safe) or 助けが必要 (need_help) from the app."""
    desk = service.disaster
    try:
        recipient_id = desk.device_recipient(disaster_id, device_id)
        desk.answer(disaster_id, recipient_id, SafetyAnswer(body.answer), source="app")
    except DisasterNotFound as exc:
        raise _refuse(exc) from None
