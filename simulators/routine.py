"""A believable daily routine of one person living alone, in Asia/Tokyo local time.

A day runs from getting up to getting up the next morning. Each day is drawn from its own
seeded random generator, so a household repeats exactly with the same seed while no two days
look alike.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")


class Room(StrEnum):
    """Rooms with a motion sensor; the entrance has the front-door contact instead."""

    BEDROOM = "bedroom"
    LIVING_ROOM = "living_room"
    KITCHEN = "kitchen"
    TOILET = "toilet"
    BATHROOM = "bathroom"
    ENTRANCE = "entrance"


class Activity(StrEnum):
    SLEEP = "sleep"
    GET_UP = "get_up"
    TOILET = "toilet"
    WASH = "wash"
    MEAL = "meal"
    REST = "rest"
    BATH = "bath"
    OUT = "out"


OUT = "out"

# Minutes between two motion reports while someone is in the room doing this; None: only
# the report on entering (a sleeper barely triggers a PIR sensor).
MOTION_EVERY: dict[Activity, tuple[float, float] | None] = {
    Activity.SLEEP: None,
    Activity.GET_UP: (1.0, 3.0),
    Activity.TOILET: (1.5, 3.0),
    Activity.WASH: (1.5, 3.0),
    Activity.MEAL: (2.0, 5.0),
    Activity.REST: (3.0, 12.0),
    Activity.BATH: (2.0, 5.0),
    Activity.OUT: None,
}


@dataclass(frozen=True, slots=True)
class Stay:
    """Where the person is from `start` to `end` (UTC), and doing what; place is a Room or "out"."""

    start: datetime
    end: datetime
    place: str
    activity: Activity


@dataclass(frozen=True, slots=True)
class Happening:
    """Something a sensor at home reports: motion in a room, or the front door."""

    at: datetime
    kind: str  # "motion" | "door_opened" | "door_closed"
    room: Room


def _local(day: date, clock_time: time) -> datetime:
    return datetime.combine(day, clock_time, tzinfo=TOKYO)


def _minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


class DailyRoutine:
    """The days of one person, drawn from a seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def _rng(self, day: date, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{day.isoformat()}:{purpose}")

    def wake_time(self, day: date) -> datetime:
        """When the person gets up on a local date (about 06:30, give or take half an hour)."""
        jitter = max(-40.0, min(40.0, self._rng(day, "wake").gauss(0.0, 18.0)))
        return (_local(day, time(6, 30)) + _minutes(jitter)).astimezone(UTC)

    def day_of(self, moment: datetime) -> date:
        """Return the routine day a moment belongs to (it starts when the person gets up)."""
        day = moment.astimezone(TOKYO).date()
        return day if moment >= self.wake_time(day) else day - timedelta(days=1)

    def plan(self, day: date) -> list[Stay]:
        """Return the stays from getting up on `day` until getting up the next morning."""
        rng = self._rng(day, "plan")
        wake = self.wake_time(day)
        next_wake = self.wake_time(day + timedelta(days=1))
        bedtime = (_local(day, time(22, 0)) + _minutes(max(-45.0, min(45.0, rng.gauss(0.0, 20.0))))).astimezone(UTC)

        stays: list[Stay] = []
        cursor = wake

        def stay(place: str, activity: Activity, minutes: float) -> None:
            nonlocal cursor
            end = cursor + _minutes(minutes)
            stays.append(Stay(cursor, end, place, activity))
            cursor = end

        stay(Room.BEDROOM, Activity.GET_UP, rng.uniform(3, 8))
        stay(Room.TOILET, Activity.TOILET, rng.uniform(3, 6))
        stay(Room.BATHROOM, Activity.WASH, rng.uniform(5, 12))
        stay(Room.LIVING_ROOM, Activity.REST, rng.uniform(5, 20))
        stay(Room.KITCHEN, Activity.MEAL, rng.uniform(25, 45))

        # Fixed points of the day; the gaps between them are spent in the living room,
        # with toilet visits and perhaps an outing.
        anchors: list[tuple[datetime, str, Activity, float]] = [
            (self._around(day, time(12, 0), 20, rng), Room.KITCHEN, Activity.MEAL, rng.uniform(30, 45)),
            (self._around(day, time(18, 0), 25, rng), Room.KITCHEN, Activity.MEAL, rng.uniform(40, 60)),
        ]
        if rng.random() < 0.8:
            anchors.append((self._around(day, time(20, 0), 25, rng), Room.BATHROOM, Activity.BATH, rng.uniform(25, 40)))
        outings = rng.choices([0, 1, 2], weights=[0.25, 0.5, 0.25])[0]
        windows = [(time(9, 0), time(10, 30)), (time(14, 0), time(15, 30))]
        for window_start, window_end in rng.sample(windows, outings):
            span = (_local(day, window_end) - _local(day, window_start)).total_seconds() / 60
            start = (_local(day, window_start) + _minutes(rng.uniform(0, span))).astimezone(UTC)
            anchors.append((start, OUT, Activity.OUT, rng.uniform(30, 110)))
        anchors.sort(key=lambda anchor: anchor[0])

        for start, place, activity, minutes in anchors:
            start = max(start, cursor + _minutes(5))
            self._fill_with_rest(stays, cursor, start, rng)
            cursor = start
            if activity is Activity.OUT:
                # back in good time for whatever comes next
                later = [a[0] for a in anchors if a[0] > start]
                if later:
                    minutes = min(minutes, (later[0] - start).total_seconds() / 60 - 15)
                if minutes < 20:
                    continue
            stay(place, activity, minutes)
        self._fill_with_rest(stays, cursor, max(bedtime, cursor + _minutes(10)), rng)
        cursor = max(bedtime, cursor + _minutes(10))

        self._night(stays, cursor, next_wake, rng)
        return stays

    def _around(self, day: date, clock_time: time, spread_min: float, rng: random.Random) -> datetime:
        return (_local(day, clock_time) + _minutes(rng.uniform(-spread_min, spread_min))).astimezone(UTC)

    def _fill_with_rest(self, stays: list[Stay], start: datetime, end: datetime, rng: random.Random) -> None:
        cursor = start
        while cursor < end:
            rest_until = min(end, cursor + _minutes(rng.uniform(70, 160)))
            stays.append(Stay(cursor, rest_until, Room.LIVING_ROOM, Activity.REST))
            cursor = rest_until
            if cursor < end - _minutes(10):
                toilet_until = cursor + _minutes(rng.uniform(3, 6))
                stays.append(Stay(cursor, toilet_until, Room.TOILET, Activity.TOILET))
                cursor = toilet_until

    def _night(self, stays: list[Stay], bedtime: datetime, next_wake: datetime, rng: random.Random) -> None:
        visits = rng.choices([0, 1, 2], weights=[0.3, 0.45, 0.25])[0]
        first = bedtime + _minutes(60)
        last = next_wake - _minutes(30)
        times: list[datetime] = []
        if last > first:
            span = (last - first).total_seconds() / 60
            times = sorted(first + _minutes(rng.uniform(0, span)) for _ in range(visits))
        cursor = bedtime
        for visit in times:
            if visit < cursor + _minutes(20):
                continue
            stays.append(Stay(cursor, visit, Room.BEDROOM, Activity.SLEEP))
            toilet_until = visit + _minutes(rng.uniform(3, 6))
            stays.append(Stay(visit, toilet_until, Room.TOILET, Activity.TOILET))
            cursor = toilet_until
        stays.append(Stay(cursor, next_wake, Room.BEDROOM, Activity.SLEEP))

    def happenings(self, day: date, stays: list[Stay]) -> list[Happening]:
        """Return what the sensors report during a day's stays, as PIR and door contacts would."""
        rng = self._rng(day, "sensors")
        found: list[Happening] = []
        previous: Stay | None = None
        for current in stays:
            if current.place == OUT:
                opened = current.start
                found.append(Happening(opened, "door_opened", Room.ENTRANCE))
                found.append(Happening(opened + timedelta(seconds=rng.uniform(15, 40)), "door_closed", Room.ENTRANCE))
                found.append(Happening(current.end, "door_opened", Room.ENTRANCE))
                found.append(
                    Happening(current.end + timedelta(seconds=rng.uniform(10, 30)), "door_closed", Room.ENTRANCE)
                )
                previous = current
                continue
            room = Room(current.place)
            entry_delay = 60.0 if previous is not None and previous.place == OUT else rng.uniform(3, 30)
            same_room = previous is not None and previous.place == current.place
            moment = current.start + timedelta(seconds=entry_delay)
            if not same_room and moment < current.end:
                found.append(Happening(moment, "motion", room))
            every = MOTION_EVERY[current.activity]
            if every is None:
                if current.activity is Activity.SLEEP:
                    # settling into bed: a turn or two before sleep
                    for _ in range(rng.randint(0, 2)):
                        settle = current.start + _minutes(rng.uniform(1, 15))
                        if settle < current.end:
                            found.append(Happening(settle, "motion", room))
            else:
                while True:
                    moment += _minutes(rng.uniform(*every))
                    if moment >= current.end:
                        break
                    found.append(Happening(moment, "motion", room))
            previous = current
        found.sort(key=lambda happening: happening.at)
        return found
