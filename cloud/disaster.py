"""The disaster desk: residents' devices, authoring and release of alerts, targeting, fan-out, safety answers.

Releasing, updating or cancelling an alert only changes its row and queues a fan-out job: a
background thread finds the recipients (a grid index over their plane coordinates), writes one
recipient row each and one delivery row per address, and a pool of senders works the deliveries
off with retries, as the watch notifier does. The API request never waits for the fan-out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from numpy.typing import NDArray
from shapely.geometry import Point
from sqlalchemy import Connection, Select, Text, bindparam, delete, func, literal_column, select, type_coerce, update
from sqlalchemy.orm import Session

from alerts.cap import FeedEntry, cap_links, read_cap, to_atom, to_cap
from alerts.channels import NotificationChannel
from alerts.channels.webpush import SubscriptionError, WebPushChannel, parse_subscription
from alerts.channels.webpush_batch import as_batch_work
from alerts.disaster import (
    AlertContent,
    AlertText,
    AreaSpec,
    CapCertainty,
    CapSeverity,
    CapUrgency,
    Circle,
    Language,
    MessageType,
    SafetyAnswer,
    SafetyLinks,
    SafetyTally,
    ShelterChoice,
    ShelterFinder,
    area_plane,
    parse_hazard,
    pick_language,
    tally,
)
from alerts.signals import AlertSignal, RuleName
from cloud.db.disaster import DisasterAlert, DisasterDelivery, DisasterRecipient, ResidentDevice
from cloud.db.models import Alert, Contact, Household, Person
from cloud.db.session import Sessions
from cloud.disaster_delivery import (
    RECIPIENTS,
    Addressee,
    DeliveryDispatcher,
    MessageBook,
    insert_recipients,
    plain_rows,
    queue_deliveries,
)
from maps import Hazard, Shelter, TargetingCache
from maps.projection import to_plane
from maps.targeting import Points
from protocol import Clock

log = logging.getLogger(__name__)

DEVICE_TOKEN_PREFIX = "mmd_"
LINK_SECRET_FILE = "disaster_link_secret"
ACTIVE_STATES = ("released", "updated")
LATE = "late"
EXPIRED = "expired"
# the kinds of points the targeting cache keeps
HOMES, LIVE, PEOPLE = "homes", "live", "people"
EXPIRED_MARK = "【期限切れ】"
DEFAULT_EXPIRY_H = 24.0
# recipients written (and their messages queued) per step of a fan-out: a small first slice so the
# first messages leave at once, then larger ones
FIRST_SLICE = 2_000
SLICE = 20_000


class DisasterError(ValueError):
    """A request the desk cannot carry out (bad state, bad area)."""


class DisasterNotFound(LookupError):
    """No disaster alert (or device) with that id."""


class ApprovalRequired(DisasterError):
    """Release refused: a second person must approve first."""


# --- residents' devices ---------------------------------------------------------------------------


def hash_token(token: str) -> str:
    """Return how a device token is stored: its SHA-256 (the token itself is never kept)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class DeviceChange:
    """A registration or a change of a resident device; None keeps the current value."""

    language: str | None = None
    home: tuple[float, float] | None = None
    clear_home: bool = False
    live_opt_in: bool | None = None
    webpush: dict[str, Any] | None = None
    clear_webpush: bool = False
    apprise_urls: tuple[str, ...] | None = None


# --- authoring -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertDraft:
    """What an operator writes: hazard, CAP levels, the area, and the text in one or more languages."""

    hazard: Hazard
    area: AreaSpec
    severity: CapSeverity = CapSeverity.SEVERE
    urgency: CapUrgency = CapUrgency.IMMEDIATE
    certainty: CapCertainty = CapCertainty.LIKELY
    texts: dict[str, AlertText] = field(default_factory=dict)
    expires: datetime | None = None
    event: str = ""


@dataclass(frozen=True, slots=True)
class Preview:
    """Who an area reaches, counted before sending."""

    devices: int
    residents: int  # devices whose home lies inside
    visitors: int  # devices inside by their live location only
    watched_people: int
    households: int


@dataclass(frozen=True, slots=True)
class VulnerablePerson:
    """A watched person inside the area, for the caseworker's list."""

    recipient_id: int
    person_id: int
    name: str
    household_id: str
    address: str
    status: str  # the household's open watch alerts ("emergency_button, inactivity") or "ok"
    answer: str | None
    answered_at: datetime | None
    shelter: str | None
    shelter_distance_m: float | None


@dataclass(frozen=True, slots=True)
class SafetyReport:
    """The operator's view of 安否確認: counts of every recipient, and watched people not heard from."""

    alert_id: int
    everyone: SafetyTally
    watched: SafetyTally
    unanswered: list[VulnerablePerson]


def _area_to_json(area: AreaSpec) -> dict[str, Any]:
    return asdict(area)


def _area_from_json(data: dict[str, Any]) -> AreaSpec:
    return AreaSpec(
        polygons=tuple(tuple((float(lat), float(lon)) for lat, lon in ring) for ring in data.get("polygons", ())),
        circles=tuple(Circle(**circle) for circle in data.get("circles", ())),
        municipalities=tuple(data.get("municipalities", ())),
        geocodes=tuple((str(name), str(value)) for name, value in data.get("geocodes", ())),
        buffer_m=float(data.get("buffer_m", 0.0)),
        description=str(data.get("description", "")),
    )


def _texts_to_json(texts: dict[str, AlertText]) -> dict[str, Any]:
    return {language: asdict(text) for language, text in texts.items()}


def _texts_from_json(data: dict[str, Any]) -> dict[str, AlertText]:
    return {language: AlertText(**text) for language, text in data.items()}


def content_of(alert: DisasterAlert) -> AlertContent:
    """Return the current version of an alert as content (what CAP and the messages are made of)."""
    versions = alert.versions or [[alert.identifier, MessageType.ALERT.value, alert.created_at.isoformat()]]
    identifier, message_type, sent = versions[-1]
    references = tuple((alert.sender, ident, datetime.fromisoformat(at)) for ident, _, at in versions[:-1])
    return AlertContent(
        identifier=identifier,
        sender=alert.sender,
        sent=datetime.fromisoformat(sent),
        hazard=Hazard(alert.hazard),
        severity=CapSeverity(alert.severity),
        urgency=CapUrgency(alert.urgency),
        certainty=CapCertainty(alert.certainty),
        area=_area_from_json(alert.area),
        texts=_texts_from_json(alert.texts),
        message_type=MessageType(message_type),
        references=references,
        expires=alert.expires_at,
        event=alert.event,
        sender_name="台東区 (mimamori)" if alert.source == "operator" else "",
    )


