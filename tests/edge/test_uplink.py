"""Uplink timing: heartbeats and reconnect backoff."""

from __future__ import annotations

from pathlib import Path

from gpiozero.pins.mock import MockFactory

from edge import ReconnectPolicy
from firmware_config import load_gateway_settings
from tests.edge.conftest import GW, MqttRecorder, config_message, publish_config, running_agent
from tests.support import MosquittoBroker
from tests.support.gateway_process import SysfsStandIn, write_gateway_config


def test_backoff_doubles_up_to_the_cap() -> None:
    """Waits grow from about 1 s and never pass 60 s, with jitter of at most half."""
    policy = ReconnectPolicy()
    for attempt, ceiling in [(0, 1.0), (1, 2.0), (3, 8.0), (6, 60.0), (30, 60.0)]:
        delays = [policy.delay(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1


def test_heartbeat_follows_the_configured_period(
    tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder, pins: MockFactory
) -> None:
    """After the cloud sets a 5 s heartbeat, online statuses keep coming with the outbox depth."""
    publish_config(mosquitto, config_message(GW, heartbeat_s=5, reading_s=3600), retain=True)
    settings = load_gateway_settings(write_gateway_config(tmp_path, broker=mosquitto, devices=[]))
    with running_agent(settings, pins=pins):
        statuses = recorder.wait_for("/status", lambda items: len(items) >= 2, timeout=12)
    assert [item.body["state"] for item in statuses[:2]] == ["online", "online"]
    assert statuses[1].body["outbox_depth"] == 0
    assert float(statuses[1].body["uptime_s"]) >= 4.0


def test_readings_follow_the_configured_period(
    tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder, pins: MockFactory, sysfs: SysfsStandIn
) -> None:
    """After the cloud sets a 5 s reading period, batches from the sensors arrive without being asked."""
    publish_config(mosquitto, config_message(GW, heartbeat_s=3600, reading_s=5), retain=True)
    settings = load_gateway_settings(write_gateway_config(tmp_path, broker=mosquitto, sysfs=sysfs))
    with running_agent(settings, pins=pins):
        (batch,) = recorder.wait_for("/readings", timeout=12)
    assert {item["device_id"] for item in batch.body["readings"]} == {"temp-living", "climate-living"}
