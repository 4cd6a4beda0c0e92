"""Two households in two wards and the people who log in, for the auth, scoping and browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from alerts import RuleName, Severity
from alerts.signals import AlertSignal
from cloud.auth import Accounts
from cloud.provisioning import add_gateway, add_household
from cloud.service import CloudService
from tests.cloud.conftest import GATEWAY, HOUSEHOLD, START

PASSWORD = "correct horse battery"
SECRET = "test-session-secret-0123456789abcdefghij"
OTHER_HOUSEHOLD = "bunkyo-0001"
OTHER_GATEWAY = "gw-bunkyo-0001"
OTHER_WARD = "13105"


def accounts_of(service: CloudService) -> Accounts:
    """Return accounts over the service's database with the test's session secret."""
    return Accounts(sessions=service.sessions, clock=service.clock, secret=SECRET)


def seed_people(service: CloudService) -> Accounts:
    """Add household B in another ward and users: admin, caseworker (Taito), family of A, installer."""
    sessions = service.sessions
    add_household(
        sessions,
        household_id=OTHER_HOUSEHOLD,
        name="鈴木家",
        person_name="鈴木次郎",
        lat=35.71,
        lon=139.75,
        clock=service.clock,
    )
    from cloud.db import Household

    with sessions() as session:
        other = session.get_one(Household, OTHER_HOUSEHOLD)
        other.ward_code = OTHER_WARD
        session.get_one(Household, HOUSEHOLD).lat, session.get_one(Household, HOUSEHOLD).lon = 35.7126, 139.78
        session.commit()
    add_gateway(sessions, gateway_id=OTHER_GATEWAY, household_id=OTHER_HOUSEHOLD, clock=service.clock)
    service.refresh_households()
    accounts = accounts_of(service)
    accounts.add_user(username="admin", password=PASSWORD, role="admin", display_name="管理者")
    accounts.add_user(username="sato", password=PASSWORD, role="caseworker", display_name="佐藤", wards=["13106"])
    accounts.add_user(
        username="ichiro", password=PASSWORD, role="family", display_name="田中一郎", households=[HOUSEHOLD]
    )
    accounts.add_user(username="kobayashi", password=PASSWORD, role="installer", display_name="小林")
    return accounts


@contextmanager
def logged_in(base_url: str, username: str) -> Iterator[httpx.Client]:
    """Yield a client holding the session cookie and sending the CSRF header, like our pages."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        response.raise_for_status()
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        yield client


def raise_alert(service: CloudService, household_id: str, rule: RuleName = RuleName.EMERGENCY_BUTTON) -> int:
    """Open an alert on a household as the rules would; return its id."""
    [alert_id] = service.lifecycle.apply(
        [AlertSignal(action="raise", household_id=household_id, rule=rule, severity=Severity.CRITICAL, at=START)]
    )
    return alert_id


__all__ = [
    "GATEWAY",
    "HOUSEHOLD",
    "OTHER_GATEWAY",
    "OTHER_HOUSEHOLD",
    "PASSWORD",
    "SECRET",
    "logged_in",
    "raise_alert",
    "seed_people",
]
