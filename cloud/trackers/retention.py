"""Location history expires: fixes older than the retention (default 30 days) are deleted."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete

from cloud.db.models import LocationRecord
from cloud.db.session import Sessions

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30.0


def purge_location_history(sessions: Sessions, *, now: datetime, keep_days: float = DEFAULT_RETENTION_DAYS) -> int:
    """Delete every location fix taken before `now - keep_days`; return how many went."""
    if keep_days <= 0:
        raise ValueError("keep_days must be positive")
    cutoff = now - timedelta(days=keep_days)
    with sessions.begin() as session:
        result = session.execute(delete(LocationRecord).where(LocationRecord.ts < cutoff))
    removed = int(getattr(result, "rowcount", 0) or 0)
    log.info("location history: %d fix(es) before %s deleted", removed, cutoff.isoformat())
    return removed
