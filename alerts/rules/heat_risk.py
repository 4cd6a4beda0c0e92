"""Heatstroke risk indoors: WBGT from room temperature and humidity, sustained at 厳重警戒 or above.

WBGT (wet-bulb globe temperature) is estimated with the formula the Ministry of the Environment
uses for its heat-illness information (熱中症予防情報サイト), from Ono M., Tonouchi M.,
"Estimation of wet-bulb globe temperature using generally measured meteorological indices",
Japanese Journal of Biometeorology 50(4):147–157 (2014) (小野雅司・登内道彦「通常観測気象要素を
用いたWBGT（湿球黒球温度）の推定」日本生気象学会雑誌):

    WBGT = 0.735·Ta + 0.0374·RH + 0.00292·Ta·RH + 7.619·SR − 4.557·SR² − 0.0572·WS − 4.064

with Ta air temperature (°C), RH relative humidity (%), SR global solar radiation (kW/m²) and
WS wind speed (m/s). Indoors there is no sun and hardly any wind, so SR = 0 and WS = 0.

Levels (日本生気象学会 guideline): 注意 < 25, 警戒 25–28, 厳重警戒 28–31, 危険 ≥ 31. The rule raises
when the warmest room stays at 厳重警戒 or above for `heat_sustain_min` minutes, and raises again
at a higher severity (the lifecycle tells the contacts again) once 危険 holds for a third of
that. It clears when every room is a degree below 厳重警戒.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from alerts.rules.base import iso, parse_iso, signal
from alerts.signals import (
    AlertSignal,
    HouseholdProfile,
    Observation,
    ReadingObserved,
    RuleName,
    Severity,
    WatchSettings,
)

TEMPERATURE = "temperature_c"
HUMIDITY = "humidity_pct"
# A reading older than this no longer describes the room.
STALE_AFTER = timedelta(hours=1)
CLEAR_MARGIN = 1.0


def wbgt_indoor(temperature_c: float, humidity_pct: float) -> float:
    """Estimate indoor WBGT (°C) with Ono 2014's formula, solar radiation and wind set to 0."""
    solar_kw_m2 = 0.0
    wind_m_s = 0.0
    ta, rh = temperature_c, humidity_pct
    return (
        0.735 * ta
        + 0.0374 * rh
        + 0.00292 * ta * rh
        + 7.619 * solar_kw_m2
        - 4.557 * solar_kw_m2**2
        - 0.0572 * wind_m_s
        - 4.064
    )


def heat_level(wbgt: float) -> str:
    """Return the guideline level of a WBGT: caution (注意), warning (警戒), severe (厳重警戒), danger (危険)."""
    if wbgt >= 31.0:
        return "danger"
    if wbgt >= 28.0:
        return "severe"
    if wbgt >= 25.0:
        return "warning"
    return "caution"


@dataclass(frozen=True, slots=True)
class HeatRiskConfig:
    """WBGT levels to alert and to escalate at, and how long the first must hold."""

    alert_level: float
    danger_level: float
    sustain: timedelta

    @classmethod
    def from_settings(cls, settings: WatchSettings) -> HeatRiskConfig:
        return cls(
            alert_level=settings.heat_alert_level,
            danger_level=settings.heat_danger_level,
            sustain=timedelta(minutes=settings.heat_sustain_min),
        )


@dataclass(slots=True)
class RoomClimate:
    """The last temperature and humidity of one climate sensor."""

    temperature_c: float | None = None
    humidity_pct: float | None = None
    at: datetime | None = None
    room: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"t": self.temperature_c, "h": self.humidity_pct, "at": iso(self.at), "room": self.room}

    @classmethod
    def from_json(cls, data: Any) -> RoomClimate:
        if not isinstance(data, dict):
            return cls()
        t, h, room = data.get("t"), data.get("h"), data.get("room")
        return cls(
            temperature_c=float(t) if isinstance(t, int | float) else None,
            humidity_pct=float(h) if isinstance(h, int | float) else None,
            at=parse_iso(data.get("at")),
            room=room if isinstance(room, str) else None,
        )


def rooms_from_json(data: Any) -> dict[str, RoomClimate]:
    """Read a device id → climate map from the checkpoint."""
    if not isinstance(data, dict):
        return {}
    return {str(device): RoomClimate.from_json(value) for device, value in data.items()}


def note_reading(rooms: dict[str, RoomClimate], observation: ReadingObserved) -> RoomClimate | None:
    """Keep a temperature or humidity reading; return the room's climate, or None for other metrics."""
    if observation.metric not in (TEMPERATURE, HUMIDITY):
        return None
    climate = rooms.setdefault(observation.device_id, RoomClimate())
    if climate.at is not None and observation.ts < climate.at - STALE_AFTER:
        return climate  # a replayed old reading does not overwrite the present
    if observation.metric == TEMPERATURE:
        climate.temperature_c = observation.value
    else:
        climate.humidity_pct = observation.value
    climate.at = observation.ts if climate.at is None else max(climate.at, observation.ts)
    climate.room = observation.room or climate.room
    return climate


