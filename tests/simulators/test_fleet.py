"""Many simulated households on one fleet thread."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from protocol import ManualClock
from simulators import HouseholdConfig, HouseholdFleet, SimulatedHousehold
from tests.support import MosquittoBroker, wait_until

START = datetime(2026, 11, 27, 7, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_one_thread_runs_thirty_households(mosquitto: MosquittoBroker) -> None:
    """Thirty gateways connect and report through an hour of simulated time on a single extra thread."""
    clock = ManualClock(START)
    config = HouseholdConfig(host=mosquitto.host, port=mosquitto.port)
    homes = [SimulatedHousehold(f"gw-fleet-{n:04d}", clock=clock, seed=n, config=config) for n in range(30)]
    threads_before = threading.active_count()
    with HouseholdFleet(homes, clock=clock) as fleet:
        assert threading.active_count() == threads_before + 1
        for minute in range(1, 61):
            clock.set(START + timedelta(minutes=minute))
            wait_until(lambda: fleet.advanced_to == clock.now(), timeout=10, what="fleet caught up")
        # an hour brings 60 heartbeats and 12 climate batches to every home, besides its events
        assert all(home.published >= 60 + 12 for home in homes)
        assert fleet.error is None


def test_gateways_reconnect_after_the_broker_restarts(mosquitto: MosquittoBroker) -> None:
    """When the broker goes away and comes back, every gateway connects again by itself."""
    clock = ManualClock(START)
    config = HouseholdConfig(host=mosquitto.host, port=mosquitto.port)
    homes = [SimulatedHousehold(f"gw-restart-{n:04d}", clock=clock, seed=n, config=config) for n in range(3)]
    with HouseholdFleet(homes, clock=clock):
        mosquitto.stop()
        wait_until(lambda: not any(home.connected for home in homes), timeout=10, what="gateways see the broker gone")
        mosquitto.start()
        assert wait_until(lambda: all(home.connected for home in homes), timeout=15, what="gateways reconnected")
