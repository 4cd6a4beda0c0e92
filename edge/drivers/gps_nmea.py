"""A GPS receiver on a serial port speaking NMEA 0183, parsed with pynmea2.

GGA gives position, fix quality and HDOP; RMC gives the date (GGA has only the time of day)
and whether the fix is valid. A fix is reported once per GGA that has a fix, stamped with
the receiver's UTC time when a date is known (else the gateway's clock). Accuracy is
estimated as HDOP × ``uere_m`` (the receiver's range error, ~5 m for consumer chips).
Lines with a bad checksum or no fix are counted and dropped; the next line goes on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pynmea2  # type: ignore[import-untyped]

from firmware_config import GpsNmeaDevice
from protocol import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GpsFix:
    """One position from the receiver."""

    lat: float
    lon: float
    accuracy_m: float | None
    ts: datetime
    satellites: int | None


class NmeaFixReader:
    """Turn NMEA lines into fixes; keeps the date from RMC between lines."""

    def __init__(self, *, clock: Clock, uere_m: float = 5.0) -> None:
        self._clock = clock
        self._uere_m = uere_m
        self._date: date | None = None
        self.dropped: Counter[str] = Counter()

    def feed(self, line: str) -> GpsFix | None:
        """Take one line; return a fix when it completes one."""
        line = line.strip()
        if not line.startswith("$"):
            return None  # comments and blank lines of a capture
        try:
            sentence = pynmea2.parse(line, check=True)
        except (pynmea2.ParseError, pynmea2.ChecksumError, ValueError) as exc:
            self.dropped["unparsable"] += 1
            log.debug("NMEA line dropped: %s", exc)
            return None
        if isinstance(sentence, pynmea2.types.talker.RMC):
            if sentence.status == "A" and sentence.datestamp is not None:
                self._date = sentence.datestamp
            return None
        if not isinstance(sentence, pynmea2.types.talker.GGA):
            return None
        if not sentence.gps_qual or not sentence.lat or not sentence.lon:
            self.dropped["no_fix"] += 1
            return None
        return GpsFix(
            lat=round(float(sentence.latitude), 7),
            lon=round(float(sentence.longitude), 7),
            accuracy_m=self._accuracy(sentence.horizontal_dil),
            ts=self._when(sentence.timestamp),
            satellites=int(sentence.num_sats) if sentence.num_sats else None,
        )

    def fixes(self, lines: Iterable[str]) -> Iterator[GpsFix]:
        """Yield the fixes of a stream of lines."""
        for line in lines:
            fix = self.feed(line)
            if fix is not None:
                yield fix

    def _accuracy(self, hdop: str | None) -> float | None:
        try:
            return round(float(hdop) * self._uere_m, 1) if hdop else None
        except ValueError:
            return None

    def _when(self, time_of_day: object) -> datetime:
        if self._date is not None and hasattr(time_of_day, "hour"):
            moment = datetime.combine(self._date, time_of_day)  # type: ignore[arg-type]
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        return self._clock.now()


class GpsNmeaDriver:
    """Read fixes from a serial GPS (or any file-like path: a pty or a capture in tests)."""

    def __init__(self, device: GpsNmeaDevice, *, clock: Clock) -> None:
        self.device = device
        self.reader = NmeaFixReader(clock=clock, uere_m=device.uere_m)

    def lines(self) -> Iterator[str]:
        """Yield the lines of the port; blocks, so run it in a thread."""
        if self.device.port.startswith("/dev/tty") and not self.device.port.startswith("/dev/ttyp"):
            import serial  # type: ignore[import-untyped]  # only a gateway with a serial GPS needs it

            with serial.Serial(self.device.port, self.device.baud, timeout=2) as port:
                while True:
                    raw = port.readline()
                    if raw:
                        yield raw.decode("ascii", errors="replace")
        else:
            with open(self.device.port, encoding="ascii", errors="replace") as stream:
                yield from stream

    def fixes(self) -> Iterator[GpsFix]:
        """Yield fixes from the port; blocks."""
        return self.reader.fixes(self.lines())

    def close(self) -> None:
        """Nothing held between reads: the port closes with `lines`."""
