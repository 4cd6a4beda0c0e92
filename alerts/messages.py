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
from alerts.signals import TRACKER_RULES, RuleName, Severity

LOCAL_ZONE = ZoneInfo("Asia/Tokyo")
DEFAULT_LANGUAGE = "ja"

Purpose = Literal["opened", "escalated", "reminder", "acknowledged", "resolved"]
# Purposes that repeat the opening message (to the next contact in the chain, or as a reminder).
OPENING_PURPOSES = frozenset({"opened", "escalated", "reminder"})

# Room keys as sensors report them, in words for people.
ROOM_NAMES: dict[str, dict[str, str]] = {
    "ja": {
        "bedroom": "寝室",
        "living_room": "居間",
        "living": "居間",
        "kitchen": "台所",
        "toilet": "トイレ",
        "bathroom": "浴室",
        "entrance": "玄関",
        "hallway": "廊下",
        "washroom": "洗面所",
        "dining": "食堂",
    },
    "en": {
        "bedroom": "bedroom",
        "living_room": "living room",
        "living": "living room",
        "kitchen": "kitchen",
        "toilet": "toilet",
        "bathroom": "bathroom",
        "entrance": "entrance",
        "hallway": "hallway",
        "washroom": "washroom",
        "dining": "dining room",
        "寝室": "bedroom",
        "居間": "living room",
        "台所": "kitchen",
        "トイレ": "toilet",
        "浴室": "bathroom",
        "玄関": "entrance",
    },
}

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
        "rule.unusual_day": "いつもと違う一日",
        "rule.heat_risk": "室内の熱中症リスク",
        "rule.cold_risk": "室内の寒さ",
        "rule.night_wandering": "夜間の外出",
        "rule.sensor_silent": "センサーの応答なし",
        "rule.low_battery": "センサーの電池残量低下",
        "ack": "\n対応します（タップで応答）: {url}",
        "escalated.prefix": "【未対応・再通知】",
        "escalated.note": "\n※ 通知から{minutes}分たっても、まだ誰も対応していません。",
        "reminder.prefix": "【リマインド】",
        "usual.active_by": "普段は{active_by}までに動きがあります。",
        "usual.quiet": "この時間帯に動きがないのは普段、長くても{usual}時間です。",
        "usual.away": "玄関の出入りのあと、{hours}時間戻っていません。",
        "heat.caution": "注意",
        "heat.warning": "警戒",
        "heat.severe": "厳重警戒",
        "heat.danger": "危険",
        "reason.night_toilet": "夜間のトイレが{count}回でした（普段は多くて{usual}回）。",
        "reason.no_kitchen_by_noon": "昼までに台所で動きがありません（普段は毎日あります）。",
        "reason.no_door": "今日は一度も玄関の出入りがありません。",
        "reason.low_movement": "今日の動きが普段の{percent}%しかありません。",
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
            "（{hours}時間）。{last_room}{usual}\n"
            "{person}さんに電話して様子を確認してください。応答がない場合は訪問をお願いします。"
            "{link}"
        ),
        "opened.unusual_day.title": "【確認のお願い】{person}さんの様子がいつもと違います",
        "opened.unusual_day.body": (
            "{person}さん（{household}・{address}）の今日の様子が、普段と違います。\n{reasons}\n"
            "急ぎではありませんが、{person}さんに電話などで様子を確認してください。"
            "{link}"
        ),
        "opened.heat_risk.title": "【熱中症{level}】{person}さんの部屋が暑くなっています",
        "opened.heat_risk.body": (
            "{person}さん（{household}・{address}）の{room_name}の暑さ指数(WBGT)が{wbgt}℃（{level}）です"
            "（室温{temperature}℃・湿度{humidity}%、{since}から）。\n"
            "{person}さんに電話して、エアコンをつけること、水分と塩分をとることを伝えてください。"
            "応答がない場合や具合が悪そうな場合は訪問するか、119番に通報してください。"
            "{link}"
        ),
        "opened.cold_risk.title": "【寒さ注意】{person}さんの部屋が{temperature}℃です",
        "opened.cold_risk.body": (
            "{person}さん（{household}・{address}）の{room_name}が{since}から{threshold}℃を下回っています"
            "（今{temperature}℃）。\n"
            "{person}さんに電話して、暖房をつけ、暖かい服装をするよう伝えてください。"
            "{link}"
        ),
        "opened.night_wandering.title": "【夜間外出】{person}さんが夜に家を出たようです",
        "opened.night_wandering.body": (
            "{person}さん（{household}・{address}）の家で、{opened}に玄関が開き、その後{minutes}分間、"
            "家の中で動きがありません。\n"
            "{person}さんに電話してください。家にいない場合は、近所を探し、見つからなければ警察（110番）に"
            "相談してください。"
            "{link}"
        ),
        "opened.sensor_silent.title": "【機器】{household}のセンサーが応答しません",
        "opened.sensor_silent.body": (
            "{household}（{address}）のセンサー {device}（{room_name}）から{last_seen}以降、データが届いていません。"
            "ゲートウェイは接続されています。\n電池とセンサーの取り付けを確認してください。"
            "{link}"
        ),
        "opened.low_battery.title": "【機器】{household}のセンサーの電池が少なくなっています",
        "opened.low_battery.body": (
            "{household}（{address}）のセンサー {device}（{room_name}）の電池残量が{battery}%です。\n"
            "見守りが止まらないよう、電池を交換してください。"
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
        "resolution.auto.heat_risk": "部屋の暑さがおさまりました。",
        "resolution.auto.cold_risk": "部屋が暖かくなりました。",
        "resolution.auto.night_wandering": "{person}さんが家に戻り、家の中で動きがありました。",
        "resolution.auto.sensor_silent": "センサーからのデータが戻りました。",
        "resolution.auto.low_battery": "電池が交換されました。",
        "page.acknowledged.title": "対応を受け付けました",
        "page.acknowledged.body": "{by}さんが、{person}さんの「{rule}」の通知（{when}）に対応することを記録しました。"
        "他の連絡先にもお知らせします。",
        "page.already.title": "すでに対応中です",
        "page.already.body": "{person}さんの「{rule}」の通知は、{by}さんがすでに対応しています。",
        "page.resolved.title": "この通知は解決済みです",
        "page.resolved.body": "{person}さんの「{rule}」の通知は、すでに解決しています。",
        "page.invalid.title": "このリンクは使えません",
        "page.invalid.body": "リンクの有効期限が切れているか、正しくありません。アプリから対応してください。",
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
        "rule.unusual_day": "unusual day",
        "rule.heat_risk": "heatstroke risk indoors",
        "rule.cold_risk": "cold home",
        "rule.night_wandering": "left home at night",
        "rule.sensor_silent": "sensor not reporting",
        "rule.low_battery": "low sensor battery",
        "ack": "\nTap to take care of it: {url}",
        "escalated.prefix": "NOT YET HANDLED: ",
        "escalated.note": "\nNobody has responded in the {minutes} minutes since the first message.",
        "reminder.prefix": "Reminder: ",
        "usual.active_by": " {person} is usually up and about by {active_by}.",
        "usual.quiet": " At this time of day {person} is usually never still for more than {usual} hours.",
        "usual.away": " The front door was used and nobody has come back in {hours} hours.",
        "heat.caution": "caution",
        "heat.warning": "warning",
        "heat.severe": "severe warning",
        "heat.danger": "danger",
        "reason.night_toilet": "{count} toilet visits in the night (usually at most {usual}).",
        "reason.no_kitchen_by_noon": "No movement in the kitchen by noon (usually every day).",
        "reason.no_door": "The front door has not opened all day.",
        "reason.low_movement": "Only {percent}% of the usual movement today.",
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
            "({hours} hours).{last_room}{usual}\n"
            "Please call {person} to check they are all right. If there is no answer, please visit."
            "{link}"
        ),
        "opened.unusual_day.title": "Please check on {person}: today looks unusual",
        "opened.unusual_day.body": (
            "Today in {person}'s home ({household}, {address}) looks different from usual.\n{reasons}\n"
            "It is not urgent, but please call {person} to see how they are."
            "{link}"
        ),
        "opened.heat_risk.title": "Heatstroke {level}: {person}'s room is too hot",
        "opened.heat_risk.body": (
            "The heat index (WBGT) in {person}'s {room_name} ({household}, {address}) is {wbgt} °C ({level}): "
            "{temperature} °C at {humidity}% humidity, since {since}.\n"
            "Call {person} and ask them to turn on the air conditioner and drink water with a little salt. "
            "If there is no answer or they feel unwell, visit or call 119."
            "{link}"
        ),
        "opened.cold_risk.title": "Cold home: {person}'s room is at {temperature} °C",
        "opened.cold_risk.body": (
            "{person}'s {room_name} ({household}, {address}) has been below {threshold} °C since {since} "
            "(now {temperature} °C).\n"
            "Call {person} and ask them to turn on the heating and dress warmly."
            "{link}"
        ),
        "opened.night_wandering.title": "{person} seems to have left home at night",
        "opened.night_wandering.body": (
            "The front door of {person}'s home ({household}, {address}) opened at {opened} and there has been "
            "no movement inside for {minutes} minutes.\n"
            "Call {person}. If they are not at home, search the neighbourhood and, if you cannot find them, "
            "call the police (110)."
            "{link}"
        ),
        "opened.sensor_silent.title": "A sensor in {household} is not reporting",
        "opened.sensor_silent.body": (
            "The sensor {device} ({room_name}) in {household} ({address}) has sent nothing since {last_seen}, "
            "while the gateway is online.\nPlease check its battery and that it is still mounted."
            "{link}"
        ),
        "opened.low_battery.title": "Low battery in a sensor in {household}",
        "opened.low_battery.body": (
            "The sensor {device} ({room_name}) in {household} ({address}) is at {battery}% battery.\n"
            "Please replace the battery so the watch does not stop."
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
        "resolution.auto.heat_risk": "The room has cooled down.",
        "resolution.auto.cold_risk": "The room is warm again.",
        "resolution.auto.night_wandering": "{person} is back: there is movement inside again.",
        "resolution.auto.sensor_silent": "The sensor is reporting again.",
        "resolution.auto.low_battery": "The battery has been replaced.",
        "page.acknowledged.title": "Thank you, noted",
        "page.acknowledged.body": "{by} is taking care of the {rule} alert about {person} ({when}). "
        "The other contacts will be told.",
        "page.already.title": "Already being handled",
        "page.already.body": "{by} is already taking care of the {rule} alert about {person}.",
        "page.resolved.title": "This alert is resolved",
        "page.resolved.body": "The {rule} alert about {person} is already resolved.",
        "page.invalid.title": "This link cannot be used",
        "page.invalid.body": "The link has expired or is not valid. Please use the app instead.",
    },
}


