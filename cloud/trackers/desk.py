"""The tracker desk: bridges OwnTracks to our topics, evaluates every fix against safe zones.

One MQTT client subscribes to the OwnTracks topics (``owntracks/+/+`` by default) and to every
gateway's location and presence topics. An OwnTracks location is re-published as a `LocationFix` of the
bridge gateway, so ingest stores it like any other fix; location fixes of known trackers
(from home gateways, town beacon receivers and the bridge) are queued for the safe-zone
rules, and BLE tags' presence reports (home / not_home) for "left home at night". One
worker thread drains the queue in batches, runs the timers every `tick_s`,
reloads trackers and zones when they change, checkpoints the rule state, and deletes
location history older than `retention_days` (30 by default) every hour.

Bad payloads are counted by reason and dropped; nothing a device sends stops the desk.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy import select

from alerts.rules.safe_zone import SafeZoneConfig, SafeZoneWatch, TagPresenceReport, TrackerFix
from alerts.signals import AlertSignal
from cloud.db.models import RuleCheckpoint
from cloud.db.session import Sessions
from cloud.trackers.live import LivePositions
from cloud.trackers.registry import WatchInputs, generation, load_watch_inputs
from cloud.trackers.retention import DEFAULT_RETENTION_DAYS, purge_location_history
from cloud.trackers.sources import DEFAULT_OWNTRACKS_TOPIC, SourceError, owntracks_fix
from maps.zones import ZoneIndex
from protocol import (
    Clock,
    LocationFix,
    LocationSource,
    PayloadError,
    Presence,
    PresenceState,
    TopicError,
    TopicKind,
    decode,
    encode,
    new_message_id,
    parse_topic,
    topic_for,
)

if TYPE_CHECKING:
    from cloud.config import Settings
    from cloud.ingest.rules import Lifecycle

log = logging.getLogger(__name__)

CHECKPOINT_KEY = "trackers"
LOCATION_FILTER = "mimamori/v1/+/location"
PRESENCE_FILTER = "mimamori/v1/+/presence"


@dataclass(frozen=True, slots=True)
class TrackerDeskSettings:
    """How the desk reaches the broker and how often it looks again."""

    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_tls_ca: str | None = None
    owntracks_topic: str = DEFAULT_OWNTRACKS_TOPIC
    tick_s: float = 1.0
    reload_every_s: float = 2.0
    checkpoint_every_s: float = 30.0
    retention_days: float = DEFAULT_RETENTION_DAYS
    purge_every_s: float = 3600.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> TrackerDeskSettings:
        """Take the broker and the timer period of the cloud's settings."""
        password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
        values: dict[str, Any] = {
            "tick_s": settings.rule_tick_s,
            "reload_every_s": max(2 * settings.rule_tick_s, 0.1),
            "mqtt_host": settings.mqtt_host,
            "mqtt_port": settings.mqtt_port,
            "mqtt_username": settings.mqtt_username,
            "mqtt_password": password,
            "mqtt_tls_ca": str(settings.mqtt_tls_ca) if settings.mqtt_tls_ca else None,
        }
        values.update(overrides)
        return cls(**values)


