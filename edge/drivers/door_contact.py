"""Reed switch on a door, on a GPIO pin with the internal pull-up → ``door_opened``/``door_closed``.

The switch is wired between the pin and ground, so a closed contact reads low (gpiozero's
Button "pressed"). With ``normally_closed`` the contact is closed while the door is shut.
"""

from __future__ import annotations

import logging
import threading

from gpiozero import Button
from gpiozero.pins import Factory

from edge.drivers.base import EmitEvent
from firmware_config import DoorContactDevice
from protocol import Clock, EventKind

log = logging.getLogger(__name__)


class DoorContactDriver:
    """Report each opening and closing of one door."""

    def __init__(
        self, device: DoorContactDevice, *, emit: EmitEvent, clock: Clock, pin_factory: Factory | None = None
    ) -> None:
        self.device = device
        self._emit = emit
        self._clock = clock
        self._lock = threading.Lock()
        self._triggers = 0
        bounce = device.bounce_s or None
        self._switch = Button(device.pin, pull_up=True, bounce_time=bounce, pin_factory=pin_factory)
        contact_closed, contact_opened = (
            (EventKind.DOOR_CLOSED, EventKind.DOOR_OPENED)
            if device.normally_closed
            else (EventKind.DOOR_OPENED, EventKind.DOOR_CLOSED)
        )
        self._switch.when_pressed = lambda: self._on_change(contact_closed)
        self._switch.when_released = lambda: self._on_change(contact_opened)

    @property
    def triggers(self) -> int:
        """How many times the contact changed."""
        return self._triggers

    @property
    def is_open(self) -> bool:
        """Tell whether the door is open now."""
        contact_closed = bool(self._switch.is_pressed)
        return contact_closed != self.device.normally_closed

    def close(self) -> None:
        """Release the pin."""
        self._switch.close()

    def _on_change(self, kind: EventKind) -> None:
        try:
            self._emit(self.device.id, kind)
        finally:
            with self._lock:
                self._triggers += 1
