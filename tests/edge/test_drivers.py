"""Sensor drivers on gpiozero mock pins and a stand-in sysfs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from edge.drivers import (
    DoorContactDriver,
    Ds18b20Driver,
    EmergencyButtonDriver,
    HwmonClimateDriver,
    PirMotionDriver,
    SensorError,
)
from firmware_config import (
    DoorContactDevice,
    Ds18b20Device,
    EmergencyButtonDevice,
    HwmonClimateDevice,
    PirMotionDevice,
)
from protocol import EventKind, ManualClock, Metric
from tests.support import wait_until
from tests.support.gateway_process import SysfsStandIn

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SERIAL = "28-0000072431b2"


class Recorded(list[tuple[str, EventKind]]):
    """The events a driver reported, in order."""

    def __call__(self, device_id: str, kind: EventKind) -> None:
        self.append((device_id, kind))


def button_device(**overrides: object) -> EmergencyButtonDevice:
    fields: dict[str, object] = {
        "type": "emergency_button",
        "id": "button-help",
        "pin": 25,
        "led_pin": 12,
        "buzzer_pin": 13,
        "room": "living_room",
        "bounce_s": None,
    }
    return EmergencyButtonDevice.model_validate(fields | overrides)


def press(pins: MockFactory, pin: int) -> None:
    pins.pin(pin).drive_low()
    pins.pin(pin).drive_high()


def test_button_press_reports_an_alarm(pins: MockFactory) -> None:
    """Pressing the help button reports one button_pressed event."""
    events = Recorded()
    driver = EmergencyButtonDriver(button_device(), emit=events, clock=ManualClock(NOW), pin_factory=pins)
    press(pins, 25)
    assert events == [("button-help", EventKind.BUTTON_PRESSED)]
    driver.close()


def test_button_press_lights_the_led(pins: MockFactory) -> None:
    """A press lights the LED for the person who pressed."""
    driver = EmergencyButtonDriver(button_device(), emit=Recorded(), clock=ManualClock(NOW), pin_factory=pins)
    press(pins, 25)
    wait_until(lambda: pins.pin(12).state, timeout=2, what="LED lit")
    assert driver.led_lit
    driver.close()


def test_button_press_sounds_the_buzzer(pins: MockFactory) -> None:
    """A press sounds the buzzer."""
    driver = EmergencyButtonDriver(button_device(), emit=Recorded(), clock=ManualClock(NOW), pin_factory=pins)
    press(pins, 25)
    wait_until(lambda: any(state.state for state in pins.pin(13).states), timeout=2, what="buzzer on")
    driver.close()


def test_feedback_comes_even_when_reporting_fails(pins: MockFactory) -> None:
    """The LED lights even if the event cannot be handed on (no agent, no network)."""

    def broken(device_id: str, kind: EventKind) -> None:
        raise RuntimeError("the agent is gone")

    driver = EmergencyButtonDriver(button_device(), emit=broken, clock=ManualClock(NOW), pin_factory=pins)
    with pytest.raises(RuntimeError):
        driver._on_press()  # gpiozero would swallow this in its thread; call directly to see it
    wait_until(lambda: pins.pin(12).state, timeout=2, what="LED lit")
    driver.close()


def test_button_without_led_or_buzzer_still_reports(pins: MockFactory) -> None:
    """A bare button, with no LED or buzzer wired, still reports the press."""
    events = Recorded()
    device = button_device(led_pin=None, buzzer_pin=None)
    driver = EmergencyButtonDriver(device, emit=events, clock=ManualClock(NOW), pin_factory=pins)
    press(pins, 25)
    assert [kind for _, kind in events] == [EventKind.BUTTON_PRESSED]
    driver.close()


def door_device(*, normally_closed: bool = True) -> DoorContactDevice:
    return DoorContactDevice(
        type="door_contact", id="door-front", pin=24, room="entrance", normally_closed=normally_closed, bounce_s=None
    )


def test_door_reports_opening_and_closing(pins: MockFactory) -> None:
    """A normally-closed contact reports door_closed when it closes and door_opened when it opens."""
    events = Recorded()
    driver = DoorContactDriver(door_device(), emit=events, clock=ManualClock(NOW), pin_factory=pins)
    pins.pin(24).drive_low()
    assert not driver.is_open
    pins.pin(24).drive_high()
    assert driver.is_open
    assert [kind for _, kind in events] == [EventKind.DOOR_CLOSED, EventKind.DOOR_OPENED]
    driver.close()


def test_normally_open_contact_is_inverted(pins: MockFactory) -> None:
    """A normally-open contact reports door_opened when the contact closes."""
    events = Recorded()
    driver = DoorContactDriver(
        door_device(normally_closed=False), emit=events, clock=ManualClock(NOW), pin_factory=pins
    )
    pins.pin(24).drive_low()
    assert events == [("door-front", EventKind.DOOR_OPENED)]
    driver.close()


def pir(pins: MockFactory, clock: ManualClock, events: Recorded, *, hold_s: float = 30) -> PirMotionDriver:
    device = PirMotionDevice(type="pir_motion", id="pir-living", pin=17, room="living_room", hold_s=hold_s)
    return PirMotionDriver(device, emit=events, clock=clock, pin_factory=pins)


def walk_past(pins: MockFactory, driver: PirMotionDriver) -> None:
    before = driver.triggers
    pins.pin(17).drive_high()
    wait_until(lambda: driver.triggers > before, timeout=2, what="PIR to fire")
    pins.pin(17).drive_low()
    wait_until(lambda: not driver.motion_detected, timeout=2, what="PIR to settle")


def test_motion_is_reported(pins: MockFactory) -> None:
    """Motion in front of the PIR is reported as motion_detected."""
    events = Recorded()
    driver = pir(pins, ManualClock(NOW), events)
    walk_past(pins, driver)
    assert events == [("pir-living", EventKind.MOTION_DETECTED)]
    driver.close()


def test_retrigger_within_hold_is_one_event(pins: MockFactory) -> None:
    """Re-triggers within the hold are one event; motion after the hold is a new one."""
    events = Recorded()
    clock = ManualClock(NOW)
    driver = pir(pins, clock, events, hold_s=30)
    walk_past(pins, driver)
    clock.advance(timedelta(seconds=10))
    walk_past(pins, driver)
    assert len(events) == 1
    clock.advance(timedelta(seconds=25))
    walk_past(pins, driver)
    assert len(events) == 2
    driver.close()


@pytest.fixture
def stand_in(tmp_path: Path) -> SysfsStandIn:
    return SysfsStandIn(tmp_path / "sys")


def ds18b20(stand_in: SysfsStandIn) -> Ds18b20Driver:
    device = Ds18b20Device(type="ds18b20", id="temp-living", serial=SERIAL, base_dir=stand_in.w1_dir, room="living")
    return Ds18b20Driver(device)


def test_ds18b20_reads_degrees(stand_in: SysfsStandIn) -> None:
    """t=21562 in w1_slave reads as 21.562 °C at the given time."""
    stand_in.set_ds18b20(SERIAL, millidegrees=21_562)
    (reading,) = ds18b20(stand_in).read(NOW)
    assert (reading.device_id, reading.metric, reading.value, reading.ts) == (
        "temp-living",
        Metric.TEMPERATURE_C,
        21.562,
        NOW,
    )


def test_ds18b20_reads_below_zero(stand_in: SysfsStandIn) -> None:
    """A negative temperature (an unheated entrance in winter) reads correctly."""
    stand_in.set_ds18b20(SERIAL, millidegrees=-1_250)
    assert ds18b20(stand_in).read(NOW)[0].value == -1.25


def test_ds18b20_bad_crc_is_an_error(stand_in: SysfsStandIn) -> None:
    """A failed CRC check gives SensorError, not a value."""
    stand_in.set_ds18b20(SERIAL, millidegrees=21_562, crc_ok=False)
    with pytest.raises(SensorError, match="CRC"):
        ds18b20(stand_in).read(NOW)


def test_ds18b20_power_on_value_is_an_error(stand_in: SysfsStandIn) -> None:
    """85 °C, the power-on value of the scratchpad, is an error and not a heat alarm."""
    stand_in.set_ds18b20(SERIAL, millidegrees=85_000)
    with pytest.raises(SensorError, match="power-on"):
        ds18b20(stand_in).read(NOW)


def test_ds18b20_missing_sensor_is_an_error(stand_in: SysfsStandIn) -> None:
    """An unplugged sensor (no w1_slave file) gives SensorError."""
    with pytest.raises(SensorError, match="w1_slave"):
        ds18b20(stand_in).read(NOW)


def hwmon(stand_in: SysfsStandIn, name: str = "sht3x") -> HwmonClimateDriver:
    device = HwmonClimateDevice(
        type="hwmon_climate", id="climate-living", hwmon=name, base_dir=stand_in.hwmon_dir, room="living_room"
    )
    return HwmonClimateDriver(device)


def test_hwmon_reads_temperature_and_humidity(stand_in: SysfsStandIn) -> None:
    """temp1_input and humidity1_input read as °C and % from the folder with the right name."""
    stand_in.set_hwmon("cpu_thermal", temp_millidegrees=48_000, humidity_millipercent=None, index=0)
    stand_in.set_hwmon("sht3x", temp_millidegrees=22_000, humidity_millipercent=45_500, index=1)
    values = {reading.metric: reading.value for reading in hwmon(stand_in).read(NOW)}
    assert values == {Metric.TEMPERATURE_C: 22.0, Metric.HUMIDITY_PCT: 45.5}


def test_hwmon_without_humidity_reads_temperature(stand_in: SysfsStandIn) -> None:
    """A temperature-only hwmon sensor gives just the temperature."""
    stand_in.set_hwmon("sht3x", temp_millidegrees=19_500, humidity_millipercent=None)
    assert [reading.metric for reading in hwmon(stand_in).read(NOW)] == [Metric.TEMPERATURE_C]


def test_hwmon_missing_sensor_is_an_error(stand_in: SysfsStandIn) -> None:
    """No hwmon folder with the configured name gives SensorError."""
    stand_in.set_hwmon("cpu_thermal", temp_millidegrees=48_000, humidity_millipercent=None)
    with pytest.raises(SensorError, match="sht3x"):
        hwmon(stand_in).read(NOW)


def test_hwmon_is_found_again_after_renumbering(stand_in: SysfsStandIn) -> None:
    """After the kernel renumbers hwmon folders, the sensor is found under its new number."""
    driver = hwmon(stand_in)
    first = stand_in.set_hwmon("sht3x", temp_millidegrees=22_000, humidity_millipercent=45_000, index=0)
    driver.read(NOW)
    for child in first.iterdir():
        child.unlink()
    first.rmdir()
    stand_in.set_hwmon("sht3x", temp_millidegrees=23_000, humidity_millipercent=44_000, index=3)
    assert driver.read(NOW)[0].value == 23.0


def test_hwmon_garbage_is_an_error(stand_in: SysfsStandIn) -> None:
    """A value that is not a number, or out of range, gives SensorError."""
    folder = stand_in.set_hwmon("sht3x", temp_millidegrees=22_000, humidity_millipercent=45_000)
    (folder / "humidity1_input").write_text("250000\n")
    with pytest.raises(SensorError, match="humidity1_input"):
        hwmon(stand_in).read(NOW)
