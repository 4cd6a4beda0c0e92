"""Disaster deliveries in bulk: queue one row per message, then claim, send and record them in batches.

A fan-out to a whole ward is 200,000 messages. Row-at-a-time ORM work and one HTTP request at
a time cannot carry that, so here:

- queueing composes each distinct message once (language, shelter, distance, person) with
  marks where the recipient's answer links go, and writes the rows with the DB-API's
  executemany, a statement per few thousand: no signing and no JSON per row;
- sending claims a batch of due rows with one query (state "sending"), fills in each
  recipient's signed links, encrypts and posts the Web Push messages in worker processes over
  kept-alive connections (`alerts.channels.webpush_batch`), sends apprise messages on a thread
  pool, and records the results with a few statements per batch. Retries with backoff, and
  the removal of a subscription the push service calls gone, work as they did one delivery at
  a time.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection, Text, bindparam, insert, literal_column, select, type_coerce, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.channels import NotificationChannel
from alerts.channels.webpush import PushResult, WebPushChannel
from alerts.channels.webpush_batch import PushJob, PushOutcome, origin_of
from alerts.disaster import AlertContent, Language, SafetyLinks, ShelterChoice, compose
from alerts.disaster.safety import MARKS
from cloud.db.disaster import DisasterDelivery, DisasterMessage, DisasterRecipient, ResidentDevice
from cloud.db.session import Sessions
from maps import Shelter

log = logging.getLogger(__name__)

DELIVERIES = DisasterDelivery.__table__
MESSAGES = DisasterMessage.__table__
RECIPIENTS = DisasterRecipient.__table__
SENDING = "sending"
CLAIM_BATCH = 2000
QUEUE_CHUNK = 2000
IN_FLIGHT_BATCHES = 3
MESSAGE_CACHE = 50_000  # composed messages kept by the dispatcher (≈ 1.5 kB each)
# batches a fan-out hands over ahead of the sender: enough to keep it busy, not a ward in memory
HANDED_AHEAD = 4


# --- queueing --------------------------------------------------------------------------------------


class Addressee(NamedTuple):
    """One address of one recipient: what channel, which language, whose family (for watched people).

    A tuple: a fan-out makes 200,000. A device's Web Push subscription comes along (endpoint,
    keys.p256dh, keys.auth), so the desk can send what it queues without reading it back.
    """

    recipient_id: int
    channel: str  # webpush | apprise
    address: str  # the apprise URL; empty for Web Push
    language: Language
    shelter_id: str | None
    shelter_distance_m: float | None
    person: str | None = None
    device_id: int | None = None
    subscription: tuple[str, str, str] | None = None


class MessageBook:
    """Compose each distinct message of one alert version once, with marks where each recipient's links go.

    Deliveries store the shared message, not one per recipient: the desk neither signs links nor
    writes JSON per row. The sender fills in the recipient's signed answer links (`SafetyLinks`)
    when it sends: in the Web Push worker processes, next to the encryption; for apprise, on the
    desk's threads.
    """

    def __init__(
        self,
        content: AlertContent,
        *,
        alert_id: int,
        purpose: str,
        links: bool,
        shelters: dict[str, Shelter],
    ) -> None:
        self._content = content
        self._alert_id = alert_id
        self._purpose = purpose
        self._links = links
        self._shelters = shelters
        self._composed: dict[tuple[Any, ...], tuple[str, str, str]] = {}

    def message(self, addressee: Addressee) -> tuple[str, str, str]:
        """Return title, body and Web Push payload (JSON) for one addressee, the links still marks.

        `compose` tells distances to the nearest 10 m: residents a few metres apart share one message.
        """
        distance = None if addressee.shelter_distance_m is None else round(addressee.shelter_distance_m / 10)
        key = (addressee.language, addressee.shelter_id, distance, addressee.person)
        composed = self._composed.get(key)
        if composed is None:
            composed = self._composed[key] = self._compose(addressee)
        return composed

    def _compose(self, addressee: Addressee) -> tuple[str, str, str]:
        shelter = None
        if addressee.shelter_id is not None and addressee.shelter_id in self._shelters:
            shelter = ShelterChoice(
                shelter=self._shelters[addressee.shelter_id], distance_m=addressee.shelter_distance_m or 0.0
            )
        marks = MARKS if self._links else None
        message = compose(self._content, addressee.language, shelter=shelter, links=marks, person=addressee.person)
        payload = {
            "title": message.title,
            "body": message.body,
            "language": addressee.language.value,
            "alert_id": self._alert_id,
            "purpose": self._purpose,
            "tag": f"disaster-{self._alert_id}",
            "map": message.map_link,
            "safe_url": message.safe_url,
            "need_help_url": message.need_help_url,
        }
        # stored and sent as this text: UTF-8, as the push payload's 4 kB limit counts bytes
        return message.title, message.body, json.dumps(payload, ensure_ascii=False)


_RECIPIENT_COLUMNS = (
    "alert_id",
    "device_id",
    "person_id",
    "language",
    "lat",
    "lon",
    "shelter_id",
    "shelter_name",
    "shelter_distance_m",
    "created_at",
)


def queue_deliveries(
    sessions: Sessions,
    addressees: Iterable[Addressee],
    book: MessageBook,
    *,
    alert_id: int,
    version: int,
    purpose: str,
    now: datetime,
    chunk: int = QUEUE_CHUNK,
    queued: Callable[[], None] | None = None,
    hand_over: Callable[[list[Claimed]], None] | None = None,
    stored: dict[tuple[str, str, str], int] | None = None,
) -> int:
    """Insert one delivery per addressee, a transaction per `chunk` rows; return how many.

    Each distinct message is written once (disaster_messages), in the transaction of the first
    chunk that uses it; a delivery row names it and carries no text of its own. `queued` (if
    given) is called after each committed chunk, so sending starts before the last row is written.
    With `hand_over`, the rows are written already claimed (state "sending") and each committed
    chunk is handed over as it would be claimed: the sender need not read back what was just
    written. Rows a crash leaves claimed go back to pending on the next start (`recover`).
    `stored` maps the messages written so far to their ids (pass the same dict to queue more
    deliveries of the same alert version in later calls).
    """
    count = 0
    state = SENDING if hand_over is not None else "pending"
    when = _bound(sessions, DELIVERIES.c.created_at, now)
    stored = {} if stored is None else stored  # composed message -> its disaster_messages id
    for part in _batched(addressees, chunk):
        composed = [book.message(addressee) for addressee in part]
        with sessions.begin() as session:
            connection = session.connection()
            fresh = {message: addressee for message, addressee in zip(composed, part, strict=True)}
            fresh = {message: addressee for message, addressee in fresh.items() if message not in stored}
            if fresh:
                # RETURNING in any order (the ordered kind is a statement per row on SQLite): a
                # message's payload tells it apart, as it holds its title and body
                returned = connection.execute(
                    insert(MESSAGES).returning(MESSAGES.c.id, MESSAGES.c.payload),
                    [
                        {
                            "alert_id": alert_id,
                            "version": version,
                            "purpose": purpose,
                            "language": addressee.language.value,
                            "title": title,
                            "body": body,
                            "payload": payload,
                            "created_at": now,
                        }
                        for (title, body, payload), addressee in fresh.items()
                    ],
                )
                ids = {payload: message_id for message_id, payload in returned}
                stored.update((message, ids[message[2]]) for message in fresh)
            rows = [
                (addressee.recipient_id, addressee.channel, addressee.address, stored[message])
                for addressee, message in zip(part, composed, strict=True)
            ]
            delivery_ids = _insert_deliveries(connection, (alert_id, version, purpose, state, when), rows)
        count += len(rows)
        if hand_over is not None:
            hand_over(
                [
                    Claimed(
                        delivery_id,
                        alert_id,
                        addressee.recipient_id,
                        addressee.channel,
                        addressee.address,
                        *message,
                        0,
                        addressee.device_id,
                        addressee.subscription,
                    )
                    for delivery_id, addressee, message in zip(delivery_ids, part, composed, strict=True)
                ]
            )
        if queued is not None:
            queued()
    return count


# the columns of a delivery row a fan-out writes; title, body and payload live in its message
_QUEUED_COLUMNS = (
    "id",
    "alert_id",
    "version",
    "purpose",
    "state",
    "next_attempt_at",
    "created_at",
    "recipient_id",
    "channel",
    "address",
    "message_id",
)


def _insert_deliveries(
    connection: Connection, common: tuple[Any, ...], rows: list[tuple[int, str, str, int]]
) -> list[int]:
    """Insert deliveries (recipient, channel, address, message) sharing alert, version, purpose, state and time.

    Returns their ids in the order of `rows`.
    """
    alert_id, version, purpose, state, when = common
    head = (alert_id, version, purpose, state, when, when)
    ids = reserve_ids(connection, DELIVERIES.name, len(rows))
    insert_plain(
        connection,
        DELIVERIES.name,
        _QUEUED_COLUMNS,
        [(delivery_id, *head, *row) for delivery_id, row in zip(ids, rows, strict=True)],
        # what a fan-out's row leaves empty: its text is in its message
        fixed={"title": "''", "body": "''", "payload": _empty_json(connection), "attempts": "0"},
    )
    return ids


def _empty_json(connection: Connection) -> str:
    return "'{}'" if connection.dialect.name == "sqlite" else "CAST('{}' AS JSON)"


def reserve_ids(connection: Connection, table: str, count: int) -> list[int]:
    """Return `count` new ids for rows of `table` the caller then inserts with them (`insert_plain`).

    Bulk rows are written with ids chosen here rather than read back with INSERT … RETURNING:
    a prepared single-row INSERT run per row cost a third to a half less here than the
    multi-row statement with its returned tuples, matched back to the rows. On SQLite the ids
    follow the highest one, which is safe because every transaction here holds the write lock
    from its start (BEGIN IMMEDIATE, `create_db_engine`); on PostgreSQL they are drawn from the
    table's sequence, as its default would draw them.
    """
    if count <= 0:
        return []
    if connection.dialect.name == "sqlite":
        top = plain_rows(connection, f"SELECT coalesce(max(id), 0) FROM {table}")[0][0]
        return list(range(top + 1, top + 1 + count))
    drawn = plain_rows(
        connection,
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        (table, count),
    )
    return [int(row[0]) for row in drawn]


def insert_plain(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    fixed: dict[str, str] | None = None,
) -> None:
    """Insert rows of plain values (ids, numbers, text) with the DB-API's executemany.

    `fixed` adds columns whose value is the same SQL literal in every row (our own constants).
    """
    if not rows:
        return
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    fixed = fixed or {}
    names = ", ".join((*columns, *fixed))
    values = ", ".join((*[mark] * len(columns), *fixed.values()))
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({values})", rows)
    finally:
        cursor.close()


def _bound(sessions: Sessions, column: Any, value: Any) -> Any:
    """Return `value` as the driver wants it for `column` (what SQLAlchemy would bind)."""
    dialect = sessions.kw["bind"].dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return value if process is None else process(value)


def plain_rows(connection: Connection, statement: str, parameters: Sequence[Any] = ()) -> list[Any]:
    """Run SQL on the DB-API cursor of the connection's transaction; return plain tuples.

    For the fan-out's bulk statements (thousands of rows each): a SQLAlchemy Row per row would
    cost more than the database's own work. The columns must need no conversion from the
    driver's values (numbers and text; JSON read as text).
    """
    cursor = connection.connection.cursor()
    try:
        cursor.execute(statement, parameters)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _batched(items: Iterable[Addressee], size: int) -> Iterator[list[Addressee]]:
    part: list[Addressee] = []
    for item in items:
        part.append(item)
        if len(part) == size:
            yield part
            part = []
    if part:
        yield part


def insert_recipients(sessions: Sessions, rows: Sequence[dict[str, Any]]) -> dict[tuple[int | None, int | None], int]:
    """Insert recipient rows, a transaction per few thousand; return the new ids by (device id, person id).

    A device deleted since it was found fails its chunk on the foreign key: that chunk is then
    written row by row, leaving out the rows that fail.
    """
    ids: dict[tuple[int | None, int | None], int] = {}
    # the rows go in on the DB-API cursor, which raises the driver's own IntegrityError
    refused = (IntegrityError, sessions.kw["bind"].dialect.loaded_dbapi.IntegrityError)
    values = itemgetter(*_RECIPIENT_COLUMNS)
    created: dict[Any, Any] = {}  # a fan-out's rows share their creation time: bind it once
    plain = []
    for row in rows:
        at = row["created_at"]
        if at not in created:
            created[at] = _bound(sessions, RECIPIENTS.c.created_at, at)
        plain.append((*values(row)[:-1], created[at]))
    for start in range(0, len(plain), QUEUE_CHUNK):
        chunk = plain[start : start + QUEUE_CHUNK]
        try:
            with sessions.begin() as session:
                ids.update(_insert_recipients(session.connection(), chunk))
        except refused:
            for row in chunk:
                try:
                    with sessions.begin() as session:
                        ids.update(_insert_recipients(session.connection(), [row]))
                except refused:
                    log.info("recipient left out (its device or person is gone): %s", row[1])
    return ids


def _insert_recipients(
    connection: Connection, rows: list[tuple[Any, ...]]
) -> Iterator[tuple[tuple[int | None, int | None], int]]:
    """Insert recipient rows; yield each one's (device id, person id) and id."""
    ids = reserve_ids(connection, RECIPIENTS.name, len(rows))
    numbered = [(recipient_id, *row) for recipient_id, row in zip(ids, rows, strict=True)]
    insert_plain(connection, RECIPIENTS.name, ("id", *_RECIPIENT_COLUMNS), numbered)
    for recipient_id, row in zip(ids, rows, strict=True):
        yield (row[1], row[2]), recipient_id