@dataclass(frozen=True, slots=True)
class ComposedMessage:
    """A notification ready for a channel."""

    title: str
    body: str


# Tags naming やさしい日本語; checked before the primary subtag, which alone would say "ja".
EASY_JAPANESE_TAGS = frozenset({"ja-easy", "ja-x-easy", "ja-jp-x-easy", "ja-jp-easy"})


def catalogue_language(language: str) -> str:
    """Return the catalogue language for a contact's language tag ("en-US" → "en", "ja-Easy" → "ja-easy").

    Chinese tags (zh, zh-Hans, zh-CN) get the simplified Chinese catalogue; unknown languages get Japanese.
    """
    tag = language.strip().lower().replace("_", "-")
    if tag in EASY_JAPANESE_TAGS:
        return "ja-easy"
    base = tag.split("-")[0]
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
    ack_url: str | None = None,
    waited_min: float | None = None,
) -> ComposedMessage:
    """Write the message about an alert for one contact, in their language."""
    lang = catalogue_language(language)
    texts = CATALOGUES[lang]
    person = person_name or household_name
    if purpose in OPENING_PURPOSES:
        return _opening(
            purpose,
            rule=rule,
            facts=facts,
            opened_at=opened_at,
            lang=lang,
            base=_base_values(lang, person, household_name, address, rule, severity, opened_at, alert_url),
            ack_url=ack_url,
            waited_min=waited_min,
        )
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
    key = purpose
    if purpose == "resolved":
        values["resolution"] = _resolution(rule, resolved_by, texts).format(**values)
    return ComposedMessage(
        title=texts[f"{key}.title"].format(**values),
        body=texts[f"{key}.body"].format(**values),
    )


def _base_values(
    lang: str,
    person: str,
    household_name: str,
    address: str,
    rule: RuleName,
    severity: Severity,
    opened_at: datetime,
    alert_url: str | None,
) -> dict[str, Any]:
    texts = CATALOGUES[lang]
    return {
        "person": person,
        "household": household_name,
        "address": address or texts["unknown"],
        "rule": texts[f"rule.{rule.value}"],
        "severity": severity.value,
        "when": local_time(opened_at, language=lang),
        "link": texts["link"].format(url=alert_url) if alert_url else "",
    }


def _opening(
    purpose: Purpose,
    *,
    rule: RuleName,
    facts: Mapping[str, Any],
    opened_at: datetime,
    lang: str,
    base: dict[str, Any],
    ack_url: str | None,
    waited_min: float | None,
) -> ComposedMessage:
    texts = CATALOGUES[lang]
    # a repeat says how long it has been by now, not what it was when the alert opened
    now = opened_at + timedelta(minutes=waited_min) if purpose != "opened" and waited_min else opened_at
    values = {**base, **_opened_values(rule, facts, opened_at, lang, texts, now=now)}
    values = {key: value.format(**values) if key in ("usual", "reasons") else value for key, value in values.items()}
    # a rule may say it from another source (a BLE tag's presence rather than a position)
    variant = f"opened.{rule.value}.{facts.get('via')}" if facts.get("via") else ""
    title = texts.get(f"{variant}.title", texts[f"opened.{rule.value}.title"]).format(**values)
    body = texts.get(f"{variant}.body", texts[f"opened.{rule.value}.body"]).format(**values)
    if purpose != "opened":
        title = texts[f"{purpose}.prefix"] + title
    if purpose == "escalated" and waited_min is not None:
        body += texts["escalated.note"].format(minutes=round(waited_min))
    if ack_url:
        body += texts["ack"].format(url=ack_url)
    return ComposedMessage(title=title, body=body)


