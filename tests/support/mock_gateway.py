"""Run the REAL gateway agent on gpiozero mock pins, driven by commands on stdin.

    python -m tests.support.mock_gateway --config gateway.yaml

This is `edge.GatewayAgent` unchanged — outbox, uplink, drivers — with
``Device.pin_factory = MockFactory()`` instead of a Raspberry Pi header, so end-to-end tests
(and simulators) can press buttons and walk past sensors. DS18B20/hwmon readings come from
whatever folders the config's ``base_dir`` names: point them at a stand-in sysfs tree the
test writes (see `tests.support.gateway_process.SysfsStandIn`).

Protocol, one command per line on stdin; after each one is handled, one line on stdout:

    press <device_id>             drive the button's pin low then high (a press and release)
    motion <device_id>            drive the PIR pin high until the sensor sees it, then low
    door <device_id> open|closed  drive the reed switch to that state (no change: no event)
    read                          read every polled sensor now and store one batch
    advert <scanner_id> <hex> <rssi>  a BLE advertisement (raw AD bytes) heard at <rssi> dBm
    advance <seconds>             move the clock on (needs --clock-start), then let every BLE
                                  scanner judge its tags (what it does once a second on a Pi)
    quit                          stop the agent cleanly (retained offline status "shutdown")

    → ``ok <command>``            handled; any event it caused is already in the outbox
                                  (written with synchronous=FULL, so it survives a SIGKILL)
    → ``error <command>: <why>``  unknown command or device, or the input did not fire

Before the first command the process prints ``ready`` once its drivers are open (the MQTT
connection may still be coming up; watch the broker for the retained online status).
End of stdin or SIGTERM stops the agent cleanly. Logs go to stderr. Reconnects use a short
backoff (0.2 s doubling to 1 s) so broker-restart tests stay fast; ``--reconnect-cap`` changes
the cap.

With ``--clock-start <ISO time>`` the agent runs on a `ManualClock` from that moment, moved
only by ``advance``; without it, on the wall clock.

`tests.support.gateway_process.GatewayProcess` starts this as a subprocess and speaks the
protocol for you.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPin

from edge import GatewayAgent, ReconnectPolicy
from edge.beacons import parse_ad_structures
from edge.drivers import DoorContactDriver, EmergencyButtonDriver, PirMotionDriver
from firmware_config import BleBeaconDevice, ConfigError, load_gateway_settings
from protocol import ManualClock

log = logging.getLogger("mock_gateway")

STEP_TIMEOUT_S = 5.0


class CommandError(Exception):
    """A command that could not be carried out; the text goes back to the test."""


async def _wait_for(condition: Callable[[], bool], what: str, *, limit_s: float = STEP_TIMEOUT_S) -> None:
    # the agent runs in this same loop, so poll with asyncio.sleep to let it work meanwhile
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise CommandError(f"gave up waiting for {what}")
        await asyncio.sleep(0.005)


class MockHome:
    """Carry out stdin commands on the mock pins of a running agent."""

    def __init__(self, agent: GatewayAgent, factory: MockFactory, clock: ManualClock | None = None) -> None:
        self.agent = agent
        self.factory = factory
        self.clock = clock

    def _pin(self, number: int) -> MockPin:
        pin: MockPin = self.factory.pin(number)
        return pin

    def _driver(self, device_id: str, kind: type) -> object:
        try:
            driver = self.agent.input_driver(device_id)
        except KeyError:
            raise CommandError(f"no GPIO input device {device_id!r}") from None
        if not isinstance(driver, kind):
            raise CommandError(f"device {device_id!r} is not a {kind.__name__}")
        return driver

    async def _until_stored(self) -> None:
        await _wait_for(lambda: self.agent.pending_events == 0, "the event to reach the outbox")

    async def handle(self, words: list[str]) -> None:
        match words:
            case ["press", device_id]:
                await self.press(device_id)
            case ["motion", device_id]:
                await self.motion(device_id)
            case ["door", device_id, ("open" | "closed") as state]:
                await self.door(device_id, opened=state == "open")
            case ["read"]:
                await self.agent.take_readings()
            case ["advert", device_id, hex_bytes, rssi]:
                await self.advert(device_id, hex_bytes, int(rssi))
            case ["advance", seconds]:
                await self.advance(float(seconds))
            case _:
                raise CommandError("unknown command")

    async def press(self, device_id: str) -> None:
        driver = self._driver(device_id, EmergencyButtonDriver)
        assert isinstance(driver, EmergencyButtonDriver)
        pin = self._pin(driver.device.pin)
        before = driver.triggers

        def press_and_release() -> None:
            pin.drive_low()
            pin.drive_high()

        # drive from a worker thread: on a Pi, gpiozero calls back from its own threads too
        await asyncio.to_thread(press_and_release)
        await _wait_for(lambda: driver.triggers > before, f"button {device_id} to fire")
        await self._until_stored()

    async def motion(self, device_id: str) -> None:
        driver = self._driver(device_id, PirMotionDriver)
        assert isinstance(driver, PirMotionDriver)
        pin = self._pin(driver.device.pin)
        before = driver.triggers
        await asyncio.to_thread(pin.drive_high)
        try:
            # MotionSensor samples its pin at 10 Hz in its own thread
            await _wait_for(lambda: driver.triggers > before, f"PIR {device_id} to fire")
        finally:
            await asyncio.to_thread(pin.drive_low)
        await _wait_for(lambda: not driver.motion_detected, f"PIR {device_id} to settle")
        await self._until_stored()

    async def door(self, device_id: str, *, opened: bool) -> None:
        driver = self._driver(device_id, DoorContactDriver)
        assert isinstance(driver, DoorContactDriver)
        if driver.is_open == opened:
            return
        pin = self._pin(driver.device.pin)
        contact_closed = opened != driver.device.normally_closed
        before = driver.triggers
        await asyncio.to_thread(pin.drive_low if contact_closed else pin.drive_high)
        await _wait_for(lambda: driver.triggers > before, f"door {device_id} to fire")
        await self._until_stored()

    def _scanner(self, device_id: str) -> BleBeaconDevice:
        try:
            return self.agent.ble_driver(device_id).device
        except KeyError:
            raise CommandError(f"no BLE scanner {device_id!r}") from None

    async def advert(self, device_id: str, hex_bytes: str, rssi: int) -> None:
        self._scanner(device_id)
        self.agent.ble_driver(device_id).on_advertisement(parse_ad_structures(bytes.fromhex(hex_bytes)), rssi)
        await self._let_reports_store()

    async def advance(self, seconds: float) -> None:
        if self.clock is None:
            raise CommandError("the clock is the wall clock: start with --clock-start")
        self.clock.advance(timedelta(seconds=seconds))
        for device in self.agent.settings.devices:
            if isinstance(device, BleBeaconDevice):
                self.agent.ble_driver(device.id).check()
        await self._let_reports_store()

    async def _let_reports_store(self) -> None:
        # reports reach the outbox through call_soon_threadsafe on this same loop: one turn stores them
        await asyncio.sleep(0)
        await asyncio.sleep(0)


def _read_lines(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]) -> None:
    for line in sys.stdin:
        loop.call_soon_threadsafe(queue.put_nowait, line)
    loop.call_soon_threadsafe(queue.put_nowait, None)


def _reply(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def _serve_commands(agent: GatewayAgent, home: MockHome) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    threading.Thread(target=_read_lines, args=(loop, queue), name="stdin", daemon=True).start()
    await _wait_for(agent.ready.is_set, "the agent to open its drivers", limit_s=60.0)
    _reply("ready")
    while True:
        line = await queue.get()
        if line is None:
            break
        command = " ".join(line.split())
        if not command:
            continue
        if command == "quit":
            _reply("ok quit")
            break
        try:
            await home.handle(command.split())
        except CommandError as exc:
            _reply(f"error {command}: {exc}")
        except Exception as exc:
            log.exception("command %r failed", command)
            _reply(f"error {command}: {type(exc).__name__}: {exc}")
        else:
            _reply(f"ok {command}")
    agent.stop()


async def run(agent: GatewayAgent, factory: MockFactory, clock: ManualClock | None = None) -> None:
    """Run the agent and the command reader until stdin ends, `quit`, or SIGTERM."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, agent.stop)
    commands = asyncio.create_task(_serve_commands(agent, MockHome(agent, factory, clock)))
    try:
        await agent.run()
    finally:
        commands.cancel()
        await asyncio.gather(commands, return_exceptions=True)


def main(argv: list[str] | None = None) -> int:
    """Load the config, put mock pins in place and run the agent."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.mock_gateway")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--reconnect-cap", type=float, default=1.0, help="longest reconnect wait, seconds")
    parser.add_argument("--clock-start", type=datetime.fromisoformat, help="run on a manual clock from this time")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_gateway_settings(args.config)
    except ConfigError as exc:
        print(f"mock gateway: {exc}", file=sys.stderr)
        return 2
    factory = MockFactory()
    Device.pin_factory = factory
    reconnect = ReconnectPolicy(initial_s=min(0.2, args.reconnect_cap), cap_s=args.reconnect_cap)
    clock = ManualClock(args.clock_start) if args.clock_start is not None else None
    agent = GatewayAgent(settings, clock=clock, pin_factory=factory, reconnect=reconnect)
    asyncio.run(run(agent, factory, clock))
    return 0


if __name__ == "__main__":
    sys.exit(main())
