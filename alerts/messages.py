"""The message catalogue: what a contact reads about an alert, Japanese first, then English.

Every message says who, what, when (local time in Asia/Tokyo) and what to do. Texts live in
one catalogue per language; `compose` only fills them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from alerts.rules.base import parse_iso
from alerts.signals import RuleName, Severity

LOCAL_ZONE = ZoneInfo("Asia/Tokyo")
DEFAULT_LANGUAGE = "ja"

Purpose = Literal["opened", "acknowledged", "resolved"]

CATALOGUES: dict[str, dict[str, str]] = {
    "ja": {
        "weekdays": "月,火,水,木,金,土,日",
        "months": "1,2,3,4,5,6,7,8,9,10,11,12",
        "datetime": "{month}月{day}日({weekday}) {hm}",
        "time": "{hm}",
        "link": "\n詳細: {url}",
        "unknown": "不明",
        "rule.emergency_button": "緊急ボタン",
        "rule.inactivity": "動きなし",
        "rule.gateway_offline": "見守り機器の接続切れ",
        "room": "（場所: {room}）",
        "last_room": "最後に動きがあったのは{room}です。",
        "reason.last_will": "接続が切れました",
        "reason.silence": "通信が途絶えています",
        "opened.emergency_button.title": "【緊急】{person}さんが緊急ボタンを押しました",
        "opened.emergency_button.body": (
            "{person}さん（{household}・{address}）が{pressed}に緊急ボタンを押しました{room}。\n"
            "今すぐ{person}さんに電話してください。応答がない場合は119番に通報するか、訪問して確認してください。"
            "{link}"
        ),
        "opened.inactivity.title": "【見守り】{person}さんの動きが{hours}時間ありません",
        "opened.inactivity.body": (
            "{person}さん（{household}・{address}）の家で、{since}から動きが検知されていません"
            "（{hours}時間）。{last_room}\n"
            "{person}さんに電話して様子を確認してください。応答がない場合は訪問をお願いします。"
            "{link}"
        ),
        "opened.gateway_offline.title": "【機器】{household}の見守り機器が接続されていません",
        "opened.gateway_offline.body": (
            "{household}（{address}）の見守りゲートウェイ {gateway} は{last_seen}から接続されていません"
            "（{reason}）。\n"
            "電源とインターネット回線を確認してください。接続が戻るまで、{person}さんの見守りは停止しています。"
            "{link}"
        ),
        "acknowledged.title": "【対応中】{person}さん：{rule}",
        "acknowledged.body": "{by}さんが、{person}さんの「{rule}」の通知（{when}）に対応しています。{link}",
        "resolved.title": "【解決】{person}さん：{rule}",
        "resolved.body": "{person}さんの「{rule}」の通知（{when}）は解決しました。{resolution}{link}",
        "resolution.by": "{by}さんが解決済みにしました。",
        "resolution.auto": "状態が元に戻りました。",
        "resolution.auto.inactivity": "{person}さんの動きが再び検知されました。",
        "resolution.auto.gateway_offline": "見守り機器の接続が戻り、見守りを再開しました。",
    },
    "en": {
        "weekdays": "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
        "months": "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec",
        "datetime": "{weekday} {day} {month} {hm} {zone}",
        "time": "{hm}",
        "link": "\nDetails: {url}",
        "unknown": "unknown",
        "rule.emergency_button": "emergency button",
        "rule.inactivity": "no movement",
        "rule.gateway_offline": "gateway offline",
        "room": " ({room})",
        "last_room": " The last movement was in the {room}.",
        "reason.last_will": "connection lost",
        "reason.silence": "no data received",
        "opened.emergency_button.title": "EMERGENCY: {person} pressed the emergency button",
        "opened.emergency_button.body": (
            "{person} ({household}, {address}) pressed the emergency button at {pressed}{room}.\n"
            "Call {person} now. If there is no answer, call 119 or go and check in person."
            "{link}"
        ),
        "opened.inactivity.title": "No movement from {person} for {hours} hours",
        "opened.inactivity.body": (
            "No movement has been detected in {person}'s home ({household}, {address}) since {since} "
            "({hours} hours).{last_room}\n"
            "Please call {person} to check they are all right. If there is no answer, please visit."
            "{link}"
        ),
        "opened.gateway_offline.title": "Watch paused: the gateway in {household} is offline",
        "opened.gateway_offline.body": (
            "The gateway {gateway} in {household} ({address}) lost its connection at {last_seen} ({reason}).\n"
            "Please check its power and internet connection. The watch over {person} is paused until it is back."
            "{link}"
        ),
        "acknowledged.title": "Being handled: {rule} alert for {person}",
        "acknowledged.body": "{by} is taking care of the {rule} alert about {person} ({when}).{link}",
        "resolved.title": "Resolved: {rule} alert for {person}",
        "resolved.body": "The {rule} alert about {person} ({when}) is resolved. {resolution}{link}",
        "resolution.by": "{by} marked it resolved.",
        "resolution.auto": "The condition has cleared.",
        "resolution.auto.inactivity": "Movement from {person} has been detected again.",
        "resolution.auto.gateway_offline": "The gateway is connected again and the watch has resumed.",
    },
}


@dataclass(frozen=True, slots=True)
class ComposedMessage:
    """A notification ready for a channel."""

    title: str
    body: str


def catalogue_language(language: str) -> str:
    """Return the catalogue language for a contact's language tag ("en-US" → "en"); Japanese otherwise."""
    base = language.strip().lower().replace("_", "-").split("-")[0]
    return base if base in CATALOGUES else DEFAULT_LANGUAGE


