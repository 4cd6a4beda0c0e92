"""BLE tags at home: scan with bleak, smooth each registered tag's RSSI, report presence.

A tag counts as home while it is heard with a smoothed RSSI at or above ``min_rssi_dbm`` and
was heard within ``away_after_s``; one weak or missed advertisement does not flip it (the
exponential smoothing and the timeout are the hysteresis). While home, the tag's position is
the gateway's own (from the device settings) with ``home_radius_m`` as its accuracy, sent on
arrival and then every ``report_every_s``; Eddystone-TLM battery voltage rides along.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from edge.beacons import Advertisement as RawAdvertisement
from edge.beacons import EddystoneTlm, battery_pct, parse_frames, service_uuid16
from firmware_config import BleBeaconDevice
from protocol import Clock

log = logging.getLogger(__name__)

PresenceReport = Callable[[str, bool, float | None], None]
"""Report a tag's presence: (device id of the tag, home?, battery percent or None)."""


@dataclass(slots=True)
class _TagState:
    rssi: float | None = None
    last_heard: datetime | None = None
    home: bool = False
    battery_pct: float | None = None
    last_report: datetime | None = None


class TagPresence:
    """Smoothed presence of registered tags; pure, driven by `heard` and `check` with times."""

    def __init__(self, device: BleBeaconDevice) -> None:
        self.device = device
        self._device_by_tag = {tag.tag_id.lower(): tag.id for tag in device.tags}
        self._states: dict[str, _TagState] = {tag.id: _TagState() for tag in device.tags}
        self.unknown_frames = 0

    def heard(self, raw: RawAdvertisement, rssi: int, now: datetime) -> list[tuple[str, bool, float | None]]:
        """Take in one advertisement; return the presence reports it causes."""
        reports: list[tuple[str, bool, float | None]] = []
        frames = parse_frames(raw)
        tag_device: str | None = None
        tlm: EddystoneTlm | None = None
        for frame in frames:
            if isinstance(frame, EddystoneTlm):
                tlm = frame
            else:
                tag_device = self._device_by_tag.get(frame.tag_id.lower())
        if tag_device is None:
            # TLM frames carry no id; bleak hands us one advertisement per address, so a TLM
            # alone cannot be tied to a tag here: count it, it is not an error
            self.unknown_frames += 1
            return reports
        state = self._states[tag_device]
        alpha = self.device.rssi_smoothing
        state.rssi = rssi if state.rssi is None else alpha * rssi + (1 - alpha) * state.rssi
        state.last_heard = now
        if tlm is not None:
            state.battery_pct = battery_pct(tlm.battery_mv)
        if not state.home and state.rssi >= self.device.min_rssi_dbm:
            state.home = True
            state.last_report = now
            reports.append((tag_device, True, state.battery_pct))
        return reports

    def check(self, now: datetime) -> list[tuple[str, bool, float | None]]:
        """Expire tags not heard for a while; repeat the reports of tags still home."""
        reports: list[tuple[str, bool, float | None]] = []
        away_after = timedelta(seconds=self.device.away_after_s)
        every = timedelta(seconds=self.device.report_every_s)
        for device_id, state in self._states.items():
            if not state.home:
                continue
            if state.last_heard is None or now - state.last_heard >= away_after:
                state.home = False
                state.rssi = None
                reports.append((device_id, False, state.battery_pct))
            elif state.last_report is None or now - state.last_report >= every:
                state.last_report = now
                reports.append((device_id, True, state.battery_pct))
        return reports

    def is_home(self, device_id: str) -> bool:
        """Tell whether a tag is home now (as last decided)."""
        return self._states[device_id].home


class BleBeaconDriver:
    """Scan for the registered tags with bleak and report their presence."""

    def __init__(self, device: BleBeaconDevice, *, report: PresenceReport, clock: Clock) -> None:
        self.device = device
        self.presence = TagPresence(device)
        self._report = report
        self._clock = clock

    def on_advertisement(self, raw: RawAdvertisement, rssi: int) -> None:
        """Take in one advertisement (from bleak's callback or a test)."""
        for device_id, home, battery in self.presence.heard(raw, rssi, self._clock.now()):
            self._report(device_id, home, battery)

    def check(self) -> None:
        """Expire and repeat presence; call about once a second."""
        for device_id, home, battery in self.presence.check(self._clock.now()):
            self._report(device_id, home, battery)

    async def run(self, stopping: asyncio.Event) -> None:
        """Scan until `stopping` is set (needs BlueZ on the gateway)."""
        from bleak import BleakScanner  # imported here: only a gateway with a radio needs it

        def detected(_device: object, data: object) -> None:
            manufacturer = dict(getattr(data, "manufacturer_data", {}) or {})
            services: dict[int, bytes] = {}
            for name, payload in (getattr(data, "service_data", {}) or {}).items():
                short = service_uuid16(str(name))
                if short is not None:
                    services[short] = bytes(payload)
            rssi = int(getattr(data, "rssi", -127))
            try:
                self.on_advertisement(RawAdvertisement(manufacturer_data=manufacturer, service_data=services), rssi)
            except Exception:
                log.exception("advertisement not handled")

        async with BleakScanner(detection_callback=detected):
            while not stopping.is_set():
                self.check()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=1.0)

    def close(self) -> None:
        """Nothing to release: the scanner closes with `run`."""
