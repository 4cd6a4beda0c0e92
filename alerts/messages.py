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
    values = {**base, **_opened_values(rule, facts, opened_at, lang, texts)}
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
    rule: RuleName, facts: Mapping[str, Any], opened_at: datetime, lang: str, texts: Mapping[str, str]
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
            "hours": _hours(opened_at - since),
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
