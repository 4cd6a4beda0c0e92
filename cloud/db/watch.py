"""Tables of the watch side: per-household rule settings, contact quiet hours, alert escalation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base


class HouseholdWatchRules(Base):
    """A household's own rule thresholds and escalation timing (only the keys it changed)."""

    __tablename__ = "household_watch_rules"

    household_id: Mapped[str] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class ContactQuietHours(Base):
    """When a contact does not want low-severity alerts, and what happens to them meanwhile."""

    __tablename__ = "contact_quiet_hours"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    start: Mapped[str] = mapped_column(String(5))  # HH:MM local time
    end: Mapped[str] = mapped_column(String(5))
    mode: Mapped[str] = mapped_column(String(8), default="hold")  # hold (send at the end) | next (skip)


class AlertEscalation(Base):
    """Where an alert's escalation stands: the step reached, when the next step and reminder fall due."""

    __tablename__ = "alert_escalations"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, default=0)
    next_step_at: Mapped[datetime | None] = mapped_column(index=True)
    next_reminder_at: Mapped[datetime | None] = mapped_column(index=True)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
