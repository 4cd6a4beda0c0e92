"""Disaster alerts' tables: residents' devices, alerts and their versions, recipients, deliveries, safety answers.

A resident device has no account and no name; deleting it deletes its recipients, deliveries
and answers with it (ON DELETE CASCADE).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db.models import Base


class ResidentDevice(Base):
    """A resident's phone or browser: language, home and opt-in live location, how to reach it."""

    __tablename__ = "resident_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the device token
    language: Mapped[str] = mapped_column(String(16), default="ja")
    home_lat: Mapped[float | None] = mapped_column(Float)
    home_lon: Mapped[float | None] = mapped_column(Float)
    live_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    live_lat: Mapped[float | None] = mapped_column(Float)
    live_lon: Mapped[float | None] = mapped_column(Float)
    live_at: Mapped[datetime | None]
    webpush: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    apprise_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DisasterAlert(Base):
    """A disaster alert: draft → approved → released → updated … or cancelled."""

    __tablename__ = "disaster_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(200), unique=True)  # CAP identifier of version 1
    sender: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16), default="operator")  # operator | cap
    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    hazard: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16))
    certainty: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(200), default="")
    texts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # language → headline/description/instruction
    area: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # AreaSpec as JSON
    versions: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[identifier, msgType, sent ISO], …]
    expires_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(200), default="")
    approved_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class DisasterRecipient(Base):
    """Someone an alert reached: a resident device, or a watched person (whose family is notified)."""

    __tablename__ = "disaster_recipients"
    __table_args__ = (
        UniqueConstraint("alert_id", "device_id", name="uq_disaster_recipients_alert_device"),
        UniqueConstraint("alert_id", "person_id", name="uq_disaster_recipients_alert_person"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # no index of its own: the unique constraints lead with alert_id (one index fewer to write per row)
    alert_id: Mapped[int] = mapped_column(ForeignKey("disaster_alerts.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("resident_devices.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    shelter_id: Mapped[str | None] = mapped_column(String(32))
    shelter_name: Mapped[str | None] = mapped_column(String(200))
    shelter_distance_m: Mapped[float | None] = mapped_column(Float)
    answer: Mapped[str | None] = mapped_column(String(16))  # safe | need_help
    answer_source: Mapped[str | None] = mapped_column(String(16))  # link | app | button
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class DisasterMessage(Base):
    """One composed message of one alert version, shared by every delivery that sends it.

    The answer links are still marks; the sender fills in each recipient's. Stored once here
    rather than per delivery: a fan-out writes 200,000 deliveries and a few thousand messages.
    """

    __tablename__ = "disaster_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("disaster_alerts.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(16))  # alert | update | cancel
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)  # for apprise
    payload: Mapped[str] = mapped_column(Text)  # the Web Push JSON, as sent
    created_at: Mapped[datetime]


class DisasterDelivery(Base):
    """One message of one version to one address of one recipient, kept until sent or given up."""

    __tablename__ = "disaster_deliveries"
    # only pending rows are ever looked up by due time: claiming one takes it out of the index,
    # and recording it as sent touches no index at all
    __table_args__ = (
        Index(
            "ix_disaster_deliveries_due",
            "next_attempt_at",
            "id",
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("disaster_alerts.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("disaster_recipients.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    purpose: Mapped[str] = mapped_column(String(16))  # alert | update | cancel
    channel: Mapped[str] = mapped_column(String(16))  # webpush | apprise
    address: Mapped[str] = mapped_column(Text, default="")  # the apprise URL; empty for Web Push
    # the message sent; rows queued before disaster_messages existed carry it in title/body/payload
    message_id: Mapped[int | None] = mapped_column(ForeignKey("disaster_messages.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed | gone
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
