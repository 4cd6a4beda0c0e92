"""The whole watch slice on real parts: gateway agent → Mosquitto → cloud → apprise → family."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud import provisioning
from cloud.config import Settings
from cloud.db.models import StoredEvent
from cloud.service import CloudService
from tests.support import MosquittoBroker, NotificationReceiver, ReceivedNotification, wait_until
from tests.support.gateway_process import GatewayProcess, SysfsStandIn, write_gateway_config

GATEWAY_ID = "gw-taito-e2e"
HOUSEHOLD_ID = "hh-e2e-0001"
FAMILY_PATH = "/family/daughter"


@pytest.fixture
def cloud(tmp_path: Path, mosquitto: MosquittoBroker, receiver: NotificationReceiver) -> Iterator[CloudService]:
    """A running cloud with one household, its gateway and a daughter reachable over json://."""
    settings = Settings(data_dir=tmp_path / "cloud", mqtt_port=mosquitto.port, api_port=None)
    service = CloudService(settings).start()
    provisioning.add_household(
        service.sessions,
        household_id=HOUSEHOLD_ID,
        name="浅草 花子さん宅",
        address="東京都台東区浅草2-3-1",
        person_name="浅草 花子",
    )
    provisioning.add_gateway(service.sessions, gateway_id=GATEWAY_ID, household_id=HOUSEHOLD_ID)
    provisioning.add_contact(
        service.sessions,
        household_id=HOUSEHOLD_ID,
        name="浅草 由美",
        role="family",
        relation="長女",
        channels=[receiver.url(FAMILY_PATH)],
    )
    service.refresh_households()
    wait_until(lambda: service.broker_connected, timeout=10, what="cloud connected to the broker")
    yield service
    service.stop()


def stored_events(service: CloudService) -> list[tuple[str, str]]:
    with service.sessions() as session:
        rows = session.scalars(select(StoredEvent).where(StoredEvent.gateway_id == GATEWAY_ID).order_by(StoredEvent.id))
        return [(row.device_id, row.kind) for row in rows]


def test_button_press_reaches_the_family(
    tmp_path: Path, mosquitto: MosquittoBroker, receiver: NotificationReceiver, cloud: CloudService
) -> None:
    """Pressing the help button at home sends the daughter an emergency message naming her mother."""
    config = write_gateway_config(tmp_path / "gateway", broker=mosquitto, gateway_id=GATEWAY_ID)
    with GatewayProcess(config) as gateway:
        gateway.command("press button-help")
        [notification] = receiver.wait_for(FAMILY_PATH, timeout=15)
    assert "浅草 花子" in notification.title + notification.message
    assert "緊急" in notification.title + notification.message
    assert "119" in notification.message


def test_offline_gateway_loses_nothing_across_a_crash(
    tmp_path: Path, mosquitto: MosquittoBroker, receiver: NotificationReceiver, cloud: CloudService
) -> None:
    """Broker down, readings and a button press, agent SIGKILLed and restarted: all arrive once, in order."""
    sysfs = SysfsStandIn(tmp_path / "sys")
    sysfs.set_ds18b20("28-0000072431b2", millidegrees=21_000)
    sysfs.set_hwmon("sht3x", temp_millidegrees=21_500, humidity_millipercent=50_000)
    config = write_gateway_config(tmp_path / "gateway", broker=mosquitto, gateway_id=GATEWAY_ID, sysfs=sysfs)

    gateway = GatewayProcess(config).start()
    gateway.command("door door-front closed")
    wait_until(lambda: gateway.outbox_depth() == 0, timeout=10, what="gateway online and drained")
    mosquitto.stop()

    for step, millidegrees in enumerate((22_000, 23_000, 24_000)):
        sysfs.set_ds18b20("28-0000072431b2", millidegrees=millidegrees)
        gateway.command("read")
        gateway.command("motion pir-kitchen" if step != 1 else "door door-front open")
    gateway.command("press button-help")
    queued = gateway.outbox_payloads()
    assert len(queued) == 7
    assert json.loads(queued[0][1])["kind"] == "button_pressed", "the alarm jumps the queue"

    gateway.kill()
    assert gateway.outbox_depth() == len(queued), "the outbox survived SIGKILL"
    gateway = GatewayProcess(config).start()
    mosquitto.start()
    try:
        wait_until(lambda: gateway.outbox_depth() == 0, timeout=30, what="outbox drained after the broker returned")
        expected_events = [
            ("button-help", "button_pressed"),
            ("pir-kitchen", "motion_detected"),
            ("door-front", "door_opened"),
            ("pir-kitchen", "motion_detected"),
        ]
        wait_until(lambda: stored_events(cloud)[-4:] == expected_events, timeout=15, what="events stored in order")
        assert stored_events(cloud).count(("button-help", "button_pressed")) == 1

        now = datetime.now(UTC)

        def ds18b20_values() -> list[float]:
            samples = cloud.telemetry.query(
                gateway_id=GATEWAY_ID,
                device_id="temp-living",
                metric="temperature_c",
                start=now - timedelta(hours=1),
                end=now + timedelta(hours=1),
            )
            return [sample.value for sample in samples]

        wait_until(lambda: ds18b20_values()[-3:] == [22.0, 23.0, 24.0], timeout=15, what="readings stored")
        assert len(ds18b20_values()) == len(set(ds18b20_values())), "no reading stored twice"

        def emergencies() -> list[ReceivedNotification]:
            return [item for item in receiver.messages(FAMILY_PATH) if "緊急" in item.title]

        wait_until(emergencies, timeout=15, what="the emergency notification")
        assert len(emergencies()) == 1, [item.title for item in receiver.messages(FAMILY_PATH)]
        assert "浅草 花子" in emergencies()[0].title + emergencies()[0].message
    finally:
        gateway.kill()
