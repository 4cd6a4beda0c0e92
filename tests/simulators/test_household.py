"""A simulated household on a real Mosquitto: its day, its incidents, its gateway's health."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from protocol import (
    Event,
    EventKind,
    GatewayState,
    GatewayStatus,
    ManualClock,
    ReadingBatch,
    decode,
    parse_topic,
    uplink_filter,
)
from simulators import HouseholdConfig, HouseholdFleet, SimulatedHousehold
from tests.support import MosquittoBroker, wait_until

TOKYO = ZoneInfo("Asia/Tokyo")
# 05:00 in Tokyo, before anyone is up; seed 11's first day has an outing (checked below)
START = datetime(2026, 11, 27, 5, 0, tzinfo=TOKYO)
SEED = 11


class Listener:
    """A cloud-side subscriber that decodes everything the gateways send."""

    def __init__(self, broker: MosquittoBroker) -> None:
        self.messages: list[Event | GatewayStatus | ReadingBatch] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-listener-{id(self)}")
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.subscribe(uplink_filter(), qos=1)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        kind = parse_topic(message.topic).kind
        decoded = decode(kind, bytes(message.payload))
        assert isinstance(decoded, Event | GatewayStatus | ReadingBatch)
        with self._lock:
            self.messages.append(decoded)

    def events(self, kind: EventKind | None = None) -> list[Event]:
        with self._lock:
            return [m for m in self.messages if isinstance(m, Event) and (kind is None or m.kind == kind)]

    def statuses(self) -> list[GatewayStatus]:
        with self._lock:
            return [m for m in self.messages if isinstance(m, GatewayStatus)]

    def batches(self) -> list[ReadingBatch]:
        with self._lock:
            return [m for m in self.messages if isinstance(m, ReadingBatch)]

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def listener(mosquitto: MosquittoBroker) -> Iterator[Listener]:
    subscriber = Listener(mosquitto)
    wait_until(lambda: subscriber.client.is_connected(), timeout=5, what="listener connected")
    yield subscriber
    subscriber.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def household(mosquitto: MosquittoBroker, clock: ManualClock) -> SimulatedHousehold:
    config = HouseholdConfig(host=mosquitto.host, port=mosquitto.port)
    return SimulatedHousehold("gw-taito-0001", clock=clock, seed=SEED, config=config)


@pytest.fixture
def fleet(household: SimulatedHousehold, clock: ManualClock, listener: Listener) -> Iterator[HouseholdFleet]:
    with HouseholdFleet([household], clock=clock) as running:
        yield running


def run_until(clock: ManualClock, fleet: HouseholdFleet, listener: Listener, moment: datetime) -> None:
    """Move simulated time to `moment` and wait until everything published has arrived."""
    clock.set(moment)
    wait_until(
        lambda: (
            fleet.advanced_to is not None
            and fleet.advanced_to >= moment
            and listener.count() >= fleet.published
            and fleet.error is None
        ),
        timeout=20,
        what="all published messages delivered",
    )


def local_hour(moment: datetime) -> float:
    local = moment.astimezone(TOKYO)
    return local.hour + local.minute / 60


def test_morning_brings_motion_in_the_kitchen(clock: ManualClock, fleet: HouseholdFleet, listener: Listener) -> None:
    """Over a simulated morning the kitchen sensor reports motion (breakfast)."""
    run_until(clock, fleet, listener, START + timedelta(hours=6))
    kitchen = [e for e in listener.events(EventKind.MOTION_DETECTED) if e.room == "kitchen"]
    assert any(6 <= local_hour(e.ts) < 10 for e in kitchen)


def test_no_motion_inside_while_the_resident_is_out(
    clock: ManualClock, fleet: HouseholdFleet, listener: Listener, household: SimulatedHousehold
) -> None:
    """During an outing the door opens and closes and no room reports motion until the return."""
    run_until(clock, fleet, listener, START + timedelta(days=1))
    stays = household.routine.plan(START.date())
    outings = [stay for stay in stays if stay.place == "out"]
    assert outings, "the seed's day should have an outing"
    motion = listener.events(EventKind.MOTION_DETECTED)
    for outing in outings:
        assert not [e for e in motion if outing.start < e.ts < outing.end]
        doors = [e.kind for e in listener.events() if e.device_id == "door-entrance" and e.ts >= outing.start]
        assert doors[:2] == [EventKind.DOOR_OPENED, EventKind.DOOR_CLOSED]


def test_heartbeats_and_readings_follow_the_simulated_clock(
    clock: ManualClock, fleet: HouseholdFleet, listener: Listener
) -> None:
    """Ten simulated minutes bring a heartbeat a minute and two climate batches."""
    for minute in range(1, 11):
        run_until(clock, fleet, listener, START + timedelta(minutes=minute))
    heartbeats = [s for s in listener.statuses() if s.state is GatewayState.ONLINE and s.uptime_s]
    assert len(heartbeats) >= 9
    batches = listener.batches()
    assert len(batches) == 2
    assert {r.metric.value for r in batches[0].readings} == {"temperature_c", "humidity_pct"}


def test_emergency_button_publishes_button_pressed(
    clock: ManualClock, fleet: HouseholdFleet, listener: Listener, household: SimulatedHousehold
) -> None:
    """A scripted emergency publishes a button_pressed event stamped with its simulated time."""
    pressed_at = START + timedelta(hours=1, minutes=30)
    household.emergency_button(pressed_at)
    run_until(clock, fleet, listener, START + timedelta(hours=2))
    presses = listener.events(EventKind.BUTTON_PRESSED)
    assert [press.ts for press in presses] == [pressed_at]


def test_after_a_fall_nothing_moves(
    clock: ManualClock, fleet: HouseholdFleet, listener: Listener, household: SimulatedHousehold
) -> None:
    """After a fall no motion is reported, while the gateway keeps sending its heartbeat."""
    fell_at = START + timedelta(hours=3)
    household.fall(fell_at)
    run_until(clock, fleet, listener, START + timedelta(hours=9))
    motion = listener.events(EventKind.MOTION_DETECTED)
    assert any(e.ts < fell_at for e in motion)
    assert not [e for e in motion if e.ts >= fell_at]
    assert max(s.ts for s in listener.statuses()) > fell_at + timedelta(hours=5)
    assert household.place_at(START + timedelta(hours=8)).startswith("fallen in")


def test_power_loss_makes_the_broker_send_the_last_will(
    clock: ManualClock, fleet: HouseholdFleet, listener: Listener, household: SimulatedHousehold
) -> None:
    """A power cut drops the connection, so the broker delivers the retained offline Last Will."""
    household.power_loss(START + timedelta(minutes=10), timedelta(minutes=30))
    clock.set(START + timedelta(minutes=15))
    offline = wait_until(
        lambda: [s for s in listener.statuses() if s.state is GatewayState.OFFLINE],
        timeout=10,
        what="offline status",
    )
    assert offline[0].reason == "connection_lost"


def test_gateway_comes_back_with_a_new_start_time(
    clock: ManualClock, fleet: HouseholdFleet, listener: Listener, household: SimulatedHousehold
) -> None:
    """After the power returns the gateway reports online again with a new started_at."""
    household.power_loss(START + timedelta(minutes=10), timedelta(minutes=30))
    clock.set(START + timedelta(minutes=15))
    wait_until(lambda: not household.powered, timeout=5, what="power cut")
    clock.set(START + timedelta(minutes=45))
    back = wait_until(
        lambda: [s for s in listener.statuses() if s.started_at == START + timedelta(minutes=40)],
        timeout=10,
        what="online status after the power returned",
    )
    assert back[0].state is GatewayState.ONLINE


def test_the_retained_status_reads_offline_during_the_power_cut(
    mosquitto: MosquittoBroker, clock: ManualClock, fleet: HouseholdFleet, household: SimulatedHousehold
) -> None:
    """A subscriber arriving during the power cut is told at once that the gateway is offline."""
    household.power_loss(START + timedelta(minutes=10), timedelta(hours=2))
    clock.set(START + timedelta(minutes=15))
    wait_until(lambda: not household.powered, timeout=5, what="power cut")

    def retained_state() -> GatewayState | None:
        latecomer = Listener(mosquitto)
        try:
            found = wait_until(latecomer.statuses, timeout=5, what="retained status")
            return found[-1].state
        finally:
            latecomer.stop()

    assert wait_until(lambda: retained_state() is GatewayState.OFFLINE, timeout=10, what="retained offline")


def test_a_clean_shutdown_leaves_a_retained_offline_status(
    clock: ManualClock, fleet: HouseholdFleet, listener: Listener
) -> None:
    """Stopping the fleet sends each gateway's offline status with reason shutdown, not a Last Will."""
    run_until(clock, fleet, listener, START + timedelta(minutes=5))
    fleet.stop()
    offline = wait_until(
        lambda: [s for s in listener.statuses() if s.state is GatewayState.OFFLINE],
        timeout=10,
        what="offline status",
    )
    assert [status.reason for status in offline] == ["shutdown"]
