"""Chinese, Korean and やさしい日本語 messages: complete catalogues, filled in, short enough to send."""

from __future__ import annotations

import re
from typing import Any

import pytest

from alerts import CATALOGUES, RuleName, Severity, catalogue_language, compose, local_time
from alerts.messages import ROOM_NAMES, ComposedMessage, Purpose
from tests.alerts.home import jst

NEW_LANGUAGES = ("zh", "ko", "ja-easy")
PURPOSES: tuple[Purpose, ...] = ("opened", "escalated", "reminder", "acknowledged", "resolved")
OPENED_AT = jst(26, 9, 5)
ALERT_URL = "https://mimamori.example/alerts/7"
ACK_URL = "https://mimamori.example/ack/c2lnbmVkLXRva2Vu"
# Facts of every rule at once, as the engine reports them; each rule reads its own.
FACTS: dict[str, Any] = {
    "pressed_at": OPENED_AT.isoformat(),
    "room": "bedroom",
    "last_motion_at": jst(26, 5, 5).isoformat(),
    "limit": "learned",
    "threshold_hours": 4.0,
    "reasons": "night_toilet=4/2;no_kitchen_by_noon;no_door;low_movement=40",
    "level": "danger",
    "wbgt": 31.2,
    "temperature_c": 33.1,
    "humidity_pct": 70,
    "threshold_c": 16,
    "door_opened_at": jst(26, 8, 40).isoformat(),
    "last_seen_at": jst(26, 7, 0).isoformat(),
    "device_id": "motion-bedroom-01",
    "battery_pct": 8,
    "gateway_id": "gw-taito-0001",
    "reason": "silence",
    "zone": "自宅周辺",
    "outside_m": 240,
    "exited_at": jst(26, 8, 50).isoformat(),
    "last_fix_at": jst(26, 8, 30).isoformat(),
    "minutes": 30,
    "deadline": "18:00",
}
# The local time each message names: the opening, the press, the last movement, the exit...
CLOCK_TIME = re.compile(r"(09:05|05:05|08:40|07:00|08:50|08:30)")
TIMELESS_IN_JAPANESE = {RuleName.UNUSUAL_DAY, RuleName.LOW_BATTERY, RuleName.TAG_BATTERY_LOW}


def message(rule: RuleName, purpose: Purpose, language: str, **facts: Any) -> ComposedMessage:
    return compose(
        purpose=purpose,
        rule=rule,
        severity=Severity.HIGH,
        person_name="山田 花子",
        household_name="山田家",
        address="台東区東上野4-5-6",
        facts={**FACTS, **facts},
        opened_at=OPENED_AT,
        language=language,
        acknowledged_by="佐藤 ケアマネ",
        resolved_by="auto",
        alert_url=ALERT_URL,
        ack_url=ACK_URL,
        waited_min=15,
    )


@pytest.mark.parametrize("language", NEW_LANGUAGES)
def test_catalogue_has_exactly_the_keys_of_the_japanese_one(language: str) -> None:
    """No text is missing (it would fail at sending time) and none is left over from an old key."""
    expected, actual = set(CATALOGUES["ja"]), set(CATALOGUES[language])
    assert sorted(expected - actual) == [], "missing"
    assert sorted(actual - expected) == [], "extra"


@pytest.mark.parametrize("language", NEW_LANGUAGES)
def test_every_room_a_sensor_reports_has_a_name(language: str) -> None:
    """Every room key, and the Japanese room names sensors may report, is said in the contact's language."""
    assert set(ROOM_NAMES[language]) == set(ROOM_NAMES["en"]) >= set(ROOM_NAMES["ja"])


@pytest.mark.parametrize("language", NEW_LANGUAGES)
def test_templates_use_only_the_fields_the_japanese_one_uses(language: str) -> None:
    """A translation asking for a field the Japanese text does not get would fail when filled in."""
    field = re.compile(r"\{(\w+)\}")
    for key, text in CATALOGUES[language].items():
        assert set(field.findall(text)) <= set(field.findall(CATALOGUES["ja"][key])) | {"person"}, key


@pytest.mark.parametrize("language", NEW_LANGUAGES)
@pytest.mark.parametrize("rule", list(RuleName))
@pytest.mark.parametrize("purpose", PURPOSES)
def test_message_names_the_person_the_time_and_carries_the_links(
    language: str, rule: RuleName, purpose: Purpose
) -> None:
    """Every rule and purpose gives a filled-in text: who, when in Tokyo time, and the one-tap links."""
    composed = message(rule, purpose, language)
    text = composed.title + "\n" + composed.body
    assert composed.title and composed.body
    assert "{" not in text and "}" not in text
    assert "山田 花子" in text or "山田家" in text
    # the same Tokyo times as the Japanese text (which gives none for unusual_day and the battery rules)
    japanese = message(rule, purpose, "ja")
    assert set(CLOCK_TIME.findall(composed.body)) == set(CLOCK_TIME.findall(japanese.body)), composed.body
    if rule not in TIMELESS_IN_JAPANESE:
        assert CLOCK_TIME.search(composed.body), composed.body
    assert ALERT_URL in composed.body
    if purpose in ("opened", "escalated", "reminder"):
        assert ACK_URL in composed.body
    assert composed != japanese, "fell back to Japanese"


