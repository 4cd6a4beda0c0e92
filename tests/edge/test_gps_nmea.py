"""The serial GPS driver on a real receiver's NMEA capture (gpsd's regression log, BSD-2-Clause).

tests/edge/data/gpsd-bu353s4.nmea is the start of gpsd's test/daemon/bu353s4.log (GlobalSat
BU-353-S4, Hamilton NZ, 2014-12-31); see tests/edge/data/README.md for source and licence.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from edge.drivers import GpsNmeaDriver, NmeaFixReader
from firmware_config import GatewaySettings, GpsNmeaDevice
from protocol import ManualClock
from tests.edge.conftest import GW, MqttRecorder, running_agent
from tests.support import MosquittoBroker

CAPTURE = Path(__file__).parent / "data" / "gpsd-bu353s4.nmea"
CLOCK = ManualClock(datetime(2026, 11, 26, tzinfo=UTC))


def test_capture_gives_one_fix_per_gga_with_receiver_time() -> None:
    """Each GGA of the capture becomes a fix near Hamilton at the receiver's UTC time."""
    driver = GpsNmeaDriver(GpsNmeaDevice(type="gps_nmea", id="gps-1", port=str(CAPTURE)), clock=CLOCK)
    fixes = list(driver.fixes())
    assert len(fixes) == 3
    first = fixes[0]
    assert abs(first.lat - (-(37 + 47.0873 / 60))) < 1e-6
    assert abs(first.lon - (175 + 18.8938 / 60)) < 1e-6
    assert first.satellites == 8
    assert first.accuracy_m == 5.5  # HDOP 1.1 × 5 m
    # the first GGA comes before any RMC: no date yet, so the gateway's clock stamps it
    assert first.ts == CLOCK.now()
    assert fixes[1].ts == datetime(2014, 12, 31, 3, 7, 20, tzinfo=UTC)


def test_a_corrupted_line_is_dropped_and_the_next_one_parses() -> None:
    """A line with a wrong checksum is counted and skipped; the following good one still gives a fix."""
    reader = NmeaFixReader(clock=CLOCK)
    good = "$GPGGA,030720.000,3747.0875,S,17518.8938,E,1,08,1.1,59.8,M,23.7,M,,0000*70"
    assert reader.feed(good[:-2] + "00") is None
    assert reader.feed(good) is not None
    assert reader.dropped["unparsable"] == 1


def test_a_gga_without_fix_gives_no_position() -> None:
    """Fix quality 0 (no satellites yet) is not reported as a position."""
    reader = NmeaFixReader(clock=CLOCK)
    assert reader.feed("$GPGGA,030720.000,,,,,0,00,,,M,,M,,0000*52") is None


def test_gateway_sends_the_captured_fixes_to_the_broker(
    tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder, pins: MockFactory
) -> None:
    """A gateway with the capture as its GPS port publishes one location fix per GGA."""
    settings = GatewaySettings(
        gateway_id=GW,
        mqtt={"host": mosquitto.host, "port": mosquitto.port},  # type: ignore[arg-type]
        outbox={"path": tmp_path / "outbox.sqlite3"},  # type: ignore[arg-type]
        devices=[GpsNmeaDevice(type="gps_nmea", id="gps-1", port=str(CAPTURE), min_interval_s=1)],
    )
    with running_agent(settings, pins=pins, clock=CLOCK):
        fixes = recorder.wait_for("/location", lambda received: len(received) >= 3)
    bodies = [fix.body for fix in fixes]
    assert {body["source"] for body in bodies} == {"gps"}
    assert bodies[-1]["ts"].startswith("2014-12-31T03:07:21")
