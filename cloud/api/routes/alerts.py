"""Alerts: list and show them, acknowledge, resolve, assign them and add notes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy import select

from cloud.alerting import AlertNotFound, AlertStateError
from cloud.api.deps import INTEGRATION_ACTOR, STAFF, WATCHERS, ScopeDep, ServiceDep, SessionDep, allow
from cloud.api.schemas import AlertAction, AlertAssign, AlertNoteCreate, AlertNoteOut, AlertOut
from cloud.auth import AlertNote, Principal, audit
from cloud.db.models import Alert

router = APIRouter(prefix="/alerts", tags=["alerts"])

AlertState = Literal["open", "acknowledged", "resolved", "active"]


def _actor(principal: Principal, body: AlertAction | None) -> str:
    """Return the name shown to others: the logged-in user's, or the integration's own claim."""
    if principal.via == "integration" or principal.user_id is None:
        return body.by if body is not None and body.by else INTEGRATION_ACTOR
    return principal.actor


@router.get("", response_model=list[AlertOut], dependencies=[Depends(allow(*WATCHERS))])
def list_alerts(
    session: SessionDep,
    scope: ScopeDep,
    state: Annotated[AlertState | None, Query(description="'active' means open or acknowledged.")] = None,
    household_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AlertOut]:
    """List alerts, newest first."""
    query = select(Alert).order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(limit)
    query = scope.restrict(query, Alert.household_id)
    if state == "active":
        query = query.where(Alert.state != "resolved")
    elif state is not None:
        query = query.where(Alert.state == state)
    if household_id is not None:
        query = query.where(Alert.household_id == household_id)
    return [AlertOut.model_validate(alert) for alert in session.scalars(query)]


@router.get("/{alert_id}", response_model=AlertOut, dependencies=[Depends(allow(*WATCHERS))])
def get_alert(alert_id: int, session: SessionDep, scope: ScopeDep) -> AlertOut:
    """Show one alert."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"alert {alert_id} not found")
    return AlertOut.model_validate(alert)


@router.post("/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge_alert(
    alert_id: int,
    service: ServiceDep,
    scope: ScopeDep,
    principal: Annotated[Principal, Depends(allow(*WATCHERS))],
    body: AlertAction | None = None,
) -> AlertOut:
    """Acknowledge an open alert: someone is taking care of it; escalation stops."""
    try:
        alert = service.lifecycle.acknowledge(alert_id, by=_actor(principal, body))
    except AlertNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc) or f"alert {alert_id} not found") from None
    except AlertStateError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return AlertOut.model_validate(alert)


@router.post("/{alert_id}/resolve", response_model=AlertOut)
def resolve_alert(
    alert_id: int,
    service: ServiceDep,
    scope: ScopeDep,
    principal: Annotated[Principal, Depends(allow(*STAFF))],
    body: AlertAction | None = None,
) -> AlertOut:
    """Resolve an alert: the situation is over."""
    try:
        alert = service.lifecycle.resolve(alert_id, by=_actor(principal, body))
    except AlertNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc) or f"alert {alert_id} not found") from None
    except AlertStateError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return AlertOut.model_validate(alert)


def _add_note(
    session: SessionDep, service: ServiceDep, *, alert_id: int, kind: str, text: str, author: str
) -> AlertNote:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"alert {alert_id} not found")
    now = service.clock.now()
    note = AlertNote(alert_id=alert_id, kind=kind, text=text, author=author, at=now)
    session.add(note)
    # touching the alert lets the live stream carry the change to every console
    alert.updated_at = now
    audit(session, at=now, actor=author, action=f"alert.{kind}", target=f"alert/{alert_id}", text=text[:200])
    session.commit()
    return note


@router.post("/{alert_id}/assign", response_model=AlertNoteOut, status_code=status.HTTP_201_CREATED)
def assign_alert(
    alert_id: int,
    body: AlertAssign,
    service: ServiceDep,
    session: SessionDep,
    scope: ScopeDep,
    principal: Annotated[Principal, Depends(allow(*STAFF))],
) -> AlertNoteOut:
    """Assign an alert to a caseworker (shown on the alert in every console)."""
    note = _add_note(session, service, alert_id=alert_id, kind="assign", text=body.to, author=_actor(principal, None))
    return AlertNoteOut.model_validate(note)


@router.get("/{alert_id}/notes", response_model=list[AlertNoteOut], dependencies=[Depends(allow(*WATCHERS))])
def list_alert_notes(alert_id: int, session: SessionDep, scope: ScopeDep) -> list[AlertNoteOut]:
    """List the notes and assignments of an alert, oldest first."""
    notes = session.scalars(select(AlertNote).where(AlertNote.alert_id == alert_id).order_by(AlertNote.id))
    return [AlertNoteOut.model_validate(note) for note in notes]


@router.post("/{alert_id}/notes", response_model=AlertNoteOut, status_code=status.HTTP_201_CREATED)
def add_alert_note(
    alert_id: int,
    body: AlertNoteCreate,
    service: ServiceDep,
    session: SessionDep,
    scope: ScopeDep,
    principal: Annotated[Principal, Depends(allow(*WATCHERS))],
) -> AlertNoteOut:
    """Add a note to an alert ("called her, she is fine")."""
    note = _add_note(session, service, alert_id=alert_id, kind="note", text=body.text, author=_actor(principal, None))
    return AlertNoteOut.model_validate(note)
