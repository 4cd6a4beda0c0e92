"""BLE tags at home: scan with bleak, smooth each registered tag's RSSI, report presence.

A tag is *home* once its smoothed RSSI reaches ``min_rssi_dbm``, and stays home until it has
not been heard that strongly for ``away_after_s``: then it is *not home*. The exponential
smoothing (``rssi_smoothing``, the weight of a new advertisement) and the timeout are the
hysteresis, so one weak or missed advertisement flips nothing, while a tag that lingers at the
edge of range (the garden gate, a neighbour's) goes "not home" once the timeout passes. A tag
never heard since the scanner started counts as not home after the same timeout.

Each change is reported once (``changed``); while home the report repeats every
``report_every_s`` so the gateway can send the tag's position (the gateway's own, with
``home_radius_m`` as its accuracy). Eddystone-TLM battery voltage rides along.
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


@dataclass(frozen=True, slots=True)
class TagReport:
    """What the scanner says about one registered tag."""

    device_id: str
    home: bool
    changed: bool  # a change of presence; False: a repeat of "still home"
    rssi_dbm: float | None = None  # smoothed, when last heard strongly
    last_heard: datetime | None = None  # last heard strongly enough to count as home
    battery_pct: float | None = None


PresenceReport = Callable[[TagReport], None]
"""Take one report of a tag's presence."""


@dataclass(slots=True)
class _TagState:
    rssi: float | None = None
    last_heard: datetime | None = None
    home: bool | None = None  # None: not decided since the scanner started
    battery_pct: float | None = None
    last_report: datetime | None = None


class TagPresence:
    """Smoothed presence of registered tags; pure, driven by `heard` and `check` with times."""

    def __init__(self, device: BleBeaconDevice) -> None:
        self.device = device
        self._device_by_tag = {tag.tag_id.lower(): tag.id for tag in device.tags}
        self._states: dict[str, _TagState] = {tag.id: _TagState() for tag in device.tags}
        self._started: datetime | None = None
        self.unknown_frames = 0

    def heard(self, raw: RawAdvertisement, rssi: int, now: datetime) -> list[TagReport]:
        """Take in one advertisement; return the presence reports it causes."""
        self._started = self._started or now
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
            return []
        state = self._states[tag_device]
        alpha = self.device.rssi_smoothing
        state.rssi = rssi if state.rssi is None else alpha * rssi + (1 - alpha) * state.rssi
        if tlm is not None:
            state.battery_pct = battery_pct(tlm.battery_mv)
        if state.rssi < self.device.min_rssi_dbm:
            return []  # too far to count: only the timeout decides whether a home tag has left
        state.last_heard = now
        if state.home:
            return []
        state.home = True
        state.last_report = now
        return [self._report(tag_device, state, changed=True)]

    def check(self, now: datetime) -> list[TagReport]:
        """Expire tags not heard for a while; repeat the reports of tags still home."""
        self._started = self._started or now
        reports: list[TagReport] = []
        away_after = timedelta(seconds=self.device.away_after_s)
        every = timedelta(seconds=self.device.report_every_s)
        for device_id, state in self._states.items():
            if state.home is False:
                continue
            heard_at = state.last_heard or self._started
            if now - heard_at >= away_after:
                state.home = False
                reports.append(self._report(device_id, state, changed=True))
                state.rssi = None  # a return starts its average afresh
            elif state.home and (state.last_report is None or now - state.last_report >= every):
                state.last_report = now
                reports.append(self._report(device_id, state, changed=False))
        return reports

    def is_home(self, device_id: str) -> bool:
        """Tell whether a tag is home now (as last decided)."""
        return bool(self._states[device_id].home)

    @staticmethod
    def _report(device_id: str, state: _TagState, *, changed: bool) -> TagReport:
        return TagReport(
            device_id=device_id,
            home=bool(state.home),
            changed=changed,
            rssi_dbm=None if state.rssi is None else round(state.rssi, 1),
            last_heard=state.last_heard,
            battery_pct=state.battery_pct,
        )


class BleBeaconDriver:
    """Scan for the registered tags with bleak and report their presence."""

    def __init__(self, device: BleBeaconDevice, *, report: PresenceReport, clock: Clock) -> None:
        self.device = device
        self.presence = TagPresence(device)
        self._report = report
        self._clock = clock

    def on_advertisement(self, raw: RawAdvertisement, rssi: int) -> None:
        """Take in one advertisement (from bleak's callback or a test)."""
        for report in self.presence.heard(raw, rssi, self._clock.now()):
            self._report(report)

    def check(self) -> None:
        """Expire and repeat presence; call about once a second."""
        for report in self.presence.check(self._clock.now()):
            self._report(report)

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
