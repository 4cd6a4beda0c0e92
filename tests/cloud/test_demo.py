"""`mimamori demo --duration 30`: the whole system on one machine raises its scripted alerts and plays its scenes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from shapely import Point, Polygon
from sqlalchemy import select

from cloud.db import StoredEvent, Tracker, make_sessions
from cloud.demo import DATABASE_FILE, EmbeddedBroker, demo_homes
from cloud.demo_scenes import BROUGHT_HOME_AT, RESIDENT_LANGUAGES, WANDER_AT, flood_ring, plan_residents
from maps import TAITO_CITY, municipality_boundary
from protocol import GatewayState, GatewayStatus, ManualClock, TopicKind, decode, topic_for
from simulators import TOKYO, HouseholdConfig, HouseholdFleet, SimulatedHousehold
from tests.support import wait_until

MIMAMORI = Path(sys.executable).parent / "mimamori"
SCRIPTED_ALERTS = ("emergency_button", "inactivity", "gateway_offline", "safe_zone_exit")


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the demo run keeps its databases in, to be read after it ends."""
    return tmp_path_factory.mktemp("demo") / "data"


@pytest.fixture(scope="module")
def demo_run(demo_folder: Path) -> subprocess.CompletedProcess[str]:
    """Run the demo once for 30 wall seconds with stdout piped (not a terminal), as CI does."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIMAMORI_")}
    return subprocess.run(
        [str(MIMAMORI), "demo", "--duration", "30", "--port", "0", "--data-dir", str(demo_folder)],
        capture_output=True,
        text=True,
        timeout=110,
        env=env,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.timeout(130)
def test_demo_ends_by_itself_with_success(demo_run: subprocess.CompletedProcess[str]) -> None:
    """The demo stops after its duration and exits 0, every scripted alert having been raised."""
    assert demo_run.returncode == 0, demo_run.stdout[-3000:] + demo_run.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.timeout(130)
def test_demo_output_names_the_scripted_alerts(demo_run: subprocess.CompletedProcess[str]) -> None:
    """The plain output shows an ALERT line for the button, the inactivity, the gateway offline and the wanderer."""
    for rule in SCRIPTED_ALERTS:
        assert f"ALERT {rule} " in demo_run.stdout, demo_run.stdout[-3000:]


@pytest.mark.slow
@pytest.mark.timeout(130)
def test_demo_output_shows_a_notification_text(demo_run: subprocess.CompletedProcess[str]) -> None:
    """At least one notification text that reached the demo's inbox is printed."""
    notifications = [line for line in demo_run.stdout.splitlines() if "NOTIFICATION to " in line]
    assert notifications, demo_run.stdout[-3000:]
    assert any("緊急ボタン" in line for line in notifications)


@pytest.mark.slow
@pytest.mark.timeout(130)
def test_demo_wanderer_leaves_the_safe_zone_at_night_and_comes_back(
    demo_run: subprocess.CompletedProcess[str],
) -> None:
    """The wanderer's tracker is seen outside, "left home at night" opens too, and both resolve once home."""
    out = demo_run.stdout
    assert "ALERT left_home_at_night (critical)" in out, out[-3000:]
    assert re.search(r"TRACKER gps-wanderer .*: [0-9.]+ km from home, outside the safe zone", out), out[-3000:]
    assert "alert safe_zone_exit at " in out and " acknowledged" in out
    assert re.search(r"alert safe_zone_exit at taito-\d+ resolved", out), out[-3000:]


@pytest.mark.slow
@pytest.mark.timeout(130)
def test_demo_wanderers_home_is_quiet_while_he_is_out(
    demo_run: subprocess.CompletedProcess[str], demo_folder: Path
) -> None:
    """His front door opens as he leaves and as he is brought back; in between his home reports nothing."""
    assert demo_run.returncode == 0, demo_run.stdout[-3000:]
    sessions = make_sessions(f"sqlite:///{demo_folder / DATABASE_FILE}")
    try:
        with sessions() as session:
            household = session.get_one(Tracker, "gps-wanderer").household_id
            query = select(StoredEvent).where(StoredEvent.household_id == household).order_by(StoredEvent.ts)
            events = [(event.ts.astimezone(TOKYO), event.kind) for event in session.scalars(query)]
    finally:
        sessions.kw["bind"].dispose()

    def door_opened_at(hour: int, minute: int) -> datetime:
        opened = [ts for ts, kind in events if kind == "door_opened" and (ts.hour, ts.minute) == (hour, minute)]
        assert opened, f"no front door at {hour:02d}:{minute:02d}: {events}"
        return opened[0]

    left, back = door_opened_at(*WANDER_AT), door_opened_at(*BROUGHT_HOME_AT)
    # the console's timeline of an empty flat: the door shut behind him, then nothing till he is back
    assert [kind for ts, kind in events if left < ts < back] == ["door_closed"], events


