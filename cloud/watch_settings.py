"""Per-household rule settings: the Household columns, plus overrides of any WatchSettings field.

The household row keeps the settings it always had (inactivity hours, night window, time zone);
every other threshold of every rule, and the escalation timing, is stored only when a household
changes it (table household_watch_rules, a JSON object of field → value). Reading a household's
settings merges both over the defaults, so the rules, the lifecycle and the API agree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from sqlalchemy.orm import Session

from alerts.signals import WatchSettings
from cloud.db.models import Household
from cloud.db.watch import ContactQuietHours, HouseholdWatchRules

# Fields kept in Household columns; changed through provisioning.change_watch_settings.
COLUMN_FIELDS = frozenset(
    {"inactivity_day_hours", "inactivity_night_cap_hours", "night_start", "night_end", "timezone"}
)
# Fields that come from the service's settings, not from the household.
SERVICE_FIELDS = frozenset({"gateway_offline_after_s"})
DEFAULTS = WatchSettings()
OVERRIDABLE = {
    field.name: type(getattr(DEFAULTS, field.name))
    for field in dataclasses.fields(WatchSettings)
    if field.name not in COLUMN_FIELDS | SERVICE_FIELDS
}


class WatchSettingsError(ValueError):
    """A settings change names an unknown field or gives a value of the wrong kind."""


def _hhmm(text: str) -> time:
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes))


def watch_settings_of(
    household: Household, overrides: Mapping[str, Any] | None, *, gateway_offline_after_s: float = 180.0
) -> WatchSettings:
    """Return a household's effective watch settings: defaults, its columns, then its overrides."""
    values: dict[str, Any] = {
        "inactivity_day_hours": household.inactivity_day_hours,
        "inactivity_night_cap_hours": household.inactivity_night_cap_hours,
        "night_start": _hhmm(household.night_start),
        "night_end": _hhmm(household.night_end),
        "timezone": household.timezone,
        "gateway_offline_after_s": gateway_offline_after_s,
    }
    for name, value in (overrides or {}).items():
        try:
            values[name] = _coerce(name, value)
        except WatchSettingsError:
            continue  # a stale key from an older version is ignored, not fatal
    return WatchSettings(**values)


def overrides_of(session: Session, household_id: str) -> dict[str, Any]:
    """Return the settings a household changed from the defaults."""
    row = session.get(HouseholdWatchRules, household_id)
    return dict(row.settings) if row is not None else {}


def household_settings(
    session: Session, household: Household, *, gateway_offline_after_s: float = 180.0
) -> WatchSettings:
    """Read a household's effective watch settings inside a session."""
    return watch_settings_of(
        household, overrides_of(session, household.id), gateway_offline_after_s=gateway_offline_after_s
    )


def validate_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Check a settings change; return it in JSON form, or raise WatchSettingsError."""
    checked: dict[str, Any] = {}
    for name, value in changes.items():
        coerced = _coerce(name, value)
        checked[name] = list(coerced) if isinstance(coerced, tuple) else coerced
    return checked


def change_overrides(
    session: Session, household_id: str, changes: Mapping[str, Any], *, by: str, now: datetime
) -> None:
    """Merge a checked change into a household's overrides (None removes a key: back to the default)."""
    row = session.get(HouseholdWatchRules, household_id)
    if row is None:
        row = HouseholdWatchRules(household_id=household_id, settings={}, updated_at=now, updated_by=by)
        session.add(row)
    merged = dict(row.settings)
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    row.settings = merged
    row.updated_at = now
    row.updated_by = by


def quiet_hours_of(session: Session, contact_id: int) -> tuple[time, time, str] | None:
    """Return a contact's quiet hours (start, end, mode) or None."""
    row = session.get(ContactQuietHours, contact_id)
    if row is None:
        return None
    return _hhmm(row.start), _hhmm(row.end), row.mode


def _coerce(name: str, value: Any) -> Any:
    kind = OVERRIDABLE.get(name)
    if kind is None:
        raise WatchSettingsError(f"unknown setting {name!r}")
    if kind is bool:
        if not isinstance(value, bool):
            raise WatchSettingsError(f"{name} must be true or false")
        return value
    if kind is float or kind is int:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise WatchSettingsError(f"{name} must be a number ≥ 0")
        return kind(value)
    if kind is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, int) and 1 <= v <= 12 for v in value):
            raise WatchSettingsError(f"{name} must be a list of months 1–12")
        return tuple(value)
    raise WatchSettingsError(f"{name} cannot be changed")
