"""PIR motion sensor (HC-SR501 class) on a GPIO pin → ``motion_detected`` events.

A PIR output stays high for a few seconds and re-triggers while someone moves, so one walk
past the sensor gives several rising edges. Edges within ``hold_s`` of the last event are
counted but not reported: the cloud needs signs of life, not a stream of duplicates.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from gpiozero import MotionSensor
from gpiozero.pins import Factory

from edge.drivers.base import EmitEvent, GpioInput
from firmware_config import PirMotionDevice
from protocol import Clock, EventKind

log = logging.getLogger(__name__)


class PirMotionDriver(GpioInput):
    """Report motion of one PIR sensor, at most once per re-trigger hold."""

    def __init__(
        self, device: PirMotionDevice, *, emit: EmitEvent, clock: Clock, pin_factory: Factory | None = None
    ) -> None:
        super().__init__(device.id, emit=emit, clock=clock)
        self.device = device
        self._hold = timedelta(seconds=device.hold_s)
        self._last_event: datetime | None = None
        self._sensor = MotionSensor(device.pin, pin_factory=pin_factory)
        self._sensor.when_motion = self._on_motion
        # gpiozero takes its first sample (≤ 0.1 s) as the initial state, not as an edge:
        # wait for it, or motion right after start would be taken for that state and lost
        _ = self._sensor.value

    @property
    def motion_detected(self) -> bool:
        """Tell whether the sensor sees motion right now."""
        return bool(self._sensor.motion_detected)

    def close(self) -> None:
        """Release the pin."""
        self._sensor.close()

    def _on_motion(self) -> None:
        now = self._clock.now()
        with self._lock:
            held = self._last_event is not None and now - self._last_event < self._hold
            if not held:
                self._last_event = now
        if held:
            log.debug("motion on %s within the hold: same event", self.device.id)
        self._report(None if held else EventKind.MOTION_DETECTED)
