"""Who hears about which rule: contact roles per rule, with fallbacks, in priority order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from alerts.signals import RuleName


class Reachable(Protocol):
    """A contact as routing sees it."""

    @property
    def role(self) -> str: ...

    @property
    def priority(self) -> int: ...

    @property
    def active(self) -> bool: ...


ContactT = TypeVar("ContactT", bound=Reachable)


@dataclass(frozen=True, slots=True)
class Route:
    """Roles told about a rule; each fallback tier is used only when the tiers before it are empty."""

    tiers: tuple[frozenset[str], ...]


# The ward's on-call desk is the last tier everywhere, so no alert ever goes to nobody.
ROUTES: dict[RuleName, Route] = {
    RuleName.EMERGENCY_BUTTON: Route((frozenset({"family", "caseworker"}), frozenset({"oncall"}))),
    RuleName.INACTIVITY: Route((frozenset({"family", "caseworker"}), frozenset({"oncall"}))),
    RuleName.GATEWAY_OFFLINE: Route(
        (frozenset({"installer", "caseworker"}), frozenset({"family"}), frozenset({"oncall"}))
    ),
}


def recipients(rule: RuleName, contacts: Iterable[ContactT]) -> list[ContactT]:
    """Return the active contacts to notify about `rule`, highest priority (lowest number) first."""
    active = [contact for contact in contacts if contact.active]
    for roles in ROUTES[rule].tiers:
        chosen = [contact for contact in active if contact.role in roles]
        if chosen:
            return sorted(chosen, key=lambda contact: contact.priority)
    return []
