"""The watch rules on crafted streams with an injected clock: learned inactivity, heat, cold,
night wandering, unusual day and device problems."""

from __future__ import annotations

from datetime import timedelta

from alerts import ReadingObserved, RuleEngine, RuleName, Severity, WatchSettings, compose, wbgt_indoor
from alerts.rules import heat_level
from protocol import EventKind
from tests.alerts.home import GATEWAY, HOUSEHOLD, Home, jst


def reading(home: Home, metric: str, value: float, *, device: str = "climate-bedroom", room: str = "bedroom") -> None:
    """Deliver one reading of a sensor behind the gateway, now."""
    now = home.clock.now()
    observed = ReadingObserved(HOUSEHOLD, GATEWAY, device, metric, value, now, room)
    home.signals += home.engine.observe(observed, now=now)


def climate(home: Home, temperature: float, humidity: float) -> None:
    reading(home, "temperature_c", temperature)
    reading(home, "humidity_pct", humidity)


def running_home(day: int = 26, hour: int = 6, *, settings: WatchSettings | None = None) -> Home:
    home = Home(jst(day, hour), settings=settings)
    home.status(started_at=jst(day - 1, 9))
    home.event(EventKind.MOTION_DETECTED, room="bedroom")
    return home


def live_day(home: Home, day: int, *, wake: int, nap: tuple[int, int] | None = None) -> None:
    """Play a day of an early riser: up at `wake`, moving every 10 minutes until 21:00, asleep after."""
    home.run_until(jst(day, wake), step=timedelta(minutes=10))
    moment = jst(day, wake)
    while moment < jst(day, 21):
        quiet = nap is not None and jst(day, nap[0]) <= moment < jst(day, nap[1])
        home.run_until(moment, step=timedelta(minutes=10))
        if not quiet:
            home.event(EventKind.MOTION_DETECTED, room="living_room")
        moment += timedelta(minutes=10)
    home.run_until(jst(day + 1, 0), step=timedelta(minutes=10))


# heartbeats in these tests come every 10 minutes, not every minute: give the gateway room
SPARSE_HEARTBEATS = WatchSettings(gateway_offline_after_s=1800.0)


def learned_home(*, nap: tuple[int, int] | None = (14, 16)) -> Home:
    """Return a home with eight days of an early riser's routine learned (up at 05:00, a nap 14–16)."""
    home = Home(jst(2, 0), settings=SPARSE_HEARTBEATS)
    home.status(started_at=jst(1, 9))
    home.event(EventKind.MOTION_DETECTED, room="bedroom")
    for day in range(2, 10):
        live_day(home, day, wake=5, nap=nap)
    return home


def test_wbgt_follows_the_ono_formula_indoors() -> None:
    """30 °C at 70 % indoors is WBGT 26.7 (警戒); 33 °C at 70 % is 厳重警戒, 35 °C at 75 % 危険."""
    assert round(wbgt_indoor(30, 70), 1) == 26.7
    assert heat_level(wbgt_indoor(30, 70)) == "warning"
    assert heat_level(wbgt_indoor(33, 70)) == "severe"
    assert heat_level(wbgt_indoor(35, 75)) == "danger"
    assert heat_level(wbgt_indoor(24, 50)) == "caution"


def test_heat_at_severe_warning_for_thirty_minutes_raises() -> None:
    """A bedroom at 33 °C / 70 % (厳重警戒) raises after 30 minutes, with the level and what to do."""
    home = running_home(day=26, hour=13)
    for _ in range(31):
        climate(home, 33.0, 70.0)
        home.run_until(home.clock.now() + timedelta(minutes=1))
    [signal] = home.raised(RuleName.HEAT_RISK)
    assert signal.severity is Severity.MEDIUM
    assert signal.facts["level"] == "severe"
    message = compose(
        purpose="opened",
        rule=RuleName.HEAT_RISK,
        severity=signal.severity,
        person_name="山田 花子",
        household_name="山田家",
        address="",
        facts=signal.facts,
        opened_at=signal.at,
        language="ja",
    )
    assert "厳重警戒" in message.title
    assert "寝室" in message.body and "エアコン" in message.body and "水分" in message.body


def test_short_heat_spike_stays_quiet() -> None:
    """Ten minutes at 厳重警戒 (cooking, a bath) raises nothing."""
    home = running_home(day=26, hour=13)
    for _ in range(10):
        climate(home, 33.0, 70.0)
        home.run_until(home.clock.now() + timedelta(minutes=1))
    climate(home, 26.0, 50.0)
    home.run_until(home.clock.now() + timedelta(hours=1))
    assert home.raised(RuleName.HEAT_RISK) == []


