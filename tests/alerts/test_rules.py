"""The rules as the engine runs them: emergency button, inactivity, gateway offline."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from alerts import GatewayHeard, RuleEngine, RuleName, Severity, WatchSettings
from protocol import EventKind, GatewayState
from tests.alerts.home import GATEWAY, Home, jst


def started_home(at_hour: int = 6, *, settings: WatchSettings | None = None) -> Home:
    """Return a home whose gateway has been running since the day before, with movement just now."""
    home = Home(jst(26, at_hour), settings=settings)
    home.status(started_at=jst(25, 9))
    home.event(EventKind.MOTION_DETECTED)
    return home


def home_after_outage() -> Home:
    """Return a home that last moved at 08:00 and whose gateway was silent from 09:00 to 15:00."""
    home = started_home(7)
    home.run_until(jst(26, 8))
    home.event(EventKind.MOTION_DETECTED)
    home.run_until(jst(26, 9))
    home.run_until(jst(26, 15), heartbeats=False, step=timedelta(minutes=5))
    return home


def test_button_press_raises_critical_alert_with_facts() -> None:
    """A button press raises a critical emergency alert naming the device, room and time."""
    home = started_home()
    home.event(EventKind.BUTTON_PRESSED, room="寝室")
    [signal] = home.raised(RuleName.EMERGENCY_BUTTON)
    assert signal.severity is Severity.CRITICAL
    assert signal.facts == {"pressed_at": jst(26, 6).isoformat(), "device_id": "button_pressed-1", "room": "寝室"}


def test_repeated_presses_raise_again() -> None:
    """Each press raises again (the lifecycle merges them into one alert)."""
    home = started_home()
    home.event(EventKind.BUTTON_PRESSED)
    home.run_until(jst(26, 6, 2))
    home.event(EventKind.BUTTON_PRESSED)
    assert len(home.raised(RuleName.EMERGENCY_BUTTON)) == 2


def test_no_movement_for_four_waking_hours_raises_inactivity() -> None:
    """Movement at 07:40 and nothing after raises inactivity at 11:40, not before."""
    home = started_home(7)
    home.run_until(jst(26, 7, 40))
    home.event(EventKind.MOTION_DETECTED, room="台所")
    home.run_until(jst(26, 11, 39))
    assert home.raised(RuleName.INACTIVITY) == []
    home.run_until(jst(26, 11, 41))
    [signal] = home.raised(RuleName.INACTIVITY)
    assert signal.at == jst(26, 11, 40)
    assert signal.severity is Severity.HIGH
    assert signal.facts["last_motion_at"] == jst(26, 7, 40).isoformat()
    assert signal.facts["last_room"] == "台所"
    assert signal.facts["threshold_hours"] == 4.0
    assert signal.facts["deadline"] == jst(26, 11, 40).isoformat()


def test_night_hours_do_not_count_toward_inactivity() -> None:
    """Last movement at 01:00 (night) raises only after 4 waking hours from 07:00, at 11:00."""
    home = started_home(0)
    home.run_until(jst(26, 1))
    home.event(EventKind.MOTION_DETECTED)
    home.run_until(jst(26, 10, 59))
    assert home.raised(RuleName.INACTIVITY) == []
    home.run_until(jst(26, 11, 1))
    assert [signal.at for signal in home.raised(RuleName.INACTIVITY)] == [jst(26, 11)]


def test_total_cap_raises_before_waking_hours_are_used_up() -> None:
    """Last movement at 20:00 raises at the 12-hour cap (08:00), before 4 waking hours (09:00)."""
    home = started_home(19)
    home.run_until(jst(26, 20))
    home.event(EventKind.MOTION_DETECTED)
    home.run_until(jst(27, 8, 1))
    [signal] = home.raised(RuleName.INACTIVITY)
    assert signal.at == jst(27, 8)
    assert signal.facts["threshold_hours"] == 12.0


def test_gateway_restart_moves_the_inactivity_basis() -> None:
    """After a power cut the clock restarts at the gateway's started_at, not the last movement."""
    home = started_home(7)
    home.run_until(jst(26, 8))
    home.event(EventKind.MOTION_DETECTED)
    home.run_until(jst(26, 9))
    home.status(GatewayState.OFFLINE)
    home.run_until(jst(26, 14), heartbeats=False)
    home.status(started_at=jst(26, 14))
    home.run_until(jst(26, 17, 59))
    assert home.raised(RuleName.INACTIVITY) == []
    home.run_until(jst(26, 18, 1))
    [signal] = home.raised(RuleName.INACTIVITY)
    assert signal.facts["since"] == jst(26, 14).isoformat()