def local_time(moment: datetime, *, language: str, reference: datetime | None = None) -> str:
    """Write a time for people, in Asia/Tokyo: only the clock time when it is on `reference`'s day."""
    texts = CATALOGUES[catalogue_language(language)]
    local = moment.astimezone(LOCAL_ZONE)
    hm = local.strftime("%H:%M")
    if reference is not None and reference.astimezone(LOCAL_ZONE).date() == local.date():
        return texts["time"].format(hm=hm)
    return texts["datetime"].format(
        weekday=texts["weekdays"].split(",")[local.weekday()],
        month=texts["months"].split(",")[local.month - 1],
        day=local.day,
        hm=hm,
        zone=local.tzname() or "JST",
    )


def _hours(span: timedelta) -> str:
    hours = max(span.total_seconds(), 0.0) / 3600
    rounded = round(hours, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


def compose(
    *,
    purpose: Purpose,
    rule: RuleName,
    severity: Severity,
    person_name: str,
    household_name: str,
    address: str,
    facts: Mapping[str, Any],
    opened_at: datetime,
    language: str,
    acknowledged_by: str | None = None,
    resolved_by: str | None = None,
    alert_url: str | None = None,
) -> ComposedMessage:
    """Write the message about an alert for one contact, in their language."""
    lang = catalogue_language(language)
    texts = CATALOGUES[lang]
    person = person_name or household_name
    values: dict[str, Any] = {
        "person": person,
        "household": household_name,
        "address": address or texts["unknown"],
        "rule": texts[f"rule.{rule.value}"],
        "severity": severity.value,
        "when": local_time(opened_at, language=lang),
        "link": texts["link"].format(url=alert_url) if alert_url else "",
        "by": (resolved_by if purpose == "resolved" else acknowledged_by) or "",
    }
    if purpose == "opened":
        values.update(_opened_values(rule, facts, opened_at, lang, texts))
        key = f"opened.{rule.value}"
    else:
        key = purpose
    if purpose == "resolved":
        values["resolution"] = _resolution(rule, resolved_by, texts).format(**values)
    return ComposedMessage(
        title=texts[f"{key}.title"].format(**values),
        body=texts[f"{key}.body"].format(**values),
    )


def _opened_values(
    rule: RuleName, facts: Mapping[str, Any], opened_at: datetime, lang: str, texts: Mapping[str, str]
) -> dict[str, str]:
    room = facts.get("room") or facts.get("last_room")
    if rule is RuleName.EMERGENCY_BUTTON:
        pressed = parse_iso(facts.get("pressed_at")) or opened_at
        return {
            "pressed": local_time(pressed, language=lang),
            "room": texts["room"].format(room=room) if room else "",
        }
    if rule is RuleName.INACTIVITY:
        since = parse_iso(facts.get("last_motion_at")) or parse_iso(facts.get("since"))
        if since is None:
            threshold = facts.get("threshold_hours")
            hours = float(threshold) if isinstance(threshold, int | float) else 0.0
            since = opened_at - timedelta(hours=hours)
        return {
            "since": local_time(since, language=lang, reference=opened_at),
            "hours": _hours(opened_at - since),
            "last_room": texts["last_room"].format(room=room) if room else "",
        }
    last_seen = parse_iso(facts.get("last_seen_at")) or opened_at
    reason = facts.get("reason")
    return {
        "gateway": str(facts.get("gateway_id") or texts["unknown"]),
        "last_seen": local_time(last_seen, language=lang),
        "reason": texts.get(f"reason.{reason}", texts["reason.last_will"]),
    }


def _resolution(rule: RuleName, resolved_by: str | None, texts: Mapping[str, str]) -> str:
    if resolved_by and resolved_by != "auto":
        return texts["resolution.by"]
    return texts.get(f"resolution.auto.{rule.value}", texts["resolution.auto"])
