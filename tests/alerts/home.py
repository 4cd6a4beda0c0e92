"""A household's gateway played against a RuleEngine, with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts import AlertSignal, EventObserved, GatewayHeard, HouseholdProfile, RuleEngine, RuleName, WatchSettings
from protocol import EventKind, GatewayState, ManualClock

JST = ZoneInfo("Asia/Tokyo")
HOUSEHOLD = "taito-0001"
GATEWAY = "gw-taito-0001"


def jst(day: int, hour: int, minute: int = 0) -> datetime:
    """Return a moment of November 2026 given in Tokyo time, as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=JST).astimezone(UTC)


class Home:
    """One household with one gateway, driven minute by minute like the live stream would."""

    def __init__(self, start: datetime, *, settings: WatchSettings | None = None, engine: RuleEngine | None = None):
        self.clock = ManualClock(start)
        self.profile = HouseholdProfile(
            household_id=HOUSEHOLD,
            person_name="山田 花子",
            gateway_ids=frozenset({GATEWAY}),
            settings=settings or WatchSettings(),
        )
        self.engine = engine or RuleEngine(profiles=[self.profile])
        self.signals: list[AlertSignal] = []

    def status(self, state: GatewayState = GatewayState.ONLINE, *, started_at: datetime | None = None) -> None:
        """Deliver a status message (heartbeat, start-up or Last Will) of the gateway."""
        heard = GatewayHeard(HOUSEHOLD, GATEWAY, self.clock.now(), state, started_at)
        self.signals += self.engine.observe(heard, now=self.clock.now())

    def event(self, kind: EventKind, *, room: str | None = "居間", ts: datetime | None = None) -> None:
        """Deliver an event of a sensor behind the gateway."""
        now = self.clock.now()
        self.signals += self.engine.observe(GatewayHeard(HOUSEHOLD, GATEWAY, now), now=now)
        observed = EventObserved(HOUSEHOLD, GATEWAY, f"{kind.value}-1", kind, ts or now, room)
        self.signals += self.engine.observe(observed, now=now)

    def run_until(self, moment: datetime, *, heartbeats: bool = True, step: timedelta = timedelta(seconds=60)) -> None:
        """Move time to `moment`, ticking the engine each step and sending heartbeats if online."""
        while self.clock.now() < moment:
            self.clock.set(min(self.clock.now() + step, moment))
            if heartbeats:
                self.status()
            self.signals += self.engine.tick(self.clock.now())

    def raised(self, rule: RuleName) -> list[AlertSignal]:
        return [signal for signal in self.signals if signal.rule is rule and signal.action == "raise"]

    def cleared(self, rule: RuleName) -> list[AlertSignal]:
        return [signal for signal in self.signals if signal.rule is rule and signal.action == "clear"]
