"""`mimamori replay casas`: a CASAS smart-home log played as one household through the real stack.

The log's records become gateway messages (simulators.casas) published over MQTT to a broker
(an embedded one unless given), ingested, stored and judged by the rules of a CloudService
whose clock follows the log: the clock moves in steps of `step` with a gateway heartbeat each
step, so a month of a real home plays in minutes and every timer fires at its log time. The
alerts raised are printed as they open. Like the demo, this plays the world outside and so may
import simulators/.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from cloud.config import Settings
from cloud.db.models import Alert
from cloud.provisioning import add_gateway, add_household
from cloud.service import CloudService
from protocol import (
    GatewayState,
    GatewayStatus,
    ManualClock,
    TopicKind,
    UplinkMessage,
    encode,
    new_message_id,
    topic_for,
)
from simulators.casas import CasasLog, casas_messages, parse_casas

REPLAY_GATEWAY_SILENCE_S = 3600.0
STORE_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class ReplayedAlert:
    """An alert the replay raised."""

    rule: str
    severity: str
    opened_at: datetime
    facts: dict[str, object]


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """What a replay did: messages sent, lines skipped, alerts raised."""

    messages: int
    skipped: dict[str, int]
    alerts: list[ReplayedAlert]


def _topic_kind(message: UplinkMessage) -> TopicKind:
    return {"Event": TopicKind.EVENTS, "ReadingBatch": TopicKind.READINGS, "GatewayStatus": TopicKind.STATUS}[
        type(message).__name__
    ]


@contextmanager
def _broker(mqtt_host: str | None, mqtt_port: int | None) -> Iterator[tuple[str, int]]:
    if mqtt_host is not None and mqtt_port is not None:
        yield mqtt_host, mqtt_port
        return
    from cloud.demo import EmbeddedBroker

    broker = EmbeddedBroker().start()
    try:
        yield broker.host, broker.port
    finally:
        broker.stop()


def replay_casas(
    path: Path,
    *,
    household_id: str,
    step: timedelta = timedelta(minutes=10),
    mqtt_host: str | None = None,
    mqtt_port: int | None = None,
    data_dir: Path | None = None,
    on_alert: Callable[[ReplayedAlert], None] | None = None,
) -> ReplayReport:
    """Replay a CASAS log as household `household_id`; return what was raised."""
    with path.open(encoding="utf-8", errors="replace") as lines:
        log = parse_casas(lines)
    if not log.records:
        return ReplayReport(messages=0, skipped=log.skipped, alerts=[])
    gateway_id = "gw-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in household_id.lower())[:60]
    messages = list(casas_messages(log, gateway_id=gateway_id))
    with (
        tempfile.TemporaryDirectory(prefix="mimamori-replay-") as scratch,
        _broker(mqtt_host, mqtt_port) as (host, port),
    ):
        folder = data_dir or Path(scratch)
        clock = ManualClock(log.records[0].at - step)
        settings = Settings(
            data_dir=folder,
            mqtt_host=host,
            mqtt_port=port,
            mqtt_protocol="3.1.1" if mqtt_host is None else "5",
            mqtt_client_id=f"mimamori-replay-{new_message_id()[:8]}",
            api_port=None,
            rule_tick_s=0.01,
            gateway_offline_after_s=REPLAY_GATEWAY_SILENCE_S,
        )
        with CloudService(settings, clock=clock) as service:
            add_household(service.sessions, household_id=household_id, name=household_id, clock=clock)
            add_gateway(service.sessions, gateway_id=gateway_id, household_id=household_id, clock=clock)
            service.refresh_households()
            alerts = _play(service, clock, messages, gateway_id=gateway_id, step=step, on_alert=on_alert, log=log)
    return ReplayReport(messages=len(messages), skipped=log.skipped, alerts=alerts)


def _play(
    service: CloudService,
    clock: ManualClock,
    messages: list[UplinkMessage],
    *,
    gateway_id: str,
    step: timedelta,
    on_alert: Callable[[ReplayedAlert], None] | None,
    log: CasasLog,
) -> list[ReplayedAlert]:
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=new_message_id())
    client.connect(service.settings.mqtt_host, service.settings.mqtt_port)
    client.loop_start()
    sent = 0
    seen: set[int] = set()
    found: list[ReplayedAlert] = []
    started = clock.now() + step

    def publish(message: UplinkMessage) -> None:
        nonlocal sent
        info = client.publish(topic_for(gateway_id, _topic_kind(message)), encode(message), qos=1)
        info.wait_for_publish(timeout=10)
        sent += 1

    try:
        wait_connected = time.monotonic() + STORE_TIMEOUT_S
        while not service.broker_connected and time.monotonic() < wait_connected:
            time.sleep(0.05)
        index = 0
        end = messages[-1].ts + step
        while clock.now() < end:
            clock.set(clock.now() + step)
            now = clock.now()
            status = GatewayStatus(
                msg_id=new_message_id(), gateway_id=gateway_id, ts=now, state=GatewayState.ONLINE, started_at=started
            )
            publish(status)
            while index < len(messages) and messages[index].ts <= now:
                publish(messages[index])
                index += 1
            _wait_stored(service, sent)
            time.sleep(0.03)  # two rule ticks of wall time at this clock instant
            for alert in _new_alerts(service, seen):
                found.append(alert)
                if on_alert is not None:
                    on_alert(alert)
    finally:
        client.disconnect()
        client.loop_stop()
    return found


def _wait_stored(service: CloudService, sent: int) -> None:
    deadline = time.monotonic() + STORE_TIMEOUT_S
    while time.monotonic() < deadline:
        stats = service.stats
        if stats.accepted + stats.rejected_total + stats.ignored >= sent:
            return
        time.sleep(0.005)


def _new_alerts(service: CloudService, seen: set[int]) -> list[ReplayedAlert]:
    with service.sessions() as session:
        rows = session.scalars(select(Alert).where(Alert.id.not_in(seen) if seen else Alert.id > 0).order_by(Alert.id))
        fresh = []
        for alert in rows:
            seen.add(alert.id)
            fresh.append(ReplayedAlert(alert.rule, alert.severity, alert.opened_at, dict(alert.facts)))
        return fresh