def test_silent_gateway_never_raises_inactivity() -> None:
    """A gateway that goes silent for two days raises gateway offline only, never inactivity."""
    home = started_home(7)
    home.run_until(jst(26, 8))
    home.event(EventKind.MOTION_DETECTED)
    home.run_until(jst(26, 9))
    home.run_until(jst(28, 9), heartbeats=False, step=timedelta(minutes=5))
    assert [signal.rule for signal in home.signals] == [RuleName.GATEWAY_OFFLINE]
    assert home.signals[0].facts == {"gateway_id": GATEWAY, "last_seen_at": jst(26, 9).isoformat(), "reason": "silence"}


def test_gateway_back_without_replayed_movement_raises_inactivity() -> None:
    """When the gateway is back and its replayed data shows no movement, inactivity is raised."""
    home = home_after_outage()
    home.status()
    home.run_until(jst(26, 15, 5))
    assert len(home.raised(RuleName.INACTIVITY)) == 1
    assert home.cleared(RuleName.GATEWAY_OFFLINE) != []


def test_replayed_movement_after_outage_prevents_inactivity() -> None:
    """Movement replayed from the gateway's outbox after an outage keeps inactivity quiet."""
    home = home_after_outage()
    home.status()
    home.event(EventKind.MOTION_DETECTED, ts=jst(26, 13))
    home.run_until(jst(26, 15, 30))
    assert home.raised(RuleName.INACTIVITY) == []


def test_movement_after_inactivity_alert_clears_it() -> None:
    """Movement after an inactivity alert clears it."""
    home = started_home(7)
    home.event(EventKind.MOTION_DETECTED)
    home.run_until(jst(26, 11, 5))
    home.event(EventKind.MOTION_DETECTED, room="玄関")
    [cleared] = home.cleared(RuleName.INACTIVITY)
    assert cleared.severity is Severity.HIGH
    assert cleared.facts["last_room"] == "玄関"


def test_last_will_raises_gateway_offline_at_once() -> None:
    """The gateway's Last Will raises gateway offline immediately, with reason last_will."""
    home = started_home(7)
    home.run_until(jst(26, 7, 30))
    home.status(GatewayState.OFFLINE)
    [signal] = home.raised(RuleName.GATEWAY_OFFLINE)
    assert signal.severity is Severity.MEDIUM
    assert signal.facts == {"gateway_id": GATEWAY, "last_seen_at": jst(26, 7, 30).isoformat(), "reason": "last_will"}


def test_any_message_after_silence_clears_it() -> None:
    """A gateway that went silent is back with whatever it sends next."""
    home = started_home(7)
    home.run_until(jst(26, 8), heartbeats=False)
    assert len(home.raised(RuleName.GATEWAY_OFFLINE)) == 1
    home.event(EventKind.DOOR_OPENED)
    assert len(home.cleared(RuleName.GATEWAY_OFFLINE)) == 1


