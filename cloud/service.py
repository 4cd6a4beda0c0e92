"""The cloud service assembled: stores, rules, alert lifecycle, notification outbox, ingest and API.

Usable in-process (tests, the demo with an accelerated clock) and by ``mimamori serve``:

    with CloudService(Settings(data_dir=path, mqtt_port=port)) as service:
        ...
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from alerts.signals import HouseholdProfile
from cloud.config import Settings
from cloud.db.models import Household
from cloud.db.session import Sessions, make_sessions, migrate
from cloud.ingest import GatewayRegistry, IngestPipeline, IngestSnapshot, IngestStats, MqttIngest, RuleStream
from cloud.ingest.rules import learn_from_events, load_checkpoint
from cloud.telemetry import TelemetryStore, open_telemetry_store
from protocol import Clock, SystemClock

if TYPE_CHECKING:
    import uvicorn

    from cloud.ack_links import AckLinkSigner
    from cloud.alerting import AlertLifecycle
    from cloud.disaster import DisasterDesk
    from cloud.notifier import NotificationOutbox
    from cloud.trackers import TrackerDesk

log = logging.getLogger(__name__)

API_START_TIMEOUT_S = 15.0
# new container objects between two collections of the garbage collector's youngest generation
# (Python's default is 700): see `collect_garbage_less_often`
GC_YOUNG_THRESHOLD = 50_000


def collect_garbage_less_often() -> None:
    """Let Python's cycle collector run after 50,000 new objects rather than 700 (the whole process).

    A fan-out to a ward or a burst of readings makes hundreds of thousands of short-lived tuples;
    at the default, each few hundred of them start a collection, and every tenth of tenth of
    those walks every object the service holds. At 200,000 recipients that was a sixth of the
    desk's CPU. Reference counting still frees nearly everything at once; only cycles wait longer.
    """
    young, middle, old = gc.get_threshold()
    if 0 < young < GC_YOUNG_THRESHOLD:  # 0: collection is off, left so
        gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


class ServiceNotStarted(RuntimeError):
    """The service was asked for something that exists only after start()."""


def profile_from_household(
    household: Household, *, gateway_offline_after_s: float = 180.0, overrides: dict[str, Any] | None = None
) -> HouseholdProfile:
    """Return what the rules need to know of a household (people and gateways loaded)."""
    from cloud.watch_settings import watch_settings_of

    person_name = household.people[0].name if household.people else household.name
    return HouseholdProfile(
        household_id=household.id,
        person_name=person_name,
        gateway_ids=frozenset(gateway.id for gateway in household.gateways),
        settings=watch_settings_of(household, overrides, gateway_offline_after_s=gateway_offline_after_s),
    )


def load_profiles(sessions: Sessions, *, gateway_offline_after_s: float = 180.0) -> list[HouseholdProfile]:
    """Return the rule profile of every household."""
    with sessions() as session:
        from cloud.db.watch import HouseholdWatchRules

        overrides = {row.household_id: row.settings for row in session.scalars(select(HouseholdWatchRules))}
        households = session.scalars(
            select(Household).options(selectinload(Household.people), selectinload(Household.gateways))
        )
        return [
            profile_from_household(
                household, gateway_offline_after_s=gateway_offline_after_s, overrides=overrides.get(household.id)
            )
            for household in households
        ]


def _ack_links(settings: Settings) -> AckLinkSigner:
    """Return the signer of one-tap acknowledgement links, with the configured or kept secret."""
    from datetime import timedelta

    from cloud.ack_links import AckLinkSigner, link_secret

    configured = settings.ack_link_secret.get_secret_value() if settings.ack_link_secret else None
    secret = link_secret(configured=configured, demo=settings.demo, data_dir=settings.data_dir)
    return AckLinkSigner(secret, ttl=timedelta(hours=settings.ack_link_ttl_h))


def _disaster_desk(service: CloudService) -> DisasterDesk:
    """Assemble the disaster desk: Web Push with the data dir's VAPID keys, apprise, the link secret."""
    from alerts.channels import AppriseChannel
    from alerts.channels.webpush import VapidKeys, WebPushChannel
    from cloud.disaster import DisasterDesk, link_secret

    settings = service.settings
    secret = settings.disaster_link_secret
    return DisasterDesk(
        sessions=service.sessions,
        clock=service.clock,
        link_secret=link_secret(None if secret is None else secret.get_secret_value(), settings.data_dir),
        links_base_url=lambda: settings.public_url or service.api_url or "http://127.0.0.1:8000",
        sender=settings.disaster_sender,
        apprise=AppriseChannel(),
        webpush=WebPushChannel(VapidKeys.load_or_create(settings.data_dir), subject=settings.webpush_subject),
        approval_required=settings.disaster_approval_required,
        release_imports=settings.disaster_cap_release,
        cap_feeds=settings.disaster_cap_feeds,
        cap_poll_s=settings.disaster_cap_poll_s,
        expiry_h=settings.disaster_expiry_h,
        expiry_h_by_hazard=settings.disaster_expiry_h_by_hazard,
    )


