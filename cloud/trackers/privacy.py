"""Who may see where a person is (APPI): the privacy gate of every location read, and its audit.

Caseworkers and admins see the trackers of the households in their scope, by role. Family
members see a person's location only while an alert about that person is open (not an
equipment alert), or while a recorded, unexpired consent covers them. Installers never do.
Every decision, allowed or refused, is written to the audit log: who, whom, when, why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alerts.signals import DEVICE_RULES
from cloud.auth import Principal, Role, audit
from cloud.db.models import Alert
from cloud.db.trackers import LocationConsent, Tracker

STAFF_ROLES = frozenset({Role.ADMIN, Role.CASEWORKER})


@dataclass(frozen=True, slots=True)
class LocationAccess:
    """The gate's decision: allowed or not, why, and the open alerts that justify it."""

    allowed: bool
    reason: str  # role | open_alert | consent | no_open_alert | role_refused
    alert_ids: tuple[int, ...] = ()


def open_person_alerts(session: Session, household_id: str) -> list[int]:
    """Return the unresolved alerts about the person of a household (equipment alerts excluded)."""
    device_rules = sorted(rule.value for rule in DEVICE_RULES)
    return list(
        session.scalars(
            select(Alert.id)
            .where(Alert.household_id == household_id, Alert.state != "resolved", Alert.rule.not_in(device_rules))
            .order_by(Alert.id)
        )
    )


def has_consent(session: Session, tracker: Tracker, principal: Principal, now: datetime) -> bool:
    """Tell whether a recorded consent lets this user see the tracker now."""
    row = session.scalar(
        select(LocationConsent.id).where(
            LocationConsent.tracker_id == tracker.id,
            LocationConsent.revoked_at.is_(None),
            or_(LocationConsent.expires_at.is_(None), LocationConsent.expires_at > now),
            or_(LocationConsent.user_id.is_(None), LocationConsent.user_id == principal.user_id),
        )
    )
    return row is not None


def location_access(session: Session, tracker: Tracker, principal: Principal, now: datetime) -> LocationAccess:
    """Decide whether `principal` may see the location of `tracker` now (scope is checked before)."""
    alerts = tuple(open_person_alerts(session, tracker.household_id))
    if principal.role in STAFF_ROLES:
        return LocationAccess(True, "role", alerts)
    if principal.role is not Role.FAMILY:
        return LocationAccess(False, "role_refused", alerts)
    if alerts:
        return LocationAccess(True, "open_alert", alerts)
    if has_consent(session, tracker, principal, now):
        return LocationAccess(True, "consent", alerts)
    return LocationAccess(False, "no_open_alert", alerts)


def audit_location_view(
    session: Session, *, tracker: Tracker, principal: Principal, access: LocationAccess, now: datetime
) -> None:
    """Write who asked for whose location, when, and the decision (committed with the caller)."""
    audit(
        session,
        at=now,
        actor=principal.actor,
        action="location.view" if access.allowed else "location.refused",
        target=f"tracker:{tracker.id}",
        household_id=tracker.household_id,
        person_id=tracker.person_id,
        role=principal.role.value,
        reason=access.reason,
        alert_ids=list(access.alert_ids),
    )