def room_name(room: str | None, lang: str) -> str:
    """Return a sensor's room key in words ("bedroom" → "寝室"); unknown keys are shown as they are."""
    if not room:
        return CATALOGUES[lang]["unknown"]
    return ROOM_NAMES.get(lang, {}).get(room, room)


def _number(value: Any) -> str:
    if not isinstance(value, int | float):
        return "?"
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _opened_values(
    rule: RuleName,
    facts: Mapping[str, Any],
    opened_at: datetime,
    lang: str,
    texts: Mapping[str, str],
    *,
    now: datetime | None = None,
) -> dict[str, str]:
    if rule in TRACKER_RULES:
        return _tracker_values(facts, opened_at, lang, texts)
    raw_room = facts.get("room") or facts.get("last_room")
    room = room_name(raw_room, lang) if raw_room else None
    since_fact = parse_iso(facts.get("since")) or opened_at
    if rule is RuleName.UNUSUAL_DAY:
        return {"reasons": _reasons(str(facts.get("reasons") or ""), texts)}
    if rule in (RuleName.HEAT_RISK, RuleName.COLD_RISK):
        level = str(facts.get("level") or "severe")
        return {
            "room_name": room or texts["unknown"],
            "wbgt": _number(facts.get("wbgt")),
            "level": texts.get(f"heat.{level}", level),
            "temperature": _number(facts.get("temperature_c")),
            "humidity": _number(facts.get("humidity_pct")),
            "threshold": _number(facts.get("threshold_c")),
            "since": local_time(since_fact, language=lang, reference=opened_at),
        }
    if rule is RuleName.NIGHT_WANDERING:
        opened = parse_iso(facts.get("door_opened_at")) or opened_at
        return {
            "opened": local_time(opened, language=lang, reference=opened_at),
            "minutes": _hours_as_minutes(opened_at - opened),
        }
    if rule in (RuleName.SENSOR_SILENT, RuleName.LOW_BATTERY):
        last_seen = parse_iso(facts.get("last_seen_at")) or opened_at
        return {
            "device": str(facts.get("device_id") or texts["unknown"]),
            "room_name": room or texts["unknown"],
            "last_seen": local_time(last_seen, language=lang),
            "battery": _number(facts.get("battery_pct")),
        }
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
            "hours": _hours((now or opened_at) - since),
            "last_room": texts["last_room"].format(room=room) if room else "",
            "usual": _usual(facts, opened_at, since, lang, texts),
        }
    last_seen = parse_iso(facts.get("last_seen_at")) or opened_at
    reason = facts.get("reason")
    return {
        "gateway": str(facts.get("gateway_id") or texts["unknown"]),
        "last_seen": local_time(last_seen, language=lang),
        "reason": texts.get(f"reason.{reason}", texts["reason.last_will"]),
    }


def _hours_as_minutes(span: timedelta) -> str:
    return str(max(round(span.total_seconds() / 60), 0))


def _usual(facts: Mapping[str, Any], opened_at: datetime, since: datetime, lang: str, texts: Mapping[str, str]) -> str:
    """Explain the limit that was passed, from the learned routine when there is one."""
    limit = facts.get("limit")
    active_by = parse_iso(facts.get("usually_active_by"))
    # {person} stays a placeholder: the caller fills it in with the rest of the message
    if limit == "away":
        return texts["usual.away"].replace("{hours}", _hours(opened_at - since))
    if active_by is not None:
        return texts["usual.active_by"].replace("{active_by}", local_time(active_by, language=lang))
    threshold = facts.get("threshold_hours")
    if limit == "learned" and isinstance(threshold, int | float):
        return texts["usual.quiet"].replace("{usual}", _hours(timedelta(hours=float(threshold))))
    return ""


def _reasons(encoded: str, texts: Mapping[str, str]) -> str:
    """Write the unusual-day reasons ("night_toilet=4/2;no_door") as sentences."""
    lines = []
    for item in filter(None, encoded.split(";")):
        name, _, value = item.partition("=")
        template = texts.get(f"reason.{name}")
        if template is None:
            continue
        count, _, usual = value.partition("/")
        lines.append(template.format(count=count, usual=usual, percent=count))
    return "\n".join(lines)


def _resolution(rule: RuleName, resolved_by: str | None, texts: Mapping[str, str]) -> str:
    if resolved_by and resolved_by != "auto":
        return texts["resolution.by"]
    return texts.get(f"resolution.auto.{rule.value}", texts["resolution.auto"])


def _tracker_values(
    facts: Mapping[str, Any], opened_at: datetime, lang: str, texts: Mapping[str, str]
) -> dict[str, str]:
    """Fill in the safe-zone messages; they never carry coordinates (the link shows the position)."""
    exited = parse_iso(facts.get("exited_at")) or opened_at
    last_fix = parse_iso(facts.get("last_fix_at")) or opened_at
    return {
        "zone": str(facts.get("zone") or texts["unknown"]),
        "outside_m": _number(facts.get("outside_m")),
        "exited": local_time(exited, language=lang, reference=opened_at),
        "last_fix": local_time(last_fix, language=lang, reference=opened_at),
        "minutes": _number(facts.get("minutes")),
        "deadline": str(facts.get("deadline") or texts["unknown"]),
        "battery": _number(facts.get("battery_pct")),
    }