@dataclass(frozen=True, slots=True)
class _Job:
    alert_id: int
    purpose: str  # alert | update | cancel | late (the alerts in force, for one device that just arrived)
    device_id: int | None = None


@dataclass(frozen=True, slots=True)
class _Located:
    devices_home: set[int]
    devices_live: set[int]
    people: set[int]


class DisasterDesk:
    """Everything about disaster alerts the API and the CLI call; start() runs fan-out and sending."""

    def __init__(
        self,
        *,
        sessions: Sessions,
        clock: Clock,
        link_secret: str,
        links_base_url: Callable[[], str],
        sender: str,
        apprise: NotificationChannel,
        webpush: WebPushChannel | None,
        approval_required: bool = False,
        release_imports: bool = False,
        cap_feeds: Sequence[str] = (),
        cap_poll_s: float = 60.0,
        workers: int = 8,
        max_attempts: int = 3,
        retry_base_s: float = 2.0,
        poll_interval_s: float = 1.0,
        expiry_h: float = DEFAULT_EXPIRY_H,
        expiry_h_by_hazard: Mapping[str, float] | None = None,
        expiry_check_s: float = 1.0,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._secret = link_secret
        self._links_base_url = links_base_url
        self.sender = sender
        self._apprise = apprise
        self.webpush = webpush
        self.approval_required = approval_required
        self.release_imports = release_imports
        self._cap_feeds = tuple(cap_feeds)
        self._cap_poll_s = cap_poll_s
        self._max_attempts = max(1, max_attempts)
        self._retry_base_s = retry_base_s
        self._poll_interval_s = poll_interval_s
        self._expiry = _expiries(expiry_h, expiry_h_by_hazard or {})
        self._expiry_check_s = expiry_check_s
        self.targeting = TargetingCache()
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._dispatcher = DeliveryDispatcher(
            sessions=sessions,
            clock=clock,
            webpush=webpush,
            apprise=apprise,
            max_attempts=max_attempts,
            retry_base_s=retry_base_s,
            links=lambda: self.links,
            apprise_workers=workers,
        )

    # --- running ----------------------------------------------------------------------------------

    def start(self) -> DisasterDesk:
        """Start the fan-out worker, the senders and (when feeds are configured) the CAP poller."""
        if self._threads:
            return self
        self._stopping.clear()
        recovered = self._dispatcher.recover()
        if recovered:
            log.info("%d disaster deliveries claimed before a stop are pending again", recovered)
        targets: list[tuple[str, Callable[[], None]]] = [
            ("disaster-fanout", self._fan_out_forever),
            ("disaster-dispatch", self._dispatch_forever),
            ("disaster-expiry", self._expire_forever),
        ]
        if self._cap_feeds:
            targets.append(("disaster-cap-poll", self._poll_forever))
        for name, target in targets:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._wakeup.set()  # send what a restart left pending
        return self

    def stop(self) -> None:
        """Stop the threads; pending deliveries stay in the database for the next start."""
        if not self._threads:
            return
        self._stopping.set()
        self._jobs.put(None)
        self._wakeup.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []
        self._dispatcher.close()
        if self.webpush is not None:
            self.webpush.close()

    def wait_idle(self) -> None:
        """Block until queued fan-out jobs are done (for the CLI and the benchmark)."""
        self._jobs.join()

    @property
    def links(self) -> SafetyLinks:
        return SafetyLinks(self._secret, base_url=self._links_base_url().rstrip("/") + "/api/v1/disaster/public/safety")

    # --- residents' devices -----------------------------------------------------------------------

    def register_device(self, change: DeviceChange) -> tuple[int, str]:
        """Register a resident device; return its id and its bearer token (shown once, stored hashed)."""
        token = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock.now()
        with self._sessions.begin() as session:
            device = ResidentDevice(token_hash=hash_token(token), apprise_urls=[], created_at=now, updated_at=now)
            self._apply_change(device, change, now)
            session.add(device)
            session.flush()
            device_id = device.id
            late = _any_in_force(session, now)
        self.targeting.invalidate(HOMES, LIVE)
        if late:
            self._jobs.put(_Job(0, LATE, device_id))
        return device_id, token

    def device_for_token(self, token: str) -> int | None:
        """Return the id of the device a bearer token belongs to, or None."""
        if not token.startswith(DEVICE_TOKEN_PREFIX):
            return None
        with self._sessions() as session:
            return session.scalar(select(ResidentDevice.id).where(ResidentDevice.token_hash == hash_token(token)))

    def device(self, device_id: int) -> ResidentDevice:
        """Return a device's row (detached)."""
        with self._sessions() as session:
            device = session.get(ResidentDevice, device_id)
            if device is None:
                raise DisasterNotFound(f"device {device_id} not found")
            return device

    def change_device(self, device_id: int, change: DeviceChange) -> ResidentDevice:
        """Change what a device registered."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            device = session.get(ResidentDevice, device_id)
            if device is None:
                raise DisasterNotFound(f"device {device_id} not found")
            self._apply_change(device, change, now)
            late = _any_in_force(session, now)
        self.targeting.invalidate(HOMES, LIVE)
        if late:
            self._jobs.put(_Job(0, LATE, device_id))
        return device

    def set_live_location(self, device_id: int, lat: float, lon: float) -> None:
        """Record a device's live location; refused unless it opted in."""
        _check_point(lat, lon)
        with self._sessions.begin() as session:
            device = session.get(ResidentDevice, device_id)
            if device is None:
                raise DisasterNotFound(f"device {device_id} not found")
            if not device.live_opt_in:
                raise DisasterError("live location is off for this device: opt in first")
            device.live_lat, device.live_lon, device.live_at = lat, lon, self._clock.now()
            # phones report often: the fan-out thread is asked only while an alert is in force
            late = _any_in_force(session, self._clock.now())
        self.targeting.invalidate(LIVE)
        if late:
            self._jobs.put(_Job(0, LATE, device_id))

    def delete_device(self, device_id: int) -> None:
        """Delete a device and everything about it (recipient rows, deliveries and answers cascade)."""
        with self._sessions.begin() as session:
            recipient_ids = select(DisasterRecipient.id).where(DisasterRecipient.device_id == device_id)
            session.execute(delete(DisasterDelivery).where(DisasterDelivery.recipient_id.in_(recipient_ids)))
            session.execute(delete(DisasterRecipient).where(DisasterRecipient.device_id == device_id))
            deleted = session.execute(delete(ResidentDevice).where(ResidentDevice.id == device_id))
            if getattr(deleted, "rowcount", 1) == 0:
                raise DisasterNotFound(f"device {device_id} not found")
        self.targeting.invalidate(HOMES, LIVE)

    @staticmethod
    def _apply_change(device: ResidentDevice, change: DeviceChange, now: datetime) -> None:
        if change.language is not None:
            device.language = pick_language(change.language).value
        if change.clear_home:
            device.home_lat = device.home_lon = None
        if change.home is not None:
            _check_point(*change.home)
            device.home_lat, device.home_lon = change.home
        if change.live_opt_in is not None:
            device.live_opt_in = change.live_opt_in
            if not change.live_opt_in:
                # opting out forgets the last live location at once
                device.live_lat = device.live_lon = device.live_at = None
        if change.clear_webpush:
            device.webpush = None
        if change.webpush is not None:
            try:
                device.webpush = parse_subscription(change.webpush)
            except SubscriptionError as exc:
                raise DisasterError(str(exc)) from None
        if change.apprise_urls is not None:
            device.apprise_urls = list(change.apprise_urls)
        device.updated_at = now

    # --- authoring --------------------------------------------------------------------------------

    def create(self, draft: AlertDraft, *, by: str, source: str = "operator", identifier: str | None = None) -> int:
        """Save a draft alert; return its id."""
        area_plane(draft.area)  # refuse a bad area now, not at release
        now = self._clock.now()
        identifier = identifier or f"mimamori-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
        with self._sessions.begin() as session:
            alert = DisasterAlert(
                identifier=identifier,
                sender=self.sender,
                source=source,
                state="draft",
                hazard=draft.hazard.value,
                severity=draft.severity.value,
                urgency=draft.urgency.value,
                certainty=draft.certainty.value,
                event=draft.event,
                texts=_texts_to_json(draft.texts),
                area=_area_to_json(draft.area),
                versions=[],
                expires_at=draft.expires,
                created_by=by,
                created_at=now,
                updated_at=now,
            )
            session.add(alert)
            session.flush()
            log.info("disaster alert %d drafted by %s (%s)", alert.id, by, draft.hazard.value)
            return alert.id

    def get(self, alert_id: int) -> DisasterAlert:
        """Return an alert's row (detached)."""
        with self._sessions() as session:
            alert = session.get(DisasterAlert, alert_id)
            if alert is None:
                raise DisasterNotFound(f"disaster alert {alert_id} not found")
            return alert

    def alerts(self, *, states: Iterable[str] | None = None, limit: int = 100) -> list[DisasterAlert]:
        """Return alerts, newest first."""
        query = select(DisasterAlert).order_by(DisasterAlert.created_at.desc(), DisasterAlert.id.desc()).limit(limit)
        if states is not None:
            query = query.where(DisasterAlert.state.in_(list(states)))
        with self._sessions() as session:
            return list(session.scalars(query))

    def preview(self, area: AreaSpec) -> Preview:
        """Count the devices, residents and watched people an area reaches."""
        with self._sessions() as session:
            home, live, people = self._locate_keys(session, area)
            households = (
                set(session.scalars(select(Person.household_id).where(Person.id.in_(people.tolist()))))
                if len(people)
                else set()
            )
        # counted on the arrays: sets of 100,000 ids would cost more than finding them
        visitors = int((~np.isin(live, home, kind="table")).sum()) if len(live) and len(home) else len(live)
        return Preview(
            devices=len(home) + visitors,
            residents=len(home),
            visitors=visitors,
            watched_people=len(people),
            households=len(households),
        )

    def approve(self, alert_id: int, *, by: str) -> DisasterAlert:
        """Approve a draft; the approver must not be its author."""
        with self._sessions.begin() as session:
            alert = self._row(session, alert_id)
            if alert.state != "draft":
                raise DisasterError(f"only a draft can be approved (this one is {alert.state})")
            if by == alert.created_by:
                raise DisasterError("a second person must approve: the author cannot")
            alert.state, alert.approved_by, alert.updated_at = "approved", by, self._clock.now()
            return alert

    def release(self, alert_id: int, *, by: str) -> DisasterAlert:
        """Release an alert: it is sent to everyone inside, in the background."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            alert = self._row(session, alert_id)
            if alert.state not in ("draft", "approved"):
                raise DisasterError(f"alert {alert_id} is {alert.state}, not a draft")
            if self.approval_required and alert.state != "approved":
                raise ApprovalRequired("a second person must approve this alert before release")
            if area_plane(_area_from_json(alert.area)).is_empty:
                raise DisasterError("the area maps to no ground: draw a polygon or circle first")
            if alert.expires_at is None:
                alert.expires_at = now + self.default_expiry(Hazard(alert.hazard))
            elif alert.expires_at <= now:
                raise DisasterError("the alert would expire before it is sent: give a later expiry")
            alert.state, alert.released_at, alert.updated_at = "released", now, now
            alert.versions = [[alert.identifier, MessageType.ALERT.value, now.isoformat()]]
            log.info("disaster alert %d released by %s", alert_id, by)
        self._jobs.put(_Job(alert_id, "alert"))
        return alert

    def update(
        self,
        alert_id: int,
        *,
        by: str,
        texts: dict[str, AlertText] | None = None,
        severity: CapSeverity | None = None,
        urgency: CapUrgency | None = None,
        certainty: CapCertainty | None = None,
        area: AreaSpec | None = None,
        expires: datetime | None = None,
    ) -> DisasterAlert:
        """Send an update to everyone the alert reached (and anyone newly inside a changed area)."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            alert = self._row(session, alert_id)
            if alert.state not in ACTIVE_STATES:
                raise DisasterError(f"only a released alert can be updated (this one is {alert.state})")
            if area is not None:
                area_plane(area)
                alert.area = _area_to_json(area)
            if texts is not None:
                alert.texts = _texts_to_json(texts)
            alert.severity = (severity or CapSeverity(alert.severity)).value
            alert.urgency = (urgency or CapUrgency(alert.urgency)).value
            alert.certainty = (certainty or CapCertainty(alert.certainty)).value
            if expires is not None:
                if expires <= now:
                    raise DisasterError("the new expiry has passed: give a later one, or cancel the alert")
                alert.expires_at = expires
            alert.versions = [
                *alert.versions,
                [f"{alert.identifier}-v{len(alert.versions) + 1}", MessageType.UPDATE.value, now.isoformat()],
            ]
            alert.state, alert.updated_at = "updated", now
            log.info("disaster alert %d updated by %s", alert_id, by)
        self._jobs.put(_Job(alert_id, "update"))
        return alert

    def cancel(self, alert_id: int, *, by: str) -> DisasterAlert:
        """Cancel an alert: a released one tells everyone it reached; a draft is just withdrawn."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            alert = self._row(session, alert_id)
            if alert.state == "cancelled":
                raise DisasterError("the alert is already cancelled")
            was_sent = alert.state in ACTIVE_STATES
            if was_sent:
                alert.versions = [
                    *alert.versions,
                    [f"{alert.identifier}-v{len(alert.versions) + 1}", MessageType.CANCEL.value, now.isoformat()],
                ]
            alert.state, alert.cancelled_at, alert.updated_at = "cancelled", now, now
            log.info("disaster alert %d cancelled by %s", alert_id, by)
        if was_sent:
            self._jobs.put(_Job(alert_id, "cancel"))
        return alert

    @staticmethod
    def _row(session: Session, alert_id: int) -> DisasterAlert:
        alert = session.get(DisasterAlert, alert_id)
        if alert is None:
            raise DisasterNotFound(f"disaster alert {alert_id} not found")
        return alert

    # --- CAP --------------------------------------------------------------------------------------

    def cap(self, alert_id: int) -> bytes:
        """Return the CAP 1.2 document of an alert's current version."""
        return to_cap(content_of(self.get(alert_id)))

    def atom(self, *, base_url: str) -> bytes:
        """Return the Atom feed of every sent alert's current CAP version, newest first."""
        alerts = self.alerts(states=(*ACTIVE_STATES, EXPIRED, "cancelled"), limit=200)
        sent = [alert for alert in alerts if alert.versions]
        entries = []
        for alert in sent:
            content = content_of(alert)
            text = content.texts.get(Language.JA.value)
            title = text.headline if text else f"{content.hazard.value} ({content.message_type.value})"
            entries.append(
                FeedEntry(
                    identifier=content.identifier,
                    # an expired alert stays listed, as feeds keep ended alerts a while, but says it ended
                    title=f"{EXPIRED_MARK}{title}" if alert.state == EXPIRED else title,
                    updated=alert.updated_at,
                    cap_url=f"{base_url}/api/v1/disaster/public/cap/{alert.id}.xml",
                )
            )
        return to_atom(
            entries,
            feed_id=f"{base_url}/api/v1/disaster/public/cap/feed",
            title="mimamori 災害情報 (CAP)",
            self_url=f"{base_url}/api/v1/disaster/public/cap/feed",
            updated=max((alert.updated_at for alert in sent), default=self._clock.now()),
        )

    def import_cap(self, document: bytes | str, *, by: str = "cap-import") -> int:
        """Turn a CAP message into an alert: a draft, or released when so configured and the area maps to ground.

        An Update or Cancel referring to an alert imported before changes that alert instead.
        """
        imported = read_cap(document)
        content = imported.content
        with self._sessions() as session:
            existing = session.scalar(select(DisasterAlert.id).where(DisasterAlert.identifier == content.identifier))
            referred = None
            for _, identifier, _ in content.references:
                referred = referred or session.scalar(
                    select(DisasterAlert.id).where(DisasterAlert.identifier == identifier)
                )
        if existing is not None:
            return existing  # seen already (a feed lists the same message on every poll)
        if referred is not None and content.message_type is not MessageType.ALERT:
            target = self.get(referred)
            if target.state in ACTIVE_STATES:
                if content.message_type is MessageType.CANCEL:
                    self.cancel(referred, by=by)
                else:
                    self.update(
                        referred,
                        by=by,
                        texts=content.texts,
                        severity=content.severity,
                        urgency=content.urgency,
                        certainty=content.certainty,
                        area=content.area if imported.mapped_area else None,
                    )
            return referred
        alert_id = self.create(
            AlertDraft(
                hazard=content.hazard,
                area=content.area,
                severity=content.severity,
                urgency=content.urgency,
                certainty=content.certainty,
                texts=content.texts,
                expires=content.expires,
                event=content.event,
            ),
            by=by,
            source="cap",
            identifier=content.identifier,
        )
        with self._sessions.begin() as session:
            self._row(session, alert_id).sender = content.sender
        if self.release_imports and imported.mapped_area and content.status == "Actual":
            self.release(alert_id, by=by)
        return alert_id

    def import_url(self, url: str, *, by: str = "cap-import") -> list[int]:
        """Import a CAP message, or every CAP message an Atom feed links to, from a URL."""
        response = httpx.get(url, timeout=15, follow_redirects=True)
        response.raise_for_status()
        body = response.content
        if b"<feed" in body[:500] or b"http://www.w3.org/2005/Atom" in body[:1000]:
            ids = []
            for link in cap_links(body):
                try:
                    cap = httpx.get(httpx.URL(url).join(link), timeout=15, follow_redirects=True)
                    cap.raise_for_status()
                    ids.append(self.import_cap(cap.content, by=by))
                except Exception:
                    log.exception("CAP entry %s of feed %s not imported", link, url)
            return ids
        return [self.import_cap(body, by=by)]

    def _poll_forever(self) -> None:
        while not self._stopping.is_set():
            for url in self._cap_feeds:
                try:
                    self.import_url(url)
                except Exception:
                    log.exception("CAP feed %s could not be polled", url)
            self._stopping.wait(self._cap_poll_s)

    # --- expiry -----------------------------------------------------------------------------------

    def default_expiry(self, hazard: Hazard) -> timedelta:
        """Return how long an alert of this hazard stays active when its author gave no expiry."""
        return self._expiry.get(hazard, self._expiry[None])

    def expire_due(self) -> list[int]:
        """Mark every active alert whose expiry has passed as expired; return their ids.

        Nothing is sent: an alert that ends by itself was announced with its end (CAP expires).
        Deliveries still waiting to be sent are dropped, since they would arrive after the end.
        """
        now = self._clock.now()
        with self._sessions.begin() as session:
            due = list(
                session.scalars(
                    select(DisasterAlert).where(
                        DisasterAlert.state.in_(ACTIVE_STATES),
                        DisasterAlert.expires_at.is_not(None),
                        DisasterAlert.expires_at <= now,
                    )
                )
            )
            for alert in due:
                alert.state, alert.updated_at = EXPIRED, now
            ids = [alert.id for alert in due]
            if ids:
                session.execute(
                    update(DisasterDelivery)
                    .where(DisasterDelivery.alert_id.in_(ids), DisasterDelivery.state == "pending")
                    .values(state=EXPIRED, last_error="the alert expired before this was sent")
                )
        for alert_id in ids:
            log.info("disaster alert %d expired", alert_id)
        return ids

    def _expire_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                self.expire_due()
            except Exception:
                log.exception("could not expire disaster alerts")
            self._stopping.wait(self._expiry_check_s)

    # --- targeting --------------------------------------------------------------------------------

    def _locate(self, session: Session, area: AreaSpec) -> _Located:
        home, live, people = self._locate_keys(session, area)
        return _Located(devices_home=_keys(home), devices_live=_keys(live), people=_keys(people))

    def _locate_keys(self, session: Session, area: AreaSpec) -> tuple[NDArray[np.int64], ...]:
        """Return the ids inside an area: devices by home, devices by live location, watched people."""
        plane = area_plane(area)
        if plane.is_empty:
            nothing = np.empty(0, dtype=np.int64)
            return nothing, nothing, nothing
        homes = self.targeting.index(
            HOMES,
            lambda: _points(
                session.execute(
                    select(ResidentDevice.id, ResidentDevice.home_lat, ResidentDevice.home_lon).where(
                        ResidentDevice.home_lat.is_not(None), ResidentDevice.home_lon.is_not(None)
                    )
                )
            ),
        )
        lives = self.targeting.index(
            LIVE,
            lambda: _points(
                session.execute(
                    select(ResidentDevice.id, ResidentDevice.live_lat, ResidentDevice.live_lon).where(
                        ResidentDevice.live_opt_in.is_(True), ResidentDevice.live_lat.is_not(None)
                    )
                )
            ),
        )
        # households are written by the API, the CLI and provisioning, some in other processes:
        # a fingerprint of the (few thousand) homes tells when to rebuild
        homes_of_people = (
            select(Person.id, Household.lat, Household.lon)
            .join(Household, Person.household_id == Household.id)
            .where(Household.lat.is_not(None), Household.lon.is_not(None))
        )
        listed = homes_of_people.subquery()
        fingerprint = tuple(
            session.execute(
                select(func.count(), func.max(listed.c.id), func.sum(listed.c.lat), func.sum(listed.c.lon))
            ).one()
        )
        people = self.targeting.index(PEOPLE, lambda: _points(session.execute(homes_of_people)), version=fingerprint)
        return homes.within(plane), lives.within(plane), people.within(plane)

    # --- fan-out ----------------------------------------------------------------------------------

    def _fan_out_forever(self) -> None:
        as_batch_work()  # a ward's fan-out is long CPU work: it yields to the API rather than preempting it
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if job.purpose == LATE and job.device_id is not None:
                    self._reach_late(job.device_id)
                else:
                    self._fan_out(job)
            except Exception:
                log.exception("fan-out of disaster alert %s failed", job)
            finally:
                self._jobs.task_done()

    def _fan_out(self, job: _Job) -> None:
        now = self._clock.now()
        # short transactions, one step each: every session holds SQLite's write lock, and the
        # sender must record batches while a ward's recipients are being written
        with self._sessions.begin() as session:
            alert = self._row(session, job.alert_id)
            content = content_of(alert)
            version = len(alert.versions)
            located = self._locate(session, content.area) if job.purpose != "cancel" else None
        book = MessageBook(
            content,
            alert_id=job.alert_id,
            purpose=job.purpose,
            links=job.purpose != "cancel",
            shelters=_shelters_by_id(),
        )
        stored: dict[tuple[str, str, str], int] = {}
        count = 0
        after = 0  # recipients up to this id are queued
        # recipients are written a slice at a time and each slice queued and handed to the sender
        # at once: the first messages leave while the rest of the ward is still being written
        written = self._add_recipients(job.alert_id, content.hazard, located, now) if located is not None else [None]
        for devices in written:
            with self._sessions.begin() as session:
                if devices is None:
                    addressees = self._addressees(session, job.alert_id, after=after)
                else:
                    addressees = devices + self._addressees(session, job.alert_id, after=after, devices=False)
            after = max((addressee.recipient_id for addressee in addressees), default=after)
            count += queue_deliveries(
                self._sessions,
                addressees,
                book,
                alert_id=job.alert_id,
                version=version,
                purpose=job.purpose,
                now=now,
                queued=self._wakeup.set,
                hand_over=lambda batch: self._dispatcher.hand_over(batch, stopping=self._stopping),
                stored=stored,
            )
        log.info("disaster alert %d (%s): %d deliveries queued", job.alert_id, job.purpose, count)
        self._wakeup.set()

    def _reach_late(self, device_id: int) -> None:
        """Send a device that registered or moved the alerts in force where it now is, once each.

        A visitor who installs the app during a flood warning gets the warning, as everyone
        inside got it at release; a device already reached by an alert is not sent it again.
        """
        now = self._clock.now()
        with self._sessions.begin() as session:
            device = session.get(ResidentDevice, device_id)
            if device is None:
                return
            points = {
                "home": (device.home_lat, device.home_lon),
                "live": (device.live_lat, device.live_lon) if device.live_opt_in else (None, None),
            }
            active = session.scalars(select(DisasterAlert).where(_in_force(now))).all()
            reached = set(
                session.scalars(select(DisasterRecipient.alert_id).where(DisasterRecipient.device_id == device_id))
            )
            found = [(alert, content_of(alert), len(alert.versions)) for alert in active if alert.id not in reached]
        for alert, content, version in found:
            plane = area_plane(content.area)
            inside = {
                kind
                for kind, (lat, lon) in points.items()
                if lat is not None and lon is not None and plane.intersects(Point(*to_plane(lat, lon)))
            }
            if not inside:
                continue
            located = _Located(
                devices_home={device_id} if "home" in inside else set(),
                devices_live={device_id} if "live" in inside else set(),
                people=set(),
            )
            with self._sessions.begin() as session:
                rows = self._device_rows(session, [device_id], located)
            addressees = self._write_recipients(rows, ShelterFinder(content.hazard), alert_id=alert.id, now=now)
            purpose = "update" if alert.state == "updated" else "alert"
            book = MessageBook(content, alert_id=alert.id, purpose=purpose, links=True, shelters=_shelters_by_id())
            queue_deliveries(
                self._sessions,
                addressees,
                book,
                alert_id=alert.id,
                version=version,
                purpose=purpose,
                now=now,
                queued=self._wakeup.set,
            )
            log.info("disaster alert %d: device %d arrived inside, sent it", alert.id, device_id)

    def _add_recipients(
        self, alert_id: int, hazard: Hazard, located: _Located, now: datetime
    ) -> Iterator[list[Addressee] | None]:
        """Add a recipient row for everyone newly inside; (re)choose everyone's shelter.

        Yields after each slice is written: None for the recipients known before (to be read
        back), then the addresses of the new devices of a small first slice (so sending starts
        at once), then of larger ones. The new watched people's families are read back.
        """
        recipients = RECIPIENTS.c
        with self._sessions.begin() as session:
            known = session.execute(
                select(recipients.id, recipients.device_id, recipients.person_id, recipients.lat, recipients.lon).where(
                    recipients.alert_id == alert_id
                )
            ).all()
        finder = ShelterFinder(hazard)
        if known:
            shelters = _nearest_shelters(
                finder,
                np.array([row.lat for row in known], dtype=np.float64),
                np.array([row.lon for row in known], dtype=np.float64),
            )
            with self._sessions.begin() as session:
                session.connection().execute(
                    update(RECIPIENTS)
                    .where(RECIPIENTS.c.id == bindparam("b_id"))
                    .values(
                        shelter_id=bindparam("b_shelter_id"),
                        shelter_name=bindparam("b_shelter_name"),
                        shelter_distance_m=bindparam("b_shelter_distance_m"),
                    ),
                    [
                        {"b_id": row.id, **{f"b_{key}": value for key, value in shelter.items()}}
                        for row, shelter in zip(known, shelters, strict=True)
                    ],
                )
            yield None
        device_ids = sorted((located.devices_home | located.devices_live) - {row.device_id for row in known})
        person_ids = sorted(located.people - {row.person_id for row in known})
        # each slice read, written and addressed in its own short transactions: the first slice's
        # messages leave before the rest of the ward has even been read
        for ids, read in ((device_ids, self._device_rows), (person_ids, self._person_rows)):
            start = 0
            for size in _slices(len(ids)):
                with self._sessions.begin() as session:
                    part = read(session, ids[start : start + size], located)
                start += size
                yield self._write_recipients(part, finder, alert_id=alert_id, now=now)

    def _write_recipients(
        self, part: list[dict[str, Any]], finder: ShelterFinder, *, alert_id: int, now: datetime
    ) -> list[Addressee]:
        """Write new recipients with their nearest shelters; return the addresses of the devices among them."""
        shelters = _nearest_shelters(
            finder,
            np.array([row["lat"] for row in part], dtype=np.float64),
            np.array([row["lon"] for row in part], dtype=np.float64),
        )
        for row, shelter in zip(part, shelters, strict=True):
            row.update(shelter, alert_id=alert_id, created_at=now)
        ids = insert_recipients(self._sessions, part)
        addressees: list[Addressee] = []
        address = _DeviceAddresses()
        for row in part:
            recipient_id = ids.get((row["device_id"], None)) if row["device_id"] is not None else None
            if recipient_id is not None:
                address(
                    addressees,
                    recipient_id,
                    row["shelter_id"],
                    row["shelter_distance_m"],
                    row["device_id"],
                    row["language"],
                    row["channels"],
                )
        return addressees

    @staticmethod
    def _device_rows(session: Session, device_ids: list[int], located: _Located) -> list[dict[str, Any]]:
        """Return recipient rows for devices newly inside (at home, or by their live location)."""
        rows: list[dict[str, Any]] = []
        connection = session.connection()
        for chunk in _chunks(device_ids, 5000):
            devices = _plain_rows(
                connection,
                select(
                    ResidentDevice.id,
                    ResidentDevice.language,
                    ResidentDevice.home_lat,
                    ResidentDevice.home_lon,
                    ResidentDevice.live_lat,
                    ResidentDevice.live_lon,
                    *_CHANNELS,
                ).where(_listed(ResidentDevice.id, chunk)),
            )
            for device_id, language, home_lat, home_lon, live_lat, live_lon, *channels in devices:
                at_home = device_id in located.devices_home and home_lat is not None
                lat, lon = (home_lat, home_lon) if at_home else (live_lat, live_lon)
                if lat is not None and lon is not None:
                    rows.append(
                        {
                            "device_id": device_id,
                            "person_id": None,
                            "language": language,
                            "lat": lat,
                            "lon": lon,
                            "channels": channels,  # to address the device once its row is written
                        }
                    )
        return rows

    @staticmethod
    def _person_rows(session: Session, person_ids: list[int], located: _Located) -> list[dict[str, Any]]:
        """Return recipient rows for watched people newly inside (by their home)."""
        rows: list[dict[str, Any]] = []
        for chunk in _chunks(person_ids, 5000):
            found = session.execute(
                select(Person.id, Person.language, Household.lat, Household.lon)
                .join(Household, Person.household_id == Household.id)
                .where(Person.id.in_(chunk))
            ).all()
            for person_id, language, lat, lon in found:
                rows.append(
                    {
                        "device_id": None,
                        "person_id": person_id,
                        "language": pick_language(language).value,
                        "lat": lat,
                        "lon": lon,
                    }
                )
        return rows

    @staticmethod
    def _addressees(session: Session, alert_id: int, *, after: int = 0, devices: bool = True) -> list[Addressee]:
        """Return every address of every recipient of an alert: the device's, or the watched person's family.

        Only recipients with an id above `after`: those written since the last call; with
        `devices` false, only the watched people's families (the devices are addressed already).
        """
        recipients = RECIPIENTS.c
        addressees: list[Addressee] = []
        if devices:
            address = _DeviceAddresses()
            rows = session.execute(
                select(
                    recipients.id,
                    recipients.shelter_id,
                    recipients.shelter_distance_m,
                    ResidentDevice.id,
                    ResidentDevice.language,
                    *_CHANNELS,
                )
                .join(ResidentDevice, ResidentDevice.id == recipients.device_id)
                .where(recipients.alert_id == alert_id, recipients.id > after)
                .order_by(recipients.id)
            ).all()
            for recipient_id, shelter_id, distance, device_id, code, *channels in rows:
                address(addressees, recipient_id, shelter_id, distance, device_id, code, channels)
        people = session.execute(
            select(
                recipients.id, recipients.shelter_id, recipients.shelter_distance_m, Person.name, Person.household_id
            )
            .join(Person, Person.id == recipients.person_id)
            # person_id named: the (alert, person) index then holds only the people, not every device
            .where(recipients.alert_id == alert_id, recipients.person_id.is_not(None), recipients.id > after)
            .order_by(recipients.id)
        ).all()
        families: dict[str, list[Contact]] = {}
        for chunk in _chunks(sorted({row.household_id for row in people}), 5000):
            for contact in session.scalars(
                select(Contact)
                .where(Contact.household_id.in_(chunk), Contact.role == "family", Contact.active.is_(True))
                .order_by(Contact.id)
            ):
                families.setdefault(contact.household_id, []).append(contact)
        for recipient_id, shelter_id, distance, name, household_id in people:
            for contact in families.get(household_id, []):
                if contact.channels:
                    addressees.append(
                        Addressee(
                            recipient_id,
                            "apprise",
                            contact.channels[0].apprise_url,
                            pick_language(contact.language),
                            shelter_id,
                            distance,
                            person=name,
                        )
                    )
        return addressees

    # --- sending ----------------------------------------------------------------------------------

    def _dispatch_forever(self) -> None:
        as_batch_work()
        self._dispatcher.dispatch_forever(self._stopping, self._wakeup, self._poll_interval_s)

    def run_due(self) -> int:
        """Send everything due now, in this thread; return the number of attempts (tests, CLI)."""
        return self._dispatcher.run_due()

    def delivery_counts(self, alert_id: int) -> dict[str, dict[str, int]]:
        """Return the deliveries of an alert by purpose and state."""
        with self._sessions() as session:
            rows = session.execute(
                select(DisasterDelivery.purpose, DisasterDelivery.state, func.count())
                .where(DisasterDelivery.alert_id == alert_id)
                .group_by(DisasterDelivery.purpose, DisasterDelivery.state)
            ).all()
        counts: dict[str, dict[str, int]] = {}
        for purpose, state, count in rows:
            counts.setdefault(purpose, {})[state] = int(count)
        return counts

    # --- safety answers ---------------------------------------------------------------------------

    def answer_link(self, token: str, answer: str) -> tuple[DisasterAlert, SafetyAnswer]:
        """Record the answer of a signed link (its token and answer segment); return the alert and the answer."""
        signed = self.links.verify(token, answer)
        self.answer(signed.alert_id, signed.recipient_id, signed.answer, source="link")
        return self.get(signed.alert_id), signed.answer

    def answer(self, alert_id: int, recipient_id: int, answer: SafetyAnswer, *, source: str) -> None:
        """Record a recipient's answer; the latest one counts (a family's "safe" after a call ends the worry)."""
        with self._sessions.begin() as session:
            recipient = session.get(DisasterRecipient, recipient_id)
            if recipient is None or recipient.alert_id != alert_id:
                raise DisasterNotFound("no such recipient of this alert")
            recipient.answer, recipient.answer_source, recipient.answered_at = answer.value, source, self._clock.now()

    def device_recipient(self, alert_id: int, device_id: int) -> int:
        """Return the recipient id of a device for an alert."""
        with self._sessions() as session:
            found = session.scalar(
                select(DisasterRecipient.id).where(
                    DisasterRecipient.alert_id == alert_id, DisasterRecipient.device_id == device_id
                )
            )
        if found is None:
            raise DisasterNotFound("this alert did not reach this device")
        return found

    def device_alerts(self, device_id: int) -> list[tuple[DisasterAlert, DisasterRecipient]]:
        """Return the alerts that reached a device, newest first, with what it answered."""
        with self._sessions() as session:
            rows = session.execute(
                select(DisasterAlert, DisasterRecipient)
                .join(DisasterRecipient, DisasterRecipient.alert_id == DisasterAlert.id)
                .where(DisasterRecipient.device_id == device_id)
                .order_by(DisasterAlert.updated_at.desc())
            ).all()
            return [(alert, recipient) for alert, recipient in rows]

    def emergency_button(self, household_id: str) -> int:
        """Count a watched person's emergency button during an active alert as "need help"; return how many."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            recipients = session.scalars(
                select(DisasterRecipient)
                .join(Person, DisasterRecipient.person_id == Person.id)
                .join(DisasterAlert, DisasterRecipient.alert_id == DisasterAlert.id)
                .where(Person.household_id == household_id, DisasterAlert.state.in_(ACTIVE_STATES))
            ).all()
            for recipient in recipients:
                recipient.answer, recipient.answer_source, recipient.answered_at = "need_help", "button", now
        if recipients:
            log.warning("household %s pressed the emergency button during a disaster alert", household_id)
        return len(recipients)

    def vulnerable(self, alert_id: int) -> list[VulnerablePerson]:
        """Return the caseworker's list: every watched person the alert reached, nearest shelter's distance."""
        with self._sessions() as session:
            self._row(session, alert_id)
            rows = session.execute(
                select(DisasterRecipient, Person, Household)
                .join(Person, DisasterRecipient.person_id == Person.id)
                .join(Household, Person.household_id == Household.id)
                .where(DisasterRecipient.alert_id == alert_id)
                .order_by(Household.id, Person.id)
            ).all()
            open_rules: dict[str, list[str]] = {}
            for household_id, rule in session.execute(
                select(Alert.household_id, Alert.rule).where(Alert.state != "resolved")
            ):
                open_rules.setdefault(household_id, []).append(rule)
            return [
                VulnerablePerson(
                    recipient_id=recipient.id,
                    person_id=person.id,
                    name=person.name,
                    household_id=household.id,
                    address=household.address,
                    status=", ".join(sorted(open_rules.get(household.id, []))) or "ok",
                    answer=recipient.answer,
                    answered_at=recipient.answered_at,
                    shelter=recipient.shelter_name,
                    shelter_distance_m=recipient.shelter_distance_m,
                )
                for recipient, person, household in rows
            ]

    def safety_report(self, alert_id: int) -> SafetyReport:
        """Return the counts of answers and the watched people not heard from (the operator's live view)."""
        people = self.vulnerable(alert_id)
        with self._sessions() as session:
            answers = session.execute(
                select(DisasterRecipient.answer, func.count())
                .where(DisasterRecipient.alert_id == alert_id)
                .group_by(DisasterRecipient.answer)
            ).all()
        counter: Counter[str | None] = Counter({answer: int(count) for answer, count in answers})
        everyone = SafetyTally(
            total=sum(counter.values()), safe=counter[SafetyAnswer.SAFE.value], need_help=counter["need_help"]
        )
        watched = tally(len(people), (SafetyAnswer(person.answer) for person in people if person.answer))
        return SafetyReport(
            alert_id=alert_id,
            everyone=everyone,
            watched=watched,
            unanswered=[person for person in people if person.answer is None],
        )


class DisasterAwareLifecycle:
    """The watch lifecycle, plus: an emergency button during a disaster alert counts as "need help"."""

    def __init__(self, lifecycle: Any, desk: DisasterDesk) -> None:
        self._lifecycle = lifecycle
        self._desk = desk

    def apply(self, signals: Sequence[AlertSignal]) -> list[int]:
        touched: list[int] = self._lifecycle.apply(signals)
        for signal in signals:
            if signal.action == "raise" and signal.rule is RuleName.EMERGENCY_BUTTON:
                try:
                    self._desk.emergency_button(signal.household_id)
                except Exception:
                    log.exception("emergency button of %s not counted as a safety answer", signal.household_id)
        return touched

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lifecycle, name)


def link_secret(configured: str | None, data_dir: Path) -> str:
    """Return the safety links' secret: the configured one, else one generated once and kept in the data dir."""
    if configured:
        return configured
    path = data_dir / LINK_SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(secret)
    return secret


def _expiries(default_h: float, by_hazard: Mapping[str, float]) -> dict[Hazard | None, timedelta]:
    """Return the default expiry per hazard (None: every other); refuse unknown hazards and hours ≤ 0."""
    expiries: dict[Hazard | None, timedelta] = {None: timedelta(hours=default_h)}
    for name, hours in by_hazard.items():
        expiries[parse_hazard(name)] = timedelta(hours=hours)
    if any(expiry <= timedelta(0) for expiry in expiries.values()):
        raise ValueError("a disaster alert's default expiry must be positive")
    return expiries


def _check_point(lat: float, lon: float) -> None:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise DisasterError(f"not a location: {lat}, {lon}")


def _points(rows: Iterable[Any]) -> Points:
    """Return (keys, lat, lon) arrays of (id, lat, lon) rows."""
    data = np.array([tuple(row) for row in rows], dtype=np.float64).reshape(-1, 3)
    return data[:, 0].astype(np.int64), data[:, 1], data[:, 2]


def _keys(found: NDArray[np.int64]) -> set[int]:
    return set(found.tolist())


def _apprise_urls(stored: Any) -> list[str]:
    """Return a device's apprise URLs from the stored JSON (text on SQLite; decoded already by some drivers)."""
    if stored is None or isinstance(stored, list):
        return stored or []
    if stored in ("[]", "null", ""):
        return []
    urls = json.loads(stored)
    return [str(url) for url in urls] if isinstance(urls, list) else []


# what addressing a resident device needs: its Web Push subscription's parts and its apprise URLs
_CHANNELS = (
    ResidentDevice.webpush["endpoint"].as_string(),
    ResidentDevice.webpush[("keys", "p256dh")].as_string(),
    ResidentDevice.webpush[("keys", "auth")].as_string(),
    # as text: most devices have none, and decoding 200,000 empty lists is not free
    type_coerce(ResidentDevice.apprise_urls, Text),
)


class _DeviceAddresses:
    """Append a resident device's addresses (Web Push, apprise URLs) from a row with `_CHANNELS`."""

    def __init__(self) -> None:
        self._languages: dict[str | None, Language] = {}

    def __call__(
        self,
        addressees: list[Addressee],
        recipient_id: int,
        shelter_id: str | None,
        distance: float | None,
        device_id: int,
        code: str | None,
        channels: Sequence[Any],
    ) -> None:
        endpoint, p256dh, auth, apprise_urls = channels
        language = self._languages.get(code) or self._languages.setdefault(code, pick_language(code))
        if endpoint:
            subscription = (endpoint, p256dh or "", auth or "")
            addressees.append(
                Addressee(recipient_id, "webpush", "", language, shelter_id, distance, None, device_id, subscription)
            )
        for url in _apprise_urls(apprise_urls):
            addressees.append(Addressee(recipient_id, "apprise", url, language, shelter_id, distance, None, device_id))


def _in_force(now: datetime) -> Any:
    """The condition of an alert in force at `now`: released or updated, and not past its expiry."""
    return DisasterAlert.state.in_(ACTIVE_STATES) & (
        DisasterAlert.expires_at.is_(None) | (DisasterAlert.expires_at > now)
    )


def _any_in_force(session: Session, now: datetime) -> bool:
    return session.scalar(select(DisasterAlert.id).where(_in_force(now)).limit(1)) is not None


def _slices(count: int) -> Iterator[int]:
    """Yield the sizes of the slices `count` recipients are written in: a small first one, then larger."""
    size = FIRST_SLICE
    while count > 0:
        yield min(size, count)
        count -= size
        size = SLICE


def _plain_rows(connection: Connection, statement: Select[Any]) -> list[Any]:
    """Run a query whose values are all our own literals (ids, JSON paths) as plain tuples (`plain_rows`)."""
    return plain_rows(
        connection, str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    )


def _listed(column: Any, ids: Sequence[int]) -> Any:
    """Return `column IN (ids)` with the ids, our own integers, written into the statement.

    Five thousand bound parameters cost more to render than the query costs to run.
    """
    return column.op("IN")(literal_column(f"({','.join(str(int(key)) for key in ids)})"))


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _nearest_shelters(
    finder: ShelterFinder, lat: NDArray[np.float64], lon: NDArray[np.float64]
) -> list[dict[str, Any]]:
    """Return each point's nearest suitable shelter as a recipient row's columns (None when there is none)."""
    if not finder.shelters or len(lat) == 0:
        return [{"shelter_id": None, "shelter_name": None, "shelter_distance_m": None}] * len(lat)
    best, distances = finder.nearest_indices(lat, lon)
    columns = [
        {"shelter_id": shelter.id, "shelter_name": shelter.name, "shelter_distance_m": None}
        for shelter in finder.shelters
    ]
    return [
        {**columns[index], "shelter_distance_m": round(distance, 1)}
        for index, distance in zip(best.tolist(), distances.tolist(), strict=True)
    ]


def _shelters_by_id() -> dict[str, Shelter]:
    from maps import emergency_sites, evacuation_shelters

    # an emergency site wins over a designated shelter of the same id, as in shelter_choice
    return {shelter.id: shelter for shelter in (*evacuation_shelters(), *emergency_sites())}


def shelter_choice(recipient: DisasterRecipient) -> ShelterChoice | None:
    if recipient.shelter_id is None:
        return None
    from maps import emergency_sites, evacuation_shelters

    for shelter in (*emergency_sites(), *evacuation_shelters()):
        if shelter.id == recipient.shelter_id:
            return ShelterChoice(shelter=shelter, distance_m=recipient.shelter_distance_m or 0.0)
    return None
