"""Alerts: list and show them, acknowledge and resolve them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select

from cloud.alerting import AlertNotFound, AlertStateError
from cloud.api.deps import ServiceDep, SessionDep
from cloud.api.schemas import AlertAction, AlertOut
from cloud.db.models import Alert

router = APIRouter(prefix="/alerts", tags=["alerts"])

AlertState = Literal["open", "acknowledged", "resolved", "active"]


@router.get("", response_model=list[AlertOut])
def list_alerts(
    session: SessionDep,
    state: Annotated[AlertState | None, Query(description="'active' means open or acknowledged.")] = None,
    household_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AlertOut]:
    """List alerts, newest first."""
    query = select(Alert).order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(limit)
    if state == "active":
        query = query.where(Alert.state != "resolved")
    elif state is not None:
        query = query.where(Alert.state == state)
    if household_id is not None:
        query = query.where(Alert.household_id == household_id)
    return [AlertOut.model_validate(alert) for alert in session.scalars(query)]


@router.get("/{alert_id}", response_model=AlertOut)
def get_alert(alert_id: int, session: SessionDep) -> AlertOut:
    """Show one alert."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"alert {alert_id} not found")
    return AlertOut.model_validate(alert)


@router.post("/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge_alert(alert_id: int, body: AlertAction, service: ServiceDep) -> AlertOut:
    """Acknowledge an open alert: someone is taking care of it; escalation stops."""
    try:
        alert = service.lifecycle.acknowledge(alert_id, by=body.by)
    except AlertNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc) or f"alert {alert_id} not found") from None
    except AlertStateError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return AlertOut.model_validate(alert)


@router.post("/{alert_id}/resolve", response_model=AlertOut)
def resolve_alert(alert_id: int, body: AlertAction, service: ServiceDep) -> AlertOut:
    """Resolve an alert: the situation is over."""
    try:
        alert = service.lifecycle.resolve(alert_id, by=body.by)
    except AlertNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc) or f"alert {alert_id} not found") from None
    except AlertStateError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return AlertOut.model_validate(alert)
