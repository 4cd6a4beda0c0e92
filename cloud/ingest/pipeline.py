"""One batch of uplink messages: validate every message, then store the good ones in one transaction.

Validation happens before any write, so a bad message is counted and dropped without touching
the good ones beside it. Storing is idempotent: a message id already seen is dropped, and
telemetry writes of the same sample replace each other.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from alerts.signals import EventObserved, GatewayHeard, Observation
from cloud.db.bulk import insert_rows, update_from_rows
from cloud.db.models import Device, Gateway, LocationRecord, SeenMessage, StoredEvent
from cloud.db.session import Sessions
from cloud.ingest.rules import ReadingGate, reading_observations
from cloud.ingest.stats import IngestStats
from cloud.telemetry import Sample, TelemetryStore
from cloud.trackers.presence import store_presence
from protocol import (
    UPLINK_KINDS,
    Clock,
    Event,
    EventKind,
    GatewayState,
    GatewayStatus,
    LocationFix,
    Metric,
    ParsedTopic,
    PayloadError,
    Presence,
    ReadingBatch,
    TopicError,
    TopicKind,
    decode,
    parse_topic,
)

log = logging.getLogger(__name__)

RECENT_IDS_KEPT = 200_000
UNKNOWN_GATEWAY_RELOAD_S = 5.0
REJECT_LOG_INTERVAL_S = 10.0
# SQLite allows 32766 host parameters per statement; stay well below for IN (...) lists
ID_CHUNK = 900
TOPIC_CACHE_SIZE = 100_000
# a gateway's plain 'heard' goes to the rules, and its last_seen_at to the database, at most this
# often (status messages always do): the rules count silence in minutes
GATEWAY_SEEN_RESOLUTION = timedelta(seconds=5)

_DEVICE_KIND_BY_EVENT = {
    EventKind.BUTTON_PRESSED: "button",
    EventKind.DOOR_OPENED: "door",
    EventKind.DOOR_CLOSED: "door",
    EventKind.MOTION_DETECTED: "motion",
}

_events: Table = StoredEvent.__table__  # type: ignore[assignment]
_locations: Table = LocationRecord.__table__  # type: ignore[assignment]
_seen: Table = SeenMessage.__table__  # type: ignore[assignment]
_devices: Table = Device.__table__  # type: ignore[assignment]
_gateways: Table = Gateway.__table__  # type: ignore[assignment]


class RawMessage(NamedTuple):
    """An MQTT message as it came off the wire, with what is needed to acknowledge it."""

    topic: str
    payload: bytes
    mid: int = 0
    qos: int = 1
    generation: int = 0


class Accepted(NamedTuple):
    """A message that passed validation, with the household its gateway belongs to."""

    kind: TopicKind
    message: ReadingBatch | Event | LocationFix | Presence | GatewayStatus
    household_id: str | None


@dataclass(slots=True)
class _DeviceSeen:
    kind: str
    last_seen: datetime | None = None


@dataclass(slots=True)
class _StoreRows:
    seen: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    locations: list[dict[str, Any]] = field(default_factory=list)
    presence: list[Presence] = field(default_factory=list)
    new_devices: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    device_updates: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    gateway_updates: dict[str, dict[str, Any]] = field(default_factory=dict)


def _device_kind(accepted: Accepted) -> str:
    message = accepted.message
    if isinstance(message, Event):
        return _DEVICE_KIND_BY_EVENT.get(message.kind, "unknown")
    if isinstance(message, LocationFix | Presence):
        return "tracker"
    return "unknown"


def _insert_ignoring_conflicts(table: Table, dialect: str) -> Any:
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return insert(table)


class GatewayRegistry:
    """Registered gateways and their households, kept in memory and reloaded on change."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self._households: dict[str, str | None] = {}
        self._devices: dict[tuple[str, str], _DeviceSeen] = {}
        self._loaded_at = float("-inf")

    def reload(self) -> None:
        """Read gateways and devices from the entity store."""
        with self._sessions() as session:
            gateways = {row.id: row.household_id for row in session.execute(select(Gateway.id, Gateway.household_id))}
            rows = session.execute(select(Device.gateway_id, Device.device_id, Device.kind, Device.last_seen_at))
            devices = {
                (row.gateway_id, row.device_id): _DeviceSeen(kind=row.kind, last_seen=row.last_seen_at) for row in rows
            }
        self._households = gateways
        self._devices = devices
        self._loaded_at = time.monotonic()

    def known(self, gateway_id: str) -> bool:
        """Tell whether a gateway is registered, reloading (rate-limited) when it looks unknown."""
        if gateway_id in self._households:
            return True
        if time.monotonic() - self._loaded_at >= UNKNOWN_GATEWAY_RELOAD_S:
            # another process (the CLI) may have registered it since the last load
            self.reload()
        return gateway_id in self._households

    def household_of(self, gateway_id: str) -> str | None:
        """Return the household a registered gateway belongs to, if any."""
        return self._households.get(gateway_id)

    def device(self, gateway_id: str, device_id: str) -> _DeviceSeen | None:
        return self._devices.get((gateway_id, device_id))

    def remember_device(self, gateway_id: str, device_id: str, seen: _DeviceSeen) -> None:
        self._devices[(gateway_id, device_id)] = seen


