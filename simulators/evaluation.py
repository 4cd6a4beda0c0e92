"""Synthetic watch-evaluation streams: many households, many days, with injected incidents.

Each household lives a DailyRoutine shifted by its own offset (early risers and late risers),
with climate readings and gateway heartbeats, as a gateway would report them. Incidents are
injected with their ground truth, so an evaluator can run the rules over the stream and score
detection delay, misses and false alarms:

- fall: from a random daytime moment no movement at all, until found (24 h later);
- hospital: the gateway is unplugged for 3–10 days (a watch without data, not inactivity);
- heat: an afternoon with the bedroom at 厳重警戒 or 危険 for hours (no air conditioning);
- wandering: the front door opens at night and the person stays out 30–90 minutes;
- battery: a sensor's battery runs down past 20 %.

Only protocol types are used here; the evaluator (cloud.watch_evaluation) feeds the rules.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from protocol import EventKind
from simulators.routine import TOKYO, DailyRoutine, Room

HEARTBEAT_EVERY = timedelta(minutes=20)
CLIMATE_EVERY = timedelta(minutes=20)
BATTERY_EVERY = timedelta(hours=6)
LEARNING_DAYS = 28
DEFAULT_START = date(2026, 7, 1)  # summer, so heat days are plausible
CLIMATE_DEVICE = "climate-bedroom"
BATTERY_DEVICE = "motion-bedroom"
DOOR_DEVICE = "door-front"


@dataclass(frozen=True, slots=True)
class StreamItem:
    """One thing a gateway reports: an event, a reading, or its own status ("online"/"offline")."""

    at: datetime
    kind: str  # "event" | "reading" | "online" | "offline"
    device_id: str = ""
    event: EventKind | None = None
    room: str | None = None
    metric: str = ""
    value: float = 0.0


@dataclass(frozen=True, slots=True)
class Incident:
    """Ground truth: what happened, from when to when, and which rule should notice it."""

    kind: str  # fall | hospital | heat | wandering | battery
    rule: str
    start: datetime
    end: datetime


@dataclass(slots=True)
class EvaluationHousehold:
    """One simulated household: its stream (sorted) and its incidents."""

    household_id: str
    offset_h: float
    items: list[StreamItem] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)


def _motion_device(room: str) -> str:
    return f"motion-{room.replace('_', '-')}"


class EvaluationWorld:
    """Generate households for the watch evaluation from one seed."""

    def __init__(self, *, households: int, days: int, seed: int = 7, start: date = DEFAULT_START) -> None:
        self.households = households
        self.days = days
        self.seed = seed
        self.start = start

    def __iter__(self) -> Iterator[EvaluationHousehold]:
        for index in range(self.households):
            yield self.household(index)

    def household(self, index: int) -> EvaluationHousehold:
        """Build household `index`: its routine, incidents and stream."""
        rng = random.Random(f"{self.seed}:{index}")
        offset_h = rng.choice([-1.0, -0.5, 0.0, 0.0, 0.5, 1.0, 1.5, 2.0])
        home = EvaluationHousehold(household_id=f"eval-{index:04d}", offset_h=offset_h)
        routine = DailyRoutine(seed=self.seed * 10_000 + index)
        shift = timedelta(hours=offset_h)
        first = self.start
        last = self.start + timedelta(days=self.days)
        begin = datetime.combine(first, datetime.min.time(), tzinfo=TOKYO).astimezone(UTC)
        end = datetime.combine(last, datetime.min.time(), tzinfo=TOKYO).astimezone(UTC)
        incidents = self._incidents(rng, first, begin, shift)
        home.incidents = incidents
        blackouts = [(i.start, i.end) for i in incidents if i.kind in ("fall", "hospital")]
        items: list[StreamItem] = [StreamItem(begin, "online")]
        day = first - timedelta(days=1)
        while day < last:
            for happening in routine.happenings(day, routine.plan(day)):
                moment = happening.at + shift
                if not begin <= moment < end or any(a <= moment < b for a, b in blackouts):
                    continue
                if happening.kind == "motion":
                    items.append(
                        StreamItem(
                            moment,
                            "event",
                            _motion_device(happening.room.value),
                            EventKind.MOTION_DETECTED,
                            happening.room.value,
                        )
                    )
                else:
                    kind = EventKind.DOOR_OPENED if happening.kind == "door_opened" else EventKind.DOOR_CLOSED
                    items.append(StreamItem(moment, "event", DOOR_DEVICE, kind, Room.ENTRANCE.value))
            day += timedelta(days=1)
        items += self._wandering(incidents)
        items += self._climate(rng, begin, end, incidents)
        items += self._battery(begin, end, incidents)
        items += self._gateway(begin, end, incidents)
        items.sort(key=lambda item: item.at)
        home.items = items
        return home

    def _incidents(self, rng: random.Random, first: date, begin: datetime, shift: timedelta) -> list[Incident]:
        incidents: list[Incident] = []
        learned = min(LEARNING_DAYS + 2, max(self.days - 3, 0))
        free_days = list(range(learned, max(self.days - 2, learned)))
        rng.shuffle(free_days)

        def local(day: int, hour: float) -> datetime:
            moment = datetime.combine(first + timedelta(days=day), datetime.min.time(), tzinfo=TOKYO)
            return (moment + timedelta(hours=hour)).astimezone(UTC)

        if free_days and rng.random() < 0.6:
            day = free_days.pop()
            # daytime: between getting up (about 06:30 + offset) plus an hour, and 20:00
            hour = rng.uniform(8.0, 19.5) + shift.total_seconds() / 3600
            start = local(day, hour)
            incidents.append(Incident("fall", "inactivity", start, start + timedelta(hours=24)))
        if free_days and rng.random() < 0.4:
            day = free_days.pop()
            start = local(day, rng.uniform(9, 17))
            incidents.append(Incident("hospital", "gateway_offline", start, start + timedelta(days=rng.randint(3, 10))))
        if free_days and rng.random() < 0.3:
            day = free_days.pop()
            start = local(day, rng.uniform(12, 14))
            incidents.append(Incident("heat", "heat_risk", start, start + timedelta(hours=rng.uniform(2, 5))))
        if free_days and rng.random() < 0.3:
            day = free_days.pop()
            start = local(day, rng.uniform(25, 28))  # 01:00–04:00 the next morning
            incidents.append(
                Incident("wandering", "night_wandering", start, start + timedelta(minutes=rng.uniform(30, 90)))
            )
        if rng.random() < 0.1:
            start = begin + timedelta(days=rng.uniform(5, max(self.days - 5, 6)))
            incidents.append(Incident("battery", "low_battery", start, start + timedelta(days=3)))
        # incidents must not overlap: drop any that starts inside an earlier one's window
        incidents.sort(key=lambda incident: incident.start)
        kept: list[Incident] = []
        for incident in incidents:
            if all(not (k.start <= incident.start <= k.end + timedelta(days=1)) for k in kept):
                kept.append(incident)
        return kept

    def _wandering(self, incidents: list[Incident]) -> list[StreamItem]:
        items = []
        for incident in incidents:
            if incident.kind != "wandering":
                continue
            entrance = Room.ENTRANCE.value
            items += [
                StreamItem(incident.start, "event", DOOR_DEVICE, EventKind.DOOR_OPENED, entrance),
                StreamItem(
                    incident.start + timedelta(seconds=20), "event", DOOR_DEVICE, EventKind.DOOR_CLOSED, entrance
                ),
                StreamItem(incident.end, "event", DOOR_DEVICE, EventKind.DOOR_OPENED, entrance),
                StreamItem(
                    incident.end + timedelta(seconds=60),
                    "event",
                    _motion_device("bedroom"),
                    EventKind.MOTION_DETECTED,
                    "bedroom",
                ),
            ]
        return items

    def _climate(
        self, rng: random.Random, begin: datetime, end: datetime, incidents: list[Incident]
    ) -> list[StreamItem]:
        items = []
        heat = [(i.start, i.end) for i in incidents if i.kind == "heat"]
        away = [(i.start, i.end) for i in incidents if i.kind == "hospital"]
        moment = begin
        while moment < end:
            if not any(a <= moment < b for a, b in away):
                local_hour = moment.astimezone(TOKYO).hour + moment.astimezone(TOKYO).minute / 60
                # an air-conditioned summer room: 25–28 °C, warmer in the afternoon
                temperature = 26.0 + 1.5 * max(0.0, 1 - abs(local_hour - 15) / 6) + rng.uniform(-0.6, 0.6)
                humidity = 58.0 + rng.uniform(-6, 6)
                if any(a <= moment < b for a, b in heat):
                    temperature, humidity = 33.5 + rng.uniform(-0.5, 1.5), 68.0 + rng.uniform(-3, 5)
                items.append(
                    StreamItem(
                        moment, "reading", CLIMATE_DEVICE, room="bedroom", metric="temperature_c", value=temperature
                    )
                )
                items.append(
                    StreamItem(moment, "reading", CLIMATE_DEVICE, room="bedroom", metric="humidity_pct", value=humidity)
                )
            moment += CLIMATE_EVERY
        return items

    def _battery(self, begin: datetime, end: datetime, incidents: list[Incident]) -> list[StreamItem]:
        dying = next((i for i in incidents if i.kind == "battery"), None)
        unplugged = [(i.start, i.end) for i in incidents if i.kind == "hospital"]
        items = []
        moment = begin
        while moment < end:
            if any(a <= moment < b for a, b in unplugged):
                moment += BATTERY_EVERY
                continue
            level = 90.0
            if dying is not None:
                # runs down from 35 % to cross 20 % at the incident's start, replaced 3 days later
                days_left = (dying.start - moment).total_seconds() / 86_400
                level = 100.0 if moment >= dying.end else max(1.0, 20.0 + 3.0 * days_left) if days_left < 5 else 40.0
            items.append(
                StreamItem(moment, "reading", BATTERY_DEVICE, room="bedroom", metric="battery_pct", value=level)
            )
            moment += BATTERY_EVERY
        return items

    def _gateway(self, begin: datetime, end: datetime, incidents: list[Incident]) -> list[StreamItem]:
        items = []
        unplugged = [(i.start, i.end) for i in incidents if i.kind == "hospital"]
        for start, stop in unplugged:
            items.append(StreamItem(start, "offline"))
            items.append(StreamItem(stop, "online"))
        moment = begin + HEARTBEAT_EVERY
        while moment < end:
            if not any(a <= moment < b for a, b in unplugged):
                items.append(StreamItem(moment, "heartbeat"))
            moment += HEARTBEAT_EVERY
        return items
