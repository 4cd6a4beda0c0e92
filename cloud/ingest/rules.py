"""Feed the rule engine from ingest and turn its signals into alerts; one thread calls all of this."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from alerts.engine import RuleEngine
from alerts.signals import AlertSignal, HouseholdProfile, Observation, ReadingObserved
from cloud.db.models import RuleCheckpoint, StoredEvent
from cloud.db.session import Sessions
from cloud.ingest.stats import IngestStats
from protocol import Clock, EventKind, Metric, Reading, ReadingBatch

log = logging.getLogger(__name__)

CHECKPOINT_KEY = "rules"
# The metrics a rule reads (heat, cold, low battery); the others never reach the engine.
RULE_METRICS = frozenset({Metric.TEMPERATURE_C, Metric.HUMIDITY_PCT, Metric.BATTERY_PCT})
# A reading reaches the rules when it says something new: the first of its series, a change of at
# least READING_MIN_CHANGE, or READING_MIN_INTERVAL after the last one let through. Heat, cold and
# battery rules think in minutes; a gateway reporting every second would otherwise cost the whole
# ingest (readings are most of the traffic).
READING_MIN_INTERVAL = timedelta(seconds=60)
READING_MIN_CHANGE = 0.2


class ReadingGate:
    """Let through only the readings the rules can learn something from."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str, str], tuple[datetime, float]] = {}

    def admit(self, observation: ReadingObserved) -> bool:
        """Tell whether this reading goes to the rules (and remember it when it does)."""
        key = (observation.gateway_id, observation.device_id, observation.metric)
        last = self._last.get(key)
        if (
            last is not None
            and last[0] <= observation.ts < last[0] + READING_MIN_INTERVAL
            and abs(observation.value - last[1]) < READING_MIN_CHANGE
        ):
            return False
        self._last[key] = (observation.ts, observation.value)
        return True


def reading_observations(household_id: str, batch: ReadingBatch) -> list[ReadingObserved]:
    """Return what the rules need of a reading batch: the latest value per device and rule metric."""
    latest: dict[tuple[str, Metric], Reading] = {}
    for reading in batch.readings:
        if reading.metric in RULE_METRICS:
            key = (reading.device_id, reading.metric)
            current = latest.get(key)
            if current is None or reading.ts >= current.ts:
                latest[key] = reading
    return [
        ReadingObserved(
            household_id=household_id,
            gateway_id=batch.gateway_id,
            device_id=reading.device_id,
            metric=reading.metric.value,
            value=reading.value,
            ts=reading.ts,
            room=reading.room,
        )
        for reading in latest.values()
    ]


class Rules(Protocol):
    """What ingest needs of alerts.engine.RuleEngine."""

    def upsert_profile(self, profile: HouseholdProfile) -> None: ...

    def remove_profile(self, household_id: str) -> None: ...

    def observe(self, observation: Observation, *, now: Any) -> list[AlertSignal]: ...

    def tick(self, now: Any) -> list[AlertSignal]: ...

    def checkpoint(self) -> dict[str, Any]: ...


class Lifecycle(Protocol):
    """What ingest needs of cloud.alerting.AlertLifecycle."""

    def apply(self, signals: Sequence[AlertSignal]) -> list[int]: ...


HISTORY_DAYS = 28
MOVEMENT_KINDS = ("motion_detected", "door_opened", "door_closed")


def learn_from_events(engine: RuleEngine, sessions: Sessions, *, now: datetime) -> int:
    """Rebuild the learned routine of households that have none from the events table; return how many."""
    rebuilt = 0
    since = now - timedelta(days=HISTORY_DAYS)
    for household_id in engine.needs_history():
        with sessions() as session:
            rows = session.execute(
                select(StoredEvent.ts, StoredEvent.kind)
                .where(
                    StoredEvent.household_id == household_id,
                    StoredEvent.ts >= since,
                    StoredEvent.kind.in_(MOVEMENT_KINDS),
                )
                .order_by(StoredEvent.ts)
            ).all()
        if rows:
            engine.learn_history(household_id, [(ts, EventKind(kind)) for ts, kind in rows])
            rebuilt += 1
    if rebuilt:
        log.info("learned routines of %d household(s) rebuilt from stored events", rebuilt)
    return rebuilt


