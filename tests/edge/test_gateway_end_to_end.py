"""The real gateway agent (mock pins) against a real Mosquitto: delivery, status, outages, config."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from edge import FIRMWARE_VERSION, GatewayOutbox, Intervals
from firmware_config import load_gateway_settings
from protocol import Event, EventKind, ManualClock, TopicKind, decode, topic_for
from tests.edge.conftest import GW, MqttRecorder, config_message, publish_config, running_agent
from tests.support import MosquittoBroker, free_port, wait_until
from tests.support.gateway_process import GatewayProcess, SysfsStandIn, write_gateway_config


def statuses(recorder: MqttRecorder) -> list[dict[str, object]]:
    return [item.body for item in recorder.on("/status")]


def test_button_press_reaches_the_cloud(tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder) -> None:
    """A help-button press arrives as a button_pressed event with device, room and UTC time."""
    with GatewayProcess(write_gateway_config(tmp_path, broker=mosquitto)) as gateway:
        gateway.command("press button-help")
        (message,) = recorder.wait_for("/events")
    assert message.topic == topic_for(GW, TopicKind.EVENTS)
    body = message.body
    assert (body["gateway_id"], body["device_id"], body["kind"], body["room"]) == (
        GW,
        "button-help",
        "button_pressed",
        "living_room",
    )
    assert datetime.fromisoformat(str(body["ts"])).utcoffset() is not None


def test_events_arrive_in_order(tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder) -> None:
    """Motion, door and motion events arrive once each, in the order they happened."""
    with GatewayProcess(write_gateway_config(tmp_path, broker=mosquitto)) as gateway:
        for command in ("motion pir-kitchen", "door door-front closed", "door door-front open", "motion pir-toilet"):
            gateway.command(command)
        events = recorder.wait_for("/events", lambda items: len(items) >= 4)
    assert [(item.body["device_id"], item.body["kind"]) for item in events] == [
        ("pir-kitchen", "motion_detected"),
        ("door-front", "door_closed"),
        ("door-front", "door_opened"),
        ("pir-toilet", "motion_detected"),
    ]


def test_readings_batch_arrives(
    tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder, sysfs: SysfsStandIn
) -> None:
    """`read` sends one batch with the DS18B20 and SHT3x values of the stand-in sysfs."""
    with GatewayProcess(write_gateway_config(tmp_path, broker=mosquitto, sysfs=sysfs)) as gateway:
        gateway.command("read")
        (message,) = recorder.wait_for("/readings")
    values = {(item["device_id"], item["metric"]): item["value"] for item in message.body["readings"]}
    assert values == {
        ("temp-living", "temperature_c"): 21.562,
        ("climate-living", "temperature_c"): 22.0,
        ("climate-living", "humidity_pct"): 45.5,
    }


def test_broken_sensor_does_not_stop_the_others(
    tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder, sysfs: SysfsStandIn
) -> None:
    """With a DS18B20 failing its CRC, the batch still carries the SHT3x values and events still flow."""
    sysfs.set_ds18b20("28-0000072431b2", millidegrees=21_562, crc_ok=False)
    with GatewayProcess(write_gateway_config(tmp_path, broker=mosquitto, sysfs=sysfs)) as gateway:
        gateway.command("read")
        gateway.command("press button-help")
        (message,) = recorder.wait_for("/readings")
        recorder.wait_for("/events")
        assert "temp-living" in gateway.log_tail()
    assert {item["device_id"] for item in message.body["readings"]} == {"climate-living"}


def test_online_status_is_retained(tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder) -> None:
    """A subscriber that comes later still sees the gateway online, with start time and firmware."""
    with GatewayProcess(write_gateway_config(tmp_path, broker=mosquitto)):
        recorder.wait_for("/status")
        late = MqttRecorder(mosquitto, topic=topic_for(GW, TopicKind.STATUS))
        try:
            (status,) = late.wait_for("/status")
        finally:
            late.stop()
    assert status.retain
    assert status.body["state"] == "online"
    assert status.body["firmware"] == FIRMWARE_VERSION
    assert status.body["outbox_depth"] == 0
    assert "started_at" in status.body


def test_killed_gateway_is_announced_offline(
    tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder
) -> None:
    """A gateway that dies (SIGKILL) is announced offline by the broker's Last Will, retained."""
    gateway = GatewayProcess(write_gateway_config(tmp_path, broker=mosquitto)).start()
    recorder.wait_for("/status", lambda items: any(item.body["state"] == "online" for item in items))
    gateway.kill()
    recorder.wait_for("/status", lambda items: items[-1].body["state"] == "offline")
    late = MqttRecorder(mosquitto, topic=topic_for(GW, TopicKind.STATUS))
    try:
        (retained,) = late.wait_for("/status")
    finally:
        late.stop()
    assert (retained.body["state"], retained.body["reason"]) == ("offline", "connection_lost")


