"""A simulated home: one person's day seen through sensors, sent by a gateway over MQTT.

It speaks the wire protocol exactly as a real gateway does: its own MQTT client and session,
QoS 1, a retained online status with ``started_at`` on connect, a Last Will (retained offline
status) for when it drops off, a heartbeat status every minute and batched climate readings
every five minutes. Time comes from an injected Clock; every message carries the simulated
time it describes. A HouseholdFleet drives the network I/O and calls `advance`.
"""

from __future__ import annotations

import bisect
import contextlib
import heapq
import logging
import math
import random
import socket
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from protocol import (
    Clock,
    Event,
    EventKind,
    GatewayConfig,
    GatewayState,
    GatewayStatus,
    Metric,
    PayloadError,
    Reading,
    ReadingBatch,
    TopicKind,
    decode,
    encode,
    new_message_id,
    topic_for,
)
from simulators.routine import OUT, TOKYO, Activity, DailyRoutine, Happening, Room, Stay

if TYPE_CHECKING:
    from simulators.trackers import Companion

log = logging.getLogger(__name__)

FIRMWARE = "mimamori-sim/0.1"
KEEPALIVE_S = 30
CLIMATE_ROOMS = (Room.LIVING_ROOM, Room.BEDROOM)
BUTTON_DEVICE = "button-pendant"
DOOR_DEVICE = "door-entrance"
DOOR_OPEN_FOR = timedelta(seconds=20)  # from opening the front door to shutting it behind

# Indoor temperature (°C) and relative humidity (%) around which each month swings.
MONTH_CLIMATE = {
    1: (16.5, 38.0),
    2: (17.0, 38.0),
    3: (18.5, 45.0),
    4: (21.0, 55.0),
    5: (23.5, 62.0),
    6: (25.5, 70.0),
    7: (27.5, 68.0),
    8: (28.0, 66.0),
    9: (26.5, 66.0),
    10: (23.0, 58.0),
    11: (20.0, 50.0),
    12: (17.5, 42.0),
}


def motion_device(room: Room) -> str:
    """Return the device id of the motion sensor in a room."""
    return f"motion-{room.value.replace('_', '-')}"


def climate_device(room: Room) -> str:
    """Return the device id of the temperature/humidity sensor in a room."""
    return f"climate-{room.value.replace('_', '-')}"


@dataclass(frozen=True, slots=True)
class HouseholdConfig:
    """How a simulated gateway reaches its broker and how often it reports."""

    host: str = "127.0.0.1"
    port: int = 1883
    heartbeat_interval: timedelta = timedelta(seconds=60)
    reading_interval: timedelta = timedelta(minutes=5)
    keepalive_s: int = KEEPALIVE_S


@dataclass(order=True, slots=True)
class _Outgoing:
    at: datetime
    order: int
    happening: Happening | None = field(compare=False, default=None)
    scripted: bool = field(compare=False, default=False)  # an incident's own happening, not the routine's


@dataclass(frozen=True, slots=True)
class _PowerLoss:
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class _Absence:
    start: datetime
    end: datetime

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


