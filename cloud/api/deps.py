"""Dependencies shared by the routers: the service, a database session, the bearer token check."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from cloud.service import CloudService

_bearer = HTTPBearer(auto_error=False, description="The API token (MIMAMORI_API_TOKEN), when one is set.")


def get_service(request: Request) -> CloudService:
    """Return the service the app was created for."""
    service: CloudService = request.app.state.service
    return service


ServiceDep = Annotated["CloudService", Depends(get_service)]


def get_session(service: ServiceDep) -> Iterator[Session]:
    """Open a session for one request."""
    with service.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def require_token(
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Refuse the request unless it carries the API token (when one is configured)."""
    expected = service.settings.api_token_value
    if expected is None:
        return
    if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong API token",
            headers={"WWW-Authenticate": "Bearer"},
        )
