"""The notification delivery log: every message to a contact and every attempt to send it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cloud.api.deps import STAFF, ScopeDep, SessionDep, allow
from cloud.api.schemas import NotificationOut
from cloud.db.models import Alert, Notification

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("", response_model=list[NotificationOut], dependencies=[Depends(allow(*STAFF))])
def list_notifications(
    session: SessionDep,
    scope: ScopeDep,
    alert_id: int | None = None,
    household_id: str | None = None,
    state: Literal["pending", "sent", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[NotificationOut]:
    """List notifications with their delivery attempts, newest first."""
    query = (
        select(Notification)
        .options(selectinload(Notification.attempts_log))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    if scope.household_ids is not None:
        query = scope.restrict(query.join(Alert, Alert.id == Notification.alert_id), Alert.household_id)
    if alert_id is not None:
        query = query.where(Notification.alert_id == alert_id)
    if household_id is not None:
        if scope.household_ids is None:
            query = query.join(Alert, Alert.id == Notification.alert_id)
        query = query.where(Alert.household_id == household_id)
    if state is not None:
        query = query.where(Notification.state == state)
    return [NotificationOut.model_validate(notification) for notification in session.scalars(query)]