class SimulatedHousehold:
    """One home with one resident, a gateway and its sensors; see the module docstring."""

    def __init__(
        self,
        gateway_id: str,
        *,
        clock: Clock,
        seed: int,
        config: HouseholdConfig | None = None,
    ) -> None:
        self.gateway_id = gateway_id
        self.clock = clock
        self.seed = seed
        self.config = config or HouseholdConfig()
        self.routine = DailyRoutine(seed)
        self.client: mqtt.Client | None = None
        self.connected = False
        self.started_at: datetime | None = None
        self.published = 0
        self.fallen_at: datetime | None = None
        self.dropped_messages = 0
        self._lock = threading.Lock()
        self._rng = random.Random(f"{seed}:climate")
        self._queue: list[_Outgoing] = []
        self._order = 0
        self._stays: list[Stay] = []
        self._stay_starts: list[datetime] = []
        self._planned_until: date | None = None
        self._plan_more_at: datetime | None = None
        self._next_heartbeat: datetime | None = None
        self._next_reading: datetime | None = None
        self._power_losses: list[_PowerLoss] = []
        self._power_off: _PowerLoss | None = None
        self._absences: list[_Absence] = []
        self._heartbeat_interval = self.config.heartbeat_interval
        self._reading_interval = self.config.reading_interval
        self._companions: list[Companion] = []

    def carry(self, companion: Companion) -> None:
        """Send a companion device's messages (a tracker, a tag) over this gateway's connection."""
        with self._lock:
            self._companions.append(companion)

    # -- scripted incidents -------------------------------------------------------------

    def emergency_button(self, at: datetime) -> None:
        """Have the resident press the emergency pendant at a simulated moment."""
        with self._lock:
            self._push(_Outgoing(at, self._next_order(), happening=Happening(at, "button", Room.LIVING_ROOM)))

    def fall(self, at: datetime) -> None:
        """Have the resident fall at a moment: from then on no motion and no door at all."""
        with self._lock:
            self.fallen_at = at if self.fallen_at is None else min(self.fallen_at, at)

    def away(self, at: datetime, back_at: datetime) -> None:
        """Have the resident leave home at a moment and be brought back at another.

        The front door opens and closes as they go and as they come back; in between the home is
        empty, so the routine's motion and door reports are not made (it picks up on the return).
        """
        with self._lock:
            self._absences.append(_Absence(at, back_at))
            for moment in (at, back_at):
                opened = Happening(moment, "door_opened", Room.ENTRANCE)
                closed = Happening(moment + DOOR_OPEN_FOR, "door_closed", Room.ENTRANCE)
                for happening in (opened, closed):
                    self._push(_Outgoing(happening.at, self._next_order(), happening=happening, scripted=True))

    def power_loss(self, at: datetime, duration: timedelta) -> None:
        """Cut the gateway's power at a moment for a while: it drops off without a goodbye."""
        with self._lock:
            self._power_losses.append(_PowerLoss(at, at + duration))
            self._power_losses.sort(key=lambda loss: loss.start)

    # -- what the resident is doing ----------------------------------------------------

    def place_at(self, moment: datetime) -> str:
        """Say where the resident is at a moment: a room, "out", "asleep" or "fallen in <room>"."""
        with self._lock:
            stay = self._stay_at(moment)
            fallen_at = self.fallen_at
            fell_in = self._stay_at(fallen_at) if fallen_at is not None else None
            away = self._away_at(moment)
        if stay is None:
            return "unknown"
        if away:
            return OUT
        if fallen_at is not None and moment >= fallen_at:
            room = fell_in.place if fell_in is not None and fell_in.place != OUT else "outside"
            return f"fallen in {room}"
        if stay.activity is Activity.SLEEP:
            return "asleep"
        return stay.place

    @property
    def powered(self) -> bool:
        """Tell whether the gateway has power right now (False during a power loss)."""
        return self._power_off is None

    # -- driven by the fleet -----------------------------------------------------------

    def connect(self) -> None:
        """Boot the gateway: plan the resident's days from now and open the MQTT connection."""
        now = self.clock.now()
        with self._lock:
            day = self.routine.day_of(now)
            self._plan_day(day - timedelta(days=1), not_before=now)
            self._plan_day(day, not_before=now)
            self._plan_day(day + timedelta(days=1), not_before=now)
            self._next_reading = now + self._reading_interval
        self._boot(now)

    def advance(self, now: datetime) -> int:
        """Publish everything that became due up to `now`; return how many messages went out."""
        sent = 0
        with self._lock:
            while True:
                if self._plan_more_at is not None and now >= self._plan_more_at:
                    assert self._planned_until is not None
                    self._plan_day(self._planned_until + timedelta(days=1), not_before=now)
                due = self._next_due(now)
                if due is None:
                    break
                sent += self._handle(due, now)
            sent += self._send_companions(now)
        self.published += sent
        return sent

    def disconnect(self) -> None:
        """Shut the gateway down politely: a retained offline status saying so, then a clean DISCONNECT."""
        client = self.client
        if client is not None and self.connected:
            with self._lock:
                self.published += self._send_status(self.clock.now(), GatewayState.OFFLINE, reason="shutdown")
            client.disconnect()
        self.connected = False

    # -- internals ---------------------------------------------------------------------

    def _next_order(self) -> int:
        self._order += 1
        return self._order

    def _push(self, item: _Outgoing) -> None:
        heapq.heappush(self._queue, item)

    def _plan_day(self, day: date, *, not_before: datetime) -> None:
        if self._planned_until is not None and day <= self._planned_until:
            return
        stays = self.routine.plan(day)
        for stay in stays:
            self._stays.append(stay)
            self._stay_starts.append(stay.start)
        for happening in self.routine.happenings(day, stays):
            if happening.at >= not_before:
                self._push(_Outgoing(happening.at, self._next_order(), happening=happening))
        self._planned_until = day
        # plan the next day half a day before this one's plan runs out
        self._plan_more_at = self.routine.wake_time(day + timedelta(days=1)) - timedelta(hours=12)
        # keep two days of stays to answer place_at()
        horizon = not_before - timedelta(days=2)
        while self._stays and self._stays[0].end < horizon:
            self._stays.pop(0)
            self._stay_starts.pop(0)

    def _stay_at(self, moment: datetime) -> Stay | None:
        index = bisect.bisect_right(self._stay_starts, moment) - 1
        if index < 0:
            return None
        stay = self._stays[index]
        return stay if moment < stay.end else None

    def _next_due(self, now: datetime) -> tuple[str, datetime] | None:
        candidates: list[tuple[datetime, int, str]] = []
        if self._power_off is not None:
            candidates.append((self._power_off.end, 0, "power_on"))
        elif self._power_losses and self._power_losses[0].start <= now:
            candidates.append((self._power_losses[0].start, 0, "power_off"))
        if self._queue:
            candidates.append((self._queue[0].at, 1, "event"))
        if self._next_heartbeat is not None:
            candidates.append((self._next_heartbeat, 2, "heartbeat"))
        if self._next_reading is not None:
            candidates.append((self._next_reading, 3, "readings"))
        due = [candidate for candidate in candidates if candidate[0] <= now]
        if not due:
            return None
        at, _, what = min(due)
        return what, at

    def _handle(self, due: tuple[str, datetime], now: datetime) -> int:
        what, at = due
        if what == "power_off":
            loss = self._power_losses.pop(0)
            self._power_off = loss
            self._cut_power()
            return 0
        if what == "power_on":
            self._power_off = None
            self._boot(at)
            return 0
        if what == "event":
            item = heapq.heappop(self._queue)
            return self._send_happening(item)
        if what == "heartbeat":
            assert self._next_heartbeat is not None
            # a heartbeat tells the present; after a jump of the clock only the latest counts
            while self._next_heartbeat + self._heartbeat_interval <= now:
                self._next_heartbeat += self._heartbeat_interval
            beat = self._next_heartbeat
            self._next_heartbeat = beat + self._heartbeat_interval
            if self._power_off is not None:
                return 0
            return self._send_status(beat, GatewayState.ONLINE)
        assert self._next_reading is not None
        taken = self._next_reading
        self._next_reading = taken + self._reading_interval
        if self._power_off is not None:
            return 0
        return self._send_readings(taken)

    def _send_happening(self, item: _Outgoing) -> int:
        happening = item.happening
        assert happening is not None
        if self._power_off is not None:
            return 0  # the gateway is dark: what the sensors report goes nowhere
        if happening.kind == "button":
            stay = self._stay_at(happening.at)
            room = stay.place if stay is not None and stay.place != OUT else None
            event = self._event(happening.at, BUTTON_DEVICE, EventKind.BUTTON_PRESSED, room)
        else:
            if self.fallen_at is not None and happening.at >= self.fallen_at:
                return 0  # lying on the floor: nothing moves, nobody opens the door
            if not item.scripted and self._away_at(happening.at):
                return 0  # nobody home: the routine would move a person who is not there
            if happening.kind == "motion":
                event = self._event(
                    happening.at, motion_device(happening.room), EventKind.MOTION_DETECTED, happening.room
                )
            elif happening.kind == "door_opened":
                event = self._event(happening.at, DOOR_DEVICE, EventKind.DOOR_OPENED, happening.room)
            else:
                event = self._event(happening.at, DOOR_DEVICE, EventKind.DOOR_CLOSED, happening.room)
        return self._publish(TopicKind.EVENTS, encode(event), retain=False)

    def _away_at(self, moment: datetime) -> bool:
        return any(absence.holds(moment) for absence in self._absences)

    def _send_companions(self, now: datetime) -> int:
        sent = 0
        for companion in self._companions:
            for kind, payload in companion.messages_due(now):
                # a gateway without power hears its tags but sends nothing
                if self._power_off is None:
                    sent += self._publish(kind, payload, retain=False)
        return sent

    def _event(self, at: datetime, device_id: str, kind: EventKind, room: str | None) -> Event:
        return Event(
            msg_id=new_message_id(), gateway_id=self.gateway_id, ts=at, device_id=device_id, kind=kind, room=room
        )

    def _send_status(self, at: datetime, state: GatewayState, *, reason: str | None = None) -> int:
        started_at = self.started_at
        uptime = (at - started_at).total_seconds() if started_at is not None else None
        status = GatewayStatus(
            msg_id=new_message_id(),
            gateway_id=self.gateway_id,
            ts=at,
            state=state,
            started_at=started_at,
            uptime_s=max(0.0, uptime) if uptime is not None else None,
            outbox_depth=0,
            firmware=FIRMWARE,
            reason=reason,
        )
        return self._publish(TopicKind.STATUS, encode(status), retain=True)

    def _send_readings(self, at: datetime) -> int:
        readings: list[Reading] = []
        for room in CLIMATE_ROOMS:
            temperature, humidity = self._climate(room, at)
            device = climate_device(room)
            readings.append(
                Reading(device_id=device, metric=Metric.TEMPERATURE_C, value=temperature, ts=at, room=room.value)
            )
            readings.append(
                Reading(device_id=device, metric=Metric.HUMIDITY_PCT, value=humidity, ts=at, room=room.value)
            )
        batch = ReadingBatch(msg_id=new_message_id(), gateway_id=self.gateway_id, ts=at, readings=readings)
        return self._publish(TopicKind.READINGS, encode(batch), retain=False)

    def _climate(self, room: Room, at: datetime) -> tuple[float, float]:
        local = at.astimezone(TOKYO)
        base_temperature, base_humidity = MONTH_CLIMATE[local.month]
        hours = local.hour + local.minute / 60
        # warmest mid-afternoon, coolest before dawn; the bedroom runs a little cooler
        swing = 2.5 * math.cos(2 * math.pi * (hours - 15) / 24)
        offset = -1.0 if room is Room.BEDROOM else 0.0
        temperature = base_temperature + swing + offset + self._rng.gauss(0, 0.15)
        humidity = base_humidity - 2.0 * (swing + offset) + self._rng.gauss(0, 1.0)
        return round(temperature, 2), round(min(95.0, max(15.0, humidity)), 1)

    def _publish(self, kind: TopicKind, payload: bytes, *, retain: bool) -> int:
        client = self.client
        if client is None:
            return 0
        # QoS 1: paho keeps the message and sends it once the session is up again
        client.publish(topic_for(self.gateway_id, kind), payload, qos=1, retain=retain)
        return 1

    def _boot(self, at: datetime) -> None:
        self.started_at = at
        self._next_heartbeat = at + self._heartbeat_interval
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.gateway_id,
            clean_session=False,
            protocol=MQTTProtocolVersion.MQTTv311,
        )
        client.max_inflight_messages_set(100)
        will = GatewayStatus(
            msg_id=new_message_id(),
            gateway_id=self.gateway_id,
            ts=at,
            state=GatewayState.OFFLINE,
            started_at=at,
            firmware=FIRMWARE,
            reason="connection_lost",
        )
        client.will_set(topic_for(self.gateway_id, TopicKind.STATUS), encode(will), qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self.client = client
        self.connected = False
        try:
            client.connect(self.config.host, self.config.port, keepalive=self.config.keepalive_s)
        except OSError as exc:
            # like a real gateway it keeps trying: the fleet reconnects clients without a socket
            log.info("gateway %s cannot reach the broker yet: %s", self.gateway_id, exc)

    def _cut_power(self) -> None:
        client = self.client
        self.client = None
        self.connected = False
        if client is None:
            return
        sock = client.socket()
        # close the TCP connection without an MQTT DISCONNECT, as a power cut does, so the
        # broker publishes the Last Will
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        log.info("gateway %s lost power", self.gateway_id)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            log.warning("gateway %s refused by broker: %s", self.gateway_id, reason_code)
            return
        self.connected = True
        client.subscribe(topic_for(self.gateway_id, TopicKind.CONFIG), qos=1)
        started_at = self.started_at or self.clock.now()
        with self._lock:
            self.published += self._send_status(max(started_at, self.clock.now()), GatewayState.ONLINE)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if client is self.client:
            self.connected = False

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if message.topic != topic_for(self.gateway_id, TopicKind.CONFIG):
            # amqtt sends a reconnecting client the retained messages of everyone's subscriptions
            self.dropped_messages += 1
            log.info("gateway %s dropped a message on %s", self.gateway_id, message.topic)
            return
        try:
            config = decode(TopicKind.CONFIG, bytes(message.payload))
        except PayloadError as exc:
            log.warning("gateway %s dropped a bad config: %s", self.gateway_id, exc)
            return
        assert isinstance(config, GatewayConfig)
        with self._lock:
            self._heartbeat_interval = timedelta(seconds=config.heartbeat_interval_s)
            self._reading_interval = timedelta(seconds=config.reading_interval_s)