# --- sending ---------------------------------------------------------------------------------------


class Claimed(NamedTuple):
    """A delivery taken for one attempt, with what sending it needs (a tuple: thousands per batch)."""

    id: int
    alert_id: int
    recipient_id: int
    channel: str
    address: str
    title: str
    body: str  # apprise: the message, answer links still marks
    payload: str  # Web Push: the JSON message, answer links still marks
    attempts: int
    device_id: int | None
    subscription: tuple[str, str, str] | None  # endpoint, keys.p256dh, keys.auth


@dataclass(slots=True)
class _Flight:
    """A claimed batch on its way: the Web Push future, the apprise futures, results known up front."""

    claimed: list[Claimed]
    pushes: list[Claimed] = field(default_factory=list)
    push_future: Future[list[PushOutcome]] | None = None
    apprise: list[tuple[Claimed, Future[Any]]] = field(default_factory=list)
    known: list[tuple[Claimed, PushResult]] = field(default_factory=list)

    def futures(self) -> list[Future[Any]]:
        return [f for f in (self.push_future, *(future for _, future in self.apprise)) if f is not None]

    def done(self) -> bool:
        return all(future.done() for future in self.futures())


class DeliveryDispatcher:
    """Claim due deliveries in batches, send them, record what happened; keep a few batches in flight."""

    def __init__(
        self,
        *,
        sessions: Sessions,
        clock: Any,
        webpush: WebPushChannel | None,
        apprise: NotificationChannel,
        max_attempts: int,
        retry_base_s: float,
        links: Callable[[], SafetyLinks] | None = None,
        apprise_workers: int = 8,
        batch_size: int = CLAIM_BATCH,
        in_flight: int = IN_FLIGHT_BATCHES,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._webpush = webpush
        self._apprise = apprise
        self._max_attempts = max(1, max_attempts)
        self._retry_base_s = retry_base_s
        self._links = links
        self._apprise_workers = max(1, apprise_workers)
        self._apprise_pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.batch_size = max(1, batch_size)
        self._in_flight = max(1, in_flight)
        # messages never change once written: a fan-out's few thousand are read once, not per batch
        self._messages: dict[int, tuple[str, str, str]] = {}
        # batches the desk wrote already claimed (`hand_over`), sent before anything claimed here
        self._handed: deque[list[Claimed]] = deque()
        self._handed_changed = threading.Condition()
        self._dispatching = False

    # --- the loops --------------------------------------------------------------------------------

    def hand_over(self, claimed: list[Claimed], *, stopping: threading.Event | None = None) -> None:
        """Take a batch the desk wrote as claimed (state "sending") to send as if claimed here.

        While `dispatch_forever` runs, this waits when a few batches are already waiting, so a
        ward's fan-out does not sit in memory ahead of the sender.
        """
        with self._handed_changed:
            while len(self._handed) >= HANDED_AHEAD and self._dispatching:
                if stopping is not None and stopping.is_set():
                    break
                self._handed_changed.wait(timeout=0.5)
            self._handed.append(claimed)

    def _next_batch(self, *, due_by: datetime) -> list[Claimed]:
        with self._handed_changed:
            if self._handed:
                batch = self._handed.popleft()
                self._handed_changed.notify_all()
                return batch
        return self.claim(due_by=due_by)

    def run_due(self) -> int:
        """Attempt every delivery due now once, in this thread; return the number of attempts."""
        made = 0
        cutoff = self._clock.now()
        while claimed := self._next_batch(due_by=cutoff):
            flight = self.submit(claimed)
            wait_futures(flight.futures())
            self.record(flight)
            made += len(claimed)
        return made

    def dispatch_forever(self, stopping: threading.Event, wakeup: threading.Event, poll_s: float) -> None:
        """Send until `stopping` is set; claim the next batch while earlier ones are on their way."""
        flights: deque[_Flight] = deque()
        with self._handed_changed:
            self._dispatching = True
        try:
            while not stopping.is_set():
                while flights and flights[0].done():
                    self._record_safely(flights.popleft())
                if len(flights) < self._in_flight:
                    try:
                        claimed = self._next_batch(due_by=self._clock.now())
                    except Exception:
                        log.exception("could not claim disaster deliveries")
                        claimed = []
                    if claimed:
                        flights.append(self.submit(claimed))
                        continue
                if flights:
                    wait_futures(flights[0].futures(), timeout=poll_s)
                    continue
                wakeup.wait(timeout=poll_s)
                wakeup.clear()
        finally:
            with self._handed_changed:
                self._dispatching = False
                self._handed_changed.notify_all()
            for flight in flights:
                wait_futures(flight.futures(), timeout=30)
                self._record_safely(flight)

    def _record_safely(self, flight: _Flight) -> None:
        try:
            self.record(flight)
        except Exception:
            log.exception(
                "could not record %d disaster deliveries; they are sent again after a restart", len(flight.claimed)
            )

    def recover(self) -> int:
        """Put deliveries a stopped or crashed sender left claimed back to pending; return how many."""
        with self._handed_changed:
            self._handed.clear()  # claimed in the database, pending again below: claimed anew from there
        with self._sessions.begin() as session:
            result = session.connection().execute(
                update(DELIVERIES).where(DELIVERIES.c.state == SENDING).values(state="pending")
            )
        return int(getattr(result, "rowcount", 0) or 0)

    def close(self) -> None:
        """Stop the apprise threads (the Web Push workers belong to the channel)."""
        with self._pool_lock:
            if self._apprise_pool is not None:
                self._apprise_pool.shutdown(wait=True, cancel_futures=True)
                self._apprise_pool = None

    # --- one batch --------------------------------------------------------------------------------

    def claim(self, *, due_by: datetime) -> list[Claimed]:
        """Take up to a batch of due deliveries (state "sending") with what sending them needs."""
        d, r = DELIVERIES.c, RECIPIENTS.c
        devices = ResidentDevice.__table__.c
        query = (
            select(
                d.id,
                d.alert_id,
                d.recipient_id,
                d.channel,
                d.address,
                d.message_id,
                d.title,
                d.body,
                type_coerce(d.payload, Text).label("payload"),
                d.attempts,
                r.device_id,
                devices.webpush["endpoint"].as_string().label("endpoint"),
                devices.webpush[("keys", "p256dh")].as_string().label("p256dh"),
                devices.webpush[("keys", "auth")].as_string().label("auth"),
            )
            .join_from(DELIVERIES, RECIPIENTS, r.id == d.recipient_id)
            .outerjoin(ResidentDevice.__table__, devices.id == r.device_id)
            # the state as written in the statement, not bound: the planner then uses the partial due index
            .where(d.state == literal_column("'pending'"), d.next_attempt_at <= due_by)
            .order_by(d.next_attempt_at, d.id)
            .limit(self.batch_size)
        )
        with self._sessions.begin() as session:
            connection = session.connection()
            rows = connection.execute(query).all()
            if not rows:
                return []
            _update_ids(connection, f"state = '{SENDING}'", (), [row.id for row in rows])
            messages = self._known_messages(connection, {row.message_id for row in rows})
        return [
            Claimed(
                *row[:5],
                *(
                    messages[message_id]
                    if message_id is not None
                    else (title, body, payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False))
                ),
                attempts,
                device_id,
                (endpoint, p256dh, auth) if endpoint else None,
            )
            for row in rows
            for message_id, title, body, payload, attempts, device_id, endpoint, p256dh, auth in (row[5:],)
        ]

    def _known_messages(self, connection: Connection, ids: set[int | None]) -> dict[int, tuple[str, str, str]]:
        """Return the messages named, from the cache or (the ones it lacks) from the database."""
        found: dict[int, tuple[str, str, str]] = {}
        missing: set[int] = set()
        for message_id in ids:
            if message_id is not None:
                message = self._messages.get(message_id)
                if message is None:
                    missing.add(message_id)
                else:
                    found[message_id] = message
        if missing:
            read = _messages(connection, missing)
            if len(self._messages) + len(read) > MESSAGE_CACHE:
                self._messages = {}
            self._messages.update(read)
            found.update(read)
        return found

    def submit(self, claimed: list[Claimed]) -> _Flight:
        """Start sending a claimed batch: Web Push in bulk, apprise on threads."""
        flight = _Flight(claimed=claimed)
        links = self._links() if self._links is not None else None
        # deliveries sharing a message share one bytes object: pickled once per batch for the workers
        payloads: dict[str, bytes] = {}
        jobs: list[PushJob] = []
        for delivery in claimed:
            if delivery.channel == "webpush":
                job = self._push_job(delivery, payloads)
                if isinstance(job, PushResult):
                    flight.known.append((delivery, job))
                else:
                    jobs.append(job)
                    flight.pushes.append(delivery)
            else:
                body = delivery.body
                if links is not None:
                    body = links.fill_text(body, alert_id=delivery.alert_id, recipient_id=delivery.recipient_id)
                pool = self._apprise_threads()
                flight.apprise.append(
                    (delivery, pool.submit(self._apprise.send, delivery.address, title=delivery.title, body=body))
                )
        if jobs:
            assert self._webpush is not None
            try:
                settings = self._webpush.push_settings({origin_of(job.endpoint) for job in jobs})
                if links is not None:  # each message gets its recipient's links where it is encrypted
                    settings = settings._replace(filler=links.fill_json)
                flight.push_future = self._webpush.fan_out.submit(jobs, settings)
            except Exception as exc:  # worker processes that cannot start: every push waits for a retry
                log.exception("Web Push batch could not start")
                flight.known.extend((delivery, PushResult(ok=False, error=str(exc))) for delivery in flight.pushes)
                flight.pushes = []
        return flight

    def _push_job(self, delivery: Claimed, payloads: dict[str, bytes]) -> PushJob | PushResult:
        if delivery.subscription is None or self._webpush is None:
            return PushResult(ok=False, gone=True, error="no Web Push subscription")
        endpoint, p256dh, auth = delivery.subscription
        if not (p256dh and auth) or not endpoint.startswith(("https://", "http://")):
            return PushResult(ok=False, gone=True, error="unusable subscription: no keys or no http(s) endpoint")
        payload = payloads.get(delivery.payload)
        if payload is None:
            payload = payloads[delivery.payload] = delivery.payload.encode()
        return PushJob(endpoint, p256dh, auth, payload, (delivery.alert_id, delivery.recipient_id))

    def _apprise_threads(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._apprise_pool is None:
                self._apprise_pool = ThreadPoolExecutor(self._apprise_workers, thread_name_prefix="disaster-apprise")
            return self._apprise_pool

    def record(self, flight: _Flight) -> None:
        """Write what happened to a batch: sent, retry later, failed, or gone (and drop the gone subscription)."""
        results = list(flight.known)
        if flight.push_future is not None:
            try:
                outcomes = [outcome.result() for outcome in flight.push_future.result()]
            except Exception as exc:
                outcomes = [PushResult(ok=False, error=f"{type(exc).__name__}: {exc}")] * len(flight.pushes)
            results.extend(zip(flight.pushes, outcomes, strict=True))
        for delivery, future in flight.apprise:
            try:
                sent = future.result()
                results.append((delivery, PushResult(ok=sent.ok, error=sent.error)))
            except Exception as exc:
                results.append((delivery, PushResult(ok=False, error=f"{type(exc).__name__}: {exc}")))
        self._write(results)

    def _write(self, results: list[tuple[Claimed, PushResult]]) -> None:
        now = self._clock.now()
        d = DELIVERIES.c
        sent = [delivery.id for delivery, result in results if result.ok]
        changes: list[dict[str, Any]] = []
        gone: list[tuple[Claimed, PushResult]] = []
        for delivery, result in results:
            if result.ok:
                continue
            attempts = delivery.attempts + 1
            change = {
                "b_id": delivery.id,
                "b_attempts": attempts,
                "b_error": result.error or "delivery failed",
                "b_state": "pending",
                "b_next": now,
            }
            if result.gone:
                change["b_state"] = "gone"
                gone.append((delivery, result))
            elif attempts < self._max_attempts:
                change["b_next"] = now + timedelta(seconds=self._retry_base_s * 2 ** (attempts - 1))
            else:
                change["b_state"] = "failed"
                log.warning("disaster delivery %d failed: %s", delivery.id, result.error)
            changes.append(change)
        with self._sessions.begin() as session:
            connection = session.connection()
            sent_at = _bound(self._sessions, d.sent_at, now)
            _update_ids(
                connection,
                "state = 'sent', sent_at = {0}, last_error = NULL, attempts = attempts + 1",
                (sent_at,),
                sent,
            )
            if changes:
                connection.execute(
                    update(DELIVERIES)
                    .where(d.id == bindparam("b_id"))
                    .values(
                        state=bindparam("b_state"),
                        attempts=bindparam("b_attempts"),
                        last_error=bindparam("b_error"),
                        next_attempt_at=bindparam("b_next"),
                    ),
                    changes,
                )
            for delivery, result in gone:
                self._forget_subscription(session, delivery, result)

    @staticmethod
    def _forget_subscription(session: Session, delivery: Claimed, result: PushResult) -> None:
        if delivery.channel != "webpush" or delivery.device_id is None or delivery.subscription is None:
            return
        device = session.get(ResidentDevice, delivery.device_id)
        # only forget the subscription that failed, not one the device sent meanwhile
        if device is not None and device.webpush and _parts(device.webpush) == delivery.subscription:
            device.webpush = None
            log.info("device %d: Web Push subscription expired (%s), removed", delivery.device_id, result.status)


def _messages(connection: Connection, ids: set[int]) -> dict[int, tuple[str, str, str]]:
    """Return title, body and payload of each message named (one str object each, shared by its deliveries)."""
    m = MESSAGES.c
    found: dict[int, tuple[str, str, str]] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 5000):
        query = select(m.id, m.title, m.body, m.payload).where(m.id.in_(ordered[start : start + 5000]))
        for message_id, title, body, payload in connection.execute(query):
            found[message_id] = (title, body, payload)
    return found


def _parts(subscription: dict[str, Any]) -> tuple[str, str, str]:
    keys = subscription.get("keys") or {}
    return str(subscription.get("endpoint")), str(keys.get("p256dh")), str(keys.get("auth"))


def _update_ids(
    connection: Connection, assignments: str, parameters: tuple[Any, ...], ids: list[int], size: int = 5000
) -> None:
    """Run `UPDATE deliveries SET <assignments> WHERE id IN (<ids>)`, a statement per `size` ids.

    The ids are our own integers, written into the statement: a bound parameter each cost more
    to render than the update itself. `{0}` in `assignments` stands for the driver's placeholder.
    """
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    setting = assignments.format(mark)
    for start in range(0, len(ids), size):
        listed = ",".join(str(int(delivery_id)) for delivery_id in ids[start : start + size])
        connection.exec_driver_sql(f"UPDATE {DELIVERIES.name} SET {setting} WHERE id IN ({listed})", parameters)
