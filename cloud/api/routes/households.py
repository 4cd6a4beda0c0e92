"""Households, their watch settings and their contacts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from cloud.api.deps import STAFF, WATCHERS, ScopeDep, ServiceDep, SessionDep, allow
from cloud.api.schemas import (
    ContactCreate,
    ContactOut,
    DeviceOut,
    HouseholdCreate,
    HouseholdOut,
    PersonOut,
    WatchSettingsOut,
    WatchSettingsPatch,
)
from cloud.auth import Principal, audit_now
from cloud.db.models import Alert, Contact, Device, Gateway, Household
from cloud.provisioning import (
    AlreadyExists,
    NotFound,
    ProvisioningError,
    WatchSettingsChange,
    add_contact,
    add_household,
    change_watch_settings,
)

router = APIRouter(prefix="/households", tags=["households"])
_WATCHERS = Depends(allow(*WATCHERS))


def _household_out(household: Household, open_alerts: int) -> HouseholdOut:
    return HouseholdOut(
        id=household.id,
        name=household.name,
        address=household.address,
        lat=household.lat,
        lon=household.lon,
        ward_code=household.ward_code,
        people=[PersonOut.model_validate(person) for person in household.people],
        gateway_ids=sorted(gateway.id for gateway in household.gateways),
        watch=WatchSettingsOut(
            inactivity_day_hours=household.inactivity_day_hours,
            inactivity_night_cap_hours=household.inactivity_night_cap_hours,
            night_start=household.night_start,
            night_end=household.night_end,
            timezone=household.timezone,
        ),
        open_alerts=open_alerts,
        created_at=household.created_at,
    )


def _contact_out(contact: Contact) -> ContactOut:
    return ContactOut(
        id=contact.id,
        household_id=contact.household_id,
        name=contact.name,
        role=contact.role,
        relation=contact.relation,
        language=contact.language,
        priority=contact.priority,
        active=contact.active,
        channels=[channel.apprise_url.split("://", 1)[0] for channel in contact.channels],
    )


def _open_alert_counts(session: Session, household_ids: list[str] | None = None) -> dict[str, int]:
    query = select(Alert.household_id, func.count()).where(Alert.state != "resolved").group_by(Alert.household_id)
    if household_ids is not None:
        query = query.where(Alert.household_id.in_(household_ids))
    return {row[0]: row[1] for row in session.execute(query)}


def load_household(session: Session, household_id: str) -> Household:
    """Return a household with its people and gateways; 404 when there is none."""
    household = session.scalar(
        select(Household)
        .where(Household.id == household_id)
        .options(selectinload(Household.people), selectinload(Household.gateways))
    )
    if household is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"household {household_id!r} not found")
    return household


@router.get("", response_model=list[HouseholdOut], dependencies=[_WATCHERS])
def list_households(session: SessionDep, scope: ScopeDep) -> list[HouseholdOut]:
    """List every household watched over (that the caller may see), with its open alert count."""
    query = (
        select(Household)
        .options(selectinload(Household.people), selectinload(Household.gateways))
        .order_by(Household.id)
    )
    households = session.scalars(scope.restrict(query, Household.id)).all()
    counts = _open_alert_counts(session)
    return [_household_out(household, counts.get(household.id, 0)) for household in households]


@router.get("/{household_id}", response_model=HouseholdOut, dependencies=[_WATCHERS])
def get_household(household_id: str, session: SessionDep, scope: ScopeDep) -> HouseholdOut:
    """Show one household."""
    household = load_household(session, household_id)
    return _household_out(household, _open_alert_counts(session, [household_id]).get(household_id, 0))


@router.post("", response_model=HouseholdOut, status_code=status.HTTP_201_CREATED)
def create_household(
    body: HouseholdCreate,
    service: ServiceDep,
    session: SessionDep,
    scope: ScopeDep,
    principal: Annotated[Principal, Depends(allow(*STAFF))],
) -> HouseholdOut:
    """Register a household (and the person living there)."""
    try:
        add_household(
            service.sessions,
            household_id=body.id,
            name=body.name,
            address=body.address,
            lat=body.lat,
            lon=body.lon,
            person_name=body.person_name,
            person_language=body.person_language,
            clock=service.clock,
        )
    except AlreadyExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except ProvisioningError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    audit_now(
        service.sessions, at=service.clock.now(), actor=principal.actor, action="household.created", target=body.id
    )
    service.refresh_households()
    return _household_out(load_household(session, body.id), 0)


@router.patch("/{household_id}/watch", response_model=HouseholdOut)
def patch_watch_settings(
    household_id: str,
    body: WatchSettingsPatch,
    service: ServiceDep,
    session: SessionDep,
    scope: ScopeDep,
    principal: Annotated[Principal, Depends(allow(*STAFF))],
) -> HouseholdOut:
    """Change a household's watch settings (inactivity thresholds, night hours, time zone)."""
    try:
        change_watch_settings(
            service.sessions,
            household_id=household_id,
            change=WatchSettingsChange(**body.model_dump(exclude_unset=True)),
        )
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    audit_now(
        service.sessions,
        at=service.clock.now(),
        actor=principal.actor,
        action="household.watch_changed",
        target=household_id,
        **body.model_dump(exclude_unset=True, mode="json"),
    )
    service.refresh_households()
    return get_household(household_id, session, scope)


@router.get("/{household_id}/contacts", response_model=list[ContactOut], dependencies=[_WATCHERS])
def list_contacts(household_id: str, session: SessionDep, scope: ScopeDep) -> list[ContactOut]:
    """List the people notified about a household, in the order they are tried."""
    load_household(session, household_id)
    contacts = session.scalars(
        select(Contact)
        .where(Contact.household_id == household_id)
        .options(selectinload(Contact.channels))
        .order_by(Contact.priority, Contact.id)
    )
    return [_contact_out(contact) for contact in contacts]


@router.post("/{household_id}/contacts", response_model=ContactOut, status_code=status.HTTP_201_CREATED)
def create_contact(
    household_id: str,
    body: ContactCreate,
    service: ServiceDep,
    session: SessionDep,
    scope: ScopeDep,
    principal: Annotated[Principal, Depends(allow(*STAFF))],
) -> ContactOut:
    """Add a contact with the apprise URLs to reach them."""
    try:
        contact_id = add_contact(
            service.sessions,
            household_id=household_id,
            name=body.name,
            role=body.role,
            relation=body.relation,
            language=body.language,
            channels=body.channels,
            priority=body.priority,
        )
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except ProvisioningError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    audit_now(
        service.sessions,
        at=service.clock.now(),
        actor=principal.actor,
        action="contact.created",
        target=f"contact/{contact_id}",
        household_id=household_id,
    )
    contact = session.scalar(select(Contact).where(Contact.id == contact_id).options(selectinload(Contact.channels)))
    assert contact is not None
    return _contact_out(contact)


@router.get("/{household_id}/devices", response_model=list[DeviceOut], dependencies=[_WATCHERS])
def list_household_devices(household_id: str, session: SessionDep, scope: ScopeDep) -> list[DeviceOut]:
    """List the devices behind a household's gateways."""
    load_household(session, household_id)
    devices = session.scalars(
        select(Device)
        .join(Gateway, Gateway.id == Device.gateway_id)
        .where(Gateway.household_id == household_id)
        .order_by(Device.gateway_id, Device.device_id)
    )
    return [DeviceOut.model_validate(device) for device in devices]
