"""The mimamori gateway agent that runs on a Raspberry Pi in each watched home.

Drivers (edge.drivers) turn GPIO and sysfs sensors into protocol messages; `GatewayOutbox`
keeps every message on disk until the broker acknowledges it; `GatewayUplink` holds the MQTT
connection; `GatewayAgent` runs them together. Run it with
``python -m edge --config /etc/mimamori/gateway.yaml``.

Imports only protocol/ and firmware_config/ of ours: no server-side packages on the Pi.
"""

from edge.agent import GatewayAgent, Intervals
from edge.const import FIRMWARE_VERSION
from edge.outbox import DROPPABLE_KINDS, GatewayOutbox, OutboxEntry
from edge.uplink import GatewayUplink, ReconnectPolicy

__all__ = [
    "DROPPABLE_KINDS",
    "FIRMWARE_VERSION",
    "GatewayAgent",
    "GatewayOutbox",
    "GatewayUplink",
    "Intervals",
    "OutboxEntry",
    "ReconnectPolicy",
]
