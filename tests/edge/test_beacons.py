"""BLE advertisement parsers on published advertisement bytes, and presence of a tag at home.

Sources of the bytes (copied verbatim as hex strings):
- Eddystone-UID: AltBeacon android-beacon-library (Apache-2.0),
  lib/src/test/java/org/altbeacon/beacon/GattBeaconTest.java, testDetectsEddystoneUID.
- Eddystone-TLM: AltBeacon android-beacon-library (Apache-2.0),
  lib/src/test/java/org/altbeacon/beacon/BeaconParserTest.java,
  testReEncodesBeaconForEddystoneTelemetry.
- iBeacon: the "Complete data" example of forforf/multi_beacon, ibeacon_protocol.md
  (UUID 83256B74-78D0-43A4-8269-05F9DC8A44BA, major 16, minor 32, measured power -58).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from edge.beacons import (
    EddystoneTlm,
    EddystoneUid,
    IBeacon,
    parse_ad_structures,
    parse_frames,
)
from edge.drivers import BleBeaconDriver, TagPresence, TagReport
from firmware_config import BleBeaconDevice, GatewaySettings
from protocol import ManualClock
from tests.edge.conftest import GW, MqttRecorder, running_agent
from tests.support import MosquittoBroker, wait_until
from tests.support.gateway_process import GatewayProcess, write_gateway_config

ALTBEACON_EDDYSTONE_UID = (
    "0201060303aafe1516aafe00e700010203040506070809010203040506"
    "000000000000000000000000000000000000000000000000000000000000000000"
)
ALTBEACON_EDDYSTONE_TLM = "0201060303aafe1516aafe2001021203130414243405152535"
MULTI_BEACON_IBEACON = "02011A1AFF4C00021583256B7478D043A4826905F9DC8A44BA00100020C6"
START = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
UID_ADVERT = parse_ad_structures(bytes.fromhex(ALTBEACON_EDDYSTONE_UID))


def frames_of(hex_bytes: str) -> list[object]:
    return list(parse_frames(parse_ad_structures(bytes.fromhex(hex_bytes))))


def test_ibeacon_bytes_give_uuid_major_minor_and_power() -> None:
    """The published iBeacon advertisement parses to its UUID, major 16, minor 32, -58 dBm."""
    assert frames_of(MULTI_BEACON_IBEACON) == [
        IBeacon(uuid="83256b74-78d0-43a4-8269-05f9dc8a44ba", major=16, minor=32, tx_power_dbm=-58)
    ]


def test_eddystone_uid_bytes_give_namespace_and_instance() -> None:
    """AltBeacon's Eddystone-UID vector parses to namespace 00…09, instance 01…06, -25 dBm."""
    assert frames_of(ALTBEACON_EDDYSTONE_UID) == [
        EddystoneUid(namespace="00010203040506070809", instance="010203040506", tx_power_dbm=-25)
    ]


def test_eddystone_tlm_bytes_give_battery_and_temperature() -> None:
    """AltBeacon's Eddystone-TLM vector reads 530 mV, 3.07 °C and its two counters."""
    [tlm] = frames_of(ALTBEACON_EDDYSTONE_TLM)
    assert isinstance(tlm, EddystoneTlm)
    assert tlm.battery_mv == 0x0212
    assert tlm.temperature_c is not None and abs(tlm.temperature_c - (0x0313 / 256)) < 1e-9
    assert tlm.advertisement_count == 0x04142434
    assert tlm.uptime_s == 0x05152535 / 10


def test_truncated_and_foreign_advertisements_give_no_frames() -> None:
    """Cut-off bytes and other makers' data parse to nothing instead of raising."""
    assert frames_of(MULTI_BEACON_IBEACON[:30]) == []
    assert frames_of("02011a1aff180112342f234454cf6d4a0fadf2f4911ba9ffa600010002c5") == []
    assert frames_of("ff") == []


def scanner() -> BleBeaconDevice:
    return BleBeaconDevice(
        type="ble_beacon",
        id="ble-entrance",
        lat=35.7126,
        lon=139.78,
        tags=[{"id": "tag-hanako", "tag_id": "eddystone:00010203040506070809:010203040506"}],  # type: ignore[list-item]
        away_after_s=60,
    )


def test_a_tag_heard_strongly_is_home_and_silence_makes_it_away() -> None:
    """A registered tag becomes home when heard, stays through a short gap, leaves after the timeout."""
    presence = TagPresence(scanner())
    assert presence.heard(UID_ADVERT, -60, START) == [
        TagReport("tag-hanako", home=True, changed=True, rssi_dbm=-60, last_heard=START)
    ]
    assert presence.check(START + timedelta(seconds=30)) == []
    assert presence.check(START + timedelta(seconds=61)) == [
        TagReport("tag-hanako", home=False, changed=True, rssi_dbm=-60, last_heard=START)
    ]


def test_a_weak_advertisement_of_a_tag_at_home_changes_nothing_but_lingering_far_away_does() -> None:
    """One weak advertisement is smoothed away; heard only weakly for the whole timeout, the tag is away."""
    presence = TagPresence(scanner())
    presence.heard(UID_ADVERT, -60, START)
    assert presence.heard(UID_ADVERT, -100, START + timedelta(seconds=20)) == []
    assert presence.check(START + timedelta(seconds=70)) == []  # the weak one was still above the line
    for second in range(80, 140, 10):
        presence.heard(UID_ADVERT, -110, START + timedelta(seconds=second))
    [report] = presence.check(START + timedelta(seconds=140))
    assert not report.home and report.changed


