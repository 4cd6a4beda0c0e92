"""Logging in and out: a session cookie for the pages, the same token as a bearer for API clients."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from cloud.api.deps import CSRF_COOKIE, SESSION_COOKIE, AccountsDep, PrincipalDep, ServiceDep
from cloud.auth import LoginLocked, LoginRefused, Principal, Role
from cloud.auth.accounts import SESSION_LIFETIME

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=500)


class MeOut(BaseModel):
    actor: str
    role: Role
    username: str | None
    language: str
    household_ids: list[str] | None = Field(description="The households a family member watches; None: by role.")
    ward_codes: list[str] | None


class LoginOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    csrf_token: str
    user: MeOut


def me_out(principal: Principal) -> MeOut:
    """Describe a principal to the pages."""
    return MeOut(
        actor=principal.actor,
        role=principal.role,
        username=principal.username,
        language=principal.language,
        household_ids=None if principal.household_ids is None else sorted(principal.household_ids),
        ward_codes=None if principal.ward_codes is None else sorted(principal.ward_codes),
    )


@router.post("/login", response_model=LoginOut, responses={401: {}, 429: {}})
def login(body: LoginIn, request: Request, response: Response, accounts: AccountsDep, service: ServiceDep) -> LoginOut:
    """Log in with a user name and password; sets the session cookie and returns a bearer token."""
    try:
        token, principal = accounts.login(body.username, body.password)
    except LoginLocked as exc:
        wait = max(1, int((exc.until - service.clock.now()).total_seconds()))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, "too many failed logins; try again later", {"Retry-After": str(wait)}
        ) from None
    except LoginRefused:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong user name or password") from None
    csrf = accounts.csrf_token(token)
    public = service.settings.public_url or ""
    secure = request.url.scheme == "https" or public.startswith("https://")
    max_age = int(SESSION_LIFETIME.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict", secure=secure, path="/"
    )
    # readable by our pages, which echo it in the X-CSRF-Token header of every change
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="strict", secure=secure, path="/")
    return LoginOut(access_token=token, csrf_token=csrf, user=me_out(principal))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, principal: PrincipalDep, accounts: AccountsDep) -> Response:
    """End this session (cookie or bearer)."""
    token = request.cookies.get(SESSION_COOKIE) or request.headers.get("Authorization", "").removeprefix("Bearer ")
    if token:
        accounts.logout(token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me", response_model=MeOut)
def me(principal: PrincipalDep) -> MeOut:
    """Tell who is logged in, with their role and scope."""
    return me_out(principal)
