"""The learned routine is rebuilt from the events table when the rule state has none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts import HouseholdProfile, RuleEngine, WatchSettings
from cloud.db import StoredEvent
from cloud.ingest.rules import learn_from_events
from protocol import new_message_id
from tests.cloud.watched_home import HOUSEHOLD, entity_store


def test_routine_is_learned_again_from_stored_events(tmp_path: Path) -> None:
    """Ten days of stored movement give a fresh engine a learned routine (no cold start)."""
    store = entity_store(tmp_path)
    now = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    with store.begin() as session:
        for day in range(10, 0, -1):
            for minutes in range(0, 14 * 60, 15):
                ts = now - timedelta(days=day) + timedelta(minutes=minutes)
                session.add(
                    StoredEvent(
                        msg_id=new_message_id(),
                        gateway_id="gw-taito-0001",
                        household_id=HOUSEHOLD,
                        device_id="pir-living",
                        kind="motion_detected",
                        room="living_room",
                        ts=ts,
                        received_at=ts,
                    )
                )
    profile = HouseholdProfile(HOUSEHOLD, "山田 花子", frozenset({"gw-taito-0001"}), WatchSettings())
    engine = RuleEngine(profiles=[profile])
    assert engine.needs_history() == [HOUSEHOLD]
    assert learn_from_events(engine, store, now=now) == 1
    assert engine.needs_history() == []
    routine = engine.checkpoint()["households"][HOUSEHOLD]["inactivity"]["routine"]
    assert len(routine) >= 10