def test_terminated_gateway_says_goodbye(tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder) -> None:
    """SIGTERM shuts the gateway down cleanly with a retained offline status, reason shutdown."""
    gateway = GatewayProcess(write_gateway_config(tmp_path, broker=mosquitto)).start()
    recorder.wait_for("/status", lambda items: any(item.body["state"] == "online" for item in items))
    assert gateway.terminate() == 0
    last = recorder.wait_for("/status", lambda items: items[-1].body["state"] == "offline")[-1]
    assert last.body["reason"] == "shutdown"


def test_outage_is_bridged_with_the_alarm_first(
    tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder
) -> None:
    """Events during a broker outage wait in the outbox and arrive once each, the alarm first."""
    with GatewayProcess(write_gateway_config(tmp_path, broker=mosquitto)) as gateway:
        recorder.wait_for("/status", lambda items: any(item.body["state"] == "online" for item in items))
        mosquitto.stop()
        for command in ("motion pir-living", "door door-front closed", "motion pir-kitchen", "press button-help"):
            gateway.command(command)
        assert gateway.outbox_depth() == 4
        mosquitto.start()
        events = recorder.wait_for("/events", lambda items: len(items) >= 4, timeout=30)
        wait_until(lambda: gateway.outbox_depth() == 0, timeout=10, what="outbox drained")
    assert [(item.body["device_id"], item.body["kind"]) for item in events] == [
        ("button-help", "button_pressed"),
        ("pir-living", "motion_detected"),
        ("door-front", "door_closed"),
        ("pir-kitchen", "motion_detected"),
    ]
    assert len({item.body["msg_id"] for item in events}) == 4


def test_outbox_survives_a_power_cut(tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder) -> None:
    """An alarm stored while offline is sent after the gateway is killed and started again."""
    config = write_gateway_config(tmp_path, broker=mosquitto)
    mosquitto.stop()
    gateway = GatewayProcess(config).start()
    gateway.command("press button-help")
    gateway.kill()
    assert gateway.outbox_depth() == 1
    mosquitto.start()
    with GatewayProcess(config) as restarted:
        (message,) = recorder.wait_for("/events", timeout=30)
        wait_until(lambda: restarted.outbox_depth() == 0, timeout=10, what="outbox drained")
    assert message.body["kind"] == "button_pressed"


def test_config_from_the_cloud_is_applied(tmp_path: Path, mosquitto: MosquittoBroker, pins: MockFactory) -> None:
    """A retained config on the config topic changes the heartbeat and reading periods."""
    settings = load_gateway_settings(write_gateway_config(tmp_path, broker=mosquitto, devices=[]))
    publish_config(mosquitto, config_message(GW, heartbeat_s=30, reading_s=120), retain=True)
    with running_agent(settings, pins=pins) as agent:
        wait_until(lambda: agent.intervals == Intervals(heartbeat_s=30, reading_s=120), timeout=10)


def test_config_for_another_gateway_is_refused(tmp_path: Path, mosquitto: MosquittoBroker, pins: MockFactory) -> None:
    """A config naming another gateway, or not valid, changes nothing."""
    settings = load_gateway_settings(write_gateway_config(tmp_path, broker=mosquitto, devices=[]))
    with running_agent(settings, pins=pins) as agent:
        wait_until(lambda: agent.uplink.connected, timeout=10, what="connected")
        for payload in (config_message("gw-other-002", heartbeat_s=30, reading_s=30), b"{not json"):
            publish_config(mosquitto, payload)
        wait_until(lambda: agent.uplink.rejected_configs == 2, timeout=10, what="two refusals")
        assert agent.intervals == Intervals(heartbeat_s=3600, reading_s=3600)


def test_help_button_answers_locally_without_network(tmp_path: Path, pins: MockFactory) -> None:
    """With no broker reachable, a press still lights the LED and is kept in the outbox."""
    unreachable = MosquittoBroker(tmp_path / "never-started", port=free_port())
    settings = load_gateway_settings(write_gateway_config(tmp_path, broker=unreachable))
    with running_agent(settings, pins=pins) as agent:
        pins.pin(25).drive_low()
        pins.pin(25).drive_high()
        wait_until(lambda: pins.pin(12).state, timeout=2, what="LED lit")
        wait_until(lambda: agent.stored == 1 and agent.pending_events == 0, timeout=5, what="event stored")
        assert not agent.uplink.connected


def test_event_time_comes_from_the_injected_clock(tmp_path: Path, pins: MockFactory) -> None:
    """An event is stamped with the agent's clock, in UTC, with its device's room."""
    moment = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    unreachable = MosquittoBroker(tmp_path / "never-started", port=free_port())
    settings = load_gateway_settings(write_gateway_config(tmp_path, broker=unreachable))
    with running_agent(settings, pins=pins, clock=ManualClock(moment)) as agent:
        pins.pin(24).drive_low()
        wait_until(lambda: agent.stored == 1 and agent.pending_events == 0, timeout=5, what="event stored")
    (entry,) = GatewayOutbox(settings.outbox.path).peek(10)
    event = decode(entry.kind, entry.payload)
    assert isinstance(event, Event)
    assert (event.ts, event.device_id, event.kind, event.room) == (
        moment,
        "door-front",
        EventKind.DOOR_CLOSED,
        "entrance",
    )