def test_heat_reaching_danger_raises_again_higher() -> None:
    """After the 厳重警戒 alert, 危険 held for ten minutes raises again at high severity."""
    home = running_home(day=26, hour=13)
    for _ in range(31):
        climate(home, 33.0, 70.0)
        home.run_until(home.clock.now() + timedelta(minutes=1))
    for _ in range(11):
        climate(home, 36.0, 75.0)
        home.run_until(home.clock.now() + timedelta(minutes=1))
    assert [signal.severity for signal in home.raised(RuleName.HEAT_RISK)] == [Severity.MEDIUM, Severity.HIGH]


def test_heat_clears_when_the_room_cools() -> None:
    """Once the room is below 厳重警戒 by a degree the heat alert clears."""
    home = running_home(day=26, hour=13)
    for _ in range(31):
        climate(home, 33.0, 70.0)
        home.run_until(home.clock.now() + timedelta(minutes=1))
    climate(home, 27.0, 50.0)
    assert len(home.cleared(RuleName.HEAT_RISK)) == 1


def test_cold_room_in_winter_raises_after_an_hour() -> None:
    """A room at 12 °C in November raises the cold risk after an hour, not before."""
    home = running_home(day=26, hour=6)
    for _ in range(59):
        reading(home, "temperature_c", 12.0)
        home.run_until(home.clock.now() + timedelta(minutes=1))
    assert home.raised(RuleName.COLD_RISK) == []
    for _ in range(2):
        reading(home, "temperature_c", 12.0)
        home.run_until(home.clock.now() + timedelta(minutes=1))
    [signal] = home.raised(RuleName.COLD_RISK)
    assert signal.facts["temperature_c"] == 12.0


def test_door_opening_at_night_without_motion_inside_raises_wandering() -> None:
    """The door opens at 02:00 and nobody moves inside: night wandering raises at 02:10."""
    home = running_home(day=26, hour=1)
    home.run_until(jst(26, 2))
    home.event(EventKind.DOOR_OPENED, room="entrance")
    home.event(EventKind.DOOR_CLOSED, room="entrance")
    home.run_until(jst(26, 2, 9))
    assert home.raised(RuleName.NIGHT_WANDERING) == []
    home.run_until(jst(26, 2, 11))
    [signal] = home.raised(RuleName.NIGHT_WANDERING)
    assert signal.severity is Severity.HIGH


def test_checking_the_door_at_night_and_going_back_to_bed_stays_quiet() -> None:
    """The door opens at 02:00 and the bedroom sees motion a minute later: no alert."""
    home = running_home(day=26, hour=1)
    home.run_until(jst(26, 2))
    home.event(EventKind.DOOR_OPENED, room="entrance")
    home.run_until(jst(26, 2, 1))
    home.event(EventKind.MOTION_DETECTED, room="bedroom")
    home.run_until(jst(26, 3))
    assert home.raised(RuleName.NIGHT_WANDERING) == []


def test_going_out_in_the_day_is_not_wandering_nor_inactivity() -> None:
    """Leaving at 10:00 with the door closed behind and back at 15:00 raises nothing."""
    home = running_home(day=26, hour=9)
    home.run_until(jst(26, 10))
    home.event(EventKind.DOOR_OPENED, room="entrance")
    home.event(EventKind.DOOR_CLOSED, room="entrance")
    home.run_until(jst(26, 15))
    home.event(EventKind.DOOR_OPENED, room="entrance")
    home.event(EventKind.MOTION_DETECTED, room="living_room")
    assert home.raised(RuleName.NIGHT_WANDERING) == []
    assert home.raised(RuleName.INACTIVITY) == []


def test_learned_routine_raises_at_ten_in_an_early_risers_home() -> None:
    """An early riser (up at 05:00 for a week) still not moving at 06:00 raises, hours before the fixed rule."""
    home = learned_home()
    home.run_until(jst(10, 8), step=timedelta(minutes=5))
    [signal] = home.raised(RuleName.INACTIVITY)
    assert signal.at <= jst(10, 7)
    assert signal.facts["limit"] == "learned"
    message = compose(
        purpose="opened",
        rule=RuleName.INACTIVITY,
        severity=signal.severity,
        person_name="山田 花子",
        household_name="山田家",
        address="",
        facts=signal.facts,
        opened_at=signal.at,
        language="en",
    )
    assert "usually up and about by" in message.body


