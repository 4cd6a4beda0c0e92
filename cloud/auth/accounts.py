"""Accounts: users with argon2 password hashes, logins with back-off, sessions and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from cloud.auth.models import ApiToken, User, UserScope, WebSession
from cloud.db.models import AuditEntry, Household
from protocol import Clock

log = logging.getLogger(__name__)

API_TOKEN_PREFIX = "mmr_"
# a wrong password five times in a row locks the account, then each failure doubles the wait
FREE_ATTEMPTS = 5
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
# verified against when the user does not exist, so both answers take as long
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class Role(StrEnum):
    """What a user is allowed to do; the scope says on which households."""

    ADMIN = "admin"
    CASEWORKER = "caseworker"
    FAMILY = "family"
    INSTALLER = "installer"
    RESIDENT = "resident"  # an anonymous resident device, scoped to itself


class LoginRefused(Exception):
    """Wrong user name or password, or an inactive account."""


class LoginLocked(Exception):
    """Too many failures: the account waits until `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"locked until {until.isoformat()}")
        self.until = until


class AccountError(ValueError):
    """A user cannot be created or changed like this."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who makes a request: their role and what they may see (None = everything)."""

    actor: str
    role: Role
    user_id: int | None = None
    username: str | None = None
    language: str = "ja"
    ward_codes: frozenset[str] | None = None
    household_ids: frozenset[str] | None = None
    device_id: str | None = None
    via: str = "session"  # session | bearer | api_token | integration | device

    @property
    def unscoped(self) -> bool:
        """Tell whether the principal sees every household."""
        return self.ward_codes is None and self.household_ids is None


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password."""
    return _hasher.hash(password)


def _lock_for(failures: int) -> timedelta:
    extra = failures - FREE_ATTEMPTS
    return min(FIRST_LOCK * (2**extra), LONGEST_LOCK)


def audit(session: Session, *, at: datetime, actor: str, action: str, target: str, **detail: Any) -> None:
    """Write one line of the audit log (committed with the caller's transaction)."""
    session.add(AuditEntry(at=at, actor=actor, action=action, target=target, detail=detail))


def audit_now(
    sessions: sessionmaker[Session], *, at: datetime, actor: str, action: str, target: str, **detail: Any
) -> None:
    """Write one line of the audit log in its own transaction (beside a change made elsewhere)."""
    with sessions() as session:
        audit(session, at=at, actor=actor, action=action, target=target, **detail)
        session.commit()


class Accounts:
    """Create users, check passwords, open and resolve sessions and API tokens."""

    def __init__(self, *, sessions: sessionmaker[Session], clock: Clock, secret: str) -> None:
        self._sessions = sessions
        self._clock = clock
        self._secret = secret.encode()

    # --- users -------------------------------------------------------------------------------

    def add_user(
        self,
        *,
        username: str,
        password: str,
        role: Role | str,
        display_name: str | None = None,
        wards: Iterable[str] = (),
        households: Iterable[str] = (),
        language: str = "ja",
    ) -> int:
        """Create a user; caseworkers need wards (or none = all), family members need households."""
        role = Role(role)
        if role is Role.RESIDENT:
            raise AccountError("resident devices register themselves; they are not users")
        if len(password) < 10:
            raise AccountError("a password needs at least 10 characters")
        wards, households = sorted(set(wards)), sorted(set(households))
        if role is Role.FAMILY and not households:
            raise AccountError("a family member needs at least one household")
        now = self._clock.now()
        with self._sessions() as session:
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                raise AccountError(f"user {username!r} exists")
            for household_id in households:
                if session.get(Household, household_id) is None:
                    raise AccountError(f"household {household_id!r} not found")
            user = User(
                username=username,
                display_name=display_name or username,
                role=role.value,
                password_hash=hash_password(password),
                language=language,
                active=True,
                failed_logins=0,
                created_at=now,
            )
            user.scopes = [UserScope(kind="ward", value=ward) for ward in wards] + [
                UserScope(kind="household", value=household_id) for household_id in households
            ]
            session.add(user)
            session.flush()
            audit(session, at=now, actor="system", action="user.created", target=f"user/{user.id}", role=role.value)
            session.commit()
            log.info("user %s created (%s)", username, role.value)
            return user.id

    # --- logins ------------------------------------------------------------------------------

    def login(self, username: str, password: str) -> tuple[str, Principal]:
        """Check the password and open a session; return its token and who logged in."""
        now = self._clock.now()
        with self._sessions() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                _verify(_DUMMY_HASH, password)
                audit(session, at=now, actor=username[:200], action="login.failed", target="user/?")
                session.commit()
                raise LoginRefused(username)
            if user.locked_until is not None and user.locked_until > now:
                audit(session, at=now, actor=username, action="login.locked", target=f"user/{user.id}")
                session.commit()
                raise LoginLocked(user.locked_until)
            if not _verify(user.password_hash, password) or not user.active:
                user.failed_logins += 1
                if user.failed_logins >= FREE_ATTEMPTS:
                    user.locked_until = now + _lock_for(user.failed_logins)
                audit(
                    session,
                    at=now,
                    actor=username,
                    action="login.failed",
                    target=f"user/{user.id}",
                    failures=user.failed_logins,
                )
                session.commit()
                log.warning("login of %s failed (%d in a row)", username, user.failed_logins)
                raise LoginRefused(username)
            user.failed_logins = 0
            user.locked_until = None
            token = secrets.token_urlsafe(32)
            session.add(
                WebSession(
                    token_hash=self._digest(token), user_id=user.id, created_at=now, expires_at=now + SESSION_LIFETIME
                )
            )
            audit(session, at=now, actor=user.display_name, action="login", target=f"user/{user.id}")
            session.commit()
            return token, self._principal(session, user, via="session")

    def logout(self, token: str) -> None:
        """End a session."""
        with self._sessions() as session:
            stored = session.get(WebSession, self._digest(token))
            if stored is not None:
                session.delete(stored)
                session.commit()

    def csrf_token(self, session_token: str) -> str:
        """Return the anti-forgery token bound to a session (the page echoes it in a header)."""
        return hmac.new(self._secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()

    def resolve_session(self, token: str, *, via: str = "session") -> Principal | None:
        """Return who a session token belongs to, or None when it is unknown or expired."""
        now = self._clock.now()
        with self._sessions() as session:
            stored = session.get(WebSession, self._digest(token))
            if stored is None or stored.expires_at <= now:
                return None
            user = self._user(session, stored.user_id)
            return None if user is None else self._principal(session, user, via=via)

    # --- API tokens --------------------------------------------------------------------------

    def issue_api_token(self, username: str, *, label: str = "") -> str:
        """Create an API token acting as `username`; the clear token is shown only now."""
        now = self._clock.now()
        token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._sessions() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise AccountError(f"user {username!r} not found")
            session.add(ApiToken(token_hash=self._digest(token), user_id=user.id, label=label, created_at=now))
            audit(session, at=now, actor=user.display_name, action="api_token.issued", target=f"user/{user.id}")
            session.commit()
        return token

    def resolve_api_token(self, token: str) -> Principal | None:
        """Return who an API token acts as, or None when it is unknown or revoked."""
        with self._sessions() as session:
            stored = session.scalar(select(ApiToken).where(ApiToken.token_hash == self._digest(token)))
            if stored is None or stored.revoked_at is not None:
                return None
            user = self._user(session, stored.user_id)
            return None if user is None else self._principal(session, user, via="api_token")

    # --- helpers -----------------------------------------------------------------------------

    def _digest(self, token: str) -> str:
        # keyed, so a copy of the database alone cannot be turned into working tokens
        return hmac.new(self._secret, token.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def _user(session: Session, user_id: int) -> User | None:
        user = session.scalar(select(User).where(User.id == user_id).options(selectinload(User.scopes)))
        return user if user is not None and user.active else None

    @staticmethod
    def _principal(session: Session, user: User, *, via: str) -> Principal:
        role = Role(user.role)
        wards = frozenset(scope.value for scope in user.scopes if scope.kind == "ward")
        households = frozenset(scope.value for scope in user.scopes if scope.kind == "household")
        return Principal(
            actor=user.display_name,
            role=role,
            user_id=user.id,
            username=user.username,
            language=user.language,
            # a caseworker without wards works for the whole city; a family member sees only theirs
            ward_codes=wards if role is Role.CASEWORKER and wards else None,
            household_ids=households if role is Role.FAMILY else None,
            via=via,
        )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