def test_a_tag_never_heard_since_start_counts_as_not_home_after_the_timeout() -> None:
    """After a gateway restart, a tag that is not around is reported not home once the timeout passes."""
    presence = TagPresence(scanner())
    assert presence.check(START) == []
    assert presence.check(START + timedelta(seconds=60)) == [
        TagReport("tag-hanako", home=False, changed=True, rssi_dbm=None, last_heard=None)
    ]
    assert presence.check(START + timedelta(seconds=120)) == []


def test_one_weak_advertisement_does_not_make_a_tag_home() -> None:
    """A far-away tag (smoothed RSSI below the threshold) is not counted home."""
    presence = TagPresence(scanner())
    assert presence.heard(UID_ADVERT, -100, START) == []
    assert not presence.is_home("tag-hanako")


def test_a_gateway_without_a_bluetooth_radio_keeps_watching(
    tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder, pins: MockFactory
) -> None:
    """With no BlueZ to scan with, the scanner's failure is counted and the gateway still reports status."""
    if any(Path("/sys/class/bluetooth").glob("hci*")):
        pytest.skip("this machine has a Bluetooth adapter: the scanner would run")
    settings = GatewaySettings(
        gateway_id=GW,
        mqtt={"host": mosquitto.host, "port": mosquitto.port},  # type: ignore[arg-type]
        outbox={"path": tmp_path / "outbox.sqlite3"},  # type: ignore[arg-type]
        devices=[scanner()],
    )
    with running_agent(settings, pins=pins) as agent:
        recorder.wait_for("/status")
        wait_until(lambda: agent.sensor_errors["ble-entrance"] >= 1, timeout=15, what="scanner failure counted")


def home_scanner_settings(tmp_path: Path, mosquitto: MosquittoBroker) -> GatewaySettings:
    return GatewaySettings(
        gateway_id=GW,
        mqtt={"host": mosquitto.host, "port": mosquitto.port},  # type: ignore[arg-type]
        outbox={"path": tmp_path / "outbox.sqlite3"},  # type: ignore[arg-type]
        devices=[scanner()],
    )


def presence_states(recorder: MqttRecorder) -> list[str]:
    return [item.body["state"] for item in recorder.on("/presence")]


@contextmanager
def tag_heard_at_home(
    tmp_path: Path, mosquitto: MosquittoBroker, pins: MockFactory
) -> Iterator[tuple[BleBeaconDriver, ManualClock]]:
    """Run the agent with the home scanner on a manual clock, the tag heard once at -60 dBm."""
    clock = ManualClock(START)
    with running_agent(home_scanner_settings(tmp_path, mosquitto), pins=pins, clock=clock) as agent:
        scanner_driver = agent.ble_driver("ble-entrance")
        scanner_driver.on_advertisement(UID_ADVERT, -60)
        yield scanner_driver, clock


def test_the_gateway_publishes_home_then_not_home_after_the_timeout(
    tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder, pins: MockFactory
) -> None:
    """A tag heard at home gives "home" (and a fix) at the broker; silence past away_after_s gives "not_home"."""
    with tag_heard_at_home(tmp_path, mosquitto, pins) as (scanner_driver, clock):
        [home] = recorder.wait_for("/presence")
        assert home.body["device_id"] == "tag-hanako" and home.body["state"] == "home"
        assert home.body["rssi_dbm"] == -60 and home.body["last_heard"].startswith("2026-11-26T00:00:00")
        [fix] = recorder.wait_for("/location")
        assert (fix.body["lat"], fix.body["lon"], fix.body["source"]) == (35.7126, 139.78, "ble")
        clock.advance(timedelta(seconds=61))
        scanner_driver.check()
        recorder.wait_for("/presence", lambda items: len(items) == 2)
    away = recorder.on("/presence")[1].body
    assert away["state"] == "not_home" and away["last_heard"].startswith("2026-11-26T00:00:00")
    assert away["ts"].startswith("2026-11-26T00:01:01")


def test_one_weak_or_missed_advertisement_does_not_send_not_home(
    tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder, pins: MockFactory
) -> None:
    """A weak advertisement and a 40 s gap inside the timeout leave the tag home: one "home" only."""
    with tag_heard_at_home(tmp_path, mosquitto, pins) as (scanner_driver, clock):
        recorder.wait_for("/presence")
        for step, rssi in ((10, -100), (40, None), (45, -62), (100, None)):
            clock.set(START + timedelta(seconds=step))
            if rssi is not None:
                scanner_driver.on_advertisement(UID_ADVERT, rssi)
            scanner_driver.check()
        # 60 s after the last strong advertisement the tag is away; the outbox sends in order, so
        # anything the steps above caused arrives before this
        clock.set(START + timedelta(seconds=106))
        scanner_driver.check()
        recorder.wait_for("/presence", lambda items: items[-1].body["ts"].startswith("2026-11-26T00:01:46"))
    assert presence_states(recorder) == ["home", "not_home"]
    assert recorder.on("/presence")[1].body["last_heard"].startswith("2026-11-26T00:00:45")


def test_not_home_during_a_broker_outage_waits_in_the_outbox_and_arrives(
    tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder
) -> None:
    """With the broker down when the tag leaves, "not_home" is kept and sent once the broker is back."""
    scanner_config = scanner().model_dump(mode="json")
    config = write_gateway_config(tmp_path, broker=mosquitto, devices=[scanner_config])
    with GatewayProcess(config, clock_start=START) as gateway:
        gateway.command(f"advert ble-entrance {ALTBEACON_EDDYSTONE_UID} -60")
        recorder.wait_for("/presence")
        mosquitto.stop()
        gateway.command("advance 61")
        waiting = [json.loads(payload)["state"] for kind, payload in gateway.outbox_payloads() if kind == "presence"]
        assert waiting == ["not_home"]
        mosquitto.start()
        recorder.wait_for("/presence", lambda items: len(items) == 2, timeout=30)
    assert presence_states(recorder) == ["home", "not_home"]