class CloudService:
    """The whole cloud server in one object: start() brings it up, stop() takes it down."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._stats = IngestStats()
        self._sessions: Sessions | None = None
        self._telemetry: TelemetryStore | None = None
        self._lifecycle: AlertLifecycle | None = None
        self._outbox: NotificationOutbox | None = None
        self._disaster: DisasterDesk | None = None
        self._ingest: MqttIngest | None = None
        self._registry: GatewayRegistry | None = None
        self._rules: RuleStream | None = None
        self._api_server: uvicorn.Server | None = None
        self._api_thread: threading.Thread | None = None
        self._api_port: int | None = None
        self._started = False
        # trackers and safe zones (cloud.trackers): OwnTracks bridge, batched zone rules
        self.tracker_desk: TrackerDesk | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> CloudService:
        """Migrate the database, open the stores and start rules, notifications, ingest and the API."""
        from alerts.channels import AppriseChannel
        from alerts.engine import RuleEngine
        from cloud.alerting import AlertLifecycle
        from cloud.disaster import DisasterAwareLifecycle
        from cloud.notifier import NotificationOutbox

        if self._started:
            return self
        collect_garbage_less_often()
        settings = self.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        migrate(settings.database_url)
        sessions = self._sessions = make_sessions(settings.database_url)
        self._telemetry = open_telemetry_store(settings.telemetry_url)
        try:
            profiles = load_profiles(sessions, gateway_offline_after_s=settings.gateway_offline_after_s)
            engine = RuleEngine(profiles=profiles, checkpoint=load_checkpoint(sessions))
            # a routine lost with the checkpoint (or never saved) is learned again from stored events
            learn_from_events(engine, sessions, now=self.clock.now())
            self._outbox = NotificationOutbox(sessions=sessions, clock=self.clock, channel=AppriseChannel())
            self._lifecycle = AlertLifecycle(
                sessions=sessions,
                clock=self.clock,
                on_notification=self._outbox.wake,
                public_url=settings.public_url,
                links=_ack_links(settings),
            )
            # escalation steps and reminders fall due on the outbox's one-second poll
            self._outbox.add_duty(self._lifecycle.run_escalations)
            self._disaster = _disaster_desk(self)
            self._registry = GatewayRegistry(sessions)
            self._registry.reload()
            pipeline = IngestPipeline(
                sessions=sessions,
                telemetry=self._telemetry,
                clock=self.clock,
                stats=self._stats,
                max_payload_bytes=settings.max_payload_bytes,
                registry=self._registry,
            )
            self._rules = RuleStream(
                rules=engine,
                # an emergency button during a disaster alert also counts as "need help"
                lifecycle=DisasterAwareLifecycle(self._lifecycle, self._disaster),
                sessions=sessions,
                clock=self.clock,
                stats=self._stats,
                profiles=profiles,
            )
            self._ingest = MqttIngest(settings=settings, pipeline=pipeline, rules=self._rules, stats=self._stats)
            self._outbox.start()
            self._disaster.start()
            self._ingest.start()
            self._start_tracker_desk()
            self._started = True
            if settings.api_port is not None:
                self._start_api()
        except BaseException:
            self.stop()
            raise
        log.info(
            "cloud service started: %d household(s), broker %s:%d, API %s",
            len(profiles),
            settings.mqtt_host,
            settings.mqtt_port,
            self.api_url or "off",
        )
        return self

    def stop(self) -> None:
        """Stop the API, ingest (saving the rule state) and the outbox; close the stores."""
        if self._api_server is not None:
            self._api_server.should_exit = True
        if self._api_thread is not None:
            self._api_thread.join(timeout=10)
        self._api_server = self._api_thread = None
        if self.tracker_desk is not None:
            self.tracker_desk.stop()
            self.tracker_desk = None
        if self._ingest is not None:
            self._ingest.stop()
            self._ingest = None
        if self._outbox is not None:
            self._outbox.stop()
            self._outbox = None
        if self._disaster is not None:
            self._disaster.stop()
            self._disaster = None
        if self._telemetry is not None:
            self._telemetry.close()
            self._telemetry = None
        if self._sessions is not None:
            self._sessions.kw["bind"].dispose()
        self._started = False

    def __enter__(self) -> CloudService:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def _start_tracker_desk(self) -> None:
        from cloud.trackers import TrackerDesk, TrackerDeskSettings

        assert self._sessions is not None
        self.tracker_desk = TrackerDesk(
            sessions=self._sessions,
            lifecycle=self._lifecycle,
            clock=self.clock,
            settings=TrackerDeskSettings.from_settings(self.settings),
        ).start()

    def _start_api(self) -> None:
        import uvicorn

        from cloud.api import create_app

        settings = self.settings
        config = uvicorn.Config(
            create_app(self),
            host=settings.api_host,
            port=settings.api_port or 0,
            log_level="warning",
            access_log=False,
            lifespan="off",
            # open live-update streams (SSE) would otherwise hold the shutdown forever
            timeout_graceful_shutdown=1,
        )
        server = self._api_server = uvicorn.Server(config)
        self._api_thread = threading.Thread(target=server.run, name="mimamori-api", daemon=True)
        self._api_thread.start()
        deadline = time.monotonic() + API_START_TIMEOUT_S
        while not server.started:
            if not self._api_thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the API could not listen on {settings.api_host}:{settings.api_port}")
            time.sleep(0.01)
        sockets = [sock for listener in server.servers for sock in listener.sockets]
        self._api_port = int(sockets[0].getsockname()[1]) if sockets else settings.api_port

    # --- what others use --------------------------------------------------------------------------

    def refresh_households(self) -> None:
        """Make ingest and the rules see provisioning changes (households, gateways, settings)."""
        sessions = self.sessions
        registry, rules, ingest = self._registry, self._rules, self._ingest
        if registry is None or rules is None or ingest is None:
            raise ServiceNotStarted("start the service first")
        profiles = load_profiles(sessions, gateway_offline_after_s=self.settings.gateway_offline_after_s)

        def apply() -> None:
            registry.reload()
            rules.set_profiles(profiles)

        ingest.call(apply)

    @property
    def sessions(self) -> Sessions:
        if self._sessions is None:
            raise ServiceNotStarted("start the service first")
        return self._sessions

    @property
    def telemetry(self) -> TelemetryStore:
        if self._telemetry is None:
            raise ServiceNotStarted("start the service first")
        return self._telemetry

    @property
    def lifecycle(self) -> AlertLifecycle:
        if self._lifecycle is None:
            raise ServiceNotStarted("start the service first")
        return self._lifecycle

    @property
    def disaster(self) -> DisasterDesk:
        if self._disaster is None:
            raise ServiceNotStarted("start the service first")
        return self._disaster

    @property
    def outbox(self) -> NotificationOutbox:
        if self._outbox is None:
            raise ServiceNotStarted("start the service first")
        return self._outbox

    @property
    def stats(self) -> IngestSnapshot:
        """Ingest counters now."""
        if self._ingest is None:
            return self._stats.snapshot()
        return self._ingest.snapshot()

    @property
    def broker_connected(self) -> bool:
        return self._stats.broker_connected

    @property
    def started(self) -> bool:
        return self._started

    @property
    def api_url(self) -> str | None:
        """Base URL of the running API (http://host:port), or None when it is off."""
        if self._api_port is None:
            return None
        host = self.settings.api_host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._api_port}"

    def database_ok(self) -> bool:
        """Tell whether the entity store answers."""
        try:
            with self.sessions() as session:
                session.execute(select(1))
        except Exception:
            log.exception("entity store health check failed")
            return False
        return True
