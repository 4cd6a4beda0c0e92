"""Live updates for the pages over Server-Sent Events: every alert change, within a second."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from cloud.api.deps import ScopeDep, ServiceDep
from cloud.api.schemas import AlertOut
from cloud.db.models import Alert
from cloud.service import CloudService

router = APIRouter(tags=["stream"])

POLL_S = 0.3
HEARTBEAT_S = 15.0


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

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
