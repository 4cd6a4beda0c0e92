"""CASAS smart-home logs turned into gateway messages, for replaying real homes.

A CASAS line is `date time sensor value [activity label…]`, separated by tabs or spaces, with
or without fractions of a second (`2010-11-04 00:03:50.209589 M003 ON Sleep begin`). Sensors
map by their first letter: M* motion (ON is a movement; OFF is the sensor resetting and is
skipped), D* door (OPEN/CLOSE), T* temperature (°C). Lines that cannot be read are counted and
skipped; the good lines beside them survive. Times are local to the home (Asia/Tokyo unless
told otherwise) and become UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from protocol import Event, EventKind, Metric, Reading, ReadingBatch, UplinkMessage, new_message_id
from simulators.routine import TOKYO

_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True, slots=True)
class CasasRecord:
    """One sensor line of a CASAS log."""

    at: datetime
    sensor: str
    value: str
    label: str = ""


@dataclass(slots=True)
class CasasLog:
    """The records read from a log, and how many lines were skipped (and why)."""

    records: list[CasasRecord] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def parse_casas(lines: Iterable[str], *, zone: tzinfo = TOKYO) -> CasasLog:
    """Read CASAS lines into records in time order; count what cannot be used."""
    log = CasasLog()
    for line in lines:
        parts = line.split()
        if not parts or line.lstrip().startswith("#"):
            continue
        if len(parts) < 4:
            log.skip("short line")
            continue
        moment = _parse_time(f"{parts[0]} {parts[1]}")
        if moment is None:
            log.skip("bad time")
            continue
        label = " ".join(parts[4:])
        log.records.append(CasasRecord(moment.replace(tzinfo=zone).astimezone(UTC), parts[2], parts[3], label))
    log.records.sort(key=lambda record: record.at)
    return log


def _parse_time(text: str) -> datetime | None:
    """Read a CASAS wall-clock time (naive: the caller gives it the home's zone)."""
    for form in _FORMATS:
        try:
            return datetime.strptime(text, form)  # noqa: DTZ007 (local wall time, zoned by the caller)
        except ValueError:
            continue
    return None


def casas_messages(log: CasasLog, *, gateway_id: str) -> Iterator[UplinkMessage]:
    """Turn records into the messages a gateway would send, in time order."""
    for record in log.records:
        if record.sensor[:1].upper() == "M" and record.value.upper() == "OFF":
            continue  # the PIR resetting: not a movement, and not an error either
        message = _message(record, gateway_id)
        if message is None:
            log.skip("unknown sensor or value")
        else:
            yield message


def _message(record: CasasRecord, gateway_id: str) -> UplinkMessage | None:
    kind = record.sensor[:1].upper()
    device_id = record.sensor.lower()
    value = record.value.upper()
    if kind == "M" and value == "ON":
        return Event(
            msg_id=new_message_id(),
            gateway_id=gateway_id,
            ts=record.at,
            device_id=device_id,
            kind=EventKind.MOTION_DETECTED,
            room=device_id,
        )
    if kind == "D" and value in ("OPEN", "CLOSE", "OPENED", "CLOSED"):
        door = EventKind.DOOR_OPENED if value.startswith("OPEN") else EventKind.DOOR_CLOSED
        return Event(
            msg_id=new_message_id(),
            gateway_id=gateway_id,
            ts=record.at,
            device_id=device_id,
            kind=door,
            room="entrance",
        )
    if kind == "T":
        try:
            celsius = float(record.value)
        except ValueError:
            return None
        reading = Reading(device_id=device_id, metric=Metric.TEMPERATURE_C, value=celsius, ts=record.at)
        return ReadingBatch(msg_id=new_message_id(), gateway_id=gateway_id, ts=record.at, readings=[reading])
    return None