class TrackerDesk:
    """Bridge OwnTracks, evaluate fixes against safe zones, hand the signals to the alert lifecycle."""

    def __init__(
        self,
        *,
        sessions: Sessions,
        lifecycle: Lifecycle | None,
        clock: Clock,
        settings: TrackerDeskSettings | None = None,
        config: SafeZoneConfig | None = None,
    ) -> None:
        self.settings = settings or TrackerDeskSettings()
        self.config = config or SafeZoneConfig()
        self._sessions = sessions
        self._lifecycle = lifecycle
        self._clock = clock
        self._queue: queue.Queue[LocationFix | Presence] = queue.Queue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: mqtt.Client | None = None
        self._inputs: WatchInputs | None = None
        self._watch: SafeZoneWatch | None = None
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self.dropped: Counter[str] = Counter()
        self.bridged = 0
        self.evaluated = 0
        self.signals_applied = 0
        # every accepted fix also goes to the live views open in this process (the API's streams)
        self.live = LivePositions()

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> TrackerDesk:
        """Load trackers and zones, connect, and start the worker."""
        self._load(restore=True)
        client = self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"mimamori-trackers-{new_message_id()[:12]}"
        )
        if self.settings.mqtt_username:
            client.username_pw_set(self.settings.mqtt_username, self.settings.mqtt_password)
        if self.settings.mqtt_tls_ca:
            client.tls_set(ca_certs=self.settings.mqtt_tls_ca, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.connect_async(self.settings.mqtt_host, self.settings.mqtt_port)
        client.loop_start()
        self._thread = threading.Thread(target=self._run, name="mimamori-trackers", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the worker, save the rule state, disconnect."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None
        self.save_checkpoint()

    @property
    def watch(self) -> SafeZoneWatch:
        """The safe-zone rules with their current state."""
        if self._watch is None:
            raise RuntimeError("the tracker desk is not started")
        return self._watch

    # --- what others use -----------------------------------------------------------------------

    def publish_fix(self, fix: LocationFix) -> None:
        """Send a bridged fix to the broker (QoS 1) for ingest and the desk to pick up."""
        client = self._client
        if client is None:
            raise RuntimeError("the tracker desk is not started")
        client.publish(topic_for(fix.gateway_id, TopicKind.LOCATION), encode(fix), qos=1)
        self.bridged += 1

    def observe(self, fixes: Sequence[LocationFix]) -> list[AlertSignal]:
        """Evaluate fixes now (the worker calls this with what the broker delivered)."""
        with self._lock:
            inputs, watch = self._inputs, self._watch
            if inputs is None or watch is None:
                return []
            batch: list[TrackerFix] = []
            accepted: list[tuple[str, LocationFix]] = []
            for fix in fixes:
                tracker_id = inputs.by_device.get((fix.gateway_id, fix.device_id))
                if tracker_id is None and fix.source is LocationSource.BEACON_RECEIVER:
                    tracker_id = inputs.by_external.get(fix.device_id)
                if tracker_id is None:
                    self.dropped["unknown_tracker"] += 1
                    continue
                batch.append(
                    TrackerFix(
                        tracker_id=tracker_id,
                        lat=fix.lat,
                        lon=fix.lon,
                        ts=fix.ts,
                        accuracy_m=fix.accuracy_m,
                        battery_pct=fix.battery_pct,
                    )
                )
                accepted.append((tracker_id, fix))
            signals = watch.observe(batch)
            self.evaluated += len(batch)
        self.live.publish(accepted)
        self._apply(signals)
        return signals

    def observe_presence(self, reports: Sequence[Presence]) -> list[AlertSignal]:
        """Judge BLE tags' presence reports now (the worker calls this with what the broker delivered)."""
        with self._lock:
            inputs, watch = self._inputs, self._watch
            if inputs is None or watch is None:
                return []
            batch: list[TagPresenceReport] = []
            for report in reports:
                tracker_id = inputs.by_device.get((report.gateway_id, report.device_id))
                if tracker_id is None:
                    self.dropped["unknown_tracker"] += 1
                    continue
                batch.append(
                    TagPresenceReport(
                        tracker_id=tracker_id,
                        home=report.state is PresenceState.HOME,
                        ts=report.ts,
                        last_heard=report.last_heard,
                    )
                )
            signals = watch.observe_presence(batch)
        self._apply(signals)
        return signals

    def tick(self, now: datetime | None = None) -> list[AlertSignal]:
        """Run the timers (no fix while out, not back by)."""
        with self._lock:
            if self._watch is None:
                return []
            signals = self._watch.tick(now or self._clock.now())
        self._apply(signals)
        return signals

    def reload(self) -> None:
        """Load trackers and zones again, keeping the state of trackers that remain."""
        self._load(restore=False)

    def save_checkpoint(self) -> None:
        """Save the rules' state so exits and timers survive a restart."""
        with self._lock:
            if self._watch is None:
                return
            state = self._watch.state_json()
        try:
            with self._sessions.begin() as session:
                session.merge(RuleCheckpoint(key=CHECKPOINT_KEY, state=state, saved_at=self._clock.now()))
        except Exception:
            log.exception("could not save the tracker checkpoint")

    # --- inside --------------------------------------------------------------------------------

    def _load(self, *, restore: bool) -> None:
        inputs = load_watch_inputs(self._sessions)
        saved: dict[str, Any] | None
        with self._lock:
            if restore:
                with self._sessions() as session:
                    saved = session.scalar(select(RuleCheckpoint.state).where(RuleCheckpoint.key == CHECKPOINT_KEY))
            else:
                saved = self._watch.state_json() if self._watch is not None else None
            ids = [profile.tracker_id for profile in inputs.profiles]
            self._watch = SafeZoneWatch(
                trackers=inputs.profiles,
                zones=ZoneIndex(inputs.zones, tracker_ids=ids),
                config=self.config,
                saved=saved,
            )
            self._inputs = inputs
        log.info("tracker desk: %d trackers, %d zones", len(inputs.profiles), len(inputs.zones))

    def _apply(self, signals: Sequence[AlertSignal]) -> None:
        if not signals or self._lifecycle is None:
            return
        try:
            self._lifecycle.apply(signals)
            self.signals_applied += len(signals)
        except Exception:
            log.exception("alert lifecycle failed on %d tracker signal(s)", len(signals))

    def _run(self) -> None:
        next_tick = next_reload = next_checkpoint = next_purge = time.monotonic()
        settings = self.settings
        while not self._stopping.is_set():
            received: list[LocationFix | Presence] = []
            try:
                received.append(self._queue.get(timeout=0.1))
                while len(received) < 10_000:
                    received.append(self._queue.get_nowait())
            except queue.Empty:
                pass
            try:
                fixes = [item for item in received if isinstance(item, LocationFix)]
                if fixes:
                    self.observe(fixes)
                # after the fixes of the same batch: a tag's "home" follows its arrival fix
                presence = [item for item in received if isinstance(item, Presence)]
                if presence:
                    self.observe_presence(presence)
                now = time.monotonic()
                if now >= next_tick:
                    next_tick = now + settings.tick_s
                    self.tick()
                if now >= next_reload:
                    next_reload = now + settings.reload_every_s
                    self._reload_if_changed()
                if now >= next_checkpoint:
                    next_checkpoint = now + settings.checkpoint_every_s
                    self.save_checkpoint()
                if now >= next_purge:
                    next_purge = now + settings.purge_every_s
                    purge_location_history(self._sessions, now=self._clock.now(), keep_days=settings.retention_days)
            except Exception:
                # one bad batch must not end the watch of every tracker
                log.exception("tracker desk worker failed; going on")

    def _reload_if_changed(self) -> None:
        with self._sessions() as session:
            current = generation(session)
        inputs = self._inputs
        if inputs is None or current != inputs.generation:
            self.reload()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, properties: Any) -> None:
        if reason.is_failure:
            log.error("tracker desk: broker refused the connection: %s", reason)
            return
        client.subscribe([(self.settings.owntracks_topic, 1), (LOCATION_FILTER, 1), (PRESENCE_FILTER, 1)])
        self.connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, properties: Any
    ) -> None:
        self.connected.clear()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        topic = message.topic
        try:
            if topic.startswith("mimamori/"):
                parsed = parse_topic(topic)
                item = decode(parsed.kind, bytes(message.payload))
                if not isinstance(item, LocationFix | Presence) or item.gateway_id != parsed.gateway_id:
                    self.dropped["topic_mismatch"] += 1
                    return
                self._queue.put(item)
                return
            external = owntracks_fix(topic, bytes(message.payload))
            if external is None:
                self.dropped["not_a_location"] += 1
                return
            inputs = self._inputs
            tracker_id = None if inputs is None else inputs.by_external.get(external.external_id)
            if tracker_id is None:
                self.dropped["unknown_tracker"] += 1
                log.info("OwnTracks fix of unregistered device %s dropped", external.external_id)
                return
            self.publish_fix(external.to_location_fix(device_id=tracker_id))
        except SourceError as exc:
            self.dropped[exc.reason] += 1
            log.warning("tracker payload on %s dropped: %s", topic, exc)
        except (PayloadError, TopicError) as exc:
            self.dropped[getattr(exc, "reason", "bad_topic")] += 1
            log.warning("location payload on %s dropped: %s", topic, exc)
        except Exception:
            self.dropped["error"] += 1
            log.exception("tracker payload on %s not handled", topic)


class BridgePublisher:
    """Publish bridged fixes to the broker from a process without a desk (the API's OsmAnd route)."""

    def __init__(self, settings: TrackerDeskSettings) -> None:
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"mimamori-bridge-{new_message_id()[:12]}"
        )
        if settings.mqtt_username:
            self._client.username_pw_set(settings.mqtt_username, settings.mqtt_password)
        if settings.mqtt_tls_ca:
            self._client.tls_set(ca_certs=settings.mqtt_tls_ca, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client.connect(settings.mqtt_host, settings.mqtt_port)
        self._client.loop_start()

    def publish(self, fix: LocationFix, *, timeout_s: float = 5.0) -> bool:
        """Publish one fix at QoS 1; True once the broker has it."""
        info = self._client.publish(topic_for(fix.gateway_id, TopicKind.LOCATION), encode(fix), qos=1)
        info.wait_for_publish(timeout=timeout_s)
        return info.is_published()

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()