def load_checkpoint(sessions: Sessions) -> Mapping[str, Any] | None:
    """Return the rule state saved last, or None on a fresh database."""
    with sessions() as session:
        return session.scalar(select(RuleCheckpoint.state).where(RuleCheckpoint.key == CHECKPOINT_KEY))


class RuleStream:
    """Pass observations and timer ticks to the rules, apply their signals, checkpoint their state.

    Errors in the rules or the lifecycle are logged and counted, never raised: ingest goes on.
    """

    def __init__(
        self,
        *,
        rules: Rules,
        lifecycle: Lifecycle | None,
        sessions: Sessions,
        clock: Clock,
        stats: IngestStats,
        profiles: Iterable[HouseholdProfile] = (),
    ) -> None:
        self._rules = rules
        self._lifecycle = lifecycle
        self._sessions = sessions
        self._clock = clock
        self._stats = stats
        self._writer = CheckpointWriter(self._write)
        # the profiles the engine was built with
        self._profiles: dict[str, HouseholdProfile] = {profile.household_id: profile for profile in profiles}

    def observe(self, observations: Sequence[Observation]) -> None:
        """Let the rules see stored messages; apply what they signal."""
        if not observations:
            return
        now = self._clock.now()
        signals: list[AlertSignal] = []
        for observation in observations:
            try:
                signals.extend(self._rules.observe(observation, now=now))
            except Exception:
                self._stats.rule_errors += 1
                log.exception("rule engine failed on %r", observation)
        self._apply(signals)

    def tick(self) -> None:
        """Let the rules' timers fire (inactivity, gateway offline, escalation)."""
        try:
            signals = self._rules.tick(self._clock.now())
        except Exception:
            self._stats.rule_errors += 1
            log.exception("rule engine tick failed")
            return
        self._apply(signals)

    def _apply(self, signals: Sequence[AlertSignal]) -> None:
        if not signals or self._lifecycle is None:
            return
        try:
            self._lifecycle.apply(signals)
        except Exception:
            self._stats.rule_errors += 1
            log.exception("alert lifecycle failed on %d signal(s)", len(signals))

    def set_profiles(self, profiles: Iterable[HouseholdProfile]) -> None:
        """Make the rules watch exactly these households (added, changed and removed ones)."""
        wanted = {profile.household_id: profile for profile in profiles}
        for household_id in set(self._profiles) - set(wanted):
            self._rules.remove_profile(household_id)
        for household_id, profile in wanted.items():
            if self._profiles.get(household_id) != profile:
                self._rules.upsert_profile(profile)
        self._profiles = wanted

    def save_checkpoint(self, *, wait: bool = False) -> None:
        """Save the rules' state so their timers survive a restart.

        The rules' snapshot is taken here, on the ingest thread; writing it (a large JSON document)
        happens on a thread of its own unless `wait`, so a checkpoint does not stall ingest.
        """
        try:
            state = self._rules.checkpoint()
        except Exception:
            self._stats.rule_errors += 1
            log.exception("could not take the rule checkpoint")
            return
        if wait:
            self._writer.stop()
            self._write(state)
        else:
            self._writer.submit(state)

    def _write(self, state: dict[str, Any]) -> None:
        try:
            with self._sessions.begin() as session:
                session.merge(RuleCheckpoint(key=CHECKPOINT_KEY, state=state, saved_at=self._clock.now()))
        except Exception:
            self._stats.rule_errors += 1
            log.exception("could not save the rule checkpoint")


class CheckpointWriter:
    """Write the newest rule checkpoint in the background; an older one not yet written is skipped."""

    def __init__(self, write: Callable[[dict[str, Any]], None]) -> None:
        self._write = write
        self._pending: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def submit(self, state: dict[str, Any]) -> None:
        """Queue a checkpoint to write, replacing one still waiting."""
        with self._lock:
            self._pending = state
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(target=self._run, name="mimamori-checkpoint", daemon=True)
                self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        """Write what is waiting and stop the thread."""
        with self._lock:
            self._stopping = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                state, self._pending = self._pending, None
                stopping = self._stopping
            if state is not None:
                self._write(state)
            if stopping:
                return
