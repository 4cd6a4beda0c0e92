"""CAP 1.2 (OASIS Common Alerting Protocol): export every alert, import others' messages and feeds.

The schema in schema/cap12.xsd is OASIS CAP 1.2 as packaged in Google's cap-library (Apache-2.0).
"""

from alerts.cap.atom import CAP_MEDIA_TYPE, FeedEntry, cap_links, to_atom
from alerts.cap.export import CAP12_NS, CapValidationError, cap_datetime, to_cap, validate_cap
from alerts.cap.reader import CapFormatError, ImportedAlert, hazard_of, parse_cap_datetime, read_cap

__all__ = [
    "CAP12_NS",
    "CAP_MEDIA_TYPE",
    "CapFormatError",
    "CapValidationError",
    "FeedEntry",
    "ImportedAlert",
    "cap_datetime",
    "cap_links",
    "hazard_of",
    "parse_cap_datetime",
    "read_cap",
    "to_atom",
    "to_cap",
    "validate_cap",
]
