"""Safe zones: a person leaves them (hysteresis, accuracy-aware), leaves home at night, is not
back by a set time, goes silent while out, or their tag's battery runs low.

GPS jitters by tens of metres, more between tall buildings, so one fix outside proves
nothing. A fix counts as *clearly outside* only when it is farther out than its own accuracy
plus a margin; an exit is confirmed by `confirm_fixes` clearly-outside fixes in a row, or by
clearly-outside fixes spanning `confirm_s` seconds. A fix inside a zone cancels a pending
exit and, after an exit, is the return. Fixes between the two (near the edge, or too coarse)
change nothing, so a person standing at the boundary does not make alerts flap.

A BLE tag at home reports presence instead of positions: its home gateway says "home" or
"not_home" (`TagPresenceReport`). A tag that was home and goes "not_home" during the person's
night hours raises "left home at night" at once; "home" again clears it, as a return into the
home zone does.

Unlike the household rules (one object per home, fed one observation at a time), this rule
keeps its state in numpy arrays over all trackers and takes fixes in batches: a ward has
tens of thousands of trackers sending a fix every 30 s, and the zone test is vectorized
(maps.zones.ZoneIndex). Signals are built only for the few trackers that change state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from alerts.rules.base import in_window, iso, signal
from alerts.signals import AlertSignal, FactValue, RuleName, Severity
from maps.targeting import project_points
from maps.zones import ZoneIndex, ZoneKind, local_minutes

REPLACED_MARGIN_PCT = 10.0
# presence of a BLE tag, as its home gateway last reported it
PRESENCE_UNKNOWN, PRESENCE_HOME, PRESENCE_AWAY = 0, 1, 2


@dataclass(frozen=True, slots=True)
class SafeZoneConfig:
    """Thresholds of the safe-zone rules; the defaults suit a phone or LTE tracker every 30 s."""

    margin_m: float = 25.0
    confirm_fixes: int = 2
    confirm_s: float = 60.0
    default_accuracy_m: float = 30.0  # when a fix does not say
    max_accuracy_m: float = 200.0  # coarser fixes never decide an exit
    no_fix_after_s: float = 15 * 60.0
    night_start: time = time(22, 0)
    night_end: time = time(6, 0)
    battery_low_pct: float = 20.0


@dataclass(frozen=True, slots=True)
class TrackerProfile:
    """A tracker and who carries it; `not_back_by` is a local time, or None."""

    tracker_id: str
    household_id: str
    person_name: str = ""
    not_back_by: time | None = None
    # the household's night hours (local time); None: the config's
    night_start: time | None = None
    night_end: time | None = None
    timezone: str = "Asia/Tokyo"


@dataclass(frozen=True, slots=True)
class TrackerFix:
    """One position of a tracker, as the rule needs it."""

    tracker_id: str
    lat: float
    lon: float
    ts: datetime
    accuracy_m: float | None = None
    battery_pct: float | None = None


@dataclass(frozen=True, slots=True)
class TagPresenceReport:
    """A BLE tag came home or left, as its home gateway decided at `ts`."""

    tracker_id: str
    home: bool
    ts: datetime
    last_heard: datetime | None = None  # last heard at home: about when a person who left went out


def _minute(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _epoch(report: TagPresenceReport) -> float:
    return report.ts.timestamp()


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat()


class SafeZoneWatch:
    """Evaluate fixes of many trackers against their safe zones and answer with alert signals."""

    def __init__(
        self,
        *,
        trackers: Sequence[TrackerProfile],
        zones: ZoneIndex | None = None,
        config: SafeZoneConfig | None = None,
        saved: dict[str, Any] | None = None,
    ) -> None:
        self.config = config or SafeZoneConfig()
        self.trackers = list(trackers)
        ids = [tracker.tracker_id for tracker in self.trackers]
        self.index = zones if zones is not None else ZoneIndex([], tracker_ids=ids)
        if self.index.tracker_ids != ids:
            self.index = ZoneIndex(self.index.zones, tracker_ids=ids)
        n = len(ids)
        self.outside = np.zeros(n, dtype=bool)
        self.pending = np.zeros(n, dtype=np.int64)
        self.pending_since = np.full(n, np.nan)
        self.exited_at = np.full(n, np.nan)
        self.exit_zone = np.full(n, -1, dtype=np.int64)
        self.last_fix = np.full(n, np.nan)
        self.no_fix_raised = np.zeros(n, dtype=bool)
        self.not_back_raised = np.zeros(n, dtype=bool)
        self.night_raised = np.zeros(n, dtype=bool)
        self.battery_low = np.zeros(n, dtype=bool)
        self.presence = np.full(n, PRESENCE_UNKNOWN, dtype=np.int8)
        self._deadline = np.array(
            [-1 if tracker.not_back_by is None else _minute(tracker.not_back_by) for tracker in self.trackers],
            dtype=np.int64,
        )
        self.unknown_fixes = 0
        if saved:
            self._restore(saved)

    # --- input ---------------------------------------------------------------------------------

    def observe(self, fixes: Sequence[TrackerFix]) -> list[AlertSignal]:
        """Take in fixes (any order, any trackers) and return the signals they cause."""
        known = [fix for fix in fixes if fix.tracker_id in self.index.tracker_index]
        self.unknown_fixes += len(fixes) - len(known)
        if not known:
            return []
        known.sort(key=lambda fix: fix.ts)
        tracker = np.array([self.index.tracker_index[fix.tracker_id] for fix in known], dtype=np.int64)
        x, y = project_points(np.array([fix.lat for fix in known]), np.array([fix.lon for fix in known]))
        accuracy = np.array([np.nan if fix.accuracy_m is None else fix.accuracy_m for fix in known])
        epoch = np.array([fix.ts.timestamp() for fix in known])
        battery = np.array([np.nan if fix.battery_pct is None else fix.battery_pct for fix in known])
        return self.observe_arrays(tracker, x, y, accuracy, epoch, battery)

    def observe_presence(self, reports: Sequence[TagPresenceReport]) -> list[AlertSignal]:
        """Take in BLE tags' presence reports; a tag leaving home at night raises at once."""
        signals: list[AlertSignal] = []
        for report in sorted(reports, key=lambda item: item.ts):
            t = self.index.tracker_index.get(report.tracker_id)
            if t is None:
                self.unknown_fixes += 1
                continue
            was_home = self.presence[t] == PRESENCE_HOME
            self.presence[t] = PRESENCE_HOME if report.home else PRESENCE_AWAY
            facts: dict[str, FactValue] = {"tracker_id": report.tracker_id, "via": "tag_presence"}
            if report.home:
                if self.night_raised[t]:
                    self.night_raised[t] = False
                    signals.append(
                        self._signal(
                            t, RuleName.LEFT_HOME_AT_NIGHT, "clear", Severity.CRITICAL, facts, at=_epoch(report)
                        )
                    )
                continue
            # the person went out about when the tag was last heard, not when the timeout ran out
            left_at = report.last_heard or report.ts
            if was_home and not self.night_raised[t] and self._at_night(t, left_at):
                self.night_raised[t] = True
                facts |= {"exited_at": iso(left_at), "last_heard_at": iso(report.last_heard)}
                signals.append(
                    self._signal(t, RuleName.LEFT_HOME_AT_NIGHT, "raise", Severity.CRITICAL, facts, at=_epoch(report))
                )
        return signals

    def _at_night(self, t: int, moment: datetime) -> bool:
        tracker = self.trackers[t]
        start = tracker.night_start or self.config.night_start
        end = tracker.night_end or self.config.night_end
        return in_window(moment, start, end, ZoneInfo(tracker.timezone))

    def is_home(self, tracker_id: str) -> bool | None:
        """Tell whether a BLE tag is home as its gateway last said (None: no report yet)."""
        value = int(self.presence[self.index.tracker_index[tracker_id]])
        return None if value == PRESENCE_UNKNOWN else value == PRESENCE_HOME

    def observe_arrays(
        self,
        tracker: NDArray[np.int64],
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        accuracy: NDArray[np.float64],
        epoch_s: NDArray[np.float64],
        battery: NDArray[np.float64] | None = None,
    ) -> list[AlertSignal]:
        """Take in a batch of projected fixes (sorted by time); the fast path the benchmark measures."""
        if len(tracker) == 0:
            return []
        minutes = local_minutes(epoch_s, reference=datetime.fromtimestamp(float(epoch_s[0]), UTC))
        distance, zone = self.index.signed_distance(tracker, x, y, minutes, exact=False)
        if battery is None:
            battery = np.full(len(tracker), np.nan)
        # a tracker may have several fixes in one batch: take them in rounds of one fix each,
        # in time order, so the per-tracker state arrays see each fix in turn
        if len(np.unique(tracker)) == len(tracker):
            return self._step(tracker, distance, zone, accuracy, epoch_s, minutes, battery)
        order = np.argsort(tracker, kind="stable")
        sorted_tracker = tracker[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_tracker)) + 1]
        rank = np.empty(len(tracker), dtype=np.int64)
        rank[order] = np.arange(len(tracker)) - np.repeat(starts, np.diff(np.r_[starts, len(tracker)]))
        signals: list[AlertSignal] = []
        for round_no in range(int(rank.max()) + 1):
            pick = rank == round_no
            signals += self._step(
                tracker[pick], distance[pick], zone[pick], accuracy[pick], epoch_s[pick], minutes[pick], battery[pick]
            )
        return signals

    def _step(
        self,
        tracker: NDArray[np.int64],
        distance: NDArray[np.float64],
        zone: NDArray[np.int64],
        accuracy: NDArray[np.float64],
        epoch_s: NDArray[np.float64],
        minutes: NDArray[np.float64],
        battery: NDArray[np.float64],
    ) -> list[AlertSignal]:
        config = self.config
        signals: list[AlertSignal] = []
        accuracy = np.where(np.isnan(accuracy), config.default_accuracy_m, accuracy)
        judged = ~np.isnan(distance) & (accuracy <= config.max_accuracy_m)
        with np.errstate(invalid="ignore"):
            clearly_out = judged & (distance > accuracy + config.margin_m)
            clearly_in = judged & (distance <= 0)
        self.last_fix[tracker] = epoch_s
        # a fix ends the silence of a tracker that had gone quiet
        for t in tracker[self.no_fix_raised[tracker]]:
            self.no_fix_raised[t] = False
            signals.append(self._signal(int(t), RuleName.TRACKER_NO_FIX, "clear", Severity.HIGH, {}))
        # clearly inside: a pending exit is forgotten; after an exit, the person is back
        inside = tracker[clearly_in]
        self.pending[inside] = 0
        self.pending_since[inside] = np.nan
        for t in inside[self.outside[inside]]:
            signals += self._returned(int(t))
        # clearly outside: count towards the exit
        out_rows = np.flatnonzero(clearly_out)
        out = tracker[out_rows]
        fresh = self.pending[out] == 0
        self.pending_since[out[fresh]] = epoch_s[out_rows[fresh]]
        self.pending[out] += 1
        waited = epoch_s[out_rows] - self.pending_since[out]
        confirm = ~self.outside[out] & ((self.pending[out] >= config.confirm_fixes) | (waited >= config.confirm_s))
        for row, t in zip(out_rows[confirm], out[confirm], strict=True):
            signals += self._exited(int(t), row, distance, zone, accuracy, epoch_s)
        # the tag's battery
        with np.errstate(invalid="ignore"):
            low = battery < config.battery_low_pct
            replaced = battery >= config.battery_low_pct + REPLACED_MARGIN_PCT
        for row in np.flatnonzero(low & ~self.battery_low[tracker]):
            t = int(tracker[row])
            self.battery_low[t] = True
            facts: dict[str, FactValue] = {"battery_pct": round(float(battery[row]))}
            signals.append(self._signal(t, RuleName.TAG_BATTERY_LOW, "raise", Severity.LOW, facts))
        for row in np.flatnonzero(replaced & self.battery_low[tracker]):
            t = int(tracker[row])
            self.battery_low[t] = False
            facts = {"battery_pct": round(float(battery[row]))}
            signals.append(self._signal(t, RuleName.TAG_BATTERY_LOW, "clear", Severity.LOW, facts))
        return signals

    def _exited(
        self,
        t: int,
        row: int,
        distance: NDArray[np.float64],
        zone: NDArray[np.int64],
        accuracy: NDArray[np.float64],
        epoch_s: NDArray[np.float64],
    ) -> list[AlertSignal]:
        self.outside[t] = True
        # the exit happened when the first clearly-outside fix came, not when it was confirmed
        self.exited_at[t] = self.pending_since[t]
        self.exit_zone[t] = zone[row]
        nearest = self.index.zones[int(zone[row])]
        facts: dict[str, FactValue] = {
            "tracker_id": self.trackers[t].tracker_id,
            "zone": nearest.name,
            "zone_kind": nearest.kind.value,
            "outside_m": round(float(distance[row])),
            "accuracy_m": round(float(accuracy[row])),
            "exited_at": _iso(float(self.exited_at[t])),
        }
        signals = [self._signal(t, RuleName.SAFE_ZONE_EXIT, "raise", Severity.HIGH, facts, at=float(epoch_s[row]))]
        # the household's night hours, as for a tag that stops being heard at home
        at_night = self._at_night(t, datetime.fromtimestamp(float(self.exited_at[t]), UTC))
        if nearest.kind is ZoneKind.HOME and at_night:
            self.night_raised[t] = True
            signals.append(
                self._signal(t, RuleName.LEFT_HOME_AT_NIGHT, "raise", Severity.CRITICAL, facts, at=float(epoch_s[row]))
            )
        return signals

    def _returned(self, t: int) -> list[AlertSignal]:
        self.outside[t] = False
        facts: dict[str, FactValue] = {"tracker_id": self.trackers[t].tracker_id}
        signals = [self._signal(t, RuleName.SAFE_ZONE_EXIT, "clear", Severity.HIGH, facts)]
        if self.night_raised[t]:
            self.night_raised[t] = False
            signals.append(self._signal(t, RuleName.LEFT_HOME_AT_NIGHT, "clear", Severity.CRITICAL, facts))
        if self.not_back_raised[t]:
            self.not_back_raised[t] = False
            signals.append(self._signal(t, RuleName.NOT_BACK_BY, "clear", Severity.HIGH, facts))
        self.exited_at[t] = np.nan
        self.exit_zone[t] = -1
        return signals

    # --- timers --------------------------------------------------------------------------------

    def tick(self, now: datetime) -> list[AlertSignal]:
        """Raise "no fix while out" and "not back by" when their time has come."""
        signals: list[AlertSignal] = []
        epoch = now.timestamp()
        with np.errstate(invalid="ignore"):
            silent = self.outside & ~self.no_fix_raised & (epoch - self.last_fix >= self.config.no_fix_after_s)
        for t in np.flatnonzero(silent):
            self.no_fix_raised[t] = True
            facts: dict[str, FactValue] = {
                "tracker_id": self.trackers[t].tracker_id,
                "last_fix_at": _iso(float(self.last_fix[t])),
                "minutes": round((epoch - float(self.last_fix[t])) / 60),
            }
            signals.append(self._signal(int(t), RuleName.TRACKER_NO_FIX, "raise", Severity.HIGH, facts, at=epoch))
        minute = float(local_minutes(np.array([epoch]), reference=now)[0])
        # "not back by 17:00" holds from the deadline until the end of the local day
        late = self.outside & ~self.not_back_raised & (self._deadline >= 0) & (minute >= self._deadline)
        for t in np.flatnonzero(late):
            self.not_back_raised[t] = True
            deadline = self.trackers[t].not_back_by
            facts = {
                "tracker_id": self.trackers[t].tracker_id,
                "deadline": deadline.strftime("%H:%M") if deadline else "",
                "exited_at": _iso(float(self.exited_at[t])) if not np.isnan(self.exited_at[t]) else None,
            }
            signals.append(self._signal(int(t), RuleName.NOT_BACK_BY, "raise", Severity.HIGH, facts, at=epoch))
        return signals

    def due_at(self) -> datetime | None:
        """Return when `tick` next has something to decide (None when nobody is out)."""
        if not self.outside.any():
            return None
        waiting = self.outside & ~self.no_fix_raised
        if waiting.any():
            return datetime.fromtimestamp(float(np.nanmin(self.last_fix[waiting])) + self.config.no_fix_after_s, UTC)
        return None

    # --- state ---------------------------------------------------------------------------------

    def is_outside(self, tracker_id: str) -> bool:
        """Tell whether a tracker's exit is confirmed and it is not back yet."""
        return bool(self.outside[self.index.tracker_index[tracker_id]])

    def state_json(self) -> dict[str, Any]:
        """Return the state of trackers that are not in the plain "inside, nothing raised" state."""
        state: dict[str, Any] = {}
        flags = self.outside | (self.pending > 0) | self.no_fix_raised | self.not_back_raised | self.battery_low
        flags |= (self.presence != PRESENCE_UNKNOWN) | self.night_raised
        for t in np.flatnonzero(flags | ~np.isnan(self.last_fix)):
            state[self.trackers[t].tracker_id] = {
                "outside": bool(self.outside[t]),
                "pending": int(self.pending[t]),
                "pending_since": None if np.isnan(self.pending_since[t]) else float(self.pending_since[t]),
                "exited_at": None if np.isnan(self.exited_at[t]) else float(self.exited_at[t]),
                "last_fix": None if np.isnan(self.last_fix[t]) else float(self.last_fix[t]),
                "no_fix_raised": bool(self.no_fix_raised[t]),
                "not_back_raised": bool(self.not_back_raised[t]),
                "night_raised": bool(self.night_raised[t]),
                "battery_low": bool(self.battery_low[t]),
                "presence": int(self.presence[t]),
            }
        return state

    def _restore(self, saved: dict[str, Any]) -> None:
        for tracker_id, row in saved.items():
            t = self.index.tracker_index.get(tracker_id)
            if t is None or not isinstance(row, dict):
                continue
            self.outside[t] = bool(row.get("outside"))
            self.pending[t] = int(row.get("pending") or 0)
            for name, array in (
                ("pending_since", self.pending_since),
                ("exited_at", self.exited_at),
                ("last_fix", self.last_fix),
            ):
                value = row.get(name)
                array[t] = float(value) if isinstance(value, int | float) else np.nan
            self.no_fix_raised[t] = bool(row.get("no_fix_raised"))
            self.not_back_raised[t] = bool(row.get("not_back_raised"))
            self.night_raised[t] = bool(row.get("night_raised"))
            self.battery_low[t] = bool(row.get("battery_low"))
            presence = row.get("presence")
            self.presence[t] = presence if presence in (PRESENCE_HOME, PRESENCE_AWAY) else PRESENCE_UNKNOWN

    def _signal(
        self,
        t: int,
        rule: RuleName,
        action: str,
        severity: Severity,
        facts: dict[str, FactValue],
        *,
        at: float | None = None,
    ) -> AlertSignal:
        tracker = self.trackers[t]
        moment = datetime.fromtimestamp(at if at is not None else float(self.last_fix[t]), UTC)
        facts = {"tracker_id": tracker.tracker_id, **facts}
        return signal(
            rule,
            tracker.household_id,
            action="raise" if action == "raise" else "clear",
            severity=severity,
            at=moment,
            facts=facts,
        )
