"""Temperature/humidity sensor behind a Linux hwmon driver (sht3x, htu21, bme280 …).

The kernel exposes each sensor as ``<base_dir>/hwmonN/`` with a ``name`` file naming the
driver, ``temp1_input`` in millidegrees C and ``humidity1_input`` in milli-percent. The N
changes between boots, so the folder is found by its name and found again after a failure.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from edge.drivers.base import SensorError
from firmware_config import HwmonClimateDevice
from protocol import Metric, Reading

_FILES = (("temp1_input", Metric.TEMPERATURE_C), ("humidity1_input", Metric.HUMIDITY_PCT))


class HwmonClimateDriver:
    """Read temperature and humidity of one hwmon sensor."""

    def __init__(self, device: HwmonClimateDevice) -> None:
        self.device = device
        self._folder: Path | None = None

    def read(self, now: datetime) -> list[Reading]:
        """Return temperature and (when the sensor has it) humidity now, or raise SensorError."""
        if self._folder is not None:
            try:
                return self._read_folder(self._folder, now)
            except SensorError:
                self._folder = None  # the driver may have been re-bound under another hwmonN
        folder = self._find()
        readings = self._read_folder(folder, now)
        self._folder = folder
        return readings

    def close(self) -> None:
        """Nothing to release: the kernel owns the bus."""

    def _find(self) -> Path:
        try:
            candidates = sorted(self.device.base_dir.iterdir())
        except OSError as exc:
            raise SensorError(f"{self.device.base_dir}: {exc.strerror or exc}") from None
        for folder in candidates:
            try:
                name = (folder / "name").read_text(encoding="ascii", errors="replace").strip()
            except OSError:
                continue
            if name == self.device.hwmon:
                return folder
        raise SensorError(f"no hwmon device named {self.device.hwmon!r} under {self.device.base_dir}")

    def _read_folder(self, folder: Path, now: datetime) -> list[Reading]:
        readings = []
        for file_name, metric in _FILES:
            path = folder / file_name
            try:
                raw = path.read_text(encoding="ascii").strip()
            except FileNotFoundError:
                if metric is Metric.TEMPERATURE_C:
                    raise SensorError(f"{path}: missing") from None
                continue  # a temperature-only sensor has no humidity file
            except OSError as exc:
                raise SensorError(f"{path}: {exc.strerror or exc}") from None
            try:
                value = int(raw) / 1000
                readings.append(
                    Reading(device_id=self.device.id, metric=metric, value=value, ts=now, room=self.device.room)
                )
            except ValueError as exc:
                detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else f"not a number: {raw!r}"
                raise SensorError(f"{path}: {detail}") from None
        return readings