# Trackers and safe zones (issue 4): kept together so the catalogues stay easy to compare.
CATALOGUES["ja"].update(
    {
        "rule.safe_zone_exit": "見守りエリアからの外出",
        "rule.left_home_at_night": "夜間に自宅を離れた",
        "rule.not_back_by": "予定時刻までに戻らない",
        "rule.tracker_no_fix": "外出中に位置が届かない",
        "rule.tag_battery_low": "見守りタグの電池残量低下",
        "opened.safe_zone_exit.title": "【外出】{person}さんが「{zone}」の外に出ました",
        "opened.safe_zone_exit.body": (
            "{person}さん（{household}）が{exited}ごろ「{zone}」の外に出ました（約{outside_m}m外）。\n"
            "現在地はリンクから確認できます（この通知が対応中の間だけ表示されます）。"
            "{link}"
        ),
        "opened.left_home_at_night.title": "【夜間・至急】{person}さんが夜に自宅を離れました",
        "opened.left_home_at_night.body": (
            "{person}さん（{household}・{address}）が{exited}ごろ自宅から離れました。\n"
            "すぐに現在地を確認し、見つからなければ警察（110番）に相談してください。"
            "{link}"
        ),
        "opened.left_home_at_night.tag_presence.body": (
            "{person}さん（{household}・{address}）の見守りタグが{exited}から自宅で検知されていません。"
            "夜間に外出した可能性があります。\n"
            "すぐに自宅と周辺を確認し、見つからなければ警察（110番）に相談してください。"
            "{link}"
        ),
        "opened.not_back_by.title": "【未帰宅】{person}さんが{deadline}までに戻っていません",
        "opened.not_back_by.body": (
            "{person}さん（{household}）は{exited}ごろ外出し、{deadline}を過ぎても「{zone}」に戻っていません。{link}"
        ),
        "opened.tracker_no_fix.title": "【位置不明】外出中の{person}さんの位置が{minutes}分届いていません",
        "opened.tracker_no_fix.body": (
            "外出中の{person}さん（{household}）の位置情報が{last_fix}から届いていません。"
            "端末の電池切れや電波の届かない場所にいる可能性があります。最後の位置はリンクから確認できます。"
            "{link}"
        ),
        "opened.tag_battery_low.title": "【機器】{person}さんの見守りタグの電池が少なくなっています",
        "opened.tag_battery_low.body": (
            "{person}さん（{household}）の見守りタグ・端末の電池残量が{battery}%です。充電または電池交換をしてください。"
            "{link}"
        ),
        "resolution.auto.safe_zone_exit": "{person}さんが見守りエリアに戻りました。",
        "resolution.auto.left_home_at_night": "{person}さんが自宅に戻りました。",
        "resolution.auto.not_back_by": "{person}さんが戻りました。",
        "resolution.auto.tracker_no_fix": "位置情報が再び届きました。",
        "resolution.auto.tag_battery_low": "電池が充電・交換されました。",
    }
)
CATALOGUES["en"].update(
    {
        "rule.safe_zone_exit": "left a safe zone",
        "rule.left_home_at_night": "left home at night",
        "rule.not_back_by": "not back in time",
        "rule.tracker_no_fix": "no position while out",
        "rule.tag_battery_low": "tracker battery low",
        "opened.safe_zone_exit.title": '{person} has left the safe zone "{zone}"',
        "opened.safe_zone_exit.body": (
            '{person} ({household}) left "{zone}" around {exited} (about {outside_m} m outside).\n'
            "The link shows where they are now (only while this alert is open)."
            "{link}"
        ),
        "opened.left_home_at_night.title": "URGENT: {person} has left home at night",
        "opened.left_home_at_night.body": (
            "{person} ({household}, {address}) left home around {exited}.\n"
            "Check the position now; if you cannot find them, call the police (110)."
            "{link}"
        ),
        "opened.left_home_at_night.tag_presence.body": (
            "The tag of {person} ({household}, {address}) has not been heard at home since {exited}: "
            "they may have gone out in the night.\n"
            "Check the home and nearby now; if you cannot find them, call the police (110)."
            "{link}"
        ),
        "opened.not_back_by.title": "{person} is not back by {deadline}",
        "opened.not_back_by.body": (
            '{person} ({household}) went out around {exited} and is not back in "{zone}" by {deadline}.{link}'
        ),
        "opened.tracker_no_fix.title": "No position from {person} for {minutes} minutes while out",
        "opened.tracker_no_fix.body": (
            "No position of {person} ({household}) has arrived since {last_fix}. The tracker may be out of "
            "battery or signal. The link shows the last known position."
            "{link}"
        ),
        "opened.tag_battery_low.title": "{person}'s tracker battery is low",
        "opened.tag_battery_low.body": (
            "The tracker of {person} ({household}) reports {battery}% battery. Please charge it or replace the battery."
            "{link}"
        ),
        "resolution.auto.safe_zone_exit": "{person} is back inside the safe zone.",
        "resolution.auto.left_home_at_night": "{person} is back home.",
        "resolution.auto.not_back_by": "{person} is back.",
        "resolution.auto.tracker_no_fix": "Positions are arriving again.",
        "resolution.auto.tag_battery_low": "The battery has been charged or replaced.",
    }
)

# Simplified Chinese, Korean and やさしい日本語 for family members who read them (the family view
# offers zh, ko and ja-easy). Same keys as "ja" — tests/alerts/test_message_languages.py checks it.
# Times are Tokyo's; the zh/ko date says so, as families may read it from abroad.
ROOM_NAMES["zh"] = {
    "bedroom": "卧室",
    "living_room": "客厅",
    "living": "客厅",
    "kitchen": "厨房",
    "toilet": "厕所",
    "bathroom": "浴室",
    "entrance": "玄关",
    "hallway": "走廊",
    "washroom": "洗漱间",
    "dining": "餐厅",
    "寝室": "卧室",
    "居間": "客厅",
    "台所": "厨房",
    "トイレ": "厕所",
    "浴室": "浴室",
    "玄関": "玄关",
}
ROOM_NAMES["ko"] = {
    "bedroom": "침실",
    "living_room": "거실",
    "living": "거실",
    "kitchen": "부엌",
    "toilet": "화장실",
    "bathroom": "욕실",
    "entrance": "현관",
    "hallway": "복도",
    "washroom": "세면실",
    "dining": "식당",
    "寝室": "침실",
    "居間": "거실",
    "台所": "부엌",
    "トイレ": "화장실",
    "浴室": "욕실",
    "玄関": "현관",
}
ROOM_NAMES["ja-easy"] = {
    "bedroom": "寝る 部屋",
    "living_room": "居間（いま）",
    "living": "居間（いま）",
    "kitchen": "台所（だいどころ）",
    "toilet": "トイレ",
    "bathroom": "お風呂（ふろ）",
    "entrance": "玄関（げんかん）",
    "hallway": "廊下（ろうか）",
    "washroom": "洗面所（せんめんじょ）",
    "dining": "ごはんを 食べる 部屋",
    "寝室": "寝る 部屋",
    "居間": "居間（いま）",
    "台所": "台所（だいどころ）",
    "トイレ": "トイレ",
    "浴室": "お風呂（ふろ）",
    "玄関": "玄関（げんかん）",
}

