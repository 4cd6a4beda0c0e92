"""Compose a disaster message for one recipient, in their language, with their shelter and answer links."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.disaster.area import area_name
from alerts.disaster.model import AlertContent, Language, MessageType
from alerts.disaster.shelters import ShelterChoice
from alerts.disaster.templates import CATALOGUES


@dataclass(frozen=True, slots=True)
class AnswerLinks:
    """The two one-tap links of a recipient (signed, see alerts.disaster.safety)."""

    safe: str
    need_help: str


@dataclass(frozen=True, slots=True)
class DisasterMessage:
    """What one recipient receives: title, body, and the parts an app shows as buttons."""

    language: Language
    title: str
    body: str
    map_link: str | None = None
    shelter_distance: str | None = None  # as the text says it: 約140m, about 140 m
    safe_url: str | None = None
    need_help_url: str | None = None


def rounded_distance_m(metres: float) -> int:
    """Return a shelter distance as people are told it: to the nearest 10 m (the straight line is no route)."""
    return int(round(metres / 10) * 10)


def distance_phrase(metres: float, language: Language) -> str:
    """Return a shelter distance as the message says it in a language (約140m, about 140 m, 약 140m)."""
    return CATALOGUES[language].distance.format(metres=f"{rounded_distance_m(metres):,}")


def compose(
    content: AlertContent,
    language: Language,
    *,
    shelter: ShelterChoice | None,
    links: AnswerLinks | None = None,
    person: str | None = None,
) -> DisasterMessage:
    """Return the message for one recipient; `person` makes it the family's message about them."""
    catalogue = CATALOGUES[language]
    hazard = catalogue.hazards[content.hazard]
    area = area_name(content.area, language) or "—"
    if content.message_type is MessageType.CANCEL:
        return DisasterMessage(
            language=language,
            title=catalogue.cancel_title.format(hazard=hazard, area=area),
            body=catalogue.cancel_body.format(hazard=hazard, area=area),
        )
    title = catalogue.title.format(severity=catalogue.severities[content.severity], hazard=hazard, area=area)
    if content.message_type is MessageType.UPDATE:
        title = catalogue.update_prefix + title
    own = content.texts.get(language.value)
    lines: list[str] = []
    if person is not None:
        lines.append(catalogue.family_lead.format(person=person, area=area, hazard=hazard))
    if own is not None:
        # the operator's own words in this language come first; the catalogue adds the rest
        lines.extend(text for text in (own.headline, own.description) if text)
        lines.append(own.instruction or catalogue.actions[content.hazard])
    else:
        lines.append(catalogue.lead.format(area=area, hazard=hazard))
        lines.append(catalogue.actions[content.hazard])
    distance = distance_phrase(shelter.distance_m, language) if shelter is not None else None
    if shelter is not None:
        lines.append(catalogue.shelter.format(shelter=shelter.shelter.name, distance=distance, map=shelter.map_link))
    else:
        lines.append(catalogue.no_shelter)
    if links is not None:
        lines.append(f"{catalogue.answer_prompt}:")
        lines.append(f"{catalogue.safe}: {links.safe}")
        lines.append(f"{catalogue.need_help}: {links.need_help}")
    return DisasterMessage(
        language=language,
        title=title,
        body="\n".join(lines),
        map_link=shelter.map_link if shelter is not None else None,
        shelter_distance=distance,
        safe_url=links.safe if links is not None else None,
        need_help_url=links.need_help if links is not None else None,
    )
