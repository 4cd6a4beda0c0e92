"""The entity store: models, engines, sessions and migrations."""

# the users' tables live with cloud.auth; imported here so alembic and create_all see them
import cloud.auth.models  # noqa: F401
from cloud.db.disaster import DisasterAlert, DisasterDelivery, DisasterRecipient, ResidentDevice
from cloud.db.models import (
    Alert,
    AuditEntry,
    Base,
    Contact,
    ContactChannel,
    DeliveryAttempt,
    Device,
    Gateway,
    Household,
    LocationRecord,
    Notification,
    Person,
    RuleCheckpoint,
    SeenMessage,
    StoredEvent,
    UtcDateTime,
)
from cloud.db.session import Sessions, create_db_engine, make_sessions, migrate
from cloud.db.trackers import LocationConsent, SafeZoneRecord, TagPresenceRecord, Tracker
from cloud.db.watch import AlertEscalation, ContactQuietHours, HouseholdWatchRules

__all__ = [
    "Alert",
    "AlertEscalation",
    "AuditEntry",
    "Base",
    "Contact",
    "ContactChannel",
    "ContactQuietHours",
    "DeliveryAttempt",
    "Device",
    "DisasterAlert",
    "DisasterDelivery",
    "DisasterRecipient",
    "Gateway",
    "Household",
    "HouseholdWatchRules",
    "LocationConsent",
    "LocationRecord",
    "Notification",
    "Person",
    "ResidentDevice",
    "RuleCheckpoint",
    "SafeZoneRecord",
    "SeenMessage",
    "Sessions",
    "StoredEvent",
    "TagPresenceRecord",
    "Tracker",
    "UtcDateTime",
    "create_db_engine",
    "make_sessions",
    "migrate",
]
