"""The OsmAnd / Traccar client protocol: LTE trackers and phone apps report by HTTP.

``GET or POST /osmand?id=…&lat=…&lon=…&timestamp=…&accuracy=…&batt=…`` — the query the
Traccar Client and OsmAnd's live tracking send. Public like Traccar's port 5055: the
device id is the credential, and only registered ids are accepted. A fix becomes a
`LocationFix` of the bridge gateway on the broker; ingest stores it, the tracker desk
evaluates it.
"""

from __future__ import annotations

import logging
import threading

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import PlainTextResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from cloud.api.deps import ServiceDep
from cloud.db.trackers import Tracker
from cloud.trackers import BridgePublisher, SourceError, TrackerDeskSettings, osmand_fix
from protocol import LocationFix

log = logging.getLogger(__name__)

router = APIRouter(tags=["trackers"])
_publisher_lock = threading.Lock()


def _publish(request: Request, service: ServiceDep, fix: LocationFix) -> bool:
    desk = getattr(service, "tracker_desk", None)
    if desk is not None:
        desk.publish_fix(fix)
        return True
    with _publisher_lock:
        publisher: BridgePublisher | None = getattr(request.app.state, "osmand_publisher", None)
        if publisher is None:
            publisher = BridgePublisher(TrackerDeskSettings.from_settings(service.settings))
            request.app.state.osmand_publisher = publisher
    return publisher.publish(fix)


@router.get("/osmand", response_class=PlainTextResponse)
async def osmand_get(request: Request, service: ServiceDep) -> PlainTextResponse:
    """Take one fix in the OsmAnd/Traccar client protocol (query string)."""
    return await osmand(request, service)


@router.post("/osmand", response_class=PlainTextResponse)
async def osmand_post(request: Request, service: ServiceDep) -> PlainTextResponse:
    """Take one fix in the OsmAnd/Traccar client protocol (query string or form body)."""
    return await osmand(request, service)


async def osmand(request: Request, service: ServiceDep) -> PlainTextResponse:
    """Turn one OsmAnd request into a fix on the broker."""
    params = dict(request.query_params)
    if request.method == "POST" and not params.get("id"):
        form = await request.form()
        params.update({key: str(value) for key, value in form.items()})
    # off the event loop: the device lookup waits for SQLite's write lock, which a request whose
    # session the loop has yet to close may hold, and the publish waits for the broker's ack
    return await run_in_threadpool(_accept, request, service, params)


def _accept(request: Request, service: ServiceDep, params: dict[str, str]) -> PlainTextResponse:
    """Look the device up and publish its fix; refuse a malformed fix or an unregistered device."""
    try:
        external = osmand_fix(params)
    except SourceError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    with service.sessions() as session:
        tracker_id = session.scalar(
            select(Tracker.id).where(Tracker.external_id == external.external_id, Tracker.kind == "osmand")
        )
    if tracker_id is None:
        log.info("OsmAnd fix of unregistered device %s refused", external.external_id)
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown device id")
    try:
        fix = external.to_location_fix(device_id=tracker_id)
    except SourceError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    if not _publish(request, service, fix):
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the broker did not take the fix; send it again")
    return PlainTextResponse("OK")
