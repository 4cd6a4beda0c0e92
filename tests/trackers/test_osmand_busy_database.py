"""OsmAnd fixes while the database is busy: they wait off the API's event loop, so the server keeps answering."""

from __future__ import annotations

from functools import partial

import httpx
from sqlalchemy import func, select

from cloud.api.routes import osmand as osmand_routes
from cloud.db import LocationRecord
from cloud.service import CloudService
from cloud.trackers import TrackerDesk
from tests.support import wait_until
from tests.support.busy_database import send_while_locked
from tests.trackers.conftest import HOME, register_phone

DEVICE = "358240051111110"
PHONES = 4
# well under the 30 s busy timeout: a fix stuck behind a frozen event loop would take that long
ANSWER_TIMEOUT_S = 10.0


def stored_fixes(service: CloudService, tracker_id: str) -> int:
    with service.sessions() as session:
        return session.scalar(select(func.count()).where(LocationRecord.device_id == tracker_id)) or 0


def send_fix(base_url: str, ts: int) -> httpx.Response:
    params = {"id": DEVICE, "lat": str(HOME[0]), "lon": str(HOME[1]), "timestamp": str(ts)}
    with httpx.Client(base_url=base_url, timeout=ANSWER_TIMEOUT_S) as phone:
        return phone.get("/osmand", params=params)


def test_fixes_sent_while_the_database_is_busy_are_all_taken(service: CloudService, desk: TrackerDesk) -> None:
    """While another transaction holds the write lock, the login page still loads; then every fix gets OK."""
    tracker = register_phone(service, desk, kind="osmand", external_id=DEVICE)
    assert service.api_url is not None
    now = int(service.clock.now().timestamp())

    busy = send_while_locked(
        sessions=service.sessions,
        base_url=service.api_url,
        handlers=osmand_routes,
        requests=[partial(send_fix, service.api_url, now + step) for step in range(PHONES)],
    )

    assert busy.page is not None and busy.page.status_code == 200, "the login page did not load while fixes waited"
    assert [(reply.status_code, reply.text) for reply in busy.replies] == [(200, "OK")] * PHONES
    wait_until(lambda: stored_fixes(service, tracker) == PHONES, timeout=10, what="every fix stored")
