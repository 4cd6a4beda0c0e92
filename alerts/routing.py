"""Who hears about which rule: contact roles per rule, with fallbacks, in priority order.

`escalation_steps` orders the same contacts into the household's escalation chain: family
contacts one by one, then the caseworkers, then the ward's on-call desk; device problems go to
the installer and caseworker first and reach the family only when the household asks for it.
`quiet_until` decides whether a contact's quiet hours hold a message back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from alerts.signals import DEVICE_RULES, RuleName, Severity


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
_PERSON_ROUTE = ROUTES[RuleName.INACTIVITY]
_DEVICE_ROUTE = ROUTES[RuleName.GATEWAY_OFFLINE]
for _rule in RuleName:
    ROUTES.setdefault(_rule, _DEVICE_ROUTE if _rule in DEVICE_RULES else _PERSON_ROUTE)

# Severities a contact's quiet hours may hold back; an emergency or 危険 (high) never waits.
QUIET_HOURS_SEVERITIES = frozenset({Severity.LOW, Severity.MEDIUM})


def recipients(rule: RuleName, contacts: Iterable[ContactT], *, family_hears_devices: bool = True) -> list[ContactT]:
    """Return the active contacts to notify about `rule`, highest priority (lowest number) first."""
    active = [contact for contact in contacts if contact.active]
    for roles in ROUTES[rule].tiers:
        if rule in DEVICE_RULES and not family_hears_devices:
            roles = roles - {"family"}
        chosen = [contact for contact in active if contact.role in roles]
        if chosen:
            return sorted(chosen, key=lambda contact: contact.priority)
    return []


def escalation_steps(
    rule: RuleName, contacts: Iterable[ContactT], *, family_hears_devices: bool = False
) -> list[list[ContactT]]:
    """Return the escalation chain for `rule`: each step the contacts told if nobody acknowledged before."""
    active = sorted((contact for contact in contacts if contact.active), key=lambda contact: contact.priority)
    family = [contact for contact in active if contact.role == "family"]
    caseworkers = [contact for contact in active if contact.role == "caseworker"]
    installers = [contact for contact in active if contact.role == "installer"]
    oncall = [contact for contact in active if contact.role == "oncall"]
    steps: list[list[ContactT]]
    if rule in DEVICE_RULES:
        steps = [installers + caseworkers]
        # a home with nobody else must still hear of its equipment: no alert goes to nobody
        if family_hears_devices or not (installers or caseworkers or oncall):
            steps += [[contact] for contact in family]
        steps.append(oncall)
    else:
        steps = [[contact] for contact in family] + [caseworkers, oncall]
    return [step for step in steps if step]


def quiet_until(
    severity: Severity, *, now: datetime, start: time | None, end: time | None, zone: ZoneInfo
) -> datetime | None:
    """Return when a contact's quiet hours end if they hold a message of `severity` now, else None."""
    if severity not in QUIET_HOURS_SEVERITIES or start is None or end is None or start == end:
        return None
    local = now.astimezone(zone)
    clock = local.time()
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    ends = datetime.combine(local.date(), end, tzinfo=zone)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(UTC)
