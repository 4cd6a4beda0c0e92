"""Entity store: households, the people watched, gateways, devices, contacts, alerts, outbox.

SQLAlchemy 2 typed mappings; SQLite by default, PostgreSQL in production. Schema changes go
through alembic migrations in cloud/migrations/. Every datetime column is timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(TypeDecorator[datetime]):
    """A datetime stored as UTC that always comes back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}  # noqa: RUF012 (SQLAlchemy reads it)


class Household(Base):
    """A home being watched over, with its watch settings."""

    __tablename__ = "households"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    ward_code: Mapped[str] = mapped_column(String(8), default="13106")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    inactivity_day_hours: Mapped[float] = mapped_column(Float, default=4.0)
    inactivity_night_cap_hours: Mapped[float] = mapped_column(Float, default=12.0)
    night_start: Mapped[str] = mapped_column(String(5), default="22:00")
    night_end: Mapped[str] = mapped_column(String(5), default="07:00")
    created_at: Mapped[datetime]

    people: Mapped[list[Person]] = relationship(back_populates="household", cascade="all, delete-orphan")
    gateways: Mapped[list[Gateway]] = relationship(back_populates="household")
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="Contact.priority"
    )


class Person(Base):
    """A resident being watched over (the person the alerts are about)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="ja")
    notes: Mapped[str] = mapped_column(Text, default="")

    household: Mapped[Household] = relationship(back_populates="people")


class Gateway(Base):
    """A gateway (Raspberry Pi) registered to send data; unknown gateway ids are rejected."""

    __tablename__ = "gateways"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str | None] = mapped_column(ForeignKey("households.id", ondelete="SET NULL"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16), default="unknown")  # unknown | online | offline
    last_seen_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    firmware: Mapped[str | None] = mapped_column(String(64))
    outbox_depth: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]

    household: Mapped[Household | None] = relationship(back_populates="gateways")
    devices: Mapped[list[Device]] = relationship(back_populates="gateway", cascade="all, delete-orphan")


class Device(Base):
    """A sensor or tracker behind a gateway; first seen devices are registered automatically."""

    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("gateway_id", "device_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    gateway_id: Mapped[str] = mapped_column(ForeignKey("gateways.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32), default="unknown")  # motion | door | button | climate | tracker
    room: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    battery_pct: Mapped[float | None] = mapped_column(Float)
    last_seen_at: Mapped[datetime | None]

    gateway: Mapped[Gateway] = relationship(back_populates="devices")


class Contact(Base):
    """Someone notified about a household: family, caseworker, installer or the ward's on-call."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), default="family")  # family | caseworker | installer | oncall
    relation: Mapped[str] = mapped_column(String(64), default="")  # 長女, son, …
    language: Mapped[str] = mapped_column(String(8), default="ja")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    household: Mapped[Household] = relationship(back_populates="contacts")
    channels: Mapped[list[ContactChannel]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="ContactChannel.position"
    )


class ContactChannel(Base):
    """One way to reach a contact: an apprise URL (mailto://, line://, json://, ntfy://, …)."""

    __tablename__ = "contact_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    apprise_url: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(64), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    contact: Mapped[Contact] = relationship(back_populates="channels")


class Alert(Base):
    """An alert about a household; at most one unresolved alert per (household, rule)."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alerts_active_rule",
            "household_id",
            "rule",
            unique=True,
            sqlite_where=text("state != 'resolved'"),
            postgresql_where=text("state != 'resolved'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))  # low | medium | high | critical
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | acknowledged | resolved
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))  # a name, or "auto" when the condition cleared

    notifications: Mapped[list[Notification]] = relationship(back_populates="alert", cascade="all, delete-orphan")


class Notification(Base):
    """One message to one contact, kept in a persisted outbox until it is delivered or gives up."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))  # opened | acknowledged | resolved | reminder
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    channel_id: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)

    alert: Mapped[Alert] = relationship(back_populates="notifications")
    contact: Mapped[Contact] = relationship()
    attempts_log: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="notification", cascade="all, delete-orphan", order_by="DeliveryAttempt.id"
    )


class DeliveryAttempt(Base):
    """The delivery log: every attempt to hand a notification to a channel, and its outcome."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int | None] = mapped_column(Integer)
    channel_label: Mapped[str] = mapped_column(String(200), default="")  # the URL's scheme and host, no secrets
    attempted_at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)

    notification: Mapped[Notification] = relationship(back_populates="attempts_log")


class StoredEvent(Base):
    """A discrete event as it arrived (button, door, motion), for the household timeline."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_household_ts", "household_id", "ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    gateway_id: Mapped[str] = mapped_column(String(64), index=True)
    household_id: Mapped[str | None] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    room: Mapped[str | None] = mapped_column(String(64))
    ts: Mapped[datetime]
    received_at: Mapped[datetime]


class LocationRecord(Base):
    """A location fix of a tracker; sensitive personal data, expires by retention."""

    __tablename__ = "location_fixes"
    __table_args__ = (Index("ix_location_fixes_device_ts", "gateway_id", "device_id", "ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    gateway_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(32))
    ts: Mapped[datetime]
    received_at: Mapped[datetime]


class SeenMessage(Base):
    """Message ids already stored, so a redelivered message is dropped (pruned after days)."""

    __tablename__ = "seen_messages"

    msg_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class RuleCheckpoint(Base):
    """The rule engine's in-memory state, saved so timers survive a restart."""

    __tablename__ = "rule_checkpoints"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_at: Mapped[datetime]


class AuditEntry(Base):
    """Who did what, when: acknowledgements, configuration changes, location views."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
