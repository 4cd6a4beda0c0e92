"""The alert lifecycle: rule signals become alerts (open → acknowledged → resolved) and notifications.

A raise while the household already has an unresolved alert for that rule only updates it
(occurrences, facts): a person pressing the button five times, or a gateway flapping, must not
flood the family's phones. Notifications are written to the outbox in the same transaction as
the alert, and the notifier sends them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.messages import Purpose, compose
from alerts.routing import recipients
from alerts.signals import AlertSignal, RuleName, Severity
from cloud.db.models import Alert, AuditEntry, Contact, Household, Notification
from protocol import Clock

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system"
AUTO = "auto"
_SEVERITY_ORDER = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]


class AlertNotFound(LookupError):
    """No alert with that id."""


class AlertStateError(ValueError):
    """The alert is not in a state that allows this (e.g. acknowledging a resolved alert)."""


class AlertLifecycle:
    """Open, update, acknowledge and resolve alerts, and queue the notifications each step sends."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        clock: Clock,
        on_notification: Callable[[], None] | None = None,
        public_url: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._on_notification = on_notification
        self._public_url = public_url.rstrip("/") if public_url else None

    def apply(self, signals: Sequence[AlertSignal]) -> list[int]:
        """Turn rule signals into alert changes and notifications; return the ids of alerts touched."""
        if not signals:
            return []
        now = self._clock.now()
        touched: dict[int, None] = {}
        queued = 0
        with self._sessions() as session:
            for signal in signals:
                household = session.get(Household, signal.household_id)
                if household is None:
                    log.warning(
                        "signal %s/%s for unknown household %s skipped", signal.action, signal.rule, signal.household_id
                    )
                    continue
                alert: Alert | None
                try:
                    # one bad signal must not undo the others in the batch
                    with session.begin_nested():
                        if signal.action == "raise":
                            alert, count = self._raise(session, household, signal, now)
                        else:
                            alert, count = self._clear(session, household, signal, now)
                except Exception:
                    log.exception("signal %s %s for %s not applied", signal.action, signal.rule, signal.household_id)
                    continue
                if alert is not None:
                    touched[alert.id] = None
                queued += count
            session.commit()
        if queued:
            self._notify_outbox()
        return list(touched)

    def acknowledge(self, alert_id: int, *, by: str) -> Alert:
        """Record that `by` is taking care of an alert, and tell the other contacts notified."""
        now = self._clock.now()
        with self._sessions() as session:
            alert = self._get(session, alert_id)
            if alert.state == "resolved":
                raise AlertStateError(f"alert {alert_id} is already resolved")
            if alert.state == "acknowledged":
                raise AlertStateError(f"alert {alert_id} is already acknowledged by {alert.acknowledged_by}")
            alert.state = "acknowledged"
            alert.acknowledged_at = now
            alert.acknowledged_by = by
            alert.updated_at = now
            household = session.get_one(Household, alert.household_id)
            others = [contact for contact in _notified_contacts(session, alert) if contact.name != by]
            queued = self._queue(session, alert, household, others, purpose="acknowledged", now=now)
            _audit(session, now=now, actor=by, action="alert.acknowledged", alert=alert)
            result = _detached(session, alert)
        if queued:
            self._notify_outbox()
        return result

    def resolve(self, alert_id: int, *, by: str) -> Alert:
        """Close an alert because `by` says the situation is over, and tell the contacts notified."""
        now = self._clock.now()
        with self._sessions() as session:
            alert = self._get(session, alert_id)
            if alert.state == "resolved":
                raise AlertStateError(f"alert {alert_id} is already resolved")
            household = session.get_one(Household, alert.household_id)
            queued = self._close(session, alert, household, by=by, now=now)
            result = _detached(session, alert)
        if queued:
            self._notify_outbox()
        return result

    def _raise(self, session: Session, household: Household, signal: AlertSignal, now: datetime) -> tuple[Alert, int]:
        alert = _unresolved(session, household.id, signal.rule)
        if alert is not None:
            alert.occurrences += 1
            alert.updated_at = now
            alert.facts = {**alert.facts, **signal.facts}
            if _SEVERITY_ORDER.index(signal.severity) > _SEVERITY_ORDER.index(Severity(alert.severity)):
                alert.severity = signal.severity.value
            log.info(
                "alert %d (%s, %s) repeated, %d occurrences", alert.id, household.id, signal.rule, alert.occurrences
            )
            return alert, 0
        alert = Alert(
            household_id=household.id,
            rule=signal.rule.value,
            severity=signal.severity.value,
            state="open",
            facts=dict(signal.facts),
            occurrences=1,
            opened_at=signal.at,
            updated_at=now,
        )
        session.add(alert)
        session.flush()
        contacts = recipients(signal.rule, household.contacts)
        queued = self._queue(session, alert, household, contacts, purpose="opened", now=now)
        _audit(session, now=now, actor=SYSTEM_ACTOR, action="alert.opened", alert=alert, recipients=len(contacts))
        log.info("alert %d opened: %s at %s, %d contact(s) notified", alert.id, signal.rule, household.id, queued)
        if not contacts:
            log.warning("alert %d (%s, %s) has nobody to notify", alert.id, household.id, signal.rule)
        return alert, queued

    def _clear(
        self, session: Session, household: Household, signal: AlertSignal, now: datetime
    ) -> tuple[Alert | None, int]:
        alert = _unresolved(session, household.id, signal.rule)
        if alert is None:
            return None, 0
        alert.facts = {**alert.facts, **{f"cleared_{key}": value for key, value in signal.facts.items()}}
        return alert, self._close(session, alert, household, by=AUTO, now=now)

    def _close(self, session: Session, alert: Alert, household: Household, *, by: str, now: datetime) -> int:
        alert.state = "resolved"
        alert.resolved_at = now
        alert.resolved_by = by
        alert.updated_at = now
        notified = _notified_contacts(session, alert)
        if by != AUTO:
            notified = [contact for contact in notified if contact.name != by]
        queued = self._queue(session, alert, household, notified, purpose="resolved", now=now)
        _audit(session, now=now, actor=by, action="alert.resolved", alert=alert)
        log.info("alert %d resolved by %s", alert.id, by)
        return queued

    def _queue(
        self,
        session: Session,
        alert: Alert,
        household: Household,
        contacts: Iterable[Contact],
        *,
        purpose: Purpose,
        now: datetime,
    ) -> int:
        person_name = household.people[0].name if household.people else household.name
        url = f"{self._public_url}/alerts/{alert.id}" if self._public_url else None
        count = 0
        for contact in contacts:
            message = compose(
                purpose=purpose,
                rule=RuleName(alert.rule),
                severity=Severity(alert.severity),
                person_name=person_name,
                household_name=household.name,
                address=household.address,
                facts=alert.facts,
                opened_at=alert.opened_at,
                language=contact.language,
                acknowledged_by=alert.acknowledged_by,
                resolved_by=alert.resolved_by,
                alert_url=url,
            )
            session.add(
                Notification(
                    alert_id=alert.id,
                    contact_id=contact.id,
                    purpose=purpose,
                    language=contact.language,
                    title=message.title[:300],
                    body=message.body,
                    state="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            count += 1
        return count

    def _get(self, session: Session, alert_id: int) -> Alert:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise AlertNotFound(f"alert {alert_id} not found")
        return alert

    def _notify_outbox(self) -> None:
        if self._on_notification is None:
            return
        try:
            self._on_notification()
        except Exception:
            # the notifications are committed; the outbox's own poll will still send them
            log.exception("could not wake the notification outbox")


def _unresolved(session: Session, household_id: str, rule: RuleName) -> Alert | None:
    return session.scalar(
        select(Alert).where(Alert.household_id == household_id, Alert.rule == rule.value, Alert.state != "resolved")
    )


def _notified_contacts(session: Session, alert: Alert) -> list[Contact]:
    """Return the contacts that were told about the alert opening, in priority order."""
    contact_ids = session.scalars(
        select(Notification.contact_id).where(Notification.alert_id == alert.id, Notification.purpose == "opened")
    ).all()
    if not contact_ids:
        return []
    contacts = session.scalars(select(Contact).where(Contact.id.in_(set(contact_ids)))).all()
    return sorted(contacts, key=lambda contact: (contact.priority, contact.id))


def _audit(session: Session, *, now: datetime, actor: str, action: str, alert: Alert, **detail: Any) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action=action,
            target=f"alert/{alert.id}",
            detail={"household_id": alert.household_id, "rule": alert.rule, "severity": alert.severity, **detail},
        )
    )


def _detached(session: Session, alert: Alert) -> Alert:
    """Commit and hand back the alert with its columns loaded, usable after the session closes."""
    session.flush()
    session.expunge(alert)
    session.commit()
    return alert
