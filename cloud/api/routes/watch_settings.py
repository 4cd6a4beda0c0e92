"""Watch rule settings per household (every threshold, escalation timing) and contacts' quiet hours."""

from __future__ import annotations

import dataclasses
from datetime import time
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from cloud.api.deps import STAFF, WATCHERS, PrincipalDep, ServiceDep, SessionDep, allow, contact_to_change
from cloud.db.models import AuditEntry, Household
from cloud.db.watch import ContactQuietHours
from cloud.watch_settings import (
    DEFAULTS,
    WatchSettingsError,
    change_overrides,
    household_settings,
    overrides_of,
    validate_changes,
)

router = APIRouter(tags=["watch settings"])


class WatchRulesOut(BaseModel):
    household_id: str
    settings: dict[str, Any] = Field(description="The settings the rules use now: defaults, then the household's own.")
    overrides: dict[str, Any] = Field(description="Only what this household changed from the defaults.")
    defaults: dict[str, Any]


class QuietHoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: time = Field(description="Local time (Asia/Tokyo) quiet hours begin, e.g. 22:00.")
    end: time = Field(description="Local time they end, e.g. 07:00.")
    mode: Literal["hold", "next"] = Field(
        default="hold", description="hold: send low-severity alerts when they end; next: tell the next contact."
    )


class QuietHoursOut(QuietHoursIn):
    contact_id: int


def _jsonable(settings: Any) -> dict[str, Any]:
    values = dataclasses.asdict(settings)
    return {
        name: value.strftime("%H:%M") if isinstance(value, time) else list(value) if isinstance(value, tuple) else value
        for name, value in values.items()
    }


def _rules_out(session: SessionDep, household: Household, service: ServiceDep) -> WatchRulesOut:
    effective = household_settings(session, household, gateway_offline_after_s=service.settings.gateway_offline_after_s)
    return WatchRulesOut(
        household_id=household.id,
        settings=_jsonable(effective),
        overrides=overrides_of(session, household.id),
        defaults=_jsonable(DEFAULTS),
    )


def _household(session: SessionDep, household_id: str) -> Household:
    household = session.get(Household, household_id)
    if household is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"household {household_id!r} not found")
    return household


@router.get(
    "/households/{household_id}/watch-rules",
    response_model=WatchRulesOut,
    dependencies=[Depends(allow(*WATCHERS))],
)
def read_watch_rules(household_id: str, session: SessionDep, service: ServiceDep) -> WatchRulesOut:
    """Show the rule thresholds a household is watched with, and which of them it changed."""
    return _rules_out(session, _household(session, household_id), service)


@router.patch(
    "/households/{household_id}/watch-rules",
    response_model=WatchRulesOut,
    dependencies=[Depends(allow(*STAFF))],
)
def change_watch_rules(
    household_id: str, body: dict[str, Any], session: SessionDep, service: ServiceDep, principal: PrincipalDep
) -> WatchRulesOut:
    """Change some rule thresholds of a household (null puts one back to its default)."""
    household = _household(session, household_id)
    try:
        changes = validate_changes({name: value for name, value in body.items() if value is not None})
    except WatchSettingsError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from exc
    changes.update({name: None for name, value in body.items() if value is None})
    now = service.clock.now()
    change_overrides(session, household_id, changes, by=principal.actor, now=now)
    session.add(
        AuditEntry(
            at=now,
            actor=principal.actor,
            action="watch_rules.changed",
            target=f"household/{household_id}",
            detail={"changes": changes},
        )
    )
    session.commit()
    service.refresh_households()
    return _rules_out(session, household, service)


@router.put(
    "/contacts/{contact_id}/quiet-hours",
    response_model=QuietHoursOut,
    dependencies=[Depends(allow(*WATCHERS))],
)
def set_quiet_hours(contact_id: int, body: QuietHoursIn, session: SessionDep, principal: PrincipalDep) -> QuietHoursOut:
    """Set when a contact gets no low-severity alerts (emergencies and 危険 always go through)."""
    contact_to_change(session, contact_id, principal)
    row = session.get(ContactQuietHours, contact_id) or ContactQuietHours(contact_id=contact_id)
    row.start, row.end, row.mode = body.start.strftime("%H:%M"), body.end.strftime("%H:%M"), body.mode
    session.add(row)
    session.commit()
    return QuietHoursOut(contact_id=contact_id, start=body.start, end=body.end, mode=body.mode)


@router.delete(
    "/contacts/{contact_id}/quiet-hours",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Depends(allow(*WATCHERS))],
)
def clear_quiet_hours(contact_id: int, session: SessionDep, principal: PrincipalDep) -> None:
    """Remove a contact's quiet hours: every alert reaches them at once again."""
    contact_to_change(session, contact_id, principal)
    row = session.get(ContactQuietHours, contact_id)
    if row is not None:
        session.delete(row)
        session.commit()
