"""Trackers of people who may wander: OwnTracks and OsmAnd sources, safe zones, privacy, retention."""

from cloud.trackers.desk import CHECKPOINT_KEY, BridgePublisher, TrackerDesk, TrackerDeskSettings
from cloud.trackers.presence import TagPresenceView, presence_of, store_presence
from cloud.trackers.privacy import LocationAccess, audit_location_view, location_access, open_person_alerts
from cloud.trackers.registry import (
    BRIDGED_KINDS,
    TRACKER_KINDS,
    TrackerError,
    TrackerNotFound,
    WatchInputs,
    add_tracker,
    ensure_bridge_gateway,
    load_watch_inputs,
    parse_hhmm,
    zone_of,
)
from cloud.trackers.retention import DEFAULT_RETENTION_DAYS, purge_location_history
from cloud.trackers.sources import (
    BRIDGE_GATEWAY,
    DEFAULT_OWNTRACKS_TOPIC,
    ExternalFix,
    SourceError,
    osmand_fix,
    owntracks_fix,
)

__all__ = [
    "BRIDGED_KINDS",
    "BRIDGE_GATEWAY",
    "CHECKPOINT_KEY",
    "DEFAULT_OWNTRACKS_TOPIC",
    "DEFAULT_RETENTION_DAYS",
    "TRACKER_KINDS",
    "BridgePublisher",
    "ExternalFix",
    "LocationAccess",
    "SourceError",
    "TagPresenceView",
    "TrackerDesk",
    "TrackerDeskSettings",
    "TrackerError",
    "TrackerNotFound",
    "WatchInputs",
    "add_tracker",
    "audit_location_view",
    "ensure_bridge_gateway",
    "load_watch_inputs",
    "location_access",
    "open_person_alerts",
    "osmand_fix",
    "owntracks_fix",
    "parse_hhmm",
    "presence_of",
    "purge_location_history",
    "store_presence",
    "zone_of",
]
