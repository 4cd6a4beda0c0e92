"""Provisioning: households, the people watched, gateways and contacts; used by CLI, API, demo and tests.

Every function runs in its own transaction and raises ProvisioningError subclasses for the
caller to turn into an exit code or an HTTP status. After changes, call
``CloudService.refresh_households()`` so a running service sees them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.signals import WatchSettings
from cloud.db.models import Contact, ContactChannel, Gateway, Household, Person
from cloud.db.session import Sessions
from protocol import Clock, SystemClock, is_valid_gateway_id

CONTACT_ROLES = frozenset({"family", "caseworker", "installer", "oncall"})


class ProvisioningError(ValueError):
    """A provisioning request that cannot be carried out."""


class NotFound(ProvisioningError):
    """The household (or other parent) named does not exist."""


class AlreadyExists(ProvisioningError):
    """Something with that id is already registered."""


@dataclass(frozen=True, slots=True)
class WatchSettingsChange:
    """A partial change of a household's watch settings; None keeps the current value."""

    inactivity_day_hours: float | None = None
    inactivity_night_cap_hours: float | None = None
    night_start: time | None = None
    night_end: time | None = None
    timezone: str | None = None


def format_hhmm(moment: time) -> str:
    """Return a time of day as HH:MM, the form households store it in."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def parse_hhmm(text: str) -> time:
    """Parse HH:MM into a time of day, or raise ValueError."""
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes))


def _household(session: Session, household_id: str) -> Household:
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound(f"household {household_id!r} does not exist")
    return household


def add_household(
    sessions: Sessions,
    *,
    household_id: str,
    name: str,
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
    person_name: str | None = None,
    person_language: str = "ja",
    settings: WatchSettings | None = None,
    clock: Clock | None = None,
) -> str:
    """Register a household (and, when named, the person living there); return its id."""
    settings = settings or WatchSettings()
    if not household_id or len(household_id) > 64:
        raise ProvisioningError("household id must be 1 to 64 characters")
    with sessions.begin() as session:
        if session.get(Household, household_id) is not None:
            raise AlreadyExists(f"household {household_id!r} already exists")
        household = Household(
            id=household_id,
            name=name,
            address=address,
            lat=lat,
            lon=lon,
            timezone=settings.timezone,
            inactivity_day_hours=settings.inactivity_day_hours,
            inactivity_night_cap_hours=settings.inactivity_night_cap_hours,
            night_start=format_hhmm(settings.night_start),
            night_end=format_hhmm(settings.night_end),
            created_at=(clock or SystemClock()).now(),
        )
        session.add(household)
        if person_name:
            household.people.append(Person(name=person_name, language=person_language, notes=""))
    return household_id


def add_person(sessions: Sessions, *, household_id: str, name: str, language: str = "ja", notes: str = "") -> int:
    """Add a person watched over to a household; return the person's id."""
    with sessions.begin() as session:
        _household(session, household_id)
        person = Person(household_id=household_id, name=name, language=language, notes=notes)
        session.add(person)
        session.flush()
        return person.id


def add_gateway(
    sessions: Sessions,
    *,
    gateway_id: str,
    household_id: str | None,
    label: str = "",
    clock: Clock | None = None,
) -> str:
    """Register a gateway so its messages are accepted; return its id."""
    if not is_valid_gateway_id(gateway_id):
        raise ProvisioningError(f"invalid gateway id {gateway_id!r}: 3-64 of a-z, 0-9, - and _")
    with sessions.begin() as session:
        if household_id is not None:
            _household(session, household_id)
        if session.get(Gateway, gateway_id) is not None:
            raise AlreadyExists(f"gateway {gateway_id!r} already exists")
        session.add(
            Gateway(
                id=gateway_id,
                household_id=household_id,
                label=label,
                state="unknown",
                created_at=(clock or SystemClock()).now(),
            )
        )
    return gateway_id


def add_contact(
    sessions: Sessions,
    *,
    household_id: str,
    name: str,
    role: str = "family",
    language: str = "ja",
    channels: Sequence[str] = (),
    priority: int = 0,
    relation: str = "",
) -> int:
    """Add a contact notified about a household, with apprise URLs in the order to try; return its id."""
    if role not in CONTACT_ROLES:
        raise ProvisioningError(f"role must be one of {', '.join(sorted(CONTACT_ROLES))}, not {role!r}")
    urls = [url.strip() for url in channels if url.strip()]
    bad = [url for url in urls if "://" not in url]
    if bad:
        raise ProvisioningError(f"not an apprise URL: {bad[0]!r}")
    with sessions.begin() as session:
        _household(session, household_id)
        contact = Contact(
            household_id=household_id,
            name=name,
            role=role,
            relation=relation,
            language=language,
            priority=priority,
            active=True,
            channels=[
                ContactChannel(apprise_url=url, label=url.split("://", 1)[0], position=index)
                for index, url in enumerate(urls)
            ],
        )
        session.add(contact)
        session.flush()
        return contact.id


def change_watch_settings(sessions: Sessions, *, household_id: str, change: WatchSettingsChange) -> None:
    """Change some of a household's watch settings."""
    with sessions.begin() as session:
        household = _household(session, household_id)
        if change.inactivity_day_hours is not None:
            household.inactivity_day_hours = change.inactivity_day_hours
        if change.inactivity_night_cap_hours is not None:
            household.inactivity_night_cap_hours = change.inactivity_night_cap_hours
        if change.night_start is not None:
            household.night_start = format_hhmm(change.night_start)
        if change.night_end is not None:
            household.night_end = format_hhmm(change.night_end)
        if change.timezone is not None:
            household.timezone = change.timezone


def list_household_ids(sessions: Sessions) -> list[str]:
    """Return every household id, sorted."""
    with sessions() as session:
        return list(session.scalars(select(Household.id).order_by(Household.id)))
