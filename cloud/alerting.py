"""The alert lifecycle: rule signals become alerts (open → acknowledged → resolved) and notifications.

A raise while the household already has an unresolved alert for that rule only updates it
(occurrences, facts): a person pressing the button five times, or a gateway flapping, must not
flood the family's phones. A raise at a higher severity (heat at 危険) tells everyone notified
again. Notifications are written to the outbox in the same transaction as the alert, and the
notifier sends them.

Escalation: an alert first reaches the first step of the household's chain (alerts.routing:
family one by one, then caseworkers, then the ward's on-call). Each step has a timeout; when
nobody has acknowledged by then, `run_escalations` tells the next step. High and critical
alerts are also repeated to everyone told so far until somebody acknowledges. The due times are
rows (alert_escalations), advanced in the same transaction as the notifications they queue,
so a crash neither loses a step nor sends it twice. Quiet hours of a contact hold low and medium
alerts until the morning, or pass them to the next step; emergencies and 危険 are never held.
Each opening message carries a signed one-tap acknowledgement link for its contact.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.messages import OPENING_PURPOSES, Purpose, compose
from alerts.routing import escalation_steps, quiet_until
from alerts.rules.inactivity import zone_of
from alerts.signals import AlertSignal, RuleName, Severity, WatchSettings
from cloud.ack_links import AckLinkSigner
from cloud.db.models import Alert, AuditEntry, Contact, Household, Notification
from cloud.db.watch import AlertEscalation
from cloud.watch_settings import household_settings, quiet_hours_of
from protocol import Clock

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system"
AUTO = "auto"
_SEVERITY_ORDER = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
REMINDED_SEVERITIES = frozenset({Severity.HIGH, Severity.CRITICAL})


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
        links: AckLinkSigner | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._on_notification = on_notification
        self._public_url = public_url.rstrip("/") if public_url else None
        self._links = links

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

    @property
    def links(self) -> AckLinkSigner | None:
        """The signer of one-tap acknowledgement links, if links are on."""
        return self._links

    def run_escalations(self) -> int:
        """Tell the next step of every alert nobody acknowledged in time, and remind; return messages queued."""
        now = self._clock.now()
        queued = 0
        with self._sessions() as session:
            due = session.execute(
                select(AlertEscalation, Alert)
                .join(Alert, Alert.id == AlertEscalation.alert_id)
                .where(
                    Alert.state == "open",
                    or_(AlertEscalation.next_step_at <= now, AlertEscalation.next_reminder_at <= now),
                )
                .order_by(AlertEscalation.alert_id)
            ).all()
            for escalation, alert in due:
                try:
                    with session.begin_nested():
                        queued += self._escalate(session, escalation, alert, now)
                except Exception:
                    log.exception("escalation of alert %d failed", alert.id)
            session.commit()
        if queued:
            self._notify_outbox()
        return queued

    def acknowledge(self, alert_id: int, *, by: str, contact_id: int | None = None, via: str = "app") -> Alert:
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
            others = [
                contact
                for contact in _notified_contacts(session, alert)
                if contact.name != by and contact.id != contact_id
            ]
            queued = self._queue(session, alert, household, others, purpose="acknowledged", now=now)
            detail: dict[str, Any] = {"via": via}
            if contact_id is not None:
                detail["contact_id"] = contact_id
            _audit(session, now=now, actor=by, action="alert.acknowledged", alert=alert, **detail)
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
            log.info(
                "alert %d (%s, %s) repeated, %d occurrences", alert.id, household.id, signal.rule, alert.occurrences
            )
            if _SEVERITY_ORDER.index(signal.severity) > _SEVERITY_ORDER.index(Severity(alert.severity)):
                return alert, self._worsen(session, alert, household, signal.severity, now)
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
        settings = household_settings(session, household)
        steps = self._steps(household, alert, settings)
        escalation = AlertEscalation(alert_id=alert.id, step=0, reminders=0)
        session.add(escalation)
        queued, step = self._tell_step(session, alert, household, steps, 0, settings, purpose="opened", now=now)
        escalation.step = step
        escalation.next_step_at = now + _step_timeout(alert, settings) if step + 1 < len(steps) else None
        escalation.next_reminder_at = _next_reminder(alert, settings, now)
        told = len(steps[step]) if step < len(steps) else 0
        _audit(session, now=now, actor=SYSTEM_ACTOR, action="alert.opened", alert=alert, recipients=told)
        log.info("alert %d opened: %s at %s, %d contact(s) notified", alert.id, signal.rule, household.id, queued)
        if not steps:
            log.warning("alert %d (%s, %s) has nobody to notify", alert.id, household.id, signal.rule)
        return alert, queued

    def _steps(self, household: Household, alert: Alert, settings: WatchSettings) -> list[list[Contact]]:
        return escalation_steps(
            RuleName(alert.rule), household.contacts, family_hears_devices=settings.device_alerts_to_family
        )

    def _tell_step(
        self,
        session: Session,
        alert: Alert,
        household: Household,
        steps: list[list[Contact]],
        step: int,
        settings: WatchSettings,
        *,
        purpose: Purpose,
        now: datetime,
    ) -> tuple[int, int]:
        """Tell the contacts of `step`; when quiet hours pass all of them on, go on to the next step.

        Return the messages queued and the step that was told.
        """
        while step < len(steps):
            told = self._queue(session, alert, household, steps[step], purpose=purpose, now=now, settings=settings)
            if told or step + 1 >= len(steps):
                return told, step
            log.info("alert %d: step %d is in quiet hours, passing to the next", alert.id, step)
            step += 1
        return 0, step

    def _escalate(self, session: Session, escalation: AlertEscalation, alert: Alert, now: datetime) -> int:
        household = session.get_one(Household, alert.household_id)
        settings = household_settings(session, household)
        queued = 0
        if escalation.next_step_at is not None and escalation.next_step_at <= now:
            steps = self._steps(household, alert, settings)
            told, step = self._tell_step(
                session, alert, household, steps, escalation.step + 1, settings, purpose="escalated", now=now
            )
            escalation.step = step
            escalation.next_step_at = now + _step_timeout(alert, settings) if step + 1 < len(steps) else None
            queued += told
            _audit(session, now=now, actor=SYSTEM_ACTOR, action="alert.escalated", alert=alert, step=step, told=told)
            log.info("alert %d escalated to step %d, %d contact(s) told", alert.id, step, told)
        if escalation.next_reminder_at is not None and escalation.next_reminder_at <= now:
            told_so_far = _notified_contacts(session, alert)
            queued += self._queue(
                session, alert, household, told_so_far, purpose="reminder", now=now, settings=settings
            )
            escalation.reminders += 1
            escalation.next_reminder_at = _next_reminder(alert, settings, now, already=escalation.reminders)
        return queued

    def _worsen(self, session: Session, alert: Alert, household: Household, severity: Severity, now: datetime) -> int:
        """Raise an open alert's severity and tell everyone notified so far again."""
        alert.severity = severity.value
        settings = household_settings(session, household)
        told = _notified_contacts(session, alert)
        if not told:
            steps = self._steps(household, alert, settings)
            told = steps[0] if steps else []
        queued = self._queue(session, alert, household, told, purpose="opened", now=now, settings=settings)
        escalation = session.get(AlertEscalation, alert.id)
        if escalation is not None and escalation.next_reminder_at is None:
            escalation.next_reminder_at = _next_reminder(alert, settings, now)
        _audit(session, now=now, actor=SYSTEM_ACTOR, action="alert.worsened", alert=alert)
        log.info("alert %d worsened to %s, %d contact(s) told again", alert.id, severity, queued)
        return queued

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
        settings: WatchSettings | None = None,
    ) -> int:
        person_name = household.people[0].name if household.people else household.name
        url = f"{self._public_url}/alerts/{alert.id}" if self._public_url else None
        severity = Severity(alert.severity)
        zone = zone_of(settings or WatchSettings(timezone=household.timezone))
        count = 0
        for contact in contacts:
            send_at = now
            if purpose in OPENING_PURPOSES:
                quiet = quiet_hours_of(session, contact.id)
                held = (
                    None if quiet is None else quiet_until(severity, now=now, start=quiet[0], end=quiet[1], zone=zone)
                )
                if held is not None and quiet is not None and quiet[2] == "next":
                    continue  # this contact asked to be skipped at night: the next one is told
                send_at = held or now
            ack_url = None
            if purpose in OPENING_PURPOSES and self._links is not None and self._public_url:
                token = self._links.token(alert_id=alert.id, contact_id=contact.id, now=now)
                ack_url = f"{self._public_url}/ack/{token}"
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
                ack_url=ack_url,
                waited_min=(now - alert.opened_at).total_seconds() / 60,
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
                    next_attempt_at=send_at,
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
        select(Notification.contact_id).where(
            Notification.alert_id == alert.id, Notification.purpose.in_(("opened", "escalated"))
        )
    ).all()
    if not contact_ids:
        return []
    contacts = session.scalars(select(Contact).where(Contact.id.in_(set(contact_ids)))).all()
    return sorted(contacts, key=lambda contact: (contact.priority, contact.id))


def _step_timeout(alert: Alert, settings: WatchSettings) -> timedelta:
    minutes = (
        settings.escalation_critical_step_min if alert.severity == Severity.CRITICAL else settings.escalation_step_min
    )
    return timedelta(minutes=max(minutes, 0.05))


def _next_reminder(alert: Alert, settings: WatchSettings, now: datetime, *, already: int = 0) -> datetime | None:
    """Return when to remind next: the interval doubles with each reminder sent, up to the cap.

    Repeating every 15 minutes all night tires people into muting the channel; backing off keeps
    an unanswered alert in view without that (Home Assistant's alert `repeat` lists do the same).
    """
    if Severity(alert.severity) not in REMINDED_SEVERITIES or settings.reminder_every_min <= 0:
        return None
    interval = settings.reminder_every_min * 2 ** min(already, 16)
    return now + timedelta(minutes=min(interval, max(settings.reminder_max_every_min, settings.reminder_every_min)))


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
