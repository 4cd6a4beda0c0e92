"""Geofenced disaster alerts: areas, hazard-aware shelters, messages per language, safety answers."""

from alerts.disaster.area import AreaError, area_geometry, area_name, area_plane, municipality_name
from alerts.disaster.compose import AnswerLinks, DisasterMessage, compose, distance_phrase, rounded_distance_m
from alerts.disaster.model import (
    HAZARD_LABELS_JA,
    AlertContent,
    AlertText,
    AreaSpec,
    CapCertainty,
    CapSeverity,
    CapUrgency,
    Circle,
    Language,
    MessageType,
    parse_hazard,
)
from alerts.disaster.safety import InvalidAnswerLink, SafetyAnswer, SafetyLinks, SafetyTally, SignedAnswer, tally
from alerts.disaster.shelters import ARAKAWA_CLOSED, ShelterChoice, ShelterFinder, suits
from alerts.disaster.templates import CATALOGUES, Catalogue, cap_language, pick_language

__all__ = [
    "ARAKAWA_CLOSED",
    "CATALOGUES",
    "HAZARD_LABELS_JA",
    "AlertContent",
    "AlertText",
    "AnswerLinks",
    "AreaError",
    "AreaSpec",
    "CapCertainty",
    "CapSeverity",
    "CapUrgency",
    "Catalogue",
    "Circle",
    "DisasterMessage",
    "InvalidAnswerLink",
    "Language",
    "MessageType",
    "SafetyAnswer",
    "SafetyLinks",
    "SafetyTally",
    "ShelterChoice",
    "ShelterFinder",
    "SignedAnswer",
    "area_geometry",
    "area_name",
    "area_plane",
    "cap_language",
    "compose",
    "distance_phrase",
    "municipality_name",
    "parse_hazard",
    "pick_language",
    "rounded_distance_m",
    "suits",
    "tally",
]