class RecentIds:
    """The newest message ids seen, bounded, so most duplicates are caught without a query."""

    def __init__(self, capacity: int = RECENT_IDS_KEPT) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def __contains__(self, msg_id: object) -> bool:
        return msg_id in self._ids

    def add_all(self, ids: Iterable[str]) -> None:
        for msg_id in ids:
            self._ids[msg_id] = None
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)


class RejectLog:
    """Log dropped messages, at most one line per reason every few seconds."""

    def __init__(self, interval_s: float = REJECT_LOG_INTERVAL_S) -> None:
        self._interval_s = interval_s
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def note(self, reason: str, topic: str, detail: str) -> None:
        now = time.monotonic()
        if now - self._last.get(reason, float("-inf")) < self._interval_s:
            self._suppressed[reason] = self._suppressed.get(reason, 0) + 1
            return
        suppressed = self._suppressed.pop(reason, 0)
        self._last[reason] = now
        log.warning(
            "dropped message on %s: %s (%s)%s",
            topic[:200],
            reason,
            detail[:200],
            f"; {suppressed} more of this kind since the last line" if suppressed else "",
        )


class IngestPipeline:
    """Validate and store batches of uplink messages; return what the rules should observe."""

    def __init__(
        self,
        *,
        sessions: Sessions,
        telemetry: TelemetryStore,
        clock: Clock,
        stats: IngestStats,
        max_payload_bytes: int,
        registry: GatewayRegistry | None = None,
    ) -> None:
        self._sessions = sessions
        self._telemetry = telemetry
        self._clock = clock
        self._stats = stats
        self._max_payload_bytes = max_payload_bytes
        self.registry = registry or GatewayRegistry(sessions)
        self._recent = RecentIds()
        self._reading_gate = ReadingGate()
        self._reject_log = RejectLog()
        self._dialect = sessions.kw["bind"].dialect.name
        # plain DB-API statements on SQLite; SQLAlchemy core (any database) otherwise
        self.fast_sqlite = self._dialect == "sqlite"
        self._topics: dict[str, ParsedTopic | TopicError] = {}
        self._last_heard: dict[str, datetime] = {}
        self._gateway_written: dict[str, datetime] = {}

    def _reject(self, reason: str, topic: str, detail: str) -> None:
        self._stats.reject(reason)
        self._reject_log.note(reason, topic, detail)

    def _parse_topic(self, topic: str) -> ParsedTopic | TopicError:
        # a gateway uses the same few topics all day: parse each once
        parsed = self._topics.get(topic)
        if parsed is None:
            if len(self._topics) >= TOPIC_CACHE_SIZE:
                self._topics.clear()
            try:
                parsed = parse_topic(topic)
            except TopicError as exc:
                parsed = exc
            self._topics[topic] = parsed
        return parsed

    def validate(self, batch: Sequence[RawMessage]) -> list[Accepted]:
        """Check every message; count and drop the bad ones; return the good ones in arrival order."""
        accepted: list[Accepted] = []
        batch_ids: set[str] = set()
        for raw in batch:
            topic = raw.topic
            if len(raw.payload) > self._max_payload_bytes:
                self._reject("oversize", topic, f"{len(raw.payload)} bytes")
                continue
            parsed = self._parse_topic(topic)
            if isinstance(parsed, TopicError):
                self._reject("bad_topic", topic, str(parsed))
                continue
            if parsed.kind not in UPLINK_KINDS:
                # the cloud publishes config itself; seeing it back on the wildcard is expected
                self._stats.ignored += 1
                continue
            try:
                message = decode(parsed.kind, raw.payload)
            except PayloadError as exc:
                self._reject(exc.reason, topic, exc.detail)
                continue
            if message.gateway_id != parsed.gateway_id:
                self._reject("topic_mismatch", topic, f"payload says gateway {message.gateway_id!r}")
                continue
            if not self.registry.known(parsed.gateway_id):
                self._reject("unknown_gateway", topic, "gateway is not registered")
                continue
            if message.msg_id in batch_ids or message.msg_id in self._recent:
                self._stats.reject("duplicate")
                continue
            batch_ids.add(message.msg_id)
            accepted.append(
                Accepted(
                    kind=parsed.kind,
                    message=message,  # type: ignore[arg-type]
                    household_id=self.registry.household_of(parsed.gateway_id),
                )
            )
        return accepted

    def store(self, accepted: Sequence[Accepted]) -> list[Observation]:
        """Store a validated batch in one transaction (not yet seen ids only); return observations.

        Raises the database's error when the transaction fails; nothing of the batch is then kept
        in the entity store, and a retry is safe.
        """
        if not accepted:
            return []
        now = self._clock.now()
        engine = self._sessions.kw["bind"]
        # telemetry first, outside the entity transaction so other writers are held up less; writes are
        # idempotent, so a duplicate or a crash before the commit below only rewrites the same samples
        self._telemetry.write(_samples(accepted))
        with engine.begin() as connection:
            if self.fast_sqlite:
                fresh = self._claim_ids_sqlite(connection, accepted, now)
            else:
                fresh = self._drop_seen(connection, accepted)
            if not fresh:
                return []
            rows = self._rows(fresh, now)
            if self.fast_sqlite:
                self._write_sqlite(connection, rows)
            else:
                self._write(connection, rows)
            # a tag's presence: rare, and kept per tag (the tracker area owns how)
            store_presence(connection, rows.presence, received_at=now)
        self._after_commit(fresh, rows)
        return self._observations(fresh, now)

    # --- SQLite: plain DB-API statements, the hot path of the embedded default ------------------

    def _claim_ids_sqlite(self, connection: Connection, accepted: Sequence[Accepted], now: datetime) -> list[Accepted]:
        """Record the batch's message ids as seen and return the messages whose id was new."""
        cursor = _dbapi(connection).cursor()
        received = _sqlite_time(now)
        ids = [item.message.msg_id for item in accepted]
        # one statement both de-duplicates and records: RETURNING names only the rows inserted
        inserted = insert_rows(
            cursor,
            "INSERT INTO seen_messages (msg_id, received_at)",
            [(msg_id, received) for msg_id in ids],
            tail="ON CONFLICT DO NOTHING RETURNING msg_id",
        )
        fresh = {row[0] for row in inserted}
        duplicates = len(ids) - len(fresh)
        if not duplicates:
            return list(accepted)
        self._stats.reject("duplicate", duplicates)
        self._recent.add_all(msg_id for msg_id in ids if msg_id not in fresh)
        return [item for item in accepted if item.message.msg_id in fresh]

    def _write_sqlite(self, connection: Connection, rows: _StoreRows) -> None:
        cursor = _dbapi(connection).cursor()
        formatted: dict[datetime, str] = {}

        def t(moment: datetime) -> str:
            # most rows of a batch share a few times (the batch's arrival, a gateway's send time)
            text = formatted.get(moment)
            if text is None:
                text = formatted[moment] = _sqlite_time(moment)
            return text

        insert_rows(
            cursor,
            "INSERT INTO events (msg_id, gateway_id, household_id, device_id, kind, room, ts, received_at)",
            [
                (
                    r["msg_id"],
                    r["gateway_id"],
                    r["household_id"],
                    r["device_id"],
                    r["kind"],
                    r["room"],
                    t(r["ts"]),
                    t(r["received_at"]),
                )
                for r in rows.events
            ],
        )
        insert_rows(
            cursor,
            "INSERT INTO location_fixes (msg_id, gateway_id, device_id, lat, lon, accuracy_m, source, ts, received_at)",
            [
                (
                    r["msg_id"],
                    r["gateway_id"],
                    r["device_id"],
                    r["lat"],
                    r["lon"],
                    r["accuracy_m"],
                    r["source"],
                    t(r["ts"]),
                    t(r["received_at"]),
                )
                for r in rows.locations
            ],
        )
        insert_rows(
            cursor,
            "INSERT INTO devices (gateway_id, device_id, kind, room, label, battery_pct, last_seen_at)",
            [
                (
                    r["gateway_id"],
                    r["device_id"],
                    r["kind"],
                    r["room"],
                    r["label"],
                    r["battery_pct"],
                    t(r["last_seen_at"]),
                )
                for r in rows.new_devices.values()
            ],
            tail="ON CONFLICT DO NOTHING",
        )
        update_from_rows(
            cursor,
            table="devices",
            columns=("gateway_id", "device_id", "last_seen_at", "room", "battery_pct", "kind"),
            keys=("gateway_id", "device_id"),
            assignments="last_seen_at = v.last_seen_at, room = coalesce(v.room, devices.room), "
            "battery_pct = coalesce(v.battery_pct, devices.battery_pct), kind = coalesce(v.kind, devices.kind)",
            rows=[
                (r["b_gateway_id"], r["b_device_id"], t(r["last_seen_at"]), r["room"], r["battery_pct"], r["kind"])
                for r in rows.device_updates.values()
            ],
        )
        update_from_rows(
            cursor,
            table="gateways",
            columns=("id", "last_seen_at", "state", "started_at", "firmware", "outbox_depth"),
            keys=("id",),
            assignments="last_seen_at = v.last_seen_at, state = coalesce(v.state, gateways.state), "
            "started_at = coalesce(v.started_at, gateways.started_at), "
            "firmware = coalesce(v.firmware, gateways.firmware), "
            "outbox_depth = coalesce(v.outbox_depth, gateways.outbox_depth)",
            rows=[
                (
                    r["b_id"],
                    t(r["last_seen_at"]),
                    r.get("state"),
                    t(r["started_at"]) if "started_at" in r else None,
                    r.get("firmware"),
                    r.get("outbox_depth"),
                )
                for r in rows.gateway_updates.values()
            ],
        )

    # --- any database: SQLAlchemy core ------------------------------------------------------------

    def _drop_seen(self, connection: Connection, accepted: Sequence[Accepted]) -> list[Accepted]:
        ids = [item.message.msg_id for item in accepted]
        seen: set[str] = set()
        for start in range(0, len(ids), ID_CHUNK):
            chunk = ids[start : start + ID_CHUNK]
            seen.update(connection.scalars(select(SeenMessage.msg_id).where(SeenMessage.msg_id.in_(chunk))))
        if not seen:
            return list(accepted)
        self._stats.reject("duplicate", len(seen))
        self._recent.add_all(seen)
        return [item for item in accepted if item.message.msg_id not in seen]

    def _rows(self, accepted: Sequence[Accepted], now: datetime) -> _StoreRows:
        rows = _StoreRows()
        record_seen = not self.fast_sqlite  # the SQLite path recorded the ids while de-duplicating
        for item in accepted:
            message = item.message
            gateway_id = message.gateway_id
            if record_seen:
                rows.seen.append({"msg_id": message.msg_id, "received_at": now})
            gateway_row = rows.gateway_updates.get(gateway_id)
            if gateway_row is None:
                written = self._gateway_written.get(gateway_id)
                # last_seen_at is kept to GATEWAY_SEEN_RESOLUTION: one write per gateway every few seconds
                if isinstance(message, GatewayStatus) or written is None or now - written >= GATEWAY_SEEN_RESOLUTION:
                    gateway_row = rows.gateway_updates[gateway_id] = {"b_id": gateway_id, "last_seen_at": now}
            if isinstance(message, Event):
                rows.events.append(
                    {
                        "msg_id": message.msg_id,
                        "gateway_id": gateway_id,
                        "household_id": item.household_id,
                        "device_id": message.device_id,
                        "kind": message.kind.value,
                        "room": message.room,
                        "ts": message.ts,
                        "received_at": now,
                    }
                )
                self._device_seen(rows, item, message.device_id, message.ts, room=message.room)
            elif isinstance(message, ReadingBatch):
                for reading in message.readings:
                    battery = reading.value if reading.metric is Metric.BATTERY_PCT else None
                    kind = "unknown" if reading.metric is Metric.BATTERY_PCT else "climate"
                    self._device_seen(
                        rows, item, reading.device_id, reading.ts, battery=battery, kind=kind, room=reading.room
                    )
            elif isinstance(message, LocationFix):
                rows.locations.append(
                    {
                        "msg_id": message.msg_id,
                        "gateway_id": gateway_id,
                        "device_id": message.device_id,
                        "lat": message.lat,
                        "lon": message.lon,
                        "accuracy_m": message.accuracy_m,
                        "source": message.source.value,
                        "ts": message.ts,
                        "received_at": now,
                    }
                )
                self._device_seen(rows, item, message.device_id, message.ts, battery=message.battery_pct)
            elif isinstance(message, Presence):
                rows.presence.append(message)
                self._device_seen(rows, item, message.device_id, message.ts, battery=message.battery_pct)
            elif isinstance(message, GatewayStatus):
                assert gateway_row is not None
                gateway_row["state"] = message.state.value
                if message.started_at is not None:
                    gateway_row["started_at"] = message.started_at
                if message.firmware is not None:
                    gateway_row["firmware"] = message.firmware
                if message.outbox_depth is not None:
                    gateway_row["outbox_depth"] = message.outbox_depth
        return rows

    def _device_seen(
        self,
        rows: _StoreRows,
        item: Accepted,
        device_id: str,
        ts: datetime,
        *,
        room: str | None = None,
        battery: float | None = None,
        kind: str | None = None,
    ) -> None:
        gateway_id = item.message.gateway_id
        key = (gateway_id, device_id)
        kind = kind or _device_kind(item)
        known = self.registry.device(gateway_id, device_id)
        if (
            known is not None
            and known.last_seen is not None
            and ts <= known.last_seen
            and room is None
            and battery is None
            and (known.kind != "unknown" or kind == "unknown")
            and key not in rows.device_updates
        ):
            return  # the common case: a known device with nothing new to write
        if known is None and key not in rows.new_devices:
            rows.new_devices[key] = {
                "gateway_id": gateway_id,
                "device_id": device_id,
                "kind": kind,
                "room": room,
                "label": "",
                "battery_pct": battery,
                "last_seen_at": ts,
            }
            return
        if key in rows.new_devices:
            row = rows.new_devices[key]
            if row["kind"] == "unknown":
                row["kind"] = kind
            row["last_seen_at"] = max(row["last_seen_at"], ts)
            row["room"] = room or row["room"]
            row["battery_pct"] = battery if battery is not None else row["battery_pct"]
            return
        assert known is not None
        update_row = rows.device_updates.get(key)
        if update_row is None:
            update_row = {
                "b_gateway_id": gateway_id,
                "b_device_id": device_id,
                "last_seen_at": known.last_seen or ts,
                "room": None,
                "battery_pct": None,
                "kind": None,
            }
            rows.device_updates[key] = update_row
        update_row["last_seen_at"] = max(update_row["last_seen_at"], ts)
        update_row["room"] = room or update_row["room"]
        update_row["battery_pct"] = battery if battery is not None else update_row["battery_pct"]
        if known.kind == "unknown" and kind != "unknown":
            # first heard through its battery reading: the kind shows once it reports what it senses
            update_row["kind"] = kind

    def _write(self, connection: Connection, rows: _StoreRows) -> None:
        connection.execute(insert(_seen), rows.seen)
        if rows.events:
            connection.execute(insert(_events), rows.events)
        if rows.locations:
            connection.execute(insert(_locations), rows.locations)
        if rows.new_devices:
            connection.execute(_insert_ignoring_conflicts(_devices, self._dialect), list(rows.new_devices.values()))
        if rows.device_updates:
            connection.execute(
                update(_devices)
                .where(_devices.c.gateway_id == bindparam("b_gateway_id"))
                .where(_devices.c.device_id == bindparam("b_device_id"))
                .values(
                    last_seen_at=bindparam("last_seen_at"),
                    room=_coalesce("room", _devices),
                    battery_pct=_coalesce("battery_pct", _devices),
                    kind=_coalesce("kind", _devices),
                ),
                list(rows.device_updates.values()),
            )
        # executemany needs the same keys in every row: group gateway updates by their shape
        by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows.gateway_updates.values():
            by_shape.setdefault(tuple(sorted(row)), []).append(row)
        for shape, shape_rows in by_shape.items():
            values: dict[str, Any] = {name: bindparam(name) for name in shape if name != "b_id"}
            connection.execute(update(_gateways).where(_gateways.c.id == bindparam("b_id")).values(values), shape_rows)

    def _after_commit(self, accepted: Sequence[Accepted], rows: _StoreRows) -> None:
        self._recent.add_all(item.message.msg_id for item in accepted)
        for gateway_id, row in rows.gateway_updates.items():
            self._gateway_written[gateway_id] = row["last_seen_at"]
        for (gateway_id, device_id), row in rows.new_devices.items():
            self.registry.remember_device(
                gateway_id, device_id, _DeviceSeen(kind=row["kind"], last_seen=row["last_seen_at"])
            )
        for (gateway_id, device_id), row in rows.device_updates.items():
            known = self.registry.device(gateway_id, device_id)
            if known is not None:
                known.last_seen = row["last_seen_at"]
                known.kind = row["kind"] or known.kind
        self._stats.accepted += len(accepted)

    def _observations(self, accepted: Sequence[Accepted], now: datetime) -> list[Observation]:
        heard: dict[str, GatewayHeard] = {}
        events: list[Observation] = []
        last_heard = self._last_heard
        for item in accepted:
            household_id = item.household_id
            if household_id is None:
                continue
            message = item.message
            gateway_id = message.gateway_id
            if isinstance(message, GatewayStatus):
                heard[gateway_id] = GatewayHeard(
                    household_id=household_id,
                    gateway_id=gateway_id,
                    at=now,
                    state=GatewayState(message.state),
                    started_at=message.started_at,
                )
            elif gateway_id not in heard:
                previous = last_heard.get(gateway_id)
                if previous is None or now - previous >= GATEWAY_SEEN_RESOLUTION:
                    heard[gateway_id] = GatewayHeard(household_id=household_id, gateway_id=gateway_id, at=now)
            if isinstance(message, Event):
                events.append(
                    EventObserved(
                        household_id=household_id,
                        gateway_id=gateway_id,
                        device_id=message.device_id,
                        kind=message.kind,
                        ts=message.ts,
                        room=message.room,
                    )
                )
            elif isinstance(message, ReadingBatch):
                gate = self._reading_gate
                events.extend(obs for obs in reading_observations(household_id, message) if gate.admit(obs))
        for gateway_id in heard:
            last_heard[gateway_id] = now
        # the gateway is alive before its events are judged
        return [*heard.values(), *events]

    def prune_seen(self, *, older_than: timedelta) -> int:
        """Forget message ids older than the retention; return how many were removed."""
        cutoff = self._clock.now() - older_than
        with self._sessions.kw["bind"].begin() as connection:
            result = connection.execute(delete(_seen).where(_seen.c.received_at < cutoff))
        return int(result.rowcount or 0)


def _samples(accepted: Sequence[Accepted]) -> list[Sample]:
    return [
        Sample(
            household_id=item.household_id,
            gateway_id=item.message.gateway_id,
            device_id=reading.device_id,
            metric=reading.metric.value,
            ts=reading.ts,
            value=reading.value,
        )
        for item in accepted
        if isinstance(item.message, ReadingBatch)
        for reading in item.message.readings
    ]


def _dbapi(connection: Connection) -> sqlite3.Connection:
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver


def _sqlite_time(moment: datetime) -> str:
    """Format a time exactly as SQLAlchemy stores a UTC DateTime in SQLite (so ordering holds)."""
    return moment.astimezone(UTC).isoformat(sep=" ", timespec="microseconds")[:26]


def _coalesce(column: str, table: Table) -> Any:
    from sqlalchemy import func

    return func.coalesce(bindparam(column), table.c[column])
