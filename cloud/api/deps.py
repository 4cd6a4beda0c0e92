"""Dependencies shared by the routers: the service, a session, who is asking, and what they may see.

Scoping lives here and nowhere else: `guard` runs before every route under /api/v1. It
resolves each identifier a request names (household, alert, gateway, contact, in the path or
the query) to its household and refuses with 404 what the principal may not see, so a family
member cannot even learn that another household exists. List routes narrow their query with
`Scope.restrict`, which reads the same principal.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from cloud.auth import API_TOKEN_PREFIX, Accounts, Principal, Role
from cloud.db.models import Alert, Contact, Gateway, Household

if TYPE_CHECKING:
    from cloud.service import CloudService

SESSION_COOKIE = "mimamori_session"
CSRF_COOKIE = "mimamori_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
INTEGRATION_ACTOR = "integration"

_bearer = HTTPBearer(
    auto_error=False,
    description="A session token from /api/v1/auth/login, an API token (mmr_…), or MIMAMORI_API_TOKEN.",
)

T = TypeVar("T", bound=tuple[Any, ...])


def get_service(request: Request) -> CloudService:
    """Return the service the app was created for."""
    service: CloudService = request.app.state.service
    return service


ServiceDep = Annotated["CloudService", Depends(get_service)]


def get_accounts(request: Request) -> Accounts:
    """Return the accounts of this app."""
    accounts: Accounts = request.app.state.accounts
    return accounts


AccountsDep = Annotated[Accounts, Depends(get_accounts)]


def get_session(service: ServiceDep) -> Iterator[Session]:
    """Open a session for one request."""
    with service.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

# Other kinds of bearer token (e.g. resident devices) register a resolver under their prefix.
DeviceTokenResolver = Callable[[Request, str], Principal | None]


def register_token_resolver(request_app: Any, prefix: str, resolver: DeviceTokenResolver) -> None:
    """Let bearer tokens starting with `prefix` be resolved by `resolver` (e.g. resident devices)."""
    request_app.state.token_resolvers[prefix] = resolver


def _unauthorized(detail: str = "log in first") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def current_principal(
    request: Request,
    service: ServiceDep,
    accounts: AccountsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Return who is asking, from a bearer token or the session cookie; 401 when nobody is."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal = _from_bearer(request, service, accounts, credentials.credentials) if credentials else None
    if credentials is not None and principal is None:
        raise _unauthorized("unknown or expired token")
    if principal is None:
        cookie = request.cookies.get(SESSION_COOKIE)
        principal = accounts.resolve_session(cookie) if cookie else None
        if principal is None:
            raise _unauthorized()
        # a cookie rides along on any request the browser makes; a header proves our page sent it
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not secrets.compare_digest(sent.encode(), accounts.csrf_token(cookie or "").encode()):
                raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")
    request.state.principal = principal
    return principal


def _from_bearer(request: Request, service: CloudService, accounts: Accounts, token: str) -> Principal | None:
    expected = service.settings.api_token_value
    if expected is not None and secrets.compare_digest(token.encode(), expected.encode()):
        return Principal(actor=INTEGRATION_ACTOR, role=Role.ADMIN, via="integration")
    if token.startswith(API_TOKEN_PREFIX):
        return accounts.resolve_api_token(token)
    for prefix, resolver in request.app.state.token_resolvers.items():
        if token.startswith(prefix):
            return resolver(request, token)
    return accounts.resolve_session(token, via="bearer")


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require_token(principal: PrincipalDep) -> Principal:
    """Refuse the request unless someone is logged in or carries a token (kept for integrations)."""
    return principal


def allow(*roles: Role) -> Callable[[Principal], Principal]:
    """Return a dependency that lets only these roles through (403 for the others)."""
    allowed = frozenset(roles)

    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"not allowed for the role {principal.role.value}")
        return principal

    return check


STAFF = (Role.ADMIN, Role.CASEWORKER)
WATCHERS = (Role.ADMIN, Role.CASEWORKER, Role.FAMILY)
FIELD = (Role.ADMIN, Role.CASEWORKER, Role.INSTALLER)


@dataclass(frozen=True, slots=True)
class Scope:
    """The households a principal may see: `household_ids` None means every one."""

    principal: Principal
    household_ids: frozenset[str] | None

    def allows(self, household_id: str | None) -> bool:
        """Tell whether the principal may see this household (None: an unassigned gateway)."""
        if self.household_ids is None:
            return True
        return household_id is not None and household_id in self.household_ids

    def restrict(self, query: Select[T], column: ColumnElement[Any] | Any) -> Select[T]:
        """Narrow a query to the visible households, by the column holding the household id."""
        if self.household_ids is None:
            return query
        return query.where(column.in_(sorted(self.household_ids)))


def _visible_households(session: Session, principal: Principal) -> frozenset[str] | None:
    if principal.role is Role.RESIDENT:
        return frozenset()
    if principal.household_ids is not None:
        return principal.household_ids
    if principal.ward_codes is not None:
        rows = session.scalars(select(Household.id).where(Household.ward_code.in_(sorted(principal.ward_codes))))
        return frozenset(rows)
    return None


def _owner(session: Session, name: str, value: str) -> tuple[bool, str | None]:
    """Return (found, household id) of the thing an identifier names."""
    if name == "household_id":
        return session.get(Household, value) is not None, value
    if name == "alert_id":
        alert_household = session.scalar(select(Alert.household_id).where(Alert.id == _int(value)))
        return alert_household is not None, alert_household
    if name == "gateway_id":
        gateway = session.get(Gateway, value)
        return gateway is not None, None if gateway is None else gateway.household_id
    if name == "contact_id":
        contact_household = session.scalar(select(Contact.household_id).where(Contact.id == _int(value)))
        return contact_household is not None, contact_household
    raise KeyError(name)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1


SCOPED_NAMES = ("household_id", "alert_id", "gateway_id", "contact_id")


def guard(request: Request, principal: PrincipalDep, session: SessionDep) -> Scope:
    """Work out what the principal may see and refuse (404) a request naming anything else."""
    cached: Scope | None = getattr(request.state, "scope", None)
    if cached is not None:
        return cached
    scope = Scope(principal=principal, household_ids=_visible_households(session, principal))
    if scope.household_ids is not None:
        named = [(name, str(request.path_params[name])) for name in SCOPED_NAMES if name in request.path_params]
        named += [(name, request.query_params[name]) for name in SCOPED_NAMES if name in request.query_params]
        for name, value in named:
            found, household_id = _owner(session, name, value)
            if not found or not scope.allows(household_id):
                # the same answer as for something that does not exist: no oracle
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"{name.removesuffix('_id')} {value!r} not found")
    # end the read: on SQLite every transaction holds the write lock (BEGIN IMMEDIATE), and the
    # route may write through another session (the alert lifecycle, provisioning)
    session.rollback()
    request.state.scope = scope
    return scope


ScopeDep = Annotated[Scope, Depends(guard)]


def contact_to_change(session: Session, contact_id: int, principal: Principal) -> Contact:
    """Return a contact the caller may change: 404 if unknown, 403 for a family user on staff's.

    The scope guard has already limited the contact to the caller's households; within a
    household a family user manages the family's contacts, not the caseworker's or on-call's.
    """
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"contact {contact_id} not found")
    if principal.role is Role.FAMILY and contact.role != "family":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the ward changes a caseworker's settings")
    return contact
