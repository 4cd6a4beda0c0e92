"""Gateway offline: a gateway's Last Will, or its silence, raises; hearing it again clears.

After silence any message from the gateway clears; after its Last Will only its "online"
status does (a reading sent just before it dropped may be delivered after the Will).

While a gateway is offline the home is not watched (no data, so no inactivity alert either);
the people responsible for the equipment are told so they can restore power or the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from alerts.rules.base import GatewayPresence, iso, only_gateways, presences_from_json, presences_to_json
from alerts.signals import (
    AlertSignal,
    GatewayHeard,
    HouseholdProfile,
    Observation,
    RuleName,
    Severity,
    WatchSettings,
)
from protocol import GatewayState

REASON_LAST_WILL = "last_will"
REASON_SILENCE = "silence"


@dataclass(frozen=True, slots=True)
class GatewayOfflineConfig:
    """How long a gateway may stay silent before it counts as offline."""

    offline_after: timedelta

    @classmethod
    def from_settings(cls, settings: WatchSettings) -> GatewayOfflineConfig:
        return cls(offline_after=timedelta(seconds=settings.gateway_offline_after_s))


@dataclass(slots=True)
class GatewayOfflineState:
    """Presence of each gateway of the household and which of them are raised (with the reason)."""

    gateways: dict[str, GatewayPresence] = field(default_factory=dict)
    raised: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"gateways": presences_to_json(self.gateways), "raised": dict(self.raised)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> GatewayOfflineState:
        if not data:
            return cls()
        raised = data.get("raised")
        return cls(
            gateways=presences_from_json(data.get("gateways")),
            raised={str(k): str(v) for k, v in raised.items()} if isinstance(raised, dict) else {},
        )


class GatewayOfflineRule:
    """Raise when a gateway of the household goes offline or silent; clear when all are back."""

    name: ClassVar[RuleName] = RuleName.GATEWAY_OFFLINE

    def __init__(self, *, household_id: str, config: GatewayOfflineConfig, state: GatewayOfflineState) -> None:
        self.household_id = household_id
        self.config = config
        self.state = state

    @classmethod
    def for_household(cls, profile: HouseholdProfile, saved: dict[str, Any] | None) -> GatewayOfflineRule:
        """Build the rule for a household, restoring its saved state."""
        state = GatewayOfflineState.from_json(saved)
        state.gateways = only_gateways(state.gateways, profile.gateway_ids)
        return cls(
            household_id=profile.household_id,
            config=GatewayOfflineConfig.from_settings(profile.settings),
            state=state,
        )

    def observe(self, observation: Observation, *, now: datetime) -> list[AlertSignal]:
        gateway_id = observation.gateway_id
        presence = self.state.gateways.setdefault(gateway_id, GatewayPresence())
        if isinstance(observation, GatewayHeard) and observation.state is GatewayState.OFFLINE:
            presence.went_offline()
            if gateway_id in self.state.raised:
                return []
            self.state.raised[gateway_id] = REASON_LAST_WILL
            return [self._raise(gateway_id, presence, REASON_LAST_WILL, now)]
        back = presence.note(observation, now=now, offline_after=self.config.offline_after)
        if not back or self.state.raised.pop(gateway_id, None) is None or self.state.raised:
            return []
        return [
            AlertSignal(
                action="clear",
                household_id=self.household_id,
                rule=self.name,
                severity=Severity.MEDIUM,
                at=now,
                facts={"gateway_id": gateway_id, "back_at": iso(now)},
            )
        ]

    def tick(self, now: datetime) -> list[AlertSignal]:
        signals = []
        for gateway_id, presence in self.state.gateways.items():
            due = self._silence_due(gateway_id, presence)
            if due is not None and due <= now:
                self.state.raised[gateway_id] = REASON_SILENCE
                signals.append(self._raise(gateway_id, presence, REASON_SILENCE, now))
        return signals

    def due_at(self) -> datetime | None:
        dues = [self._silence_due(gid, presence) for gid, presence in self.state.gateways.items()]
        present = [due for due in dues if due is not None]
        return min(present) if present else None

    def state_json(self) -> dict[str, Any]:
        return self.state.to_json()

    def _silence_due(self, gateway_id: str, presence: GatewayPresence) -> datetime | None:
        if gateway_id in self.state.raised or presence.offline or presence.last_heard_at is None:
            return None
        return presence.last_heard_at + self.config.offline_after

    def _raise(self, gateway_id: str, presence: GatewayPresence, reason: str, now: datetime) -> AlertSignal:
        return AlertSignal(
            action="raise",
            household_id=self.household_id,
            rule=self.name,
            severity=Severity.MEDIUM,
            at=now,
            facts={"gateway_id": gateway_id, "last_seen_at": iso(presence.last_heard_at), "reason": reason},
        )
