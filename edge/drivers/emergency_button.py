"""Help button on a GPIO pin → ``button_pressed``, with local LED and buzzer feedback.

The person pressing must know at once that the press was taken, network or not: the LED and
buzzer are driven right here in gpiozero's callback thread, before the event is handed on,
and nothing in that path waits for the agent, the disk or the broker.
"""

from __future__ import annotations

import logging

from gpiozero import LED, Button, Buzzer
from gpiozero.pins import Factory

from edge.drivers.base import EmitEvent, GpioInput
from firmware_config import EmergencyButtonDevice
from protocol import Clock, EventKind

log = logging.getLogger(__name__)

BEEP_ON_S = 0.3
BEEP_OFF_S = 0.2
BEEPS = 5


class EmergencyButtonDriver(GpioInput):
    """Report presses of one help button and answer each press locally with light and sound."""

    def __init__(
        self, device: EmergencyButtonDevice, *, emit: EmitEvent, clock: Clock, pin_factory: Factory | None = None
    ) -> None:
        super().__init__(device.id, emit=emit, clock=clock)
        self.device = device
        bounce = device.bounce_s or None
        self._button = Button(device.pin, pull_up=True, bounce_time=bounce, pin_factory=pin_factory)
        self._led = LED(device.led_pin, pin_factory=pin_factory) if device.led_pin is not None else None
        self._buzzer = Buzzer(device.buzzer_pin, pin_factory=pin_factory) if device.buzzer_pin is not None else None
        self._button.when_pressed = self._on_press

    @property
    def led_lit(self) -> bool:
        """Tell whether the feedback LED is lit now."""
        return self._led is not None and bool(self._led.is_lit)

    def close(self) -> None:
        """Switch the feedback off and release the pins."""
        for part in (self._button, self._led, self._buzzer):
            if part is not None:
                part.close()

    def _on_press(self) -> None:
        log.warning("help button %s pressed", self.device.id)
        try:
            self._give_feedback()
        finally:
            self._report(EventKind.BUTTON_PRESSED)

    def _give_feedback(self) -> None:
        # a failing LED must not swallow the call for help, so each part is tried on its own
        try:
            if self._led is not None:
                self._led.on()
                # blink once for feedback_s: gpiozero's own timer thread switches it off again
                self._led.blink(on_time=self.device.feedback_s, off_time=0, n=1, background=True)
        except Exception:
            log.exception("feedback LED of %s failed", self.device.id)
        try:
            if self._buzzer is not None:
                self._buzzer.beep(on_time=BEEP_ON_S, off_time=BEEP_OFF_S, n=BEEPS, background=True)
        except Exception:
            log.exception("buzzer of %s failed", self.device.id)