@dataclass(slots=True)
class HeatRiskState:
    """Each room's climate, since when the home has been hot, and what was raised."""

    rooms: dict[str, RoomClimate] = field(default_factory=dict)
    severe_since: datetime | None = None
    danger_since: datetime | None = None
    raised: str | None = None  # None | "severe" | "danger"

    def to_json(self) -> dict[str, Any]:
        return {
            "rooms": {device: climate.to_json() for device, climate in self.rooms.items()},
            "severe_since": iso(self.severe_since),
            "danger_since": iso(self.danger_since),
            "raised": self.raised,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> HeatRiskState:
        if not data:
            return cls()
        raised = data.get("raised")
        return cls(
            rooms=rooms_from_json(data.get("rooms")),
            severe_since=parse_iso(data.get("severe_since")),
            danger_since=parse_iso(data.get("danger_since")),
            raised=raised if raised in ("severe", "danger") else None,
        )


class HeatRiskRule:
    """Raise when indoor WBGT stays at 厳重警戒 or above; raise higher at 危険; clear when it cools."""

    name: ClassVar[RuleName] = RuleName.HEAT_RISK

    def __init__(self, *, household_id: str, config: HeatRiskConfig, state: HeatRiskState) -> None:
        self.household_id = household_id
        self.config = config
        self.state = state

    @classmethod
    def for_household(cls, profile: HouseholdProfile, saved: dict[str, Any] | None) -> HeatRiskRule:
        """Build the rule for a household, restoring its saved state."""
        return cls(
            household_id=profile.household_id,
            config=HeatRiskConfig.from_settings(profile.settings),
            state=HeatRiskState.from_json(saved),
        )

    def observe(self, observation: Observation, *, now: datetime) -> list[AlertSignal]:
        if not isinstance(observation, ReadingObserved) or note_reading(self.state.rooms, observation) is None:
            return []
        state = self.state
        hottest = self._hottest(now)
        if hottest is None:
            return []
        wbgt = hottest[0]
        state.severe_since = (state.severe_since or observation.ts) if wbgt >= self.config.alert_level else None
        state.danger_since = (state.danger_since or observation.ts) if wbgt >= self.config.danger_level else None
        if state.raised is not None and wbgt < self.config.alert_level - CLEAR_MARGIN:
            state.raised = None
            return [
                signal(
                    self.name,
                    self.household_id,
                    action="clear",
                    severity=Severity.MEDIUM,
                    at=now,
                    facts={"wbgt": round(wbgt, 1)},
                )
            ]
        return []

    def tick(self, now: datetime) -> list[AlertSignal]:
        due = self.due_at()
        hottest = self._hottest(now)
        if due is None or due > now:
            return []
        if hottest is None:
            # the sensors went quiet: no verdict on old readings, and no timer left running
            self.state.severe_since = self.state.danger_since = None
            return []
        wbgt, climate = hottest
        danger = self.state.danger_since is not None and self.state.danger_since + self._danger_sustain() <= now
        self.state.raised = "danger" if danger else "severe"
        since = self.state.danger_since if danger else self.state.severe_since
        return [
            signal(
                self.name,
                self.household_id,
                action="raise",
                severity=Severity.HIGH if danger else Severity.MEDIUM,
                at=now,
                facts={
                    "wbgt": round(wbgt, 1),
                    "level": heat_level(wbgt),
                    "temperature_c": climate.temperature_c,
                    "humidity_pct": climate.humidity_pct,
                    "room": climate.room,
                    "since": iso(since),
                },
            )
        ]

    def due_at(self) -> datetime | None:
        state = self.state
        if state.raised is None and state.severe_since is not None:
            return state.severe_since + self.config.sustain
        if state.raised != "danger" and state.danger_since is not None:
            return state.danger_since + self._danger_sustain()
        return None

    def state_json(self) -> dict[str, Any]:
        return self.state.to_json()

    def _danger_sustain(self) -> timedelta:
        return self.config.sustain / 3

    def _hottest(self, now: datetime) -> tuple[float, RoomClimate] | None:
        best: tuple[float, RoomClimate] | None = None
        for climate in self.state.rooms.values():
            if climate.temperature_c is None or climate.humidity_pct is None or climate.at is None:
                continue
            if now - climate.at > STALE_AFTER:
                continue
            wbgt = wbgt_indoor(climate.temperature_c, climate.humidity_pct)
            if best is None or wbgt > best[0]:
                best = (wbgt, climate)
        return best