CATALOGUES["zh"] = {
    "weekdays": "一,二,三,四,五,六,日",
    "months": "1,2,3,4,5,6,7,8,9,10,11,12",
    "datetime": "{month}月{day}日（周{weekday}）{hm}（日本时间）",
    "time": "{hm}",
    "link": "\n详情：{url}",
    "unknown": "不明",
    "rule.emergency_button": "紧急按钮",
    "rule.inactivity": "长时间无活动",
    "rule.gateway_offline": "看护设备断开连接",
    "rule.unusual_day": "与平时不同的一天",
    "rule.heat_risk": "室内中暑风险",
    "rule.cold_risk": "室内寒冷",
    "rule.night_wandering": "夜间外出",
    "rule.sensor_silent": "传感器无响应",
    "rule.low_battery": "传感器电量低",
    "ack": "\n由我处理（点击回复）：{url}",
    "escalated.prefix": "【无人处理·再次通知】",
    "escalated.note": "\n※ 通知发出已{minutes}分钟，仍无人处理。",
    "reminder.prefix": "【提醒】",
    "usual.active_by": "{person}平时在{active_by}之前就会有活动。",
    "usual.quiet": "这个时段{person}平时最长也只有{usual}小时没有活动。",
    "usual.away": "玄关有出入后，已{hours}小时无人回来。",
    "heat.caution": "注意",
    "heat.warning": "警戒",
    "heat.severe": "严重警戒",
    "heat.danger": "危险",
    "reason.night_toilet": "夜间上厕所{count}次（平时最多{usual}次）。",
    "reason.no_kitchen_by_noon": "到中午厨房仍无活动（平时每天都有）。",
    "reason.no_door": "今天玄关一次也没有开过。",
    "reason.low_movement": "今天的活动量只有平时的{percent}%。",
    "room": "（地点：{room}）",
    "last_room": "最后一次活动是在{room}。",
    "reason.last_will": "连接已断开",
    "reason.silence": "通信中断",
    "opened.emergency_button.title": "【紧急】{person}按下了紧急按钮",
    "opened.emergency_button.body": (
        "{person}（{household}，{address}）于{pressed}按下了紧急按钮{room}。\n"
        "请立即给{person}打电话。如无人接听，请拨打119或上门确认。"
        "{link}"
    ),
    "opened.inactivity.title": "【看护】{person}已{hours}小时没有活动",
    "opened.inactivity.body": (
        "{person}的家（{household}，{address}）自{since}起未检测到活动（{hours}小时）。{last_room}{usual}\n"
        "请给{person}打电话确认情况。如无人接听，请上门查看。"
        "{link}"
    ),
    "opened.unusual_day.title": "【请确认】{person}今天的情况与平时不同",
    "opened.unusual_day.body": (
        "{person}的家（{household}，{address}）今天的情况与平时不同。\n{reasons}\n"
        "不算紧急，但请打电话问候{person}，确认情况。"
        "{link}"
    ),
    "opened.heat_risk.title": "【中暑{level}】{person}的房间太热",
    "opened.heat_risk.body": (
        "{person}的{room_name}（{household}，{address}）暑热指数(WBGT)为{wbgt}℃（{level}），"
        "室温{temperature}℃、湿度{humidity}%，自{since}起。\n"
        "请给{person}打电话，提醒开空调、补充水分和盐分。如无人接听或身体不适，请上门或拨打119。"
        "{link}"
    ),
    "opened.cold_risk.title": "【注意寒冷】{person}的房间只有{temperature}℃",
    "opened.cold_risk.body": (
        "{person}的{room_name}（{household}，{address}）自{since}起低于{threshold}℃（现在{temperature}℃）。\n"
        "请给{person}打电话，提醒开暖气、穿暖和。"
        "{link}"
    ),
    "opened.night_wandering.title": "【夜间外出】{person}似乎在夜里出门了",
    "opened.night_wandering.body": (
        "{person}的家（{household}，{address}）玄关于{opened}打开，之后{minutes}分钟屋内没有活动。\n"
        "请给{person}打电话。如不在家，请在附近寻找；找不到时请报警（110）。"
        "{link}"
    ),
    "opened.sensor_silent.title": "【设备】{household}的传感器无响应",
    "opened.sensor_silent.body": (
        "{household}（{address}）的传感器 {device}（{room_name}）自{last_seen}起没有数据，网关连接正常。\n"
        "请检查电池和传感器是否安装牢固。"
        "{link}"
    ),
    "opened.low_battery.title": "【设备】{household}的传感器电量低",
    "opened.low_battery.body": (
        "{household}（{address}）的传感器 {device}（{room_name}）电量为{battery}%。\n为避免看护中断，请更换电池。{link}"
    ),
    "opened.gateway_offline.title": "【设备】{household}的看护设备未连接",
    "opened.gateway_offline.body": (
        "{household}（{address}）的看护网关 {gateway} 自{last_seen}起未连接（{reason}）。\n"
        "请检查电源和网络。恢复连接前，对{person}的看护处于暂停状态。"
        "{link}"
    ),
    "acknowledged.title": "【处理中】{person}：{rule}",
    "acknowledged.body": "{by}正在处理关于{person}的“{rule}”通知（{when}）。{link}",
    "resolved.title": "【已解决】{person}：{rule}",
    "resolved.body": "关于{person}的“{rule}”通知（{when}）已解决。{resolution}{link}",
    "resolution.by": "{by}已将其标记为解决。",
    "resolution.auto": "状态已恢复正常。",
    "resolution.auto.inactivity": "再次检测到{person}的活动。",
    "resolution.auto.gateway_offline": "看护设备已重新连接，看护已恢复。",
    "resolution.auto.heat_risk": "房间已经凉下来了。",
    "resolution.auto.cold_risk": "房间已经暖和起来了。",
    "resolution.auto.night_wandering": "{person}已回家，屋内再次有活动。",
    "resolution.auto.sensor_silent": "传感器已恢复发送数据。",
    "resolution.auto.low_battery": "电池已更换。",
    "page.acknowledged.title": "已收到您的回复",
    "page.acknowledged.body": "已记录由{by}处理关于{person}的“{rule}”通知（{when}）。我们也会通知其他联系人。",
    "page.already.title": "已有人在处理",
    "page.already.body": "关于{person}的“{rule}”通知，{by}已经在处理。",
    "page.resolved.title": "此通知已解决",
    "page.resolved.body": "关于{person}的“{rule}”通知已经解决。",
    "page.invalid.title": "此链接无法使用",
    "page.invalid.body": "链接已过期或无效。请在应用中处理。",
    "rule.safe_zone_exit": "离开看护区域",
    "rule.left_home_at_night": "夜间离家",
    "rule.not_back_by": "未按时回来",
    "rule.tracker_no_fix": "外出时收不到位置",
    "rule.tag_battery_low": "看护标签电量低",
    "opened.safe_zone_exit.title": "【外出】{person}离开了“{zone}”",
    "opened.safe_zone_exit.body": (
        "{person}（{household}）于{exited}左右离开了“{zone}”（在区域外约{outside_m}米）。\n"
        "可通过链接查看当前位置（仅在此通知未解决期间显示）。"
        "{link}"
    ),
    "opened.left_home_at_night.title": "【夜间·紧急】{person}夜里离开了家",
    "opened.left_home_at_night.body": (
        "{person}（{household}，{address}）于{exited}左右离开了家。\n请立即查看当前位置；找不到时请报警（110）。{link}"
    ),
    "opened.left_home_at_night.tag_presence.body": (
        "自{exited}起，在{person}（{household}，{address}）家中检测不到看护标签，可能在夜间外出了。\n"
        "请立即查看家中和附近；找不到时请报警（110）。"
        "{link}"
    ),
    "opened.not_back_by.title": "【未回家】{person}在{deadline}前没有回来",
    "opened.not_back_by.body": "{person}（{household}）于{exited}左右外出，过了{deadline}仍未回到“{zone}”。{link}",
    "opened.tracker_no_fix.title": "【位置不明】外出中的{person}已{minutes}分钟没有位置信息",
    "opened.tracker_no_fix.body": (
        "外出中的{person}（{household}）自{last_fix}起没有位置信息。"
        "设备可能没电或在无信号的地方。可通过链接查看最后的位置。"
        "{link}"
    ),
    "opened.tag_battery_low.title": "【设备】{person}的看护标签电量低",
    "opened.tag_battery_low.body": "{person}（{household}）的看护标签/设备电量为{battery}%。请充电或更换电池。{link}",
    "resolution.auto.safe_zone_exit": "{person}已回到看护区域。",
    "resolution.auto.left_home_at_night": "{person}已回家。",
    "resolution.auto.not_back_by": "{person}已回来。",
    "resolution.auto.tracker_no_fix": "已重新收到位置信息。",
    "resolution.auto.tag_battery_low": "电池已充电或更换。",
}

