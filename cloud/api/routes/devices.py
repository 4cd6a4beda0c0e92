"""Devices (sensors, trackers) behind the gateways; registered automatically when first heard."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import select

from cloud.api.deps import FIELD, WATCHERS, ScopeDep, SessionDep, allow
from cloud.api.schemas import DeviceOut
from cloud.db.models import Device, Gateway

router = APIRouter(prefix="/devices", tags=["devices"])


@router.get("", response_model=list[DeviceOut], dependencies=[Depends(allow(*{*FIELD, *WATCHERS}))])
def list_devices(
    session: SessionDep, scope: ScopeDep, household_id: str | None = None, gateway_id: str | None = None
) -> list[DeviceOut]:
    """List devices, optionally of one household or one gateway."""
    query = select(Device).join(Gateway, Gateway.id == Device.gateway_id).order_by(Device.gateway_id, Device.device_id)
    query = scope.restrict(query, Gateway.household_id)
    if gateway_id is not None:
        query = query.where(Device.gateway_id == gateway_id)
    if household_id is not None:
        query = query.where(Gateway.household_id == household_id)
    return [DeviceOut.model_validate(device) for device in session.scalars(query)]
