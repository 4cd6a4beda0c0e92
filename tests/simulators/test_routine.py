"""The resident's daily routine: believable, varied, and never falsely still."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

from simulators import TOKYO, Activity, DailyRoutine, Room

FIRST_DAY = date(2026, 11, 27)
DAYS = [FIRST_DAY + timedelta(days=n) for n in range(14)]


def local_time(moment: datetime) -> time:
    return moment.astimezone(TOKYO).time()


def test_the_resident_gets_up_around_half_past_six() -> None:
    """Over two weeks the resident always gets up between 05:45 and 07:15."""
    routine = DailyRoutine(seed=4)
    assert all(time(5, 45) <= local_time(routine.wake_time(day)) <= time(7, 15) for day in DAYS)


def test_the_resident_goes_to_bed_around_ten() -> None:
    """Every day ends with sleep in the bedroom starting between 21:00 and 23:00."""
    routine = DailyRoutine(seed=4)
    for day in DAYS:
        first_sleep = next(stay for stay in routine.plan(day) if stay.activity is Activity.SLEEP)
        assert first_sleep.place == Room.BEDROOM
        assert time(21, 0) <= local_time(first_sleep.start) <= time(23, 0)


def test_night_toilet_visits_go_from_bedroom_to_toilet_and_back() -> None:
    """At night there are zero to two toilet visits, each between two stretches of sleep."""
    routine = DailyRoutine(seed=9)
    visits_per_night = []
    for day in DAYS:
        stays = routine.plan(day)
        night = stays[next(i for i, stay in enumerate(stays) if stay.activity is Activity.SLEEP) :]
        visits = [i for i, stay in enumerate(night) if stay.place == Room.TOILET]
        visits_per_night.append(len(visits))
        for index in visits:
            assert night[index - 1].activity is Activity.SLEEP
            assert night[index + 1].activity is Activity.SLEEP
    assert set(visits_per_night) <= {0, 1, 2}
    assert len(set(visits_per_night)) > 1


def test_outings_last_at_most_two_hours_and_vary_by_day() -> None:
    """Outings take 20 minutes to 2 hours, and some days have none while others have some."""
    routine = DailyRoutine(seed=2)
    outings_per_day = []
    for day in DAYS:
        outings = [stay for stay in routine.plan(day) if stay.place == "out"]
        outings_per_day.append(len(outings))
        assert all(timedelta(minutes=20) <= stay.end - stay.start <= timedelta(hours=2) for stay in outings)
    assert max(outings_per_day) <= 2
    assert len(set(outings_per_day)) > 1


def test_meals_are_taken_in_the_kitchen_three_times_a_day() -> None:
    """Breakfast, lunch and dinner are in the kitchen every day."""
    routine = DailyRoutine(seed=6)
    for day in DAYS:
        meals = [stay for stay in routine.plan(day) if stay.activity is Activity.MEAL]
        assert len(meals) == 3
        assert all(meal.place == Room.KITCHEN for meal in meals)


def test_awake_at_home_the_sensors_never_fall_silent_for_two_hours() -> None:
    """Between getting up and going to bed, no two sensor reports are two hours apart unless the resident is out."""
    for seed in range(5):
        routine = DailyRoutine(seed=seed)
        for day in DAYS[:7]:
            stays = routine.plan(day)
            bedtime = next(stay.start for stay in stays if stay.activity is Activity.SLEEP)
            reports = [h.at for h in routine.happenings(day, stays) if h.at < bedtime]
            for earlier, later in itertools.pairwise(reports):
                if later - earlier > timedelta(hours=2):
                    gap_stays = [s for s in stays if s.start < later and s.end > earlier]
                    assert any(stay.place == "out" for stay in gap_stays)


def test_no_motion_is_reported_while_the_resident_is_out() -> None:
    """The only reports during an outing are the front door's."""
    routine = DailyRoutine(seed=2)
    for day in DAYS:
        stays = routine.plan(day)
        happenings = routine.happenings(day, stays)
        for outing in (stay for stay in stays if stay.place == "out"):
            inside = [h for h in happenings if outing.start < h.at < outing.end]
            assert all(h.kind.startswith("door_") for h in inside)