CATALOGUES["ko"] = {
    "weekdays": "월,화,수,목,금,토,일",
    "months": "1,2,3,4,5,6,7,8,9,10,11,12",
    "datetime": "{month}월 {day}일({weekday}) {hm}(일본 시간)",
    "time": "{hm}",
    "link": "\n자세히: {url}",
    "unknown": "알 수 없음",
    "rule.emergency_button": "긴급 버튼",
    "rule.inactivity": "움직임 없음",
    "rule.gateway_offline": "돌봄 기기 연결 끊김",
    "rule.unusual_day": "평소와 다른 하루",
    "rule.heat_risk": "실내 열사병 위험",
    "rule.cold_risk": "실내 추위",
    "rule.night_wandering": "야간 외출",
    "rule.sensor_silent": "센서 응답 없음",
    "rule.low_battery": "센서 배터리 부족",
    "ack": "\n제가 대응하겠습니다(탭하여 응답): {url}",
    "escalated.prefix": "[미대응·재알림] ",
    "escalated.note": "\n※ 알림 후 {minutes}분이 지났지만 아직 아무도 대응하지 않았습니다.",
    "reminder.prefix": "[다시 알림] ",
    "usual.active_by": " {person}님은 보통 {active_by}까지는 움직임이 있습니다.",
    "usual.quiet": " 이 시간대에 {person}님이 움직이지 않는 것은 보통 길어야 {usual}시간입니다.",
    "usual.away": " 현관 출입 후 {hours}시간 동안 돌아오지 않았습니다.",
    "heat.caution": "주의",
    "heat.warning": "경계",
    "heat.severe": "엄중 경계",
    "heat.danger": "위험",
    "reason.night_toilet": "밤에 화장실을 {count}번 갔습니다(보통 많아야 {usual}번).",
    "reason.no_kitchen_by_noon": "점심때까지 부엌에서 움직임이 없습니다(보통은 매일 있습니다).",
    "reason.no_door": "오늘 현관 출입이 한 번도 없습니다.",
    "reason.low_movement": "오늘 움직임이 평소의 {percent}%밖에 안 됩니다.",
    "room": "(장소: {room})",
    "last_room": " 마지막 움직임은 {room}에서 있었습니다.",
    "reason.last_will": "연결이 끊어졌습니다",
    "reason.silence": "통신이 끊겼습니다",
    "opened.emergency_button.title": "[긴급] {person}님이 긴급 버튼을 눌렀습니다",
    "opened.emergency_button.body": (
        "{person}님({household}, {address})이 {pressed}에 긴급 버튼을 눌렀습니다{room}.\n"
        "지금 바로 {person}님에게 전화하십시오. 받지 않으면 119에 신고하거나 방문하여 확인하십시오."
        "{link}"
    ),
    "opened.inactivity.title": "[돌봄] {person}님의 움직임이 {hours}시간 동안 없습니다",
    "opened.inactivity.body": (
        "{person}님의 집({household}, {address})에서 {since}부터 움직임이 감지되지 않았습니다"
        "({hours}시간).{last_room}{usual}\n"
        "{person}님에게 전화하여 상태를 확인하십시오. 받지 않으면 방문해 주십시오."
        "{link}"
    ),
    "opened.unusual_day.title": "[확인 요청] {person}님의 모습이 평소와 다릅니다",
    "opened.unusual_day.body": (
        "{person}님의 집({household}, {address})의 오늘 모습이 평소와 다릅니다.\n{reasons}\n"
        "급하지는 않지만 {person}님에게 전화 등으로 상태를 확인해 주십시오."
        "{link}"
    ),
    "opened.heat_risk.title": "[열사병 {level}] {person}님의 방이 덥습니다",
    "opened.heat_risk.body": (
        "{person}님의 {room_name}({household}, {address}) 더위 지수(WBGT)가 {wbgt}℃({level})입니다"
        "(실온 {temperature}℃, 습도 {humidity}%, {since}부터).\n"
        "{person}님에게 전화하여 에어컨을 켜고 물과 염분을 섭취하도록 알려 주십시오. "
        "받지 않거나 몸이 안 좋아 보이면 방문하거나 119에 신고하십시오."
        "{link}"
    ),
    "opened.cold_risk.title": "[추위 주의] {person}님의 방이 {temperature}℃입니다",
    "opened.cold_risk.body": (
        "{person}님의 {room_name}({household}, {address}) 온도가 {since}부터 {threshold}℃ 아래입니다"
        "(현재 {temperature}℃).\n"
        "{person}님에게 전화하여 난방을 켜고 따뜻하게 입도록 알려 주십시오."
        "{link}"
    ),
    "opened.night_wandering.title": "[야간 외출] {person}님이 밤에 집을 나간 것 같습니다",
    "opened.night_wandering.body": (
        "{person}님의 집({household}, {address})에서 {opened}에 현관이 열린 뒤 {minutes}분 동안 "
        "집 안에 움직임이 없습니다.\n"
        "{person}님에게 전화하십시오. 집에 없으면 근처를 찾아보고, 찾지 못하면 경찰(110)에 연락하십시오."
        "{link}"
    ),
    "opened.sensor_silent.title": "[기기] {household}의 센서가 응답하지 않습니다",
    "opened.sensor_silent.body": (
        "{household}({address})의 센서 {device}({room_name})에서 {last_seen} 이후 데이터가 오지 않습니다. "
        "게이트웨이는 연결되어 있습니다.\n배터리와 센서 설치 상태를 확인하십시오."
        "{link}"
    ),
    "opened.low_battery.title": "[기기] {household}의 센서 배터리가 부족합니다",
    "opened.low_battery.body": (
        "{household}({address})의 센서 {device}({room_name}) 배터리가 {battery}%입니다.\n"
        "돌봄이 멈추지 않도록 배터리를 교체하십시오."
        "{link}"
    ),
    "opened.gateway_offline.title": "[기기] {household}의 돌봄 기기가 연결되어 있지 않습니다",
    "opened.gateway_offline.body": (
        "{household}({address})의 돌봄 게이트웨이({gateway}) 연결이 {last_seen}부터 끊겨 있습니다({reason}).\n"
        "전원과 인터넷 회선을 확인하십시오. 연결이 돌아올 때까지 {person}님의 돌봄은 멈춰 있습니다."
        "{link}"
    ),
    "acknowledged.title": "[대응 중] {person}님: {rule}",
    "acknowledged.body": "{by}님이 {person}님의 '{rule}' 알림({when})에 대응하고 있습니다.{link}",
    "resolved.title": "[해결] {person}님: {rule}",
    "resolved.body": "{person}님의 '{rule}' 알림({when})이 해결되었습니다. {resolution}{link}",
    "resolution.by": "{by}님이 해결로 표시했습니다.",
    "resolution.auto": "상태가 정상으로 돌아왔습니다.",
    "resolution.auto.inactivity": "{person}님의 움직임이 다시 감지되었습니다.",
    "resolution.auto.gateway_offline": "돌봄 기기가 다시 연결되어 돌봄을 재개했습니다.",
    "resolution.auto.heat_risk": "방의 더위가 가라앉았습니다.",
    "resolution.auto.cold_risk": "방이 다시 따뜻해졌습니다.",
    "resolution.auto.night_wandering": "{person}님이 집에 돌아와 집 안에 움직임이 있었습니다.",
    "resolution.auto.sensor_silent": "센서 데이터가 다시 들어오고 있습니다.",
    "resolution.auto.low_battery": "배터리가 교체되었습니다.",
    "page.acknowledged.title": "대응을 접수했습니다",
    "page.acknowledged.body": "{by}님이 {person}님의 '{rule}' 알림({when})에 대응하는 것으로 기록했습니다. "
    "다른 연락처에도 알립니다.",
    "page.already.title": "이미 대응 중입니다",
    "page.already.body": "{person}님의 '{rule}' 알림은 {by}님이 이미 대응하고 있습니다.",
    "page.resolved.title": "이 알림은 해결되었습니다",
    "page.resolved.body": "{person}님의 '{rule}' 알림은 이미 해결되었습니다.",
    "page.invalid.title": "이 링크는 사용할 수 없습니다",
    "page.invalid.body": "링크가 만료되었거나 올바르지 않습니다. 앱에서 대응해 주십시오.",
    "rule.safe_zone_exit": "돌봄 구역 이탈",
    "rule.left_home_at_night": "야간에 집을 떠남",
    "rule.not_back_by": "예정 시각까지 미귀가",
    "rule.tracker_no_fix": "외출 중 위치 수신 없음",
    "rule.tag_battery_low": "돌봄 태그 배터리 부족",
    "opened.safe_zone_exit.title": "[외출] {person}님이 '{zone}' 밖으로 나갔습니다",
    "opened.safe_zone_exit.body": (
        "{person}님({household})이 {exited}쯤 '{zone}' 밖으로 나갔습니다(약 {outside_m}m 밖).\n"
        "현재 위치는 링크에서 확인할 수 있습니다(이 알림이 진행 중일 때만 표시)."
        "{link}"
    ),
    "opened.left_home_at_night.title": "[야간·긴급] {person}님이 밤에 집을 떠났습니다",
    "opened.left_home_at_night.body": (
        "{person}님({household}, {address})이 {exited}쯤 집을 떠났습니다.\n"
        "바로 현재 위치를 확인하고, 찾지 못하면 경찰(110)에 연락하십시오."
        "{link}"
    ),
    "opened.left_home_at_night.tag_presence.body": (
        "{person}님({household}, {address})의 돌봄 태그가 {exited}부터 집에서 감지되지 않습니다. "
        "밤에 외출했을 수 있습니다.\n"
        "바로 집과 주변을 확인하고, 찾지 못하면 경찰(110)에 연락하십시오."
        "{link}"
    ),
    "opened.not_back_by.title": "[미귀가] {person}님이 {deadline}까지 돌아오지 않았습니다",
    "opened.not_back_by.body": (
        "{person}님({household})은 {exited}쯤 외출하여 {deadline}까지 '{zone}'에 돌아오지 않았습니다.{link}"
    ),
    "opened.tracker_no_fix.title": "[위치 불명] 외출 중인 {person}님의 위치가 {minutes}분 동안 오지 않습니다",
    "opened.tracker_no_fix.body": (
        "외출 중인 {person}님({household})의 위치 정보가 {last_fix}부터 오지 않습니다. "
        "단말기 배터리가 없거나 전파가 닿지 않는 곳에 있을 수 있습니다. 마지막 위치는 링크에서 확인할 수 있습니다."
        "{link}"
    ),
    "opened.tag_battery_low.title": "[기기] {person}님의 돌봄 태그 배터리가 부족합니다",
    "opened.tag_battery_low.body": (
        "{person}님({household})의 돌봄 태그·단말기 배터리가 {battery}%입니다. 충전하거나 배터리를 교체하십시오.{link}"
    ),
    "resolution.auto.safe_zone_exit": "{person}님이 돌봄 구역으로 돌아왔습니다.",
    "resolution.auto.left_home_at_night": "{person}님이 집에 돌아왔습니다.",
    "resolution.auto.not_back_by": "{person}님이 돌아왔습니다.",
    "resolution.auto.tracker_no_fix": "위치 정보가 다시 오고 있습니다.",
    "resolution.auto.tag_battery_low": "배터리가 충전 또는 교체되었습니다.",
}

