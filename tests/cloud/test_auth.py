"""Logins, lockout, sessions, CSRF, API tokens, the audit log and the secrets refused at start."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner

from cloud.auth import Accounts
from cloud.cli import app as cli
from cloud.config import DEMO_SESSION_SECRET, Settings
from cloud.db import AuditEntry, make_sessions
from cloud.service import CloudService
from protocol import ManualClock
from tests.web.people import HOUSEHOLD, PASSWORD, SECRET, logged_in, seed_people


@pytest.fixture
def service(start_service: Callable[..., CloudService]) -> CloudService:
    service = start_service(api_port=0, session_secret=SECRET)
    seed_people(service)
    return service


@pytest.fixture
def anonymous(service: CloudService) -> Iterator[httpx.Client]:
    assert service.api_url is not None
    with httpx.Client(base_url=service.api_url, timeout=10) as client:
        yield client


def login(client: httpx.Client, password: str = PASSWORD, username: str = "sato") -> httpx.Response:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def audit_actions(service: CloudService) -> list[str]:
    with service.sessions() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_login_sets_an_httponly_samesite_cookie(anonymous: httpx.Client) -> None:
    """A good password answers a session cookie the page's scripts cannot read."""
    response = login(anonymous)
    cookie = response.headers["set-cookie"]
    assert response.status_code == 200
    assert "mimamori_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_wrong_password_is_refused_and_audited(anonymous: httpx.Client, service: CloudService) -> None:
    """A wrong password answers 401 and the failure is in the audit log."""
    assert login(anonymous, "wrong password!").status_code == 401
    assert "login.failed" in audit_actions(service)


def test_repeated_failures_lock_the_account_until_the_wait_passes(anonymous: httpx.Client, clock: ManualClock) -> None:
    """After five failures even the right password waits (429), and works once the wait passes."""
    for _ in range(5):
        login(anonymous, "wrong password!")
    locked = login(anonymous)
    clock.advance(timedelta(seconds=31))
    assert (locked.status_code, int(locked.headers["Retry-After"])) == (429, 30)
    assert login(anonymous).status_code == 200


def test_api_needs_a_login(anonymous: httpx.Client) -> None:
    """Without a session or token the API answers 401."""
    assert anonymous.get("/api/v1/households").status_code == 401


def test_session_token_works_as_a_bearer(anonymous: httpx.Client) -> None:
    """The token from the login works as a bearer for API clients, without CSRF."""
    token = login(anonymous).json()["access_token"]
    anonymous.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"}
    response = anonymous.post("/api/v1/alerts/999/notes", json={"text": "x"}, headers=headers)
    assert response.status_code == 404


def test_cookie_change_without_csrf_header_is_refused(anonymous: httpx.Client) -> None:
    """A change carried only by the cookie (a forged form) answers 403."""
    login(anonymous)
    response = anonymous.patch(f"/api/v1/households/{HOUSEHOLD}/watch", json={"inactivity_day_hours": 6})
    assert response.status_code == 403


def test_logout_ends_the_session(service: CloudService) -> None:
    """After logging out the cookie no longer opens the API."""
    assert service.api_url is not None
    with logged_in(service.api_url, "sato") as client:
        client.post("/api/v1/auth/logout")
        assert client.get("/api/v1/auth/me").status_code == 401


def test_api_token_acts_with_its_owners_scope(service: CloudService) -> None:
    """An API token of the family user sees their household, not the others."""
    assert service.api_url is not None
    from tests.web.people import accounts_of

    token = accounts_of(service).issue_api_token("ichiro", label="home assistant")
    with httpx.Client(base_url=service.api_url, headers={"Authorization": f"Bearer {token}"}) as client:
        assert [item["id"] for item in client.get("/api/v1/households").json()] == [HOUSEHOLD]


def test_configuration_change_is_audited_with_the_user(service: CloudService) -> None:
    """A caseworker changing watch settings is written to the audit log under their name."""
    assert service.api_url is not None
    with logged_in(service.api_url, "sato") as client:
        client.patch(f"/api/v1/households/{HOUSEHOLD}/watch", json={"inactivity_day_hours": 6}).raise_for_status()
    with service.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "household.watch_changed")).one()
    assert (entry.actor, entry.detail["inactivity_day_hours"]) == ("佐藤", 6)


def test_demo_session_secret_is_refused_outside_demo() -> None:
    """Outside demo mode the demo's session secret (or a short one) refuses to start."""
    with pytest.raises(ValidationError):
        Settings(session_secret=DEMO_SESSION_SECRET)
    with pytest.raises(ValidationError):
        Settings(session_secret="short")


def test_public_api_without_session_secret_is_refused() -> None:
    """An API reachable from outside needs a session secret."""
    with pytest.raises(ValidationError, match="SESSION_SECRET"):
        Settings(api_host="0.0.0.0", api_token="a-real-token-0123456789")


def test_user_add_on_the_cli(tmp_path: object) -> None:
    """`mimamori user add` creates a caseworker who can then be found in the database."""
    result = CliRunner().invoke(
        cli,
        ["user", "add", "yamada", "--role", "caseworker", "--ward", "13106", "--data-dir", str(tmp_path)],
        env={"MIMAMORI_NEW_PASSWORD": PASSWORD},
    )
    assert result.exit_code == 0, result.output
    assert "user yamada added" in result.output


def test_api_token_issued_on_the_cli_acts_as_its_user(tmp_path: object) -> None:
    """`mimamori user token` prints a token the server resolves to that user; it needs the server's key."""
    runner = CliRunner()
    env = {"MIMAMORI_NEW_PASSWORD": PASSWORD, "MIMAMORI_SESSION_SECRET": SECRET}
    added = runner.invoke(cli, ["user", "add", "warehouse", "--role", "admin", "--data-dir", str(tmp_path)], env=env)
    assert added.exit_code == 0, added.output
    issued = runner.invoke(
        cli, ["user", "token", "warehouse", "--label", "ward DWH", "--data-dir", str(tmp_path)], env=env
    )
    assert issued.exit_code == 0, issued.output
    token = next(word for word in issued.output.split() if word.startswith("mmr_"))
    settings = Settings(data_dir=tmp_path, session_secret=SECRET)
    accounts = Accounts(
        sessions=make_sessions(settings.database_url),
        clock=ManualClock(datetime(2026, 11, 26, tzinfo=UTC)),
        secret=SECRET,
    )
    principal = accounts.resolve_api_token(token)
    assert principal is not None and principal.username == "warehouse"
    keyless = runner.invoke(
        cli, ["user", "token", "warehouse", "--data-dir", str(tmp_path)], env={"MIMAMORI_SESSION_SECRET": ""}
    )
    assert keyless.exit_code != 0 and "MIMAMORI_SESSION_SECRET" in keyless.output
