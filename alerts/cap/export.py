"""Write an alert as a CAP 1.2 message (OASIS), valid against alerts/cap/schema/cap12.xsd."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import MultiPolygon, Polygon

from alerts.disaster.area import area_geometry, area_name
from alerts.disaster.model import AlertContent, AlertText, AreaSpec, Language
from alerts.disaster.templates import CATALOGUES, cap_language
from maps import municipality_boundary

CAP12_NS = "urn:oasis:names:tc:emergency:cap:1.2"
SCHEMA_FILE = Path(__file__).parent / "schema" / "cap12.xsd"
TOKYO = ZoneInfo("Asia/Tokyo")
CATEGORIES = {
    "flood": "Met",
    "storm_surge": "Met",
    "inland_flood": "Met",
    "earthquake": "Geo",
    "tsunami": "Geo",
    "landslide": "Geo",
    "volcano": "Geo",
    "large_fire": "Fire",
}


class CapValidationError(ValueError):
    """A CAP message that the OASIS schema rejects."""


def cap_datetime(moment: datetime) -> str:
    """Return a CAP dateTime: seconds, a numeric offset (+09:00), no 'Z', no fractions."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(TOKYO).replace(microsecond=0).isoformat()


def _ring_text(coords: Any) -> str:
    points = [(float(lat), float(lon)) for lon, lat in coords]
    if points[0] != points[-1]:
        points.append(points[0])
    return " ".join(f"{lat:.6f},{lon:.6f}" for lat, lon in points)


def _polygon_rings(spec: AreaSpec) -> list[str]:
    rings: list[str] = []
    for ring in spec.polygons:
        rings.append(_ring_text([(lon, lat) for lat, lon in ring]))
    for code in spec.municipalities:
        boundary = municipality_boundary(code)
        parts = boundary.geoms if isinstance(boundary, MultiPolygon) else [boundary]
        rings.extend(_ring_text(part.exterior.coords) for part in parts if isinstance(part, Polygon))
    return rings


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP12_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _area(info: ET.Element, spec: AreaSpec, language: Language) -> None:
    area = _sub(info, "area")
    _sub(area, "areaDesc", area_name(spec, language) or "—")
    for ring in _polygon_rings(spec):
        _sub(area, "polygon", ring)
    for circle in spec.circles:
        _sub(area, "circle", f"{circle.lat:.6f},{circle.lon:.6f} {circle.radius_m / 1000:.3f}")
    geocodes = [*((name, value) for name, value in spec.geocodes)]
    geocodes.extend(("JIS X 0402", code) for code in spec.municipalities)
    for name, value in geocodes:
        geocode = _sub(area, "geocode")
        _sub(geocode, "valueName", name)
        _sub(geocode, "value", value)


def _texts(content: AlertContent) -> dict[Language, AlertText]:
    """Return the text per language: the operator's own, else the catalogue's lead and action."""
    texts: dict[Language, AlertText] = {}
    for language in Language:
        area = area_name(content.area, language) or "—"
        own = content.texts.get(language.value)
        if own is not None:
            texts[language] = own
            continue
        catalogue = CATALOGUES[language]
        hazard = catalogue.hazards[content.hazard]
        texts[language] = AlertText(
            headline=catalogue.title.format(severity=catalogue.severities[content.severity], hazard=hazard, area=area),
            description=catalogue.lead.format(area=area, hazard=hazard),
            instruction=catalogue.actions[content.hazard],
        )
    return texts


def to_cap(content: AlertContent) -> bytes:
    """Return the CAP 1.2 XML of one alert version, one info block per language."""
    ET.register_namespace("", CAP12_NS)
    alert = ET.Element(f"{{{CAP12_NS}}}alert")
    _sub(alert, "identifier", content.identifier)
    _sub(alert, "sender", content.sender)
    _sub(alert, "sent", cap_datetime(content.sent))
    _sub(alert, "status", content.status)
    _sub(alert, "msgType", content.message_type.value)
    _sub(alert, "scope", "Public")
    if content.references:
        _sub(
            alert,
            "references",
            " ".join(f"{sender},{identifier},{cap_datetime(sent)}" for sender, identifier, sent in content.references),
        )
    for language, text in _texts(content).items():
        info = _sub(alert, "info")
        _sub(info, "language", cap_language(language))
        _sub(info, "category", CATEGORIES[content.hazard.value])
        _sub(info, "event", content.event or CATALOGUES[language].hazards[content.hazard])
        _sub(info, "urgency", content.urgency.value)
        _sub(info, "severity", content.severity.value)
        _sub(info, "certainty", content.certainty.value)
        event_code = _sub(info, "eventCode")
        _sub(event_code, "valueName", "mimamori:hazard")
        _sub(event_code, "value", content.hazard.value)
        if content.expires is not None:
            _sub(info, "expires", cap_datetime(content.expires))
        if content.sender_name:
            _sub(info, "senderName", content.sender_name)
        _sub(info, "headline", text.headline[:160])
        if text.description:
            _sub(info, "description", text.description)
        if text.instruction:
            _sub(info, "instruction", text.instruction)
        if content.web:
            _sub(info, "web", content.web)
        if not area_geometry(content.area).is_empty or content.area.geocodes:
            _area(info, content.area, language)
    return bytes(ET.tostring(alert, encoding="utf-8", xml_declaration=True))


@lru_cache(maxsize=1)
def _schema() -> Any:
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMA_FILE))


def validate_cap(document: bytes) -> None:
    """Raise CapValidationError unless the document is valid CAP 1.2."""
    errors = [str(error.reason or error) for error in _schema().iter_errors(document.decode("utf-8"))]
    if errors:
        raise CapValidationError("; ".join(errors[:5]))
