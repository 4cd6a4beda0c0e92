"""Live updates for the pages over Server-Sent Events: every alert change within a second, and
every new fix of a tracked person the viewer may see, as the tracker desk accepts it.

Opening a live position view passes the privacy gate once per tracker and writes one audit
row per tracker (who, whom, when, why): one row per view, not one per pushed fix. While the
view is open the gate is asked again before each fix is passed on and every second; when it
closes (the family's alert is resolved) the view gets `event: closed` and no more positions.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from cloud.api.deps import WATCHERS, PrincipalDep, Scope, ScopeDep, ServiceDep, allow
from cloud.api.routes.trackers import fixes_of
from cloud.api.schemas import AlertOut
from cloud.auth import Principal
from cloud.db.models import Alert
from cloud.db.trackers import Tracker
from cloud.service import CloudService
from cloud.trackers import audit_location_view, location_access
from cloud.trackers.live import LiveFix
from cloud.trackers.privacy import STAFF_ROLES

router = APIRouter(tags=["stream"])

POLL_S = 0.3
HEARTBEAT_S = 15.0
GATE_EVERY_S = 1.0
SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def _changed_since(service: CloudService, since: datetime, household_ids: frozenset[str] | None) -> list[AlertOut]:
    with service.sessions() as session:
        # >= and not >: with a clock that stands still (tests) a change keeps the same time
        query = select(Alert).where(Alert.updated_at >= since).order_by(Alert.updated_at, Alert.id)
        if household_ids is not None:
            query = query.where(Alert.household_id.in_(sorted(household_ids)))
        return [AlertOut.model_validate(alert) for alert in session.scalars(query)]


@router.get("/stream", response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})
async def stream(request: Request, service: ServiceDep, scope: ScopeDep) -> StreamingResponse:
    """Stream alert changes the caller may see as `event: alert` messages (Server-Sent Events)."""
    household_ids = scope.household_ids

    async def events() -> AsyncIterator[str]:
        # the browser's EventSource reconnects by itself; one second after a server restart
        yield "retry: 1000\n\n"
        since = service.clock.now()
        sent: dict[int, tuple[object, ...]] = {}
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        while not await request.is_disconnected():
            changes = await asyncio.to_thread(_changed_since, service, since, household_ids)
            fresh = []
            for alert in changes:
                since = max(since, alert.updated_at)
                signature = (alert.updated_at, alert.state, alert.occurrences, alert.severity, alert.acknowledged_by)
                if sent.get(alert.id) != signature:
                    sent[alert.id] = signature
                    fresh.append(alert)
            for alert in fresh:
                yield f"event: alert\ndata: {json.dumps(alert.model_dump(mode='json'), ensure_ascii=False)}\n\n"
            if fresh:
                quiet_since = loop.time()
            elif loop.time() - quiet_since > HEARTBEAT_S:
                quiet_since = loop.time()
                yield ": still here\n\n"
            await asyncio.sleep(POLL_S)

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


def _position(fix: LiveFix, *, outside: bool | None) -> dict[str, Any]:
    return {
        "tracker_id": fix.tracker_id,
        "lat": fix.lat,
        "lon": fix.lon,
        "accuracy_m": fix.accuracy_m,
        "source": fix.source,
        "ts": fix.ts.isoformat(),
        "gateway_id": fix.gateway_id,
        "outside": outside,
    }


def _open_view(
    service: CloudService, scope: Scope, principal: Principal, household_id: str | None, tracker_ids: list[str] | None
) -> tuple[set[str], list[LiveFix]]:
    """Pass the gate once per tracker and audit it; return the allowed trackers and their newest stored fixes."""
    with service.sessions() as session:
        query = scope.restrict(select(Tracker).order_by(Tracker.id), Tracker.household_id)
        if household_id is not None:
            query = query.where(Tracker.household_id == household_id)
        if tracker_ids:
            query = query.where(Tracker.id.in_(tracker_ids))
        trackers = list(session.scalars(query))
        if tracker_ids and len(trackers) != len(set(tracker_ids)):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "tracker not found")
        now = service.clock.now()
        latest: list[LiveFix] = []
        allowed: set[str] = set()
        for tracker in trackers:
            access = location_access(session, tracker, principal, now)
            audit_location_view(session, tracker=tracker, principal=principal, access=access, now=now)
            if not access.allowed:
                continue
            allowed.add(tracker.id)
            for record in fixes_of(session, tracker, limit=1):
                latest.append(
                    LiveFix(
                        tracker_id=tracker.id,
                        lat=record.lat,
                        lon=record.lon,
                        accuracy_m=record.accuracy_m,
                        source=record.source,
                        ts=record.ts,
                        gateway_id=record.gateway_id,
                    )
                )
        session.commit()
        if trackers and not allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                "the location is shown to family only while an alert about this person is open",
            )
        return allowed, latest


def _closed_views(service: CloudService, principal: Principal, tracker_ids: set[str]) -> dict[str, str]:
    """Ask the gate again (no audit: the view was audited when it opened); return the closed ones with why."""
    closed = dict.fromkeys(tracker_ids, "tracker_removed")
    with service.sessions() as session:
        now = service.clock.now()
        for tracker in session.scalars(select(Tracker).where(Tracker.id.in_(sorted(tracker_ids)))):
            access = location_access(session, tracker, principal, now)
            if access.allowed:
                del closed[tracker.id]
            else:
                closed[tracker.id] = access.reason
    return closed


@router.get(
    "/stream/positions",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
    dependencies=[Depends(allow(*WATCHERS))],
    tags=["trackers"],
)
async def stream_positions(
    request: Request,
    service: ServiceDep,
    scope: ScopeDep,
    principal: PrincipalDep,
    household_id: str | None = None,
    tracker_id: Annotated[list[str] | None, Query()] = None,
) -> StreamingResponse:
    """Push each new fix of the trackers the caller may see as `event: position` (Server-Sent Events).

    The newest stored fix of each comes first. Family members get 403 unless an alert about
    the person is open (or a consent covers them); when that ends, `event: closed` names the
    tracker and no more positions of it follow. One audit row per tracker per opened view.
    """
    desk = service.tracker_desk
    if desk is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the tracker desk is not running")
    allowed, latest = await asyncio.to_thread(_open_view, service, scope, principal, household_id, tracker_id)
    staff = principal.role in STAFF_ROLES

    def outside(tracker: str) -> bool | None:
        try:
            return desk.watch.is_outside(tracker)
        except (KeyError, RuntimeError):
            return None

    async def events() -> AsyncIterator[str]:
        newest: dict[str, datetime] = {}
        loop = asyncio.get_running_loop()
        # subscribed before the stored fixes are sent: a fix arriving meanwhile is not lost
        subscription = desk.live.subscribe(allowed)
        try:
            yield "retry: 1000\n\n"
            for stored in latest:
                newest[stored.tracker_id] = stored.ts
                yield _event("position", _position(stored, outside=outside(stored.tracker_id)))
            gate_at = quiet_since = loop.time()
            # a view whose every tracker the gate closed ends; an empty one (no trackers yet) stays
            while (subscription.tracker_ids or not allowed) and not await request.is_disconnected():
                fix = await subscription.next(GATE_EVERY_S)
                if not staff and (fix is not None or loop.time() - gate_at >= GATE_EVERY_S):
                    gate_at = loop.time()
                    closed = await asyncio.to_thread(_closed_views, service, principal, set(subscription.tracker_ids))
                    for tracker, reason in closed.items():
                        subscription.stop_watching(tracker)
                        yield _event("closed", {"tracker_id": tracker, "reason": reason})
                if fix is not None and fix.tracker_id in subscription.tracker_ids:
                    # a late fix (an outbox emptied after an outage) must not move the marker back
                    if fix.ts >= newest.get(fix.tracker_id, fix.ts):
                        newest[fix.tracker_id] = fix.ts
                        quiet_since = loop.time()
                        yield _event("position", _position(fix, outside=outside(fix.tracker_id)))
                elif loop.time() - quiet_since > HEARTBEAT_S:
                    quiet_since = loop.time()
                    yield ": still here\n\n"
        finally:
            subscription.close()

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)
