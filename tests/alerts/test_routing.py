"""Routing: which contact roles hear about which rule, in priority order."""

from __future__ import annotations

from dataclasses import dataclass

from alerts import RuleName, recipients


@dataclass
class Contact:
    name: str
    role: str
    priority: int = 0
    active: bool = True


FAMILY = Contact("長女", "family", 1)
SON = Contact("長男", "family", 0)
CASEWORKER = Contact("ケアマネ", "caseworker", 2)
INSTALLER = Contact("設置業者", "installer", 3)
ONCALL = Contact("区役所当番", "oncall", 9)


def test_emergency_goes_to_family_and_caseworker_by_priority() -> None:
    """An emergency reaches family and caseworker, lowest priority number first."""
    everyone = [CASEWORKER, INSTALLER, FAMILY, SON, ONCALL]
    assert recipients(RuleName.EMERGENCY_BUTTON, everyone) == [SON, FAMILY, CASEWORKER]


def test_gateway_offline_goes_to_installer_and_caseworker() -> None:
    """A gateway offline alert reaches the installer and caseworker, not the family."""
    assert recipients(RuleName.GATEWAY_OFFLINE, [FAMILY, CASEWORKER, INSTALLER]) == [CASEWORKER, INSTALLER]


def test_gateway_offline_falls_back_to_family() -> None:
    """Without installer or caseworker, the family hears about the gateway."""
    assert recipients(RuleName.GATEWAY_OFFLINE, [FAMILY, SON]) == [SON, FAMILY]


def test_inactive_contacts_are_skipped() -> None:
    """A contact marked inactive receives nothing."""
    assert recipients(RuleName.INACTIVITY, [Contact("元家族", "family", active=False), CASEWORKER]) == [CASEWORKER]