def test_learned_routine_lets_the_usual_nap_pass() -> None:
    """The usual two-hour nap at 14:00 raises nothing once the routine is learned."""
    home = learned_home()
    live_day(home, 10, wake=5, nap=(14, 16))
    assert home.raised(RuleName.INACTIVITY) == []


def test_learned_model_survives_a_restart() -> None:
    """The engine rebuilt from a checkpoint keeps the learned routine and raises the same way."""
    home = learned_home()
    restarted = RuleEngine(profiles=[home.profile], checkpoint=home.engine.checkpoint())
    again = Home(home.clock.now(), engine=restarted)
    again.run_until(jst(10, 8), step=timedelta(minutes=5))
    assert [signal.facts["limit"] for signal in again.raised(RuleName.INACTIVITY)] == ["learned"]


def test_cold_start_uses_the_fixed_threshold() -> None:
    """Without history the inactivity rule waits the fixed four waking hours."""
    home = running_home(day=26, hour=7)
    home.run_until(jst(26, 11, 1))
    [signal] = home.raised(RuleName.INACTIVITY)
    assert signal.facts["limit"] == "fixed"


def test_gateway_offline_silences_the_person_rules() -> None:
    """With the gateway silent from 09:00, no inactivity alert is raised, only gateway offline."""
    home = running_home(day=26, hour=8)
    home.run_until(jst(26, 9))
    home.run_until(jst(26, 20), heartbeats=False, step=timedelta(minutes=5))
    assert home.raised(RuleName.INACTIVITY) == []
    assert len(home.raised(RuleName.GATEWAY_OFFLINE)) == 1


def test_unusual_day_names_many_night_toilet_visits() -> None:
    """Four toilet visits in the night after two weeks of one raises "please check" with the reason."""
    home = Home(jst(1, 6), settings=SPARSE_HEARTBEATS)
    home.status(started_at=jst(1, 5))
    for day in range(1, 17):
        home.run_until(jst(day, 7), step=timedelta(minutes=15))
        home.event(EventKind.MOTION_DETECTED, room="kitchen")
        home.event(EventKind.DOOR_OPENED, room="entrance")
        home.run_until(jst(day, 23), step=timedelta(minutes=15))
        visits = 4 if day == 16 else 1
        for visit in range(visits):
            home.run_until(jst(day + 1, 1 + visit), step=timedelta(minutes=15))
            home.event(EventKind.MOTION_DETECTED, room="toilet")
    home.run_until(jst(17, 12, 1), step=timedelta(minutes=15))
    [signal] = home.raised(RuleName.UNUSUAL_DAY)
    assert signal.severity is Severity.LOW
    assert "night_toilet=4/1" in str(signal.facts["reasons"])
    message = compose(
        purpose="opened",
        rule=RuleName.UNUSUAL_DAY,
        severity=signal.severity,
        person_name="山田 花子",
        household_name="山田家",
        address="",
        facts=signal.facts,
        opened_at=signal.at,
        language="ja",
    )
    assert "夜間のトイレが4回" in message.body


def test_sensor_silent_while_gateway_online_raises_for_the_installer() -> None:
    """A climate sensor silent for 26 hours while the gateway is online raises a device problem."""
    home = running_home(day=26, hour=6, settings=SPARSE_HEARTBEATS)
    reading(home, "temperature_c", 21.0, device="climate-kitchen", room="kitchen")
    home.run_until(jst(27, 8, 1), step=timedelta(minutes=5))
    [signal] = home.raised(RuleName.SENSOR_SILENT)
    # the PIR only reports movement, so it may rightly stay silent longer: only the climate sensor
    assert (signal.facts["device_id"], signal.facts["silent_sensors"]) == ("climate-kitchen", 1)
    assert signal.severity is Severity.MEDIUM


def test_low_battery_raises_once_and_clears_on_replacement() -> None:
    """A battery at 15 % raises once; a new battery at 100 % clears it."""
    home = running_home()
    reading(home, "battery_pct", 15.0, device="pir-bedroom")
    reading(home, "battery_pct", 14.0, device="pir-bedroom")
    reading(home, "battery_pct", 100.0, device="pir-bedroom")
    assert len(home.raised(RuleName.LOW_BATTERY)) == 1
    assert len(home.cleared(RuleName.LOW_BATTERY)) == 1
