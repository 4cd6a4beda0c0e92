"""Request and response bodies of the API."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from protocol.topics import GATEWAY_ID_PATTERN


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class WatchSettingsOut(BaseModel):
    inactivity_day_hours: float
    inactivity_night_cap_hours: float
    night_start: str = Field(description="Start of the night, HH:MM local time.")
    night_end: str = Field(description="End of the night, HH:MM local time.")
    timezone: str


class PersonOut(_Out):
    id: int
    name: str
    language: str


class HouseholdOut(BaseModel):
    id: str
    name: str
    address: str
    lat: float | None
    lon: float | None
    ward_code: str
    people: list[PersonOut]
    gateway_ids: list[str]
    watch: WatchSettingsOut
    open_alerts: int = Field(description="Alerts of this household not yet resolved.")
    created_at: datetime


class HouseholdCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(default="", max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    person_name: str | None = Field(default=None, max_length=200, description="The person watched over.")
    person_language: str = Field(default="ja", max_length=8)


class WatchSettingsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inactivity_day_hours: float | None = Field(default=None, gt=0, le=72)
    inactivity_night_cap_hours: float | None = Field(default=None, gt=0, le=72)
    night_start: time | None = None
    night_end: time | None = None
    timezone: str | None = Field(default=None, max_length=64)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class ContactOut(BaseModel):
    id: int
    household_id: str
    name: str
    role: str
    relation: str
    language: str
    priority: int
    active: bool
    channels: list[str] = Field(description="Channel kinds (apprise URL schemes); the URLs hold secrets.")


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: Literal["family", "caseworker", "installer", "oncall"] = "family"
    relation: str = Field(default="", max_length=64)
    language: str = Field(default="ja", max_length=8)
    channels: list[str] = Field(default_factory=list, description="Apprise URLs, tried in this order.")
    priority: int = Field(default=0, ge=0, le=1000)


class GatewayOut(_Out):
    id: str
    household_id: str | None
    label: str
    state: str
    last_seen_at: datetime | None
    started_at: datetime | None
    firmware: str | None
    outbox_depth: int | None
    created_at: datetime


class GatewayCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=GATEWAY_ID_PATTERN)
    household_id: str | None = None
    label: str = Field(default="", max_length=200)


class DeviceOut(_Out):
    id: int
    gateway_id: str
    device_id: str
    kind: str
    room: str | None
    label: str
    battery_pct: float | None
    last_seen_at: datetime | None


class AlertOut(_Out):
    id: int
    household_id: str
    rule: str
    severity: str
    state: str
    facts: dict[str, Any]
    occurrences: int
    opened_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None


class AlertAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Who acts, for integrations; a logged-in user always acts under their own name.",
    )


class AlertAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=200, description="Who takes the alert on.")


class AlertNoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=2000)


class AlertNoteOut(_Out):
    id: int
    alert_id: int
    kind: str = Field(description="note | assign")
    text: str
    author: str
    at: datetime


class DeliveryAttemptOut(_Out):
    id: int
    channel_id: int | None
    channel_label: str
    attempted_at: datetime
    ok: bool
    error: str | None


class NotificationOut(_Out):
    id: int
    alert_id: int
    contact_id: int
    purpose: str
    language: str
    title: str
    body: str
    state: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None
    attempts_log: list[DeliveryAttemptOut]


class IngestStatsOut(BaseModel):
    accepted: int
    rejected: dict[str, int] = Field(description="Dropped messages by reason.")
    rejected_total: int
    ignored: int
    batches: int
    queue_depth: int
    broker_connected: bool
    rule_errors: int
    last_batch_size: int
    last_batch_seconds: float
    uptime_s: float


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    broker_connected: bool
    database_ok: bool
