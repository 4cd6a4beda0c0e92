"""A fresh data directory with N households, one gateway each, provisioned the way the CLI does it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.cloud_ingest import PROBE_GATEWAY, bench_settings


@dataclass(frozen=True, slots=True)
class BenchHouseholds:
    """What was provisioned: gateway i belongs to household i; alarm households have a contact."""

    data_dir: Path
    gateway_ids: tuple[str, ...]
    household_ids: tuple[str, ...]
    alarm_households: tuple[str, ...]
    seconds: float

    def gateway_of(self, household_id: str) -> str:
        return self.gateway_ids[self.household_ids.index(household_id)]


def gateway_id(index: int) -> str:
    return f"bench-gw-{index:05d}"


def household_id(index: int) -> str:
    return f"bench-hh-{index:05d}"


def alarm_path(household: str) -> str:
    """Receiver path that a household's family contact is notified at."""
    return f"/alarm/{household}"


def provision(
    data_dir: Path, *, households: int, alarm_households: int = 0, contact_url: Callable[[str], str] | None = None
) -> BenchHouseholds:
    """Migrate a new database in `data_dir` and register households, gateways and alarm contacts."""
    from cloud.db import make_sessions, migrate
    from cloud.provisioning import add_contact, add_gateway, add_household

    started = time.monotonic()
    settings = bench_settings(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    sessions = make_sessions(settings.database_url)
    try:
        add_gateway(sessions, gateway_id=PROBE_GATEWAY, household_id=None, label="benchmark readiness probe")
        for index in range(households):
            hid = household_id(index)
            add_household(sessions, household_id=hid, name=f"ベンチ世帯 {index}", person_name=f"台東 花子 {index}")
            add_gateway(sessions, gateway_id=gateway_id(index), household_id=hid)
            if index < alarm_households and contact_url is not None:
                add_contact(sessions, household_id=hid, name="家族", channels=[contact_url(alarm_path(hid))])
    finally:
        sessions.kw["bind"].dispose()
    return BenchHouseholds(
        data_dir=data_dir,
        gateway_ids=tuple(gateway_id(i) for i in range(households)),
        household_ids=tuple(household_id(i) for i in range(households)),
        alarm_households=tuple(household_id(i) for i in range(min(alarm_households, households))),
        seconds=time.monotonic() - started,
    )
