"""Trackers people carry: GPS fixes of walkers on a clock, a scripted wander, a BLE tag at home."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from maps import distance_m
from protocol import LocationFix, Presence, PresenceState, TopicKind, decode
from simulators import CarriedTracker, TagAtHome, WalkingTrackers, WandererConfig

START = datetime(2026, 11, 27, 6, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
HOME = (35.7126, 139.7800)


def walkers() -> WalkingTrackers:
    trackers = [CarriedTracker(f"gw-{n}", f"gps-{n}", HOME[0] + n * 0.01, HOME[1]) for n in range(2)]
    config = WandererConfig(wanders_per_day=0.0, errands_per_hour=0.0, dropout=0.0, block_m=40.0)
    return WalkingTrackers(trackers, start=START, config=config, seed=5)


def test_fixes_come_every_interval_from_the_trackers_gateway() -> None:
    """Ten minutes give 20 fixes of each tracker, every 30 s, naming its gateway and device, near home."""
    walks = walkers()
    fixes = walks.companion(1).messages_due(START + timedelta(minutes=10))
    assert [kind for kind, _ in fixes] == [TopicKind.LOCATION] * 20
    decoded = [decode(TopicKind.LOCATION, payload) for _, payload in fixes]
    assert all(
        isinstance(fix, LocationFix) and fix.gateway_id == "gw-1" and fix.device_id == "gps-1" for fix in decoded
    )
    assert decoded[1].ts - decoded[0].ts == timedelta(seconds=30)
    assert all(distance_m((fix.lat, fix.lon), (HOME[0] + 0.01, HOME[1])) < 120 for fix in decoded)
    assert walks.companion(1).messages_due(START + timedelta(minutes=10)) == []  # each fix is sent once


def test_a_scripted_wander_takes_the_person_away_and_back() -> None:
    """Walking 1.5 km east from 06:05, the person is far out by 07:00 and home again by 10:00."""
    walks = walkers()
    walks.wander(
        0, at=START + timedelta(minutes=5), bearing_deg=90, distance_m=1500, back_at=START + timedelta(hours=2)
    )
    walks.take(0, START + timedelta(hours=1))
    assert walks.distance_from_home_m(0) > 1400
    assert walks.position(0)[1] > HOME[1] + 0.01  # east
    assert walks.distance_from_home_m(1) == 0.0
    walks.take(0, START + timedelta(hours=4))
    assert walks.distance_from_home_m(0) == 0.0


def test_a_tag_at_home_says_home_once_then_sends_fixes_at_home() -> None:
    """The tag's gateway reports "home" once, and a fix at the home's place every five minutes."""
    tag = TagAtHome(gateway_id="gw-9", device_id="tag-9", lat=HOME[0], lon=HOME[1], start=START)
    first = tag.messages_due(START)
    assert [kind for kind, _ in first] == [TopicKind.PRESENCE, TopicKind.LOCATION]
    presence = decode(TopicKind.PRESENCE, first[0][1])
    assert isinstance(presence, Presence) and presence.state is PresenceState.HOME
    later = tag.messages_due(START + timedelta(minutes=20))
    assert [kind for kind, _ in later] == [TopicKind.LOCATION] * 4
