"""OsmAnd fixes while the database is busy: they wait off the API's event loop, so the server keeps answering."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from cloud.api.routes import osmand as osmand_routes
from cloud.db import LocationRecord
from cloud.service import CloudService
from cloud.trackers import TrackerDesk
from tests.support import wait_until
from tests.support.busy_database import running_in, write_lock_held
from tests.trackers.conftest import HOME, register_phone

DEVICE = "358240051111110"
PHONES = 4
# well under the 30 s busy timeout: a fix stuck behind a frozen event loop would take that long
ANSWER_TIMEOUT_S = 10.0
PAGE_TIMEOUT_S = 5.0


def stored_fixes(service: CloudService, tracker_id: str) -> int:
    with service.sessions() as session:
        return session.scalar(select(func.count()).where(LocationRecord.device_id == tracker_id)) or 0


def test_fixes_sent_while_the_database_is_busy_are_all_taken(service: CloudService, desk: TrackerDesk) -> None:
    """While another transaction holds the write lock, the login page still loads, and every fix then gets OK."""
    tracker = register_phone(service, desk, kind="osmand", external_id=DEVICE)
    assert service.api_url is not None
    now = service.clock.now().timestamp()

    def send_fix(step: int) -> httpx.Response:
        params = {"id": DEVICE, "lat": str(HOME[0]), "lon": str(HOME[1]), "timestamp": str(int(now) + step)}
        with httpx.Client(base_url=service.api_url or "", timeout=ANSWER_TIMEOUT_S) as phone:
            return phone.get("/osmand", params=params)

    page: httpx.Response | None = None
    with (
        ThreadPoolExecutor(PHONES) as phones,
        httpx.Client(base_url=service.api_url, timeout=PAGE_TIMEOUT_S) as browser,
    ):
        with write_lock_held(service.sessions):
            answers = [phones.submit(send_fix, step) for step in range(PHONES)]
            wait_until(lambda: running_in(osmand_routes), timeout=10, what="a fix waiting for the database")
            # released only once the server answered someone else, like a request whose session
            # the event loop has yet to close: a loop frozen by the waiting fix would never get there
            try:
                page = browser.get("/web/login.html")
            except httpx.TimeoutException:
                page = None
        replies = [answer.result() for answer in answers]

    assert page is not None and page.status_code == 200, "the login page did not load while fixes were waiting"
    assert [(reply.status_code, reply.text) for reply in replies] == [(200, "OK")] * PHONES
    wait_until(lambda: stored_fixes(service, tracker) == PHONES, timeout=10, what="every fix stored")
