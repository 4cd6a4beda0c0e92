"""DS18B20 1-Wire thermometer, read through the kernel's w1_therm driver.

``<base_dir>/<serial>/w1_slave`` holds two lines; the first ends in ``YES`` when the CRC of
the scratchpad matched, the second ends in ``t=<millidegrees C>``::

    72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
    72 01 4b 46 7f ff 0e 10 57 t=23125

85000 (85 °C) is the power-on value of the scratchpad: the sensor reset and did not convert.
Reading the file starts a conversion (about 750 ms), so call `read` off the event loop.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import ValidationError

from edge.drivers.base import SensorError
from firmware_config import Ds18b20Device
from protocol import Metric, Reading

POWER_ON_MILLIDEGREES = 85_000
_TEMPERATURE = re.compile(r"t=(-?\d+)\s*$")


class Ds18b20Driver:
    """Read the temperature of one DS18B20."""

    def __init__(self, device: Ds18b20Device) -> None:
        self.device = device
        self.path = device.base_dir / device.serial / "w1_slave"

    def read(self, now: datetime) -> list[Reading]:
        """Return the temperature now, or raise SensorError."""
        try:
            text = self.path.read_text(encoding="ascii", errors="replace")
        except OSError as exc:
            raise SensorError(f"{self.path}: {exc.strerror or exc}") from None
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            raise SensorError(f"{self.path}: short read {text!r}")
        if not lines[0].endswith("YES"):
            raise SensorError(f"{self.path}: CRC check failed")
        match = _TEMPERATURE.search(lines[1])
        if match is None:
            raise SensorError(f"{self.path}: no temperature in {lines[1]!r}")
        millidegrees = int(match.group(1))
        if millidegrees == POWER_ON_MILLIDEGREES:
            raise SensorError(f"{self.path}: power-on value 85 °C, the sensor did not convert")
        try:
            return [
                Reading(
                    device_id=self.device.id,
                    metric=Metric.TEMPERATURE_C,
                    value=millidegrees / 1000,
                    ts=now,
                    room=self.device.room,
                )
            ]
        except ValidationError as exc:
            raise SensorError(f"{self.path}: {exc.errors()[0]['msg']}") from None

    def close(self) -> None:
        """Nothing to release: the kernel owns the bus."""
