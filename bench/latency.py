"""Alert latency: emergency-button presses under background load, timed to the channel.

Each press is for its own household, whose family contact's apprise URL posts to the bench's
receiver at a path naming the household. The publish time is kept here, by household, never
in the payload: latency is the receiver's arrival time minus the publish time, both read
from the same monotonic clock (system-wide on Linux, so comparable across processes).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.broker import BenchBroker
from bench.households import BenchHouseholds, alarm_path
from bench.mqtt_wire import DISCONNECT, open_session, packet_id_for, publish_packet
from bench.payloads import button_template, message_id
from simulators.inbox import Inbox

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LatencyConfig:
    """How many presses, how far apart, and over what background load."""

    events: int = 200
    background_msgs_per_s: float = 5000.0
    interval_s: float = 0.05
    warmup_s: float = 3.0
    tail_s: float = 3.0
    wait_s: float = 30.0

    @property
    def background_s(self) -> float:
        """How long the background load runs: warm-up, the presses, then a tail."""
        return self.warmup_s + self.events * self.interval_s + self.tail_s


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile (0 < fraction <= 1) of `values`."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


class ButtonPresses:
    """Press the emergency button of one alarm household after another; time each to its notification.

    An instance is the `during` hook of a load phase: it runs in its own thread from the start signal.
    """

    def __init__(self, households: BenchHouseholds, receiver: Inbox, config: LatencyConfig, *, run_tag: str):
        if len(households.alarm_households) < config.events:
            raise ValueError(f"{config.events} presses need as many alarm households")
        self.households = households.alarm_households[: config.events]
        self._gateway_of = {hid: households.gateway_of(hid) for hid in self.households}
        self.receiver = receiver
        self.config = config
        self.run_tag = run_tag
        self.published: dict[str, float] = {}
        self.done = threading.Event()

    def __call__(self, broker: BenchBroker, go: float) -> None:
        config = self.config
        now = datetime.now(UTC)
        packets = {
            hid: publish_packet(
                template.topic,
                template.stamp(message_id(self.run_tag, 0xFFFF, index)),
                packet_id=packet_id_for(index),
            )
            for index, hid in enumerate(self.households)
            for template in [button_template(self._gateway_of[hid], ts=now)]
        }
        sock = open_session(broker.host, broker.port, f"bench-buttons-{self.run_tag}")
        try:
            for index, hid in enumerate(self.households):
                delay = go + config.warmup_s + index * config.interval_s - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                self.published[hid] = time.monotonic()
                sock.sendall(packets[hid])
            deadline = time.monotonic() + config.wait_s
            while time.monotonic() < deadline and self.missing():
                time.sleep(0.05)
            sock.sendall(DISCONNECT)
        finally:
            sock.close()
            self.done.set()

    def latencies_ms(self) -> dict[str, float]:
        """Return publish-to-channel latency by household, for those notified."""
        latencies = {}
        for hid, published in self.published.items():
            arrived = self.receiver.first_arrival(alarm_path(hid))
            if arrived is not None:
                latencies[hid] = (arrived - published) * 1000.0
        return latencies

    def missing(self) -> list[str]:
        """Return the households pressed (or still to press) whose notification has not arrived."""
        return [hid for hid in self.households if self.receiver.first_arrival(alarm_path(hid)) is None]

    def summary(self) -> dict[str, float | int | None]:
        """Return p50, p99, max and mean latency (ms) and how many presses went unnotified."""
        values = list(self.latencies_ms().values())
        if not values:
            return {
                "alert_p50_ms": None,
                "alert_p99_ms": None,
                "alert_max_ms": None,
                "alert_mean_ms": None,
                "alert_events": len(self.published),
                "alert_missing": len(self.households),
            }
        return {
            "alert_p50_ms": round(percentile(values, 0.50), 1),
            "alert_p99_ms": round(percentile(values, 0.99), 1),
            "alert_max_ms": round(max(values), 1),
            "alert_mean_ms": round(sum(values) / len(values), 1),
            "alert_events": len(self.published),
            "alert_missing": len(self.missing()),
        }
