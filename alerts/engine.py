"""The rule engine: per-household rule state, fed by observations, with a heap of timers.

Thousands of observations a second pass through `observe`, so timers are kept in a heap of
due times rather than found by scanning every household on each tick. The heap is allowed to
hold entries that are early or stale: a popped entry only makes the rule look again, and the
rule itself decides (and remembers what it raised), so an extra look never raises twice.
"""

from __future__ import annotations

import heapq
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from alerts.rules import RULE_FACTORIES, HouseholdRule, InactivityRule
from alerts.signals import AlertSignal, HouseholdProfile, Observation
from protocol import EventKind

log = logging.getLogger(__name__)

CHECKPOINT_VERSION = 1

_TimerKey = tuple[str, str]


class _Household:
    __slots__ = ("profile", "rules")

    def __init__(self, profile: HouseholdProfile, rules: tuple[HouseholdRule, ...]) -> None:
        self.profile = profile
        self.rules = rules


class RuleEngine:
    """Evaluate every rule of every household on the live stream of observations."""

    def __init__(
        self,
        *,
        profiles: Iterable[HouseholdProfile] = (),
        checkpoint: Mapping[str, Any] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._households: dict[str, _Household] = {}
        # saved states of households with no profile yet, kept until their profile arrives
        self._saved: dict[str, dict[str, Any]] = _saved_states(checkpoint)
        self._heap: list[tuple[float, str, str]] = []
        self._scheduled: dict[_TimerKey, float] = {}
        # checkpoints re-serialize only the households that changed since the last one
        self._serialized: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()
        self.unknown_household_observations = 0
        for profile in profiles:
            self._upsert(profile)

    def upsert_profile(self, profile: HouseholdProfile) -> None:
        """Add a household, or apply its changed settings while keeping its rule state."""
        with self._lock:
            self._upsert(profile)

    def remove_profile(self, household_id: str) -> None:
        """Stop watching a household and forget its state."""
        with self._lock:
            household = self._households.pop(household_id, None)
            self._saved.pop(household_id, None)
            self._serialized.pop(household_id, None)
            self._dirty.discard(household_id)
            if household is not None:
                for rule in household.rules:
                    self._scheduled.pop((household_id, rule.name.value), None)

    def needs_history(self) -> list[str]:
        """Return the households whose learned routine is empty (new, or state lost)."""
        with self._lock:
            return [
                household_id
                for household_id, household in self._households.items()
                if any(isinstance(rule, InactivityRule) and not rule.state.routine.days for rule in household.rules)
            ]

    def learn_history(self, household_id: str, movements: Sequence[tuple[datetime, EventKind]]) -> None:
        """Rebuild a household's learned routine from stored movements (oldest first)."""
        with self._lock:
            household = self._households.get(household_id)
            if household is None:
                return
            for rule in household.rules:
                if isinstance(rule, InactivityRule):
                    rule.learn_history(list(movements))
                    self._scheduled.pop((household_id, rule.name.value), None)
                    self._schedule(household_id, rule)
            self._dirty.add(household_id)

    def observe(self, observation: Observation, *, now: datetime) -> list[AlertSignal]:
        """Feed one stored observation to the household's rules and return their signals."""
        with self._lock:
            household = self._households.get(observation.household_id)
            if household is None:
                self.unknown_household_observations += 1
                log.debug("observation for unknown household %s dropped", observation.household_id)
                return []
            signals: list[AlertSignal] = []
            for rule in household.rules:
                signals.extend(rule.observe(observation, now=now))
                self._schedule(observation.household_id, rule)
            self._dirty.add(observation.household_id)
            return signals

    def tick(self, now: datetime) -> list[AlertSignal]:
        """Fire the timers due at `now` (inactivity deadlines, gateway silence)."""
        with self._lock:
            now_ts = now.timestamp()
            signals: list[AlertSignal] = []
            looked: list[tuple[str, HouseholdRule]] = []
            while self._heap and self._heap[0][0] <= now_ts:
                due_ts, household_id, rule_name = heapq.heappop(self._heap)
                key = (household_id, rule_name)
                if self._scheduled.get(key) != due_ts:
                    continue  # superseded by an earlier entry, or the household was removed
                del self._scheduled[key]
                household = self._households.get(household_id)
                rule = None if household is None else _rule_named(household, rule_name)
                if rule is None:
                    continue
                signals.extend(rule.tick(now))
                looked.append((household_id, rule))
                self._dirty.add(household_id)
            # Re-arm after the loop: a rule whose next look is already due waits for the next
            # tick instead of spinning here.
            for household_id, rule in looked:
                self._schedule(household_id, rule)
            return signals

    def next_due(self) -> datetime | None:
        """Return the earliest pending timer, so a caller can sleep until then."""
        with self._lock:
            while self._heap:
                due_ts, household_id, rule_name = self._heap[0]
                if self._scheduled.get((household_id, rule_name)) == due_ts:
                    return datetime.fromtimestamp(due_ts, UTC)
                heapq.heappop(self._heap)
            return None

    def checkpoint(self) -> dict[str, Any]:
        """Return every rule's state as JSON-serializable data; timers are derived from it."""
        with self._lock:
            for household_id in self._dirty:
                household = self._households.get(household_id)
                if household is not None:
                    self._serialized[household_id] = {rule.name.value: rule.state_json() for rule in household.rules}
            self._dirty.clear()
            households: dict[str, Any] = {**self._saved, **self._serialized}
            return {"version": CHECKPOINT_VERSION, "households": households}

    def _upsert(self, profile: HouseholdProfile) -> None:
        household_id = profile.household_id
        existing = self._households.get(household_id)
        if existing is not None:
            saved = {rule.name.value: rule.state_json() for rule in existing.rules}
        else:
            saved = self._saved.pop(household_id, {})
        rules = tuple(factory(profile, _as_dict(saved.get(name.value))) for name, factory in RULE_FACTORIES.items())
        household = _Household(profile, rules)
        self._households[household_id] = household
        self._dirty.add(household_id)
        for rule in rules:
            # settings may have moved a deadline later: drop the old timer and arm afresh
            self._scheduled.pop((household_id, rule.name.value), None)
            self._schedule(household_id, rule)

    def _schedule(self, household_id: str, rule: HouseholdRule) -> None:
        due = rule.due_at()
        if due is None:
            return
        key = (household_id, rule.name.value)
        due_ts = due.timestamp()
        current = self._scheduled.get(key)
        # A later due time keeps the earlier entry: when it pops, the rule is asked again.
        if current is None or due_ts < current:
            self._scheduled[key] = due_ts
            heapq.heappush(self._heap, (due_ts, household_id, rule.name.value))


def _rule_named(household: _Household, rule_name: str) -> HouseholdRule | None:
    for rule in household.rules:
        if rule.name.value == rule_name:
            return rule
    return None


def _as_dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _saved_states(checkpoint: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    if not checkpoint:
        return {}
    if checkpoint.get("version") != CHECKPOINT_VERSION:
        log.warning("rule checkpoint version %s not understood; starting fresh", checkpoint.get("version"))
        return {}
    households = checkpoint.get("households")
    if not isinstance(households, dict):
        return {}
    return {str(household_id): state for household_id, state in households.items() if isinstance(state, dict)}
