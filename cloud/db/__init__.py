"""The entity store: models, engines, sessions and migrations."""

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

__all__ = [
    "Alert",
    "AuditEntry",
    "Base",
    "Contact",
    "ContactChannel",
    "DeliveryAttempt",
    "Device",
    "Gateway",
    "Household",
    "LocationRecord",
    "Notification",
    "Person",
    "RuleCheckpoint",
    "SeenMessage",
    "Sessions",
    "StoredEvent",
    "UtcDateTime",
    "create_db_engine",
    "make_sessions",
    "migrate",
]
