"""Ingest counters: what arrived, what was dropped and why."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from cloud.api.deps import ServiceDep, allow
from cloud.api.schemas import IngestStatsOut
from cloud.auth import Role

router = APIRouter(prefix="/ingest", tags=["ingest"])


@router.get("/stats", response_model=IngestStatsOut, dependencies=[Depends(allow(Role.ADMIN, Role.INSTALLER))])
def ingest_stats(service: ServiceDep) -> IngestStatsOut:
    """Show how many messages were accepted and how many were dropped, by reason."""
    snapshot = service.stats
    return IngestStatsOut(
        accepted=snapshot.accepted,
        rejected=snapshot.rejected,
        rejected_total=snapshot.rejected_total,
        ignored=snapshot.ignored,
        batches=snapshot.batches,
        queue_depth=snapshot.queue_depth,
        broker_connected=snapshot.broker_connected,
        rule_errors=snapshot.rule_errors,
        last_batch_size=snapshot.last_batch_size,
        last_batch_seconds=snapshot.last_batch_seconds,
        uptime_s=snapshot.uptime_s,
    )
