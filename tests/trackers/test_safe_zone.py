"""Safe-zone rules on streams of fixes: jitter at the edge, real exits, returns, night, silence, deadlines."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, time, timedelta

from alerts.rules.safe_zone import SafeZoneConfig, SafeZoneWatch, TrackerFix, TrackerProfile
from alerts.signals import AlertSignal, RuleName, Severity
from maps.projection import from_plane, to_plane
from maps.zones import SafeZone, ZoneIndex, ZoneKind

HOME = (35.7126, 139.7800)  # near Ueno, Taito City
RADIUS = 150.0
NOON = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo
MIDNIGHT = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 00:00 in Tokyo


def watch(
    *,
    not_back_by: time | None = None,
    zone_hours: tuple[time, time] | None = None,
    night: tuple[time, time] | None = None,
) -> SafeZoneWatch:
    zone = SafeZone(
        zone_id="home",
        tracker_id="trk-hanako",
        name="自宅",
        kind=ZoneKind.HOME,
        center=HOME,
        radius_m=RADIUS,
        active_from=zone_hours[0] if zone_hours else None,
        active_to=zone_hours[1] if zone_hours else None,
    )
    profile = TrackerProfile(
        "trk-hanako",
        "taito-0001",
        "田中花子",
        not_back_by=not_back_by,
        night_start=night[0] if night else None,
        night_end=night[1] if night else None,
    )
    return SafeZoneWatch(trackers=[profile], zones=ZoneIndex([zone], tracker_ids=["trk-hanako"]))


def at_distance(metres: float, *, bearing_deg: float = 90.0) -> tuple[float, float]:
    """Return (lat, lon) `metres` from the home centre."""
    x, y = to_plane(*HOME)
    angle = math.radians(bearing_deg)
    return from_plane(x + metres * math.sin(angle), y + metres * math.cos(angle))


def fix(metres: float, ts: datetime, *, accuracy: float | None = 15.0, battery: float | None = None) -> TrackerFix:
    lat, lon = at_distance(metres)
    return TrackerFix("trk-hanako", lat, lon, ts, accuracy_m=accuracy, battery_pct=battery)


def rules(signals: list[AlertSignal], action: str = "raise") -> list[RuleName]:
    return [s.rule for s in signals if s.action == action]


def walk(w: SafeZoneWatch, distances: list[float], start: datetime = NOON, every_s: int = 30) -> list[AlertSignal]:
    out: list[AlertSignal] = []
    for step, metres in enumerate(distances):
        out += w.observe([fix(metres, start + timedelta(seconds=step * every_s))])
    return out


def test_jitter_at_the_edge_raises_nothing() -> None:
    """A day of fixes 10 m inside the edge with 15 m GPS noise never raises an exit."""
    w = watch()
    rng = random.Random(4)
    signals = walk(w, [RADIUS - 10 + rng.gauss(0, 15) for _ in range(2880)])
    assert signals == []


def test_walking_away_raises_an_exit_dated_at_the_first_clear_fix() -> None:
    """Two fixes clearly outside confirm the exit; it is dated at the first of them."""
    w = watch()
    signals = walk(w, [100, 140, 170, 220, 260])
    assert rules(signals) == [RuleName.SAFE_ZONE_EXIT]
    [exit_signal] = signals
    assert exit_signal.severity is Severity.HIGH
    assert exit_signal.facts["exited_at"] == (NOON + timedelta(seconds=90)).isoformat()
    assert exit_signal.facts["zone"] == "自宅"


def test_one_outlier_outside_then_inside_raises_nothing() -> None:
    """A single wild fix outside followed by fixes inside is not an exit."""
    assert walk(watch(), [50, 400, 60, 40]) == []


def test_a_coarse_fix_far_outside_decides_nothing() -> None:
    """Fixes with 500 m accuracy (cell towers) never confirm an exit."""
    w = watch()
    signals = [
        *w.observe([fix(600, NOON, accuracy=500)]),
        *w.observe([fix(600, NOON + timedelta(seconds=30), accuracy=500)]),
    ]
    assert signals == []


def test_coming_back_inside_clears_the_exit() -> None:
    """After an exit, a fix inside the zone clears the alert."""
    w = watch()
    walk(w, [300, 320])
    back = w.observe([fix(20, NOON + timedelta(minutes=5))])
    assert rules(back, "clear") == [RuleName.SAFE_ZONE_EXIT]
    assert not w.is_outside("trk-hanako")


def test_leaving_home_at_night_is_critical() -> None:
    """An exit from the home zone at midnight also raises "left home at night"."""
    signals = walk(watch(), [300, 320], start=MIDNIGHT)
    assert rules(signals) == [RuleName.SAFE_ZONE_EXIT, RuleName.LEFT_HOME_AT_NIGHT]
    assert signals[1].severity is Severity.CRITICAL


def test_the_households_night_hours_decide_what_night_is() -> None:
    """Leaving home at 21:30 is "at night" for a household whose nights start at 21:00, not by default."""
    half_past_nine = NOON + timedelta(hours=9, minutes=30)
    assert rules(walk(watch(), [300, 320], start=half_past_nine)) == [RuleName.SAFE_ZONE_EXIT]
    early = watch(night=(time(21, 0), time(7, 0)))
    assert rules(walk(early, [300, 320], start=half_past_nine)) == [
        RuleName.SAFE_ZONE_EXIT,
        RuleName.LEFT_HOME_AT_NIGHT,
    ]


def test_no_fix_for_fifteen_minutes_while_out_raises_and_a_fix_clears() -> None:
    """A tracker that goes silent while out raises after 15 minutes; its next fix clears that."""
    w = watch()
    walk(w, [300, 320])
    last = NOON + timedelta(seconds=30)
    assert w.tick(last + timedelta(minutes=14)) == []
    assert rules(w.tick(last + timedelta(minutes=15))) == [RuleName.TRACKER_NO_FIX]
    assert RuleName.TRACKER_NO_FIX in rules(w.observe([fix(330, last + timedelta(minutes=20))]), "clear")


def test_not_back_by_the_deadline_raises() -> None:
    """Out at 17:00 local with a 17:00 deadline raises "not back by"."""
    w = watch(not_back_by=time(17, 0))
    walk(w, [300, 320, 330], start=NOON + timedelta(hours=4, minutes=50))
    assert rules(w.tick(NOON + timedelta(hours=4, minutes=55))) == []
    assert rules(w.tick(NOON + timedelta(hours=5))) == [RuleName.NOT_BACK_BY]


def test_a_zone_outside_its_active_hours_judges_nothing() -> None:
    """A day-time zone (09:00–17:00) does not raise an exit at midnight."""
    assert walk(watch(zone_hours=(time(9), time(17))), [300, 320, 340], start=MIDNIGHT) == []


def test_low_tag_battery_raises_once_and_a_charged_one_clears() -> None:
    """A tag reporting 12 % raises once; 90 % later clears it."""
    w = watch()
    first = w.observe([fix(10, NOON, battery=12)])
    again = w.observe([fix(10, NOON + timedelta(minutes=1), battery=11)])
    charged = w.observe([fix(10, NOON + timedelta(minutes=2), battery=90)])
    assert rules(first) == [RuleName.TAG_BATTERY_LOW] and again == []
    assert rules(charged, "clear") == [RuleName.TAG_BATTERY_LOW]


def test_state_survives_a_restart() -> None:
    """A watch rebuilt from its saved state still knows the person is out."""
    w = watch()
    walk(w, [300, 320])
    restored = SafeZoneWatch(trackers=w.trackers, zones=w.index, saved=w.state_json(), config=SafeZoneConfig())
    assert restored.is_outside("trk-hanako")
    assert rules(restored.observe([fix(10, NOON + timedelta(minutes=9))]), "clear") == [RuleName.SAFE_ZONE_EXIT]


def test_polygon_zone_signed_distance_is_metric() -> None:
    """A square walk zone 100 m wide: 50 m inside and 50 m outside come out as -50 m and +50 m."""
    x, y = to_plane(*HOME)
    corners = tuple(from_plane(x + dx, y + dy) for dx, dy in [(0, 0), (100, 0), (100, 100), (0, 100)])
    index = ZoneIndex([SafeZone("walk", "t", "散歩道", ZoneKind.WALK, polygon=corners)])
    inside, outside = from_plane(x + 50, y + 50), from_plane(x + 150, y + 50)
    got = index.signed_distance_latlon(["t", "t"], [inside[0], outside[0]], [inside[1], outside[1]], [NOON] * 2)
    assert got[0] is not None and abs(got[0] + 50) < 0.5
    assert got[1] is not None and abs(got[1] - 50) < 0.5


def test_a_tracker_without_zones_judges_nothing() -> None:
    """Fixes of a tracker that has no zone yet raise nothing and break nothing."""
    w = SafeZoneWatch(trackers=[TrackerProfile("trk-new", "taito-0001")])
    assert w.observe([TrackerFix("trk-new", *at_distance(5000), NOON, accuracy_m=5)]) == []
    assert w.index.zones_of("trk-new") == []
