"""Reed switch on a door, on a GPIO pin with the internal pull-up → ``door_opened``/``door_closed``.

The switch is wired between the pin and ground, so a closed contact reads low (gpiozero's
Button "pressed"). With ``normally_closed`` the contact is closed while the door is shut.
"""

from __future__ import annotations

import logging

from gpiozero import Button
from gpiozero.pins import Factory

from edge.drivers.base import EmitEvent, GpioInput
from firmware_config import DoorContactDevice
from protocol import Clock, EventKind

log = logging.getLogger(__name__)


class DoorContactDriver(GpioInput):
    """Report each opening and closing of one door."""

    def __init__(
        self, device: DoorContactDevice, *, emit: EmitEvent, clock: Clock, pin_factory: Factory | None = None
    ) -> None:
        super().__init__(device.id, emit=emit, clock=clock)
        self.device = device
        bounce = device.bounce_s or None
        self._switch = Button(device.pin, pull_up=True, bounce_time=bounce, pin_factory=pin_factory)
        contact_closed, contact_opened = (
            (EventKind.DOOR_CLOSED, EventKind.DOOR_OPENED)
            if device.normally_closed
            else (EventKind.DOOR_OPENED, EventKind.DOOR_CLOSED)
        )
        self._switch.when_pressed = lambda: self._report(contact_closed)
        self._switch.when_released = lambda: self._report(contact_opened)

    @property
    def is_open(self) -> bool:
        """Tell whether the door is open now."""
        contact_closed = bool(self._switch.is_pressed)
        return contact_closed != self.device.normally_closed

    def close(self) -> None:
        """Release the pin."""
        self._switch.close()
