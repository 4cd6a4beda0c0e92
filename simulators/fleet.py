"""Many simulated households on one thread: one select() over all their MQTT sockets."""

from __future__ import annotations

import logging
import select
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType

import paho.mqtt.client as mqtt

from protocol import Clock
from simulators.household import SimulatedHousehold

log = logging.getLogger(__name__)

RECONNECT_AFTER_S = 2.0


class HouseholdFleet:
    """Run households together: advance each by the clock, pump all their sockets at once."""

    def __init__(self, households: Iterable[SimulatedHousehold], *, clock: Clock, tick_s: float = 0.01) -> None:
        self.households: Sequence[SimulatedHousehold] = list(households)
        self.clock = clock
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_reconnect: dict[str, float] = {}
        self.error: BaseException | None = None
        self.advanced_to: datetime | None = None

    @property
    def published(self) -> int:
        """Return how many messages all households have published so far."""
        return sum(household.published for household in self.households)

    def start(self, *, connect_timeout: float = 10.0) -> HouseholdFleet:
        """Connect every gateway, wait until the broker accepted them all, then run in a thread."""
        for household in self.households:
            household.connect()
        deadline = time.monotonic() + connect_timeout
        while not all(household.connected for household in self.households):
            if time.monotonic() > deadline:
                missing = [h.gateway_id for h in self.households if not h.connected]
                raise TimeoutError(
                    f"{len(missing)} gateway(s) not connected after {connect_timeout:g}s, e.g. {missing[0]}"
                )
            self._reconnect_lost()
            self._pump(self.tick_s)
        self._thread = threading.Thread(target=self._run, name="household-fleet", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the loop and disconnect every gateway cleanly."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        for household in self.households:
            household.disconnect()
        # flush the DISCONNECT packets
        self._pump(0)

    def __enter__(self) -> HouseholdFleet:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                now = self.clock.now()
                for household in self.households:
                    household.advance(now)
                self.advanced_to = now
                self._reconnect_lost()
                self._pump(self.tick_s)
        except BaseException as exc:  # keep the cause for whoever watches the fleet
            self.error = exc
            log.exception("household fleet stopped")
            raise

    def _clients(self) -> list[mqtt.Client]:
        return [household.client for household in self.households if household.client is not None]

    def _pump(self, timeout: float) -> None:
        by_socket: dict[object, mqtt.Client] = {}
        readers = []
        writers = []
        for client in self._clients():
            sock = client.socket()
            if sock is None:
                continue
            by_socket[sock] = client
            readers.append(sock)
            if client.want_write():
                writers.append(sock)
        if not readers:
            if timeout:
                self._stop.wait(timeout)
            return
        try:
            readable, writable, _ = select.select(readers, writers, [], timeout)
        except (OSError, ValueError):
            # a socket closed under us (a power cut); the next round sees the new state
            return
        for sock in readable:
            by_socket[sock].loop_read()
        for sock in writable:
            client = by_socket[sock]
            if client.socket() is not None:
                client.loop_write()
        for client in by_socket.values():
            client.loop_misc()

    def _reconnect_lost(self) -> None:
        now = time.monotonic()
        for household in self.households:
            client = household.client
            if client is None or household.connected or client.socket() is not None:
                continue
            if now - self._last_reconnect.get(household.gateway_id, 0.0) < RECONNECT_AFTER_S:
                continue
            self._last_reconnect[household.gateway_id] = now
            try:
                client.reconnect()
            except OSError as exc:
                log.info("gateway %s cannot reach the broker yet: %s", household.gateway_id, exc)
