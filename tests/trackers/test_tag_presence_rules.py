"""BLE tags' presence in the tracker rules: leaving home at night raises at once, coming home clears."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from alerts.messages import compose
from alerts.rules.safe_zone import SafeZoneWatch, TagPresenceReport, TrackerProfile
from alerts.signals import AlertSignal, RuleName, Severity

NIGHT = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo
NOON = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 12:00 in Tokyo


def watch(*, night: tuple[time, time] | None = None, saved: dict[str, object] | None = None) -> SafeZoneWatch:
    profile = TrackerProfile(
        "trk-tag",
        "taito-0001",
        "田中花子",
        night_start=night[0] if night else None,
        night_end=night[1] if night else None,
    )
    return SafeZoneWatch(trackers=[profile], saved=saved)


def report(home: bool, ts: datetime, *, last_heard: datetime | None = None) -> TagPresenceReport:
    return TagPresenceReport("trk-tag", home=home, ts=ts, last_heard=last_heard)


def raised(signals: list[AlertSignal]) -> list[AlertSignal]:
    return [s for s in signals if s.action == "raise"]


def test_a_tag_leaving_home_at_night_raises_left_home_at_night_at_once() -> None:
    """Home, then "not_home" at 23:02: a critical "left home at night", left when last heard (23:00)."""
    w = watch()
    assert w.observe_presence([report(True, NIGHT - timedelta(hours=1))]) == []
    [alert] = w.observe_presence([report(False, NIGHT + timedelta(minutes=2), last_heard=NIGHT)])
    assert (alert.rule, alert.action, alert.severity) == (RuleName.LEFT_HOME_AT_NIGHT, "raise", Severity.CRITICAL)
    assert alert.facts["exited_at"] == NIGHT.isoformat() and alert.facts["via"] == "tag_presence"
    assert w.is_home("trk-tag") is False


def test_coming_home_clears_it_and_a_second_not_home_report_raises_nothing_new() -> None:
    """A repeated "not_home" raises once; "home" clears the alert."""
    w = watch()
    w.observe_presence([report(True, NIGHT - timedelta(hours=1))])
    w.observe_presence([report(False, NIGHT, last_heard=NIGHT)])
    assert w.observe_presence([report(False, NIGHT + timedelta(minutes=1), last_heard=NIGHT)]) == []
    [cleared] = w.observe_presence([report(True, NIGHT + timedelta(minutes=30))])
    assert (cleared.rule, cleared.action) == (RuleName.LEFT_HOME_AT_NIGHT, "clear")
    assert w.is_home("trk-tag") is True


def test_leaving_by_day_raises_nothing() -> None:
    """Going out at noon is ordinary: no alert."""
    w = watch()
    w.observe_presence([report(True, NOON - timedelta(hours=1))])
    assert w.observe_presence([report(False, NOON, last_heard=NOON)]) == []


def test_not_home_without_a_home_before_raises_nothing() -> None:
    """A gateway that just started and never heard the tag says "not_home": nobody was seen leaving."""
    assert watch().observe_presence([report(False, NIGHT)]) == []


def test_the_households_night_hours_decide() -> None:
    """With nights from 20:00, leaving at 21:00 raises; with the default (22:00) it does not."""
    left = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # 21:00 in Tokyo
    early = watch(night=(time(20, 0), time(5, 0)))
    default = watch()
    for w in (early, default):
        w.observe_presence([report(True, left - timedelta(hours=1))])
    assert raised(early.observe_presence([report(False, left, last_heard=left)]))
    assert default.observe_presence([report(False, left, last_heard=left)]) == []


def test_presence_survives_a_restart() -> None:
    """The checkpointed state keeps "home", so a "not_home" after a restart still raises."""
    w = watch()
    w.observe_presence([report(True, NIGHT - timedelta(hours=1))])
    restored = watch(saved=w.state_json())
    assert raised(restored.observe_presence([report(False, NIGHT, last_heard=NIGHT)]))


def test_the_message_says_the_tag_was_not_heard_at_home() -> None:
    """The family reads that the tag has not been heard at home since 23:00, in Japanese and English."""
    w = watch()
    w.observe_presence([report(True, NIGHT - timedelta(hours=1))])
    [alert] = w.observe_presence([report(False, NIGHT + timedelta(minutes=2), last_heard=NIGHT)])
    for language, title, body in (
        ("ja", "田中花子さんが夜に自宅を離れました", "見守りタグが23:00から自宅で検知されていません"),
        ("en", "田中花子 has left home at night", "has not been heard at home since 23:00"),
    ):
        message = compose(
            purpose="opened",
            rule=alert.rule,
            severity=alert.severity,
            person_name="田中花子",
            household_name="田中家",
            address="台東区",
            facts=alert.facts,
            opened_at=alert.at,
            language=language,
        )
        assert title in message.title and body in message.body
