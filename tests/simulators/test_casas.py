"""CASAS logs: read in any of their spellings, and replayed as a household through the real stack."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from protocol import Event, EventKind, ReadingBatch
from simulators.casas import casas_messages, parse_casas
from tests.support import MosquittoBroker

MORNING = Path(__file__).parents[1] / "data" / "casas_morning.txt"


def test_lines_with_tabs_spaces_fractions_and_labels_are_read() -> None:
    """Tabs or spaces, with or without fractions, with or without an activity label: all are records."""
    log = parse_casas(
        [
            "2010-11-04 00:03:50.209589\tM003\tON\tSleep begin",
            "2010-11-04 00:04:10 M003 OFF",
            "2010-11-04  00:05:00   D001   OPEN",
            "2010-11-04 00:06:00.5 T001 21.5",
        ]
    )
    assert [(record.sensor, record.value, record.label) for record in log.records] == [
        ("M003", "ON", "Sleep begin"),
        ("M003", "OFF", ""),
        ("D001", "OPEN", ""),
        ("T001", "21.5", ""),
    ]
    assert log.records[0].at == datetime(2010, 11, 3, 15, 3, 50, 209589, tzinfo=UTC)


def test_bad_lines_are_counted_and_the_rest_survive() -> None:
    """A line that is not a record is counted as skipped; the good lines beside it are kept."""
    log = parse_casas(["not a record", "2010-11-04 25:00:00 M001 ON", "2010-11-04 07:00:00 M001 ON"])
    assert len(log.records) == 1
    assert log.skipped == {"short line": 1, "bad time": 1}


def test_sensors_map_to_motion_door_and_temperature_messages() -> None:
    """M ON is a movement, D OPEN/CLOSE a door, T a temperature reading; M OFF is no message."""
    log = parse_casas(
        [
            "2010-11-04 07:00:00 M001 ON",
            "2010-11-04 07:00:30 M001 OFF",
            "2010-11-04 07:01:00 D002 CLOSE",
            "2010-11-04 07:02:00 T001 19.0",
        ]
    )
    messages = list(casas_messages(log, gateway_id="gw-casas"))
    assert [m.kind for m in messages if isinstance(m, Event)] == [EventKind.MOTION_DETECTED, EventKind.DOOR_CLOSED]
    [batch] = [m for m in messages if isinstance(m, ReadingBatch)]
    assert batch.readings[0].value == 19.0


def test_replay_raises_inactivity_after_the_morning_goes_still(mosquitto: MosquittoBroker) -> None:
    """Replaying a morning that goes still at 08:00 raises "no movement" about four hours later."""
    from cloud.replay import replay_casas

    report = replay_casas(MORNING, household_id="casas-1", mqtt_host=mosquitto.host, mqtt_port=mosquitto.port)
    assert [alert.rule for alert in report.alerts] == ["inactivity"]
    opened = report.alerts[0].opened_at
    assert datetime(2010, 11, 4, 3, 0, tzinfo=UTC) <= opened <= datetime(2010, 11, 4, 3, 15, tzinfo=UTC)
    assert report.skipped == {"bad time": 1}
