"""Gateways: registration (unregistered gateways are refused by ingest) and their state."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from cloud.api.deps import ServiceDep, SessionDep
from cloud.api.schemas import GatewayCreate, GatewayOut
from cloud.db.models import Gateway
from cloud.provisioning import AlreadyExists, NotFound, ProvisioningError, add_gateway

router = APIRouter(prefix="/gateways", tags=["gateways"])


@router.get("", response_model=list[GatewayOut])
def list_gateways(session: SessionDep, household_id: str | None = None) -> list[GatewayOut]:
    """List registered gateways with their last known state."""
    query = select(Gateway).order_by(Gateway.id)
    if household_id is not None:
        query = query.where(Gateway.household_id == household_id)
    return [GatewayOut.model_validate(gateway) for gateway in session.scalars(query)]


@router.get("/{gateway_id}", response_model=GatewayOut)
def get_gateway(gateway_id: str, session: SessionDep) -> GatewayOut:
    """Show one gateway."""
    gateway = session.get(Gateway, gateway_id)
    if gateway is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"gateway {gateway_id!r} not found")
    return GatewayOut.model_validate(gateway)


@router.post("", response_model=GatewayOut, status_code=status.HTTP_201_CREATED)
def register_gateway(body: GatewayCreate, service: ServiceDep, session: SessionDep) -> GatewayOut:
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
    service.refresh_households()
    return get_gateway(body.id, session)