# やさしい日本語: short sentences, common words, spaces between phrases, readings in brackets
# after hard kanji, as alerts/disaster/templates.py writes it.
CATALOGUES["ja-easy"] = {
    "weekdays": "月,火,水,木,金,土,日",
    "months": "1,2,3,4,5,6,7,8,9,10,11,12",
    "datetime": "{month}月{day}日({weekday}) {hm}",
    "time": "{hm}",
    "link": "\nくわしく：{url}",
    "unknown": "わかりません",
    "rule.emergency_button": "緊急（きんきゅう）ボタン",
    "rule.inactivity": "動きが ない",
    "rule.gateway_offline": "見守りの 機械（きかい）が つながらない",
    "rule.unusual_day": "いつもと ちがう 一日",
    "rule.heat_risk": "部屋が 暑い（熱中症の 危険）",
    "rule.cold_risk": "部屋が 寒い",
    "rule.night_wandering": "夜に 外へ 出た",
    "rule.sensor_silent": "センサーが 動かない",
    "rule.low_battery": "センサーの 電池（でんち）が 少ない",
    "ack": "\n私が 対応（たいおう）します（ここを タップ）：{url}",
    "escalated.prefix": "【まだ だれも 対応（たいおう）していません】",
    "escalated.note": "\n※ {minutes}分 たちました。まだ だれも 返事を していません。",
    "reminder.prefix": "【もう一度 お知らせ】",
    "usual.active_by": "いつもは {active_by}までに 動きが あります。",
    "usual.quiet": "この 時間に 動かないのは いつもは 長くて {usual}時間です。",
    "usual.away": "玄関（げんかん）から 出て {hours}時間 もどっていません。",
    "heat.caution": "気を つけて",
    "heat.warning": "危ない",
    "heat.severe": "とても 危ない",
    "heat.danger": "命が 危ない",
    "reason.night_toilet": "夜に トイレに {count}回 行きました（いつもは {usual}回まで）。",
    "reason.no_kitchen_by_noon": "昼まで 台所（だいどころ）で 動きが ありません。",
    "reason.no_door": "今日は 一度も 玄関（げんかん）を 使っていません。",
    "reason.low_movement": "今日の 動きは いつもの {percent}%だけです。",
    "room": "（場所：{room}）",
    "last_room": "最後に 動いたのは {room}です。",
    "reason.last_will": "つながらなく なりました",
    "reason.silence": "データが 来ません",
    "opened.emergency_button.title": "【緊急（きんきゅう）】{person}さんが ボタンを 押しました",
    "opened.emergency_button.body": (
        "{person}さん（{household}・{address}）が {pressed}に 緊急（きんきゅう）ボタンを 押しました{room}。\n"
        "すぐ {person}さんに 電話して ください。出ないときは 119番に 電話するか、家に 行って ください。"
        "{link}"
    ),
    "opened.inactivity.title": "【見守り】{person}さんが {hours}時間 動いていません",
    "opened.inactivity.body": (
        "{person}さん（{household}・{address}）の 家で、{since}から 動きが ありません（{hours}時間）。"
        "{last_room}{usual}\n"
        "{person}さんに 電話して ください。出ないときは 家に 行って ください。"
        "{link}"
    ),
    "opened.unusual_day.title": "【見て ください】{person}さんが いつもと ちがいます",
    "opened.unusual_day.body": (
        "{person}さん（{household}・{address}）の 今日の ようすが いつもと ちがいます。\n{reasons}\n"
        "急ぎでは ありません。{person}さんに 電話などで 聞いて ください。"
        "{link}"
    ),
    "opened.heat_risk.title": "【暑さ：{level}】{person}さんの 部屋が 暑いです",
    "opened.heat_risk.body": (
        "{person}さん（{household}・{address}）の {room_name}の 暑さ指数（しすう）は {wbgt}℃です（{level}）。"
        "温度（おんど）{temperature}℃・湿度（しつど）{humidity}%、{since}から。\n"
        "{person}さんに 電話して ください。「エアコンを つけて」「水と 塩を とって」と 言って ください。"
        "出ないときや 体が 悪そうな ときは、家に 行くか 119番に 電話して ください。"
        "{link}"
    ),
    "opened.cold_risk.title": "【寒さ】{person}さんの 部屋が {temperature}℃です",
    "opened.cold_risk.body": (
        "{person}さん（{household}・{address}）の {room_name}が {since}から {threshold}℃より 寒いです"
        "（今 {temperature}℃）。\n"
        "{person}さんに 電話して ください。「暖房（だんぼう）を つけて」「暖かい 服を 着て」と 言って ください。"
        "{link}"
    ),
    "opened.night_wandering.title": "【夜】{person}さんが 夜に 家を 出たようです",
    "opened.night_wandering.body": (
        "{person}さん（{household}・{address}）の 家で、{opened}に 玄関（げんかん）が 開きました。"
        "その あと {minutes}分、家の 中で 動きが ありません。\n"
        "{person}さんに 電話して ください。家に いないときは 近くを 探して ください。"
        "見つからないときは 警察（けいさつ）（110番）に 電話して ください。"
        "{link}"
    ),
    "opened.sensor_silent.title": "【機械（きかい）】{household}の センサーが 動きません",
    "opened.sensor_silent.body": (
        "{household}（{address}）の センサー {device}（{room_name}）の データが {last_seen}から 来ません。"
        "インターネットは つながっています。\n電池（でんち）と センサーの 場所を 見て ください。"
        "{link}"
    ),
    "opened.low_battery.title": "【機械（きかい）】{household}の センサーの 電池（でんち）が 少ないです",
    "opened.low_battery.body": (
        "{household}（{address}）の センサー {device}（{room_name}）の 電池（でんち）が {battery}%です。\n"
        "見守りが 止まらないように、電池を かえて ください。"
        "{link}"
    ),
    "opened.gateway_offline.title": "【機械（きかい）】{household}の 見守りの 機械が つながりません",
    "opened.gateway_offline.body": (
        "{household}（{address}）の 見守りの 機械 {gateway}が {last_seen}から つながりません（{reason}）。\n"
        "電気と インターネットを 見て ください。つながるまで {person}さんの 見守りは 止まっています。"
        "{link}"
    ),
    "acknowledged.title": "【対応中（たいおうちゅう）】{person}さん：{rule}",
    "acknowledged.body": "{by}さんが、{person}さんの「{rule}」の お知らせ（{when}）に 対応して います。{link}",
    "resolved.title": "【終わり】{person}さん：{rule}",
    "resolved.body": "{person}さんの「{rule}」の お知らせ（{when}）は 終わりました。{resolution}{link}",
    "resolution.by": "{by}さんが 終わりに しました。",
    "resolution.auto": "元に もどりました。",
    "resolution.auto.inactivity": "{person}さんが また 動いています。",
    "resolution.auto.gateway_offline": "見守りの 機械が また つながりました。見守りを 始めました。",
    "resolution.auto.heat_risk": "部屋が 涼しく なりました。",
    "resolution.auto.cold_risk": "部屋が 暖かく なりました。",
    "resolution.auto.night_wandering": "{person}さんが 家に 帰りました。家の 中で 動いています。",
    "resolution.auto.sensor_silent": "センサーの データが また 来ています。",
    "resolution.auto.low_battery": "電池（でんち）を かえました。",
    "page.acknowledged.title": "わかりました",
    "page.acknowledged.body": "{by}さんが、{person}さんの「{rule}」の お知らせ（{when}）に 対応（たいおう）します。"
    "ほかの 人にも 知らせます。",
    "page.already.title": "もう だれかが 対応（たいおう）して います",
    "page.already.body": "{person}さんの「{rule}」の お知らせは、もう {by}さんが 対応して います。",
    "page.resolved.title": "この お知らせは 終わりました",
    "page.resolved.body": "{person}さんの「{rule}」の お知らせは、もう 終わりました。",
    "page.invalid.title": "この リンクは 使えません",
    "page.invalid.body": "リンクが 古いか、まちがっています。アプリから 見て ください。",
    "rule.safe_zone_exit": "見守りの 場所から 出た",
    "rule.left_home_at_night": "夜に 家から 出た",
    "rule.not_back_by": "時間までに 帰らない",
    "rule.tracker_no_fix": "外で 場所が わからない",
    "rule.tag_battery_low": "見守りタグの 電池（でんち）が 少ない",
    "opened.safe_zone_exit.title": "【外出】{person}さんが「{zone}」から 出ました",
    "opened.safe_zone_exit.body": (
        "{person}さん（{household}）が {exited}ごろ「{zone}」から 出ました（{outside_m}mぐらい 外）。\n"
        "今 いる 場所は リンクで 見られます（この お知らせが 終わるまで）。"
        "{link}"
    ),
    "opened.left_home_at_night.title": "【夜・急いで】{person}さんが 夜に 家から 出ました",
    "opened.left_home_at_night.body": (
        "{person}さん（{household}・{address}）が {exited}ごろ 家から 出ました。\n"
        "すぐ 今 いる 場所を 見て ください。見つからないときは 警察（けいさつ）（110番）に 電話して ください。"
        "{link}"
    ),
    "opened.left_home_at_night.tag_presence.body": (
        "{person}さん（{household}・{address}）の 見守りタグが {exited}から 家に ありません。"
        "夜に 外へ 出たかもしれません。\n"
        "すぐ 家と 近くを 探して ください。見つからないときは 警察（けいさつ）（110番）に 電話して ください。"
        "{link}"
    ),
    "opened.not_back_by.title": "【帰っていません】{person}さんが {deadline}までに 帰りません",
    "opened.not_back_by.body": (
        "{person}さん（{household}）は {exited}ごろ 出かけました。{deadline}を すぎても「{zone}」に 帰っていません。"
        "{link}"
    ),
    "opened.tracker_no_fix.title": "【場所が わからない】{person}さんの 場所が {minutes}分 来ていません",
    "opened.tracker_no_fix.body": (
        "出かけている {person}さん（{household}）の 場所が {last_fix}から 来ていません。"
        "電池（でんち）が ないか、電波（でんぱ）が 来ない 場所かもしれません。最後の 場所は リンクで 見られます。"
        "{link}"
    ),
    "opened.tag_battery_low.title": "【機械（きかい）】{person}さんの 見守りタグの 電池（でんち）が 少ないです",
    "opened.tag_battery_low.body": (
        "{person}さん（{household}）の 見守りタグの 電池（でんち）が {battery}%です。"
        "充電（じゅうでん）するか、電池を かえて ください。"
        "{link}"
    ),
    "resolution.auto.safe_zone_exit": "{person}さんが 見守りの 場所に 帰りました。",
    "resolution.auto.left_home_at_night": "{person}さんが 家に 帰りました。",
    "resolution.auto.not_back_by": "{person}さんが 帰りました。",
    "resolution.auto.tracker_no_fix": "場所が また 来ています。",
    "resolution.auto.tag_battery_low": "電池（でんち）を 充電（じゅうでん）したか、かえました。",
}
