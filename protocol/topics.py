"""MQTT topic layout of the mimamori wire protocol, version 1.

Every topic carries the protocol version and the gateway id, so a broker ACL can pin each
gateway to ``mimamori/v1/<gateway_id>/#`` and the cloud can check that the payload agrees.

    mimamori/v1/<gateway_id>/readings   sensor readings, batched          gateway → cloud, QoS 1
    mimamori/v1/<gateway_id>/events     discrete events (button, door…)   gateway → cloud, QoS 1
    mimamori/v1/<gateway_id>/location   location fixes                    gateway → cloud, QoS 1
    mimamori/v1/<gateway_id>/presence   a tag home / not home (on change) gateway → cloud, QoS 1
    mimamori/v1/<gateway_id>/status     online/offline, retained; also the Last Will
    mimamori/v1/<gateway_id>/config     configuration, retained           cloud → gateway, QoS 1
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

TOPIC_ROOT = "mimamori"
PROTOCOL_VERSION = 1
VERSION_SEGMENT = f"v{PROTOCOL_VERSION}"

GATEWAY_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{2,63}$"
_GATEWAY_ID = re.compile(GATEWAY_ID_PATTERN)


class TopicKind(StrEnum):
    """What a topic carries; the last segment of the topic."""

    READINGS = "readings"
    EVENTS = "events"
    LOCATION = "location"
    PRESENCE = "presence"
    STATUS = "status"
    CONFIG = "config"


UPLINK_KINDS = frozenset(
    {TopicKind.READINGS, TopicKind.EVENTS, TopicKind.LOCATION, TopicKind.PRESENCE, TopicKind.STATUS}
)


class TopicError(ValueError):
    """A topic that is not a mimamori v1 topic."""


@dataclass(frozen=True, slots=True)
class ParsedTopic:
    gateway_id: str
    kind: TopicKind


def is_valid_gateway_id(gateway_id: str) -> bool:
    """Tell whether a gateway id may appear in a topic (lower-case, digits, - and _)."""
    return bool(_GATEWAY_ID.match(gateway_id))


def topic_for(gateway_id: str, kind: TopicKind) -> str:
    """Build the topic of one gateway for one kind of message."""
    if not is_valid_gateway_id(gateway_id):
        raise TopicError(f"invalid gateway id {gateway_id!r}")
    return f"{TOPIC_ROOT}/{VERSION_SEGMENT}/{gateway_id}/{kind.value}"


def parse_topic(topic: str) -> ParsedTopic:
    """Split a v1 topic into gateway id and kind, or raise TopicError."""
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != TOPIC_ROOT:
        raise TopicError(f"not a mimamori topic: {topic!r}")
    if parts[1] != VERSION_SEGMENT:
        raise TopicError(f"unsupported protocol version {parts[1]!r} in {topic!r}")
    if not is_valid_gateway_id(parts[2]):
        raise TopicError(f"invalid gateway id {parts[2]!r} in {topic!r}")
    try:
        kind = TopicKind(parts[3])
    except ValueError:
        raise TopicError(f"unknown message kind {parts[3]!r} in {topic!r}") from None
    return ParsedTopic(gateway_id=parts[2], kind=kind)


def uplink_filter() -> str:
    """Subscription filter for everything gateways send (config is cloud → gateway)."""
    return f"{TOPIC_ROOT}/{VERSION_SEGMENT}/+/+"


def shared_uplink_filter(group: str) -> str:
    """Shared-subscription filter so several ingest workers split the load."""
    return f"$share/{group}/{uplink_filter()}"


def gateway_acl_pattern() -> str:
    """Mosquitto ACL pattern pinning a gateway (username = gateway id) to its own prefix."""
    return f"pattern readwrite {TOPIC_ROOT}/{VERSION_SEGMENT}/%u/#"
