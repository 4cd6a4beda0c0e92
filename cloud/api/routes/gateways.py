"""Gateways: registration (unregistered gateways are refused by ingest) and their state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select

from cloud.api.deps import FIELD, WATCHERS, ScopeDep, ServiceDep, SessionDep, allow
from cloud.api.schemas import GatewayCreate, GatewayOut
from cloud.auth import Principal, audit_now
from cloud.db.models import Gateway
from cloud.provisioning import AlreadyExists, NotFound, ProvisioningError, add_gateway

router = APIRouter(prefix="/gateways", tags=["gateways"])


_READERS = Depends(allow(*{*FIELD, *WATCHERS}))


@router.get("", response_model=list[GatewayOut], dependencies=[_READERS])
def list_gateways(session: SessionDep, scope: ScopeDep, household_id: str | None = None) -> list[GatewayOut]:
    """List registered gateways with their last known state."""
    query = scope.restrict(select(Gateway).order_by(Gateway.id), Gateway.household_id)
    if household_id is not None:
        query = query.where(Gateway.household_id == household_id)
    return [GatewayOut.model_validate(gateway) for gateway in session.scalars(query)]


@router.get("/{gateway_id}", response_model=GatewayOut, dependencies=[_READERS])
def get_gateway(gateway_id: str, session: SessionDep, scope: ScopeDep) -> GatewayOut:
    """Show one gateway."""
    gateway = session.get(Gateway, gateway_id)
    if gateway is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"gateway {gateway_id!r} not found")
    return GatewayOut.model_validate(gateway)


@router.post("", response_model=GatewayOut, status_code=status.HTTP_201_CREATED)
def register_gateway(
    body: GatewayCreate,
    service: ServiceDep,
    session: SessionDep,
    scope: ScopeDep,
    principal: Annotated[Principal, Depends(allow(*FIELD))],
) -> GatewayOut:
    """Register a gateway so its messages are accepted."""
    try:
        add_gateway(
            service.sessions, gateway_id=body.id, household_id=body.household_id, label=body.label, clock=service.clock
        )
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except AlreadyExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except ProvisioningError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    audit_now(
        service.sessions,
        at=service.clock.now(),
        actor=principal.actor,
        action="gateway.registered",
        target=f"gateway/{body.id}",
        household_id=body.household_id,
    )
    service.refresh_households()
    return get_gateway(body.id, session, scope)