@pytest.mark.parametrize("language", NEW_LANGUAGES)
@pytest.mark.parametrize("rule", list(RuleName))
@pytest.mark.parametrize("purpose", PURPOSES)
def test_message_is_about_as_short_as_the_japanese_one(language: str, rule: RuleName, purpose: Purpose) -> None:
    """LINE- and SMS-like channels: no message grows past 1.3 times its Japanese text, nor past 450 characters."""
    composed, japanese = message(rule, purpose, language), message(rule, purpose, "ja")
    length = len(composed.title) + len(composed.body)
    assert length <= 1.3 * (len(japanese.title) + len(japanese.body))
    assert length <= 450


def test_chinese_emergency_says_who_when_and_to_call() -> None:
    """The Chinese emergency message: the person, the Tokyo date, the room and what to do."""
    composed = message(RuleName.EMERGENCY_BUTTON, "opened", "zh", pressed_at=jst(25, 23, 50).isoformat())
    assert composed.title == "【紧急】山田 花子按下了紧急按钮"
    assert "于11月25日（周三）23:50（日本时间）按下了紧急按钮（地点：卧室）" in composed.body
    assert "请立即给山田 花子打电话" in composed.body and "119" in composed.body


def test_korean_inactivity_gives_the_hours_and_the_routine() -> None:
    """The Korean inactivity message: since when, how many hours, the usual limit, and a call."""
    composed = message(RuleName.INACTIVITY, "opened", "ko")
    assert composed.title == "[돌봄] 山田 花子님의 움직임이 4시간 동안 없습니다"
    assert "05:05부터 움직임이 감지되지 않았습니다(4시간)." in composed.body
    assert "마지막 움직임은 침실에서 있었습니다." in composed.body
    assert "山田 花子님이 움직이지 않는 것은 보통 길어야 4시간입니다." in composed.body


def test_easy_japanese_tracker_message_uses_short_words_and_readings() -> None:
    """やさしい日本語: spaces between phrases, readings for hard kanji such as 警察."""
    composed = message(RuleName.LEFT_HOME_AT_NIGHT, "opened", "ja-easy")
    assert composed.title == "【夜・急いで】山田 花子さんが 夜に 家から 出ました"
    assert "08:50ごろ 家から 出ました" in composed.body
    assert "警察（けいさつ）（110番）" in composed.body


@pytest.mark.parametrize(
    ("rule", "language", "rule_name"),
    [
        (RuleName.SAFE_ZONE_EXIT, "zh", "离开看护区域"),
        (RuleName.NOT_BACK_BY, "ko", "예정 시각까지 미귀가"),
        (RuleName.TAG_BATTERY_LOW, "ja-easy", "見守りタグの 電池（でんち）が 少ない"),
    ],
)
def test_tracker_follow_ups_name_the_rule(rule: RuleName, language: str, rule_name: str) -> None:
    """Acknowledgement and resolution of a tracker alert name its rule and say what ended it."""
    acknowledged = message(rule, "acknowledged", language)
    resolved = message(rule, "resolved", language)
    assert rule_name in acknowledged.title and "佐藤 ケアマネ" in acknowledged.body
    assert rule_name in resolved.title
    assert (
        CATALOGUES[catalogue_language(language)][f"resolution.auto.{rule.value}"].replace("{person}", "山田 花子")
        in resolved.body
    )


@pytest.mark.parametrize(
    ("tag", "catalogue"),
    [
        ("zh", "zh"),
        ("zh-Hans", "zh"),
        ("zh-CN", "zh"),
        ("zh_CN", "zh"),
        ("ko", "ko"),
        ("ko-KR", "ko"),
        ("ja-easy", "ja-easy"),
        ("ja-Easy", "ja-easy"),
        ("ja-x-easy", "ja-easy"),
        ("ja-JP-x-easy", "ja-easy"),
        ("ja-JP", "ja"),
        ("en-GB", "en"),
        ("fr", "ja"),
    ],
)
def test_language_tags_pick_their_catalogue(tag: str, catalogue: str) -> None:
    """The family view's choices and their regional forms reach their own catalogue."""
    assert catalogue_language(tag) == catalogue


def test_dates_on_another_day_are_written_the_local_way() -> None:
    """A time on another day than the alert gives the date in each language, in Tokyo time."""
    moment = jst(25, 22, 15)  # a Wednesday
    assert local_time(moment, language="zh-CN") == "11月25日（周三）22:15（日本时间）"
    assert local_time(moment, language="ko-KR") == "11월 25일(수) 22:15(일본 시간)"
    assert local_time(moment, language="ja-easy") == "11月25日(水) 22:15"
    assert local_time(moment, language="zh", reference=jst(25, 23, 0)) == "22:15"
