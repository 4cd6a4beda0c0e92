"""CAP imports while the database is busy: they wait off the API's event loop, so the server keeps answering."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from cloud.api.routes import disaster as disaster_routes
from cloud.service import CloudService
from tests.disaster.conftest import TOKEN
from tests.disaster.test_cap_import import JMA_FLOOD
from tests.support import wait_until
from tests.support.busy_database import running_in, write_lock_held

IMPORTS = 3
# well under the 30 s busy timeout: an import stuck behind a frozen event loop would take that long
ANSWER_TIMEOUT_S = 10.0
PAGE_TIMEOUT_S = 5.0


def test_cap_messages_posted_while_the_database_is_busy_all_become_drafts(service: CloudService) -> None:
    """While another transaction holds the write lock, the login page still loads; then every import answers a draft."""
    assert service.api_url is not None

    def post_cap(number: int) -> httpx.Response:
        message = JMA_FLOOD.replace(b"jma-flood-taito-1", f"jma-flood-taito-{number}".encode())
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/cap+xml"}
        with httpx.Client(base_url=service.api_url or "", timeout=ANSWER_TIMEOUT_S, headers=headers) as operator:
            return operator.post("/api/v1/disaster/cap/import", content=message)

    page: httpx.Response | None = None
    with (
        ThreadPoolExecutor(IMPORTS) as operators,
        httpx.Client(base_url=service.api_url, timeout=PAGE_TIMEOUT_S) as browser,
    ):
        with write_lock_held(service.sessions):
            answers = [operators.submit(post_cap, number) for number in range(IMPORTS)]
            wait_until(lambda: running_in(disaster_routes), timeout=10, what="an import waiting for the database")
            # released only once the server answered someone else, like a request whose session
            # the event loop has yet to close: a loop frozen by the waiting import would never get there
            try:
                page = browser.get("/web/login.html")
            except httpx.TimeoutException:
                page = None
        replies = [answer.result() for answer in answers]

    assert page is not None and page.status_code == 200, "the login page did not load while imports were waiting"
    assert [reply.status_code for reply in replies] == [200] * IMPORTS, [reply.text for reply in replies]
    drafts = [alert for reply in replies for alert in reply.json()]
    assert sorted(alert["identifier"] for alert in drafts) == [f"jma-flood-taito-{n}" for n in range(IMPORTS)]
    assert {(alert["state"], alert["texts"]["ja"]["headline"]) for alert in drafts} == {("draft", "台東区に洪水警報")}