def test_after_the_last_will_only_the_gateways_online_status_clears_it() -> None:
    """An event sent just before the gateway dropped, delivered after its Will, does not end the alert.

    Its own "online" status on reconnecting does; meanwhile the home stays unwatched (no inactivity).
    """
    home = started_home(7)
    home.status(GatewayState.OFFLINE)
    home.run_until(jst(26, 7, 1), heartbeats=False)
    home.event(EventKind.DOOR_OPENED, ts=jst(26, 6, 59))
    assert home.cleared(RuleName.GATEWAY_OFFLINE) == []
    home.run_until(jst(26, 20), heartbeats=False, step=timedelta(minutes=5))
    assert home.raised(RuleName.INACTIVITY) == []
    assert len(home.raised(RuleName.GATEWAY_OFFLINE)) == 1  # not raised again by the silence either
    home.status(started_at=jst(26, 20))
    assert len(home.cleared(RuleName.GATEWAY_OFFLINE)) == 1


def test_silence_is_raised_once_however_often_ticked() -> None:
    """A silent gateway raises once, not on every tick."""
    home = started_home(7)
    home.run_until(jst(26, 12), heartbeats=False, step=timedelta(seconds=10))
    assert len(home.raised(RuleName.GATEWAY_OFFLINE)) == 1
    assert home.raised(RuleName.GATEWAY_OFFLINE)[0].at == jst(26, 7, 3)


def test_checkpoint_keeps_a_pending_inactivity_deadline() -> None:
    """An engine restored from a checkpoint raises inactivity at the deadline set before it."""
    home = started_home(7)
    home.run_until(jst(26, 7, 40))
    home.event(EventKind.MOTION_DETECTED)
    home.run_until(jst(26, 9))
    saved = json.loads(json.dumps(home.engine.checkpoint()))
    restored = Home(jst(26, 9), engine=RuleEngine(profiles=[home.profile], checkpoint=saved))
    restored.run_until(jst(26, 11, 45))
    assert [signal.facts["deadline"] for signal in restored.raised(RuleName.INACTIVITY)] == [
        jst(26, 11, 40).isoformat()
    ]


def test_checkpoint_keeps_a_pending_silence_timer() -> None:
    """An engine restored from a checkpoint raises gateway offline when the saved silence runs out."""
    home = started_home(7)
    home.run_until(jst(26, 8))
    restored = RuleEngine(profiles=[home.profile], checkpoint=json.loads(json.dumps(home.engine.checkpoint())))
    assert restored.next_due() == home.engine.next_due()
    assert restored.tick(jst(26, 8, 2)) == []
    [signal] = restored.tick(jst(26, 8, 3))
    assert signal.rule is RuleName.GATEWAY_OFFLINE


def test_observation_for_unknown_household_is_dropped() -> None:
    """Observations of a household the engine does not know give no signal and are counted."""
    engine = RuleEngine()
    home = Home(jst(26, 7), engine=engine)
    home.event(EventKind.BUTTON_PRESSED)
    assert home.signals == []
    assert engine.unknown_household_observations == 2


def test_changed_settings_apply_to_the_running_timer() -> None:
    """Shortening the inactivity threshold brings the pending deadline forward."""
    home = started_home(7)
    home.event(EventKind.MOTION_DETECTED)
    home.run_until(jst(26, 8))
    settings = WatchSettings(inactivity_day_hours=2.0)
    home.engine.upsert_profile(replace(home.profile, settings=settings))
    home.run_until(jst(26, 9, 5))
    assert [signal.at for signal in home.raised(RuleName.INACTIVITY)] == [jst(26, 9)]


def test_gateway_taken_out_of_the_home_no_longer_pauses_the_watch() -> None:
    """After a silent gateway is removed from the profile, the remaining one lets inactivity raise."""
    home = started_home(7)
    other = "gw-taito-0001-b"
    home.engine.upsert_profile(replace(home.profile, gateway_ids=frozenset({GATEWAY, other})))
    home.engine.observe(GatewayHeard(home.profile.household_id, other, home.clock.now()), now=home.clock.now())
    home.run_until(jst(26, 12))
    assert home.raised(RuleName.INACTIVITY) == []
    home.engine.upsert_profile(home.profile)
    home.run_until(jst(26, 12, 5))
    assert len(home.raised(RuleName.INACTIVITY)) == 1
