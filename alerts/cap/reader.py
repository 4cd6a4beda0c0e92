"""Read CAP messages (1.2, and the 1.1/1.0 still in the wild) into alert versions mimamori can send."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

from alerts.disaster.model import (
    AlertContent,
    AlertText,
    AreaSpec,
    CapCertainty,
    CapSeverity,
    CapUrgency,
    Circle,
    MessageType,
)
from alerts.disaster.templates import pick_language
from maps import Hazard, municipalities

log = logging.getLogger(__name__)

CAP_NAMESPACES = (
    "urn:oasis:names:tc:emergency:cap:1.2",
    "urn:oasis:names:tc:emergency:cap:1.1",
    "http://www.incident.com/cap/1.0",
)
# Words in the event, headline or event code that name a hazard; checked in this order, so the
# narrower "storm surge" and "inland flood" win over "flood".
HAZARD_WORDS: tuple[tuple[Hazard, tuple[str, ...]], ...] = (
    (Hazard.STORM_SURGE, ("storm surge", "高潮")),
    (Hazard.INLAND_FLOOD, ("inland flood", "urban flood", "内水", "浸水")),
    (Hazard.TSUNAMI, ("tsunami", "津波")),
    (Hazard.EARTHQUAKE, ("earthquake", "地震", "震度")),
    (Hazard.VOLCANO, ("volcan", "噴火", "火山")),
    (Hazard.LANDSLIDE, ("landslide", "debris flow", "土砂", "崖")),
    (Hazard.LARGE_FIRE, ("fire", "火災", "火事")),
    (Hazard.FLOOD, ("flood", "洪水", "氾濫", "大雨")),
)
MUNICIPALITY_GEOCODES = frozenset({"jis x 0402", "lgcode", "n03", "jma", "jma:municipality"})


class CapFormatError(ValueError):
    """A document that is not a CAP alert mimamori can read."""


@dataclass(frozen=True, slots=True)
class ImportedAlert:
    """A CAP message read: its content, and whether mimamori could map its area to ground."""

    content: AlertContent
    mapped_area: bool


def _tag(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((child for child in element if _tag(child) == name), None)


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _tag(child) == name]


def _text(element: ET.Element, name: str, default: str = "") -> str:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None and child.text else default


def parse_cap_datetime(text: str) -> datetime:
    """Read a CAP dateTime (any offset, 'Z' tolerated on input) as aware UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def hazard_of(*texts: str) -> Hazard | None:
    """Return the hazard that words of the message name, if any."""
    joined = " ".join(texts).lower()
    for hazard, words in HAZARD_WORDS:
        if any(word in joined for word in words):
            return hazard
    return None


def _municipality(name: str, value: str) -> str | None:
    if name.strip().lower() not in MUNICIPALITY_GEOCODES:
        return None
    digits = re.sub(r"\D", "", value)
    # JMA's municipality codes have 7 digits (1310600), JIS X 0402 5 or 6 (13106, 131067)
    code = digits[:5]
    return code if len(digits) >= 5 and code in municipalities() else None


def _area(info: ET.Element) -> AreaSpec:
    polygons: list[tuple[tuple[float, float], ...]] = []
    circles: list[Circle] = []
    codes: list[str] = []
    geocodes: list[tuple[str, str]] = []
    descriptions: list[str] = []
    for area in _children(info, "area"):
        descriptions.append(_text(area, "areaDesc"))
        for polygon in _children(area, "polygon"):
            ring = tuple(
                (float(lat), float(lon)) for lat, lon in (pair.split(",") for pair in (polygon.text or "").split())
            )
            if len(ring) >= 4:
                polygons.append(ring[:-1] if ring[0] == ring[-1] else ring)
        for circle in _children(area, "circle"):
            centre, _, radius = (circle.text or "").strip().partition(" ")
            lat, lon = centre.split(",")
            circles.append(Circle(lat=float(lat), lon=float(lon), radius_m=float(radius or 0) * 1000))
        for geocode in _children(area, "geocode"):
            name, value = _text(geocode, "valueName"), _text(geocode, "value")
            code = _municipality(name, value)
            if code is not None:
                codes.append(code)
            else:
                geocodes.append((name, value))
    return AreaSpec(
        polygons=tuple(polygons),
        circles=tuple(circles),
        municipalities=tuple(dict.fromkeys(codes)),
        geocodes=tuple(geocodes),
        description="; ".join(text for text in descriptions if text),
    )


def _enum(kind: type[CapSeverity] | type[CapUrgency] | type[CapCertainty], text: str) -> str:
    if text == "Very Likely":  # CAP 1.0's word, Likely since 1.1
        text = "Likely"
    try:
        return kind(text).value
    except ValueError:
        return kind("Unknown").value


def read_cap(document: bytes | str) -> ImportedAlert:
    """Read one CAP alert; each info block becomes the text of its language."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        raise CapFormatError(f"not XML: {exc}") from None
    namespace = root.tag.partition("}")[0].lstrip("{")
    if _tag(root) != "alert" or namespace not in CAP_NAMESPACES:
        raise CapFormatError("not a CAP alert")
    infos = _children(root, "info")
    if not infos:
        raise CapFormatError("a CAP alert without an info block carries nothing to send")
    first = infos[0]
    try:
        identifier = _text(root, "identifier")
        sent = parse_cap_datetime(_text(root, "sent"))
        message_type = MessageType(_text(root, "msgType", "Alert")) if _text(root, "msgType") != "Ack" else None
    except ValueError as exc:
        raise CapFormatError(str(exc)) from None
    if not identifier or message_type is None:
        raise CapFormatError("a CAP alert needs an identifier and msgType Alert, Update or Cancel")
    event_codes = " ".join(_text(code, "value") for code in _children(first, "eventCode"))
    hazard = hazard_of(_text(first, "event"), _text(first, "headline"), event_codes)
    if hazard is None:
        raise CapFormatError(f"no hazard mimamori knows in event {_text(first, 'event')!r}")
    texts: dict[str, AlertText] = {}
    for info in infos:
        language = pick_language(_text(info, "language", "en-US"))
        texts.setdefault(
            language.value,
            AlertText(
                headline=_text(info, "headline") or _text(info, "event"),
                description=_text(info, "description"),
                instruction=_text(info, "instruction"),
            ),
        )
    references: list[tuple[str, str, datetime]] = []
    for reference in _text(root, "references").split():
        parts = reference.split(",")
        if len(parts) == 3:
            try:
                references.append((parts[0], parts[1], parse_cap_datetime(parts[2])))
            except ValueError:
                log.warning("CAP %s: unreadable reference %r skipped", identifier, reference)
    area = _area(first)
    expires_text = _text(first, "expires")
    content = AlertContent(
        identifier=identifier,
        sender=_text(root, "sender"),
        sent=sent,
        hazard=hazard,
        severity=CapSeverity(_enum(CapSeverity, _text(first, "severity"))),
        urgency=CapUrgency(_enum(CapUrgency, _text(first, "urgency"))),
        certainty=CapCertainty(_enum(CapCertainty, _text(first, "certainty"))),
        area=area,
        texts=texts,
        message_type=message_type,
        references=tuple(references),
        expires=parse_cap_datetime(expires_text) if expires_text else None,
        status=_text(root, "status", "Actual"),
        event=_text(first, "event"),
        sender_name=_text(first, "senderName"),
        web=_text(first, "web") or None,
    )
    mapped = bool(area.polygons or area.municipalities or any(circle.radius_m > 0 for circle in area.circles))
    return ImportedAlert(content=content, mapped_area=mapped)