@pytest.mark.slow
@pytest.mark.timeout(130)
def test_demo_flood_alert_reaches_every_device_in_its_area_and_answers_arrive(
    demo_run: subprocess.CompletedProcess[str],
) -> None:
    """The flood alert reaches all 16 devices inside its area; "safe" and "need help" answers come in."""
    out = demo_run.stdout
    assert "disaster alert: flood reached 16 of 16 devices in its area" in out, out[-3000:]
    found = re.search(r"answers: (\d+) safe, (\d+) need help, (\d+) not yet", out)
    assert found is not None, out[-3000:]
    safe, need_help, silent = (int(group) for group in found.groups())
    assert safe >= 5 and need_help == 1 and silent >= 1
    assert "DISASTER flood alert (隅田川沿い（台東区）" in out


def test_demo_residents_speak_five_languages_and_most_live_by_the_river() -> None:
    """The demo's resident devices mix ja/en/zh/ko/easy Japanese; 16 lie inside the flood area, 8 outside it."""
    residents = plan_residents(seed=2026)
    area = Polygon([(lon, lat) for lat, lon in flood_ring()])
    boundary = municipality_boundary(TAITO_CITY)
    assert {resident.language for resident in residents} == set(RESIDENT_LANGUAGES)
    assert sum(resident.inside for resident in residents) == 16 and len(residents) == 24
    assert all(area.contains(Point(r.lon, r.lat)) == r.inside for r in residents)
    assert all(boundary.contains(Point(r.lon, r.lat)) for r in residents)


def test_demo_flood_area_stops_at_the_ward_boundary() -> None:
    """The flood strip the demo's caseworker draws along the Sumida is one valid polygon inside Taito City."""
    area = Polygon([(lon, lat) for lat, lon in flood_ring()])
    boundary = municipality_boundary(TAITO_CITY)
    assert area.is_valid
    # its corners are rounded to 6 decimals (about 0.1 m): nothing lies farther out than that
    assert boundary.buffer(1e-6).covers(area)
    # and it still runs the whole of the ward's river bank, from its southern to its northern end
    assert area.bounds[1] < 35.697 and area.bounds[3] > 35.727


def test_demo_homes_lie_in_taito_city_with_an_address() -> None:
    """Every demo home stands inside Taito City and carries a Taito street address and a name."""
    boundary = municipality_boundary(TAITO_CITY)
    homes = demo_homes(20)
    assert all(boundary.contains(Point(home.lon, home.lat)) for home in homes)
    assert all(home.address.startswith("東京都台東区") and "丁目" in home.address for home in homes)
    assert len({home.gateway_id for home in homes}) == 20


@pytest.fixture
def embedded_broker() -> Iterator[EmbeddedBroker]:
    """The demo's in-process amqtt broker on a free loopback port."""
    broker = EmbeddedBroker().start()
    yield broker
    broker.stop()


def test_embedded_broker_sends_the_last_will_of_a_gateway_that_loses_power(embedded_broker: EmbeddedBroker) -> None:
    """On the demo's own broker a power cut reaches the cloud as the gateway's retained offline status."""
    statuses: list[GatewayStatus] = []
    lock = threading.Lock()

    def on_message(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        status = decode(TopicKind.STATUS, bytes(message.payload))
        assert isinstance(status, GatewayStatus)
        with lock:
            statuses.append(status)

    cloud = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-cloud", protocol=MQTTProtocolVersion.MQTTv311)
    cloud.on_message = on_message
    cloud.connect(embedded_broker.host, embedded_broker.port)
    cloud.subscribe(topic_for("gw-demo-0001", TopicKind.STATUS), qos=1)
    cloud.loop_start()
    start = datetime(2026, 11, 27, 6, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    clock = ManualClock(start)
    config = HouseholdConfig(host=embedded_broker.host, port=embedded_broker.port)
    home = SimulatedHousehold("gw-demo-0001", clock=clock, seed=1, config=config)
    try:
        with HouseholdFleet([home], clock=clock):
            home.power_loss(start + timedelta(minutes=1), timedelta(hours=1))
            clock.set(start + timedelta(minutes=2))

            def offline() -> list[GatewayStatus]:
                with lock:
                    return [status for status in statuses if status.state is GatewayState.OFFLINE]

            assert wait_until(offline, timeout=10, what="Last Will")[0].reason == "connection_lost"
    finally:
        cloud.disconnect()
        cloud.loop_stop()
