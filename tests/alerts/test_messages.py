"""The message catalogue: who, what, when in Tokyo time, and what to do, in ja and en."""

from __future__ import annotations

from alerts import RuleName, Severity, compose
from tests.alerts.home import jst

OPENED_AT = jst(26, 9, 5)  # a Thursday


def opened(rule: RuleName, facts: dict[str, object], language: str) -> tuple[str, str]:
    message = compose(
        purpose="opened",
        rule=rule,
        severity=Severity.HIGH,
        person_name="山田 花子",
        household_name="山田家",
        address="台東区東上野4-5-6",
        facts=facts,
        opened_at=OPENED_AT,
        language=language,
        alert_url="https://mimamori.example/alerts/7",
    )
    return message.title, message.body


def test_emergency_in_japanese_says_who_when_and_to_call_119() -> None:
    """The Japanese emergency message names the person, the Tokyo time and says to call or 119."""
    title, body = opened(RuleName.EMERGENCY_BUTTON, {"pressed_at": OPENED_AT.isoformat(), "room": "寝室"}, "ja")
    assert "山田 花子さん" in title
    assert "11月26日(木) 09:05" in body
    assert "寝室" in body
    assert "電話" in body and "119" in body
    assert "https://mimamori.example/alerts/7" in body


def test_emergency_in_english_says_who_when_and_to_call_119() -> None:
    """The English emergency message names the person, the Tokyo time and says to call or 119."""
    title, body = opened(RuleName.EMERGENCY_BUTTON, {"pressed_at": OPENED_AT.isoformat()}, "en")
    assert "山田 花子" in title
    assert "Thu 26 Nov 09:05 JST" in body
    assert "Call 山田 花子 now" in body and "119" in body


def test_inactivity_in_japanese_says_since_when_and_how_long() -> None:
    """The Japanese inactivity message gives the last movement time and hours, and asks for a call."""
    facts = {"last_motion_at": jst(26, 5, 5).isoformat(), "last_room": "台所", "threshold_hours": 4.0}
    title, body = opened(RuleName.INACTIVITY, facts, "ja")
    assert "4時間" in title
    assert "05:05から動きが検知されていません（4時間）" in body
    assert "台所" in body and "電話" in body


def test_a_reminder_about_no_movement_counts_the_hours_until_now() -> None:
    """An hour after opening, the reminder says 5 hours without movement, not the 4 it opened with."""
    facts = {"last_motion_at": jst(26, 5, 5).isoformat(), "threshold_hours": 4.0}
    message = compose(
        purpose="reminder",
        rule=RuleName.INACTIVITY,
        severity=Severity.HIGH,
        person_name="山田 花子",
        household_name="山田家",
        address="台東区東上野4-5-6",
        facts=facts,
        opened_at=OPENED_AT,
        language="ja",
        waited_min=60,
    )
    assert message.title == "【リマインド】【見守り】山田 花子さんの動きが5時間ありません"
    assert "05:05から動きが検知されていません（5時間）" in message.body


def test_inactivity_in_english_says_since_when_and_how_long() -> None:
    """The English inactivity message gives the last movement time and hours, and asks for a call."""
    facts = {"last_motion_at": jst(26, 7, 35).isoformat(), "threshold_hours": 4.0}
    _, body = opened(RuleName.INACTIVITY, facts, "en")
    assert "since 07:35 (1.5 hours)" in body
    assert "Please call 山田 花子" in body


def test_inactivity_since_yesterday_shows_the_date() -> None:
    """A last movement on an earlier day is written with its date."""
    facts = {"last_motion_at": jst(25, 20).isoformat(), "threshold_hours": 12.0}
    _, body = opened(RuleName.INACTIVITY, facts, "en")
    assert "since Wed 25 Nov 20:00 JST (13.1 hours)" in body


def test_gateway_offline_says_to_check_power_and_that_the_watch_is_paused() -> None:
    """The offline message names the home, the time, asks to check power and line, says the watch is paused."""
    facts = {"gateway_id": "gw-taito-0001", "last_seen_at": jst(26, 8, 50).isoformat(), "reason": "silence"}
    title, body = opened(RuleName.GATEWAY_OFFLINE, facts, "ja")
    assert "山田家" in title
    assert "11月26日(木) 08:50" in body
    assert "電源" in body and "インターネット" in body and "停止" in body
    _, english = opened(RuleName.GATEWAY_OFFLINE, facts, "en")
    assert "lost its connection at Thu 26 Nov 08:50 JST" in english
    assert "paused" in english


def test_unknown_language_falls_back_to_japanese() -> None:
    """A language without a catalogue gets the Japanese text."""
    assert opened(RuleName.EMERGENCY_BUTTON, {}, "xx") == opened(RuleName.EMERGENCY_BUTTON, {}, "ja")


def test_regional_language_tag_uses_its_language() -> None:
    """A tag like en-US uses the English catalogue."""
    assert opened(RuleName.EMERGENCY_BUTTON, {}, "en-US") == opened(RuleName.EMERGENCY_BUTTON, {}, "en")


def follow_up(purpose: str, rule: RuleName, language: str, **by: str) -> tuple[str, str]:
    """Compose an acknowledged or resolved message about an alert opened at 09:05 Tokyo time."""
    message = compose(
        purpose="acknowledged" if purpose == "acknowledged" else "resolved",
        rule=rule,
        severity=Severity.HIGH,
        person_name="山田 花子" if language == "ja" else "Hanako Yamada",
        household_name="山田家",
        address="",
        facts={},
        opened_at=OPENED_AT,
        language=language,
        **by,
    )
    return message.title, message.body


def test_acknowledged_message_names_who_is_handling_it() -> None:
    """The acknowledgement message says who is taking care of the alert."""
    _, body = follow_up("acknowledged", RuleName.INACTIVITY, "ja", acknowledged_by="佐藤 ケアマネ")
    assert "佐藤 ケアマネさんが" in body
    assert "11月26日(木) 09:05" in body


def test_auto_resolved_inactivity_says_movement_was_seen() -> None:
    """An inactivity alert resolved by the rule says movement was detected again."""
    title, body = follow_up("resolved", RuleName.INACTIVITY, "en", resolved_by="auto")
    assert title == "Resolved: no movement alert for Hanako Yamada"
    assert "Movement from Hanako Yamada has been detected again." in body


def test_resolved_by_a_person_names_them() -> None:
    """An alert resolved by hand says who resolved it."""
    _, body = follow_up("resolved", RuleName.EMERGENCY_BUTTON, "ja", resolved_by="山田 一郎")
    assert "山田 一郎さんが解決済みにしました" in body
