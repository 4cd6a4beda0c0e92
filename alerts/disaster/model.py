"""What a disaster alert is: hazard, CAP levels, the area, and its texts per language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from maps import Hazard


class Language(StrEnum):
    """A language a resident can receive alerts in; ja-easy is やさしい日本語 (easy Japanese)."""

    JA = "ja"
    JA_EASY = "ja-easy"
    EN = "en"
    ZH_HANS = "zh-Hans"
    KO = "ko"


class CapSeverity(StrEnum):
    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class CapUrgency(StrEnum):
    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class CapCertainty(StrEnum):
    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


class MessageType(StrEnum):
    """What a message does to the alert (CAP msgType)."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"


# The hazard names the shelter data (and operators) use, in its order.
HAZARD_LABELS_JA: dict[Hazard, str] = {
    Hazard.FLOOD: "洪水",
    Hazard.STORM_SURGE: "高潮",
    Hazard.EARTHQUAKE: "地震",
    Hazard.TSUNAMI: "津波",
    Hazard.LARGE_FIRE: "大規模な火事",
    Hazard.LANDSLIDE: "崖崩れ等",
    Hazard.INLAND_FLOOD: "内水氾濫",
    Hazard.VOLCANO: "火山",
}


def parse_hazard(text: str) -> Hazard:
    """Return the hazard named by its code ("flood") or its Japanese label (「洪水」)."""
    for hazard, label in HAZARD_LABELS_JA.items():
        if text in (hazard.value, label):
            return hazard
    if text in ("崖崩れ、土石流及び地滑り", "火山現象"):
        return Hazard.LANDSLIDE if text.startswith("崖") else Hazard.VOLCANO
    raise ValueError(f"unknown hazard {text!r}")


@dataclass(frozen=True, slots=True)
class Circle:
    lat: float
    lon: float
    radius_m: float


@dataclass(frozen=True, slots=True)
class AreaSpec:
    """An alert area as the operator or a CAP message gave it; geometry comes from `alerts.disaster.area`.

    Polygons are rings of (lat, lon); municipalities are N03 codes ("13106"); geocodes are kept
    as (valueName, value) even when mimamori cannot map them to a boundary.
    """

    polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    circles: tuple[Circle, ...] = ()
    municipalities: tuple[str, ...] = ()
    geocodes: tuple[tuple[str, str], ...] = ()
    buffer_m: float = 0.0
    description: str = ""


@dataclass(frozen=True, slots=True)
class AlertText:
    """The words of one language: headline, what happens, and what to do."""

    headline: str
    description: str = ""
    instruction: str = ""


@dataclass(frozen=True, slots=True)
class AlertContent:
    """One version of a disaster alert, as exported to CAP and composed for people."""

    identifier: str
    sender: str
    sent: datetime
    hazard: Hazard
    severity: CapSeverity
    urgency: CapUrgency
    certainty: CapCertainty
    area: AreaSpec
    texts: dict[str, AlertText] = field(default_factory=dict)
    message_type: MessageType = MessageType.ALERT
    references: tuple[tuple[str, str, datetime], ...] = ()  # (sender, identifier, sent) of earlier versions
    expires: datetime | None = None
    status: str = "Actual"
    event: str = ""
    sender_name: str = ""
    web: str | None = None
