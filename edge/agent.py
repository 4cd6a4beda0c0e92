"""The gateway agent: drivers in, outbox in the middle, uplink out.

Events come from gpiozero's threads; each becomes a `protocol.Event` at once (timestamp from
the injected clock) and is handed to the asyncio loop with ``call_soon_threadsafe``, where it
is written to the outbox before anything tries to send it. Polled sensors are read in a
worker thread every ``reading_interval_s`` into one `ReadingBatch`. Location sources run as
tasks of their own: BLE tag scanners and serial GPS receivers (read in a thread). A home
scanner sends a tag's `Presence` each time it comes home or leaves, and while it is home a
fix at the gateway's place every ``report_every_s``; a town receiver sends only sightings.
A failing sensor is logged and counted in `sensor_errors`; the others and the agent go on.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from gpiozero.pins import Factory

from edge.drivers import (
    BleBeaconDriver,
    DoorContactDriver,
    Ds18b20Driver,
    EmergencyButtonDriver,
    GpsNmeaDriver,
    HwmonClimateDriver,
    InputDriver,
    PirMotionDriver,
    PolledDriver,
    SensorError,
    TagReport,
)
from edge.outbox import GatewayOutbox
from edge.uplink import DEFAULT_RECONNECT, GatewayUplink, ReconnectPolicy
from firmware_config import (
    BleBeaconDevice,
    DoorContactDevice,
    Ds18b20Device,
    EmergencyButtonDevice,
    GatewaySettings,
    GpsNmeaDevice,
    HwmonClimateDevice,
    PirMotionDevice,
)
from protocol import (
    MAX_READINGS_PER_BATCH,
    Clock,
    Event,
    EventKind,
    GatewayConfig,
    LocationFix,
    LocationSource,
    Presence,
    PresenceState,
    Reading,
    ReadingBatch,
    SystemClock,
    new_message_id,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Intervals:
    """The periods the agent runs with now (from the file, then from the cloud's config)."""

    heartbeat_s: int
    reading_s: int


class GatewayAgent:
    """Run one home's gateway until `stop` is called."""

    def __init__(
        self,
        settings: GatewaySettings,
        *,
        clock: Clock | None = None,
        pin_factory: Factory | None = None,
        reconnect: ReconnectPolicy = DEFAULT_RECONNECT,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.pin_factory = pin_factory
        self.reconnect = reconnect
        self.reading_interval_s = settings.reading_interval_s
        self.sensor_errors: Counter[str] = Counter()
        self.ready = threading.Event()
        self.emitted = 0
        self.stored = 0
        self.store_failures = 0
        self._rooms = {device.id: device.room for device in settings.devices}
        self._count_lock = threading.Lock()
        self._inputs: dict[str, InputDriver] = {}
        self._polled: dict[str, PolledDriver] = {}
        # location sources: BLE tags seen at home, a serial GPS; each runs as a task of its own
        self._ble: dict[str, BleBeaconDriver] = {}
        self._gps: dict[str, GpsNmeaDriver] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._stop_requested = False
        self._retime_readings: asyncio.Event | None = None
        self._outbox: GatewayOutbox | None = None
        self._uplink: GatewayUplink | None = None

    @property
    def outbox(self) -> GatewayOutbox:
        """The open outbox (while running)."""
        if self._outbox is None:
            raise RuntimeError("the agent is not running")
        return self._outbox

    @property
    def uplink(self) -> GatewayUplink:
        """The MQTT uplink (while running)."""
        if self._uplink is None:
            raise RuntimeError("the agent is not running")
        return self._uplink

    @property
    def intervals(self) -> Intervals:
        """Return the heartbeat and reading periods in force."""
        heartbeat = self._uplink.heartbeat_interval_s if self._uplink else self.settings.heartbeat_interval_s
        return Intervals(heartbeat_s=heartbeat, reading_s=self.reading_interval_s)

    @property
    def pending_events(self) -> int:
        """Events reported by drivers and not yet written to the outbox."""
        with self._count_lock:
            return self.emitted - self.stored - self.store_failures

    def input_driver(self, device_id: str) -> InputDriver:
        """Return the running driver of a GPIO input device."""
        return self._inputs[device_id]

    def ble_driver(self, device_id: str) -> BleBeaconDriver:
        """Return the running driver of a BLE scanner."""
        return self._ble[device_id]

    def stop(self) -> None:
        """Ask the agent to shut down cleanly; safe from any thread and from signal handlers."""
        self._stop_requested = True
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopping.set)

    async def run(self) -> None:
        """Open the outbox and the drivers, stay connected, and forward everything until stopped."""
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._retime_readings = asyncio.Event()
        if self._stop_requested:
            self._stopping.set()
        started_at = self.clock.now()
        self._outbox = GatewayOutbox(self.settings.outbox.path, max_messages=self.settings.outbox.max_messages)
        self._uplink = GatewayUplink(
            self.settings,
            outbox=self._outbox,
            clock=self.clock,
            started_at=started_at,
            on_config=self._apply_config,
            reconnect=self.reconnect,
        )
        log.info(
            "gateway %s starting: %d devices, %d messages waiting",
            self.settings.gateway_id,
            len(self.settings.devices),
            self._outbox.depth(),
        )
        try:
            self._open_drivers()
            await self._serve(self._uplink)
        finally:
            self.ready.clear()
            self._close_drivers()
            self._outbox.close()
            self._outbox = None
            log.info("gateway %s stopped", self.settings.gateway_id)

    async def take_readings(self) -> ReadingBatch | None:
        """Read every polled sensor now and store one batch; None when no sensor gave a value."""
        now = self.clock.now()
        readings: list[Reading] = []
        for device_id, driver in self._polled.items():
            try:
                # sysfs reads block (a DS18B20 converts for ~750 ms), so keep them off the loop
                readings.extend(await asyncio.to_thread(driver.read, now))
            except SensorError as exc:
                self.sensor_errors[device_id] += 1
                log.warning("sensor %s not read: %s", device_id, exc)
        if not readings:
            return None
        batch = ReadingBatch(
            msg_id=new_message_id(),
            gateway_id=self.settings.gateway_id,
            ts=now,
            readings=readings[:MAX_READINGS_PER_BATCH],
        )
        self._store(batch)
        return batch

    async def _serve(self, uplink: GatewayUplink) -> None:
        assert self._stopping is not None
        uplink_task = asyncio.create_task(uplink.run(), name="uplink")
        readings_task = asyncio.create_task(self._read_periodically(), name="readings")
        stop_task = asyncio.create_task(self._stopping.wait(), name="stop")
        location_tasks = [asyncio.create_task(self._locate(device_id), name=device_id) for device_id in self._ble]
        location_tasks += [asyncio.create_task(self._follow_gps(device_id), name=device_id) for device_id in self._gps]
        self.ready.set()
        try:
            await asyncio.wait([uplink_task, readings_task, stop_task], return_when=asyncio.FIRST_COMPLETED)
            uplink.stop()
            # give the uplink a moment to publish the retained "offline: shutdown" status
            await asyncio.wait([uplink_task], timeout=5.0)
        finally:
            for task in (uplink_task, readings_task, stop_task, *location_tasks):
                task.cancel()
            await asyncio.gather(uplink_task, readings_task, stop_task, *location_tasks, return_exceptions=True)
        for task in (uplink_task, readings_task):
            failure = None if task.cancelled() else task.exception()
            if failure is not None:
                raise failure

    async def _read_periodically(self) -> None:
        assert self._retime_readings is not None
        while True:
            self._retime_readings.clear()
            try:
                await asyncio.wait_for(self._retime_readings.wait(), timeout=self.reading_interval_s)
            except TimeoutError:
                await self.take_readings()

    async def _locate(self, device_id: str) -> None:
        """Scan for BLE tags until stopped; a missing radio is logged, not fatal."""
        assert self._stopping is not None
        try:
            await self._ble[device_id].run(self._stopping)
        except Exception:
            self.sensor_errors[device_id] += 1
            log.exception("BLE scanner %s stopped", device_id)

    async def _follow_gps(self, device_id: str) -> None:
        """Read the serial GPS in a thread until stopped; at most one fix per `min_interval_s`."""
        try:
            await asyncio.to_thread(self._read_gps, device_id)
        except Exception:
            self.sensor_errors[device_id] += 1
            log.exception("GPS %s stopped", device_id)

    def _read_gps(self, device_id: str) -> None:
        driver, loop = self._gps[device_id], self._loop
        assert loop is not None
        last: float | None = None
        for fix in driver.fixes():
            if self._stop_requested:
                return
            stamp = fix.ts.timestamp()
            if last is not None and abs(stamp - last) < driver.device.min_interval_s:
                continue
            last = stamp
            message = LocationFix(
                msg_id=new_message_id(),
                gateway_id=self.settings.gateway_id,
                ts=fix.ts,
                device_id=device_id,
                lat=fix.lat,
                lon=fix.lon,
                accuracy_m=fix.accuracy_m,
                source=LocationSource.GPS,
            )
            loop.call_soon_threadsafe(self._store, message)

    def _tag_presence(self, device: BleBeaconDevice) -> Callable[[TagReport], None]:
        """Return the presence callback of a scanner (called from the loop or bleak's callback)."""
        tag_ids = {tag.id: tag.tag_id.lower() for tag in device.tags}
        town = device.role == "town_receiver"

        def report(tag: TagReport) -> None:
            messages: list[Presence | LocationFix] = []
            if tag.changed and not town:
                messages.append(self._presence_message(tag))
            if tag.home:
                messages.append(self._tag_fix(device, tag, town=town, tag_ids=tag_ids))
            elif town:
                log.info("tag %s no longer heard at receiver %s", tag.device_id, device.id)
            loop = self._loop
            if loop is not None and not loop.is_closed():
                for message in messages:
                    loop.call_soon_threadsafe(self._store, message)

        return report

    def _presence_message(self, tag: TagReport) -> Presence:
        log.info("tag %s %s", tag.device_id, "came home" if tag.home else "is no longer heard at home")
        return Presence(
            msg_id=new_message_id(),
            gateway_id=self.settings.gateway_id,
            ts=self.clock.now(),
            device_id=tag.device_id,
            state=PresenceState.HOME if tag.home else PresenceState.NOT_HOME,
            last_heard=tag.last_heard,
            rssi_dbm=None if tag.rssi_dbm is None else max(-127.0, min(20.0, tag.rssi_dbm)),
            battery_pct=tag.battery_pct,
        )

    def _tag_fix(self, device: BleBeaconDevice, tag: TagReport, *, town: bool, tag_ids: dict[str, str]) -> LocationFix:
        """A tag heard here is at the gateway's place: a home fix, or a town receiver's sighting."""
        return LocationFix(
            msg_id=new_message_id(),
            gateway_id=self.settings.gateway_id,
            ts=self.clock.now(),
            # a town receiver names the tag by its beacon identity: the cloud knows which
            # person carries it, the receiver does not need to
            device_id=tag_ids[tag.device_id] if town else tag.device_id,
            lat=device.lat,
            lon=device.lon,
            accuracy_m=device.home_radius_m,
            source=LocationSource.BEACON_RECEIVER if town else LocationSource.BLE,
            battery_pct=tag.battery_pct,
        )

    def _apply_config(self, config: GatewayConfig) -> None:
        if config.reading_interval_s != self.reading_interval_s:
            log.info("readings every %d s (was %d s)", config.reading_interval_s, self.reading_interval_s)
            self.reading_interval_s = config.reading_interval_s
            if self._retime_readings is not None:
                self._retime_readings.set()

    def _open_drivers(self) -> None:
        for device in self.settings.devices:
            try:
                if isinstance(device, PirMotionDevice):
                    self._inputs[device.id] = PirMotionDriver(
                        device, emit=self._emit, clock=self.clock, pin_factory=self.pin_factory
                    )
                elif isinstance(device, DoorContactDevice):
                    self._inputs[device.id] = DoorContactDriver(
                        device, emit=self._emit, clock=self.clock, pin_factory=self.pin_factory
                    )
                elif isinstance(device, EmergencyButtonDevice):
                    self._inputs[device.id] = EmergencyButtonDriver(
                        device, emit=self._emit, clock=self.clock, pin_factory=self.pin_factory
                    )
                elif isinstance(device, Ds18b20Device):
                    self._polled[device.id] = Ds18b20Driver(device)
                elif isinstance(device, HwmonClimateDevice):
                    self._polled[device.id] = HwmonClimateDriver(device)
                elif isinstance(device, BleBeaconDevice):
                    self._ble[device.id] = BleBeaconDriver(device, report=self._tag_presence(device), clock=self.clock)
                elif isinstance(device, GpsNmeaDevice):
                    self._gps[device.id] = GpsNmeaDriver(device, clock=self.clock)
            except Exception:
                # one broken device (pin busy, no GPIO) must not keep the others from watching
                self.sensor_errors[device.id] += 1
                log.exception("device %s could not be opened", device.id)

    def _close_drivers(self) -> None:
        drivers: list[InputDriver | PolledDriver | BleBeaconDriver | GpsNmeaDriver] = [
            *self._inputs.values(),
            *self._polled.values(),
            *self._ble.values(),
            *self._gps.values(),
        ]
        for driver in drivers:
            try:
                driver.close()
            except Exception:
                log.exception("driver %r did not close", driver)
        self._inputs.clear()
        self._polled.clear()
        self._ble.clear()
        self._gps.clear()

    def _emit(self, device_id: str, kind: EventKind) -> None:
        """Turn a driver's report into an Event and hand it to the loop; runs in gpiozero's threads."""
        event = Event(
            msg_id=new_message_id(),
            gateway_id=self.settings.gateway_id,
            ts=self.clock.now(),
            device_id=device_id,
            kind=kind,
            room=self._rooms.get(device_id),
        )
        with self._count_lock:
            self.emitted += 1
        loop = self._loop
        try:
            if loop is None:
                raise RuntimeError("no event loop")
            loop.call_soon_threadsafe(self._store, event)
        except RuntimeError:
            with self._count_lock:
                self.store_failures += 1
            log.error("event %s of %s lost: the agent is shutting down", kind.value, device_id)

    def _store(self, message: Event | ReadingBatch | LocationFix | Presence) -> None:
        outbox = self._outbox
        try:
            if outbox is None:
                raise sqlite3.ProgrammingError("the outbox is closed")
            outbox.append(message)
        except sqlite3.Error:
            if isinstance(message, Event):
                with self._count_lock:
                    self.store_failures += 1
            log.exception("message %s not stored", message.msg_id)
            return
        if isinstance(message, Event):
            with self._count_lock:
                self.stored += 1
            log.info("event %s from %s stored", message.kind.value, message.device_id)
        if self._uplink is not None:
            self._uplink.notify()
