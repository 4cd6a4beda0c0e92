"""CAP imports while the database is busy: they wait off the API's event loop, so the server keeps answering."""

from __future__ import annotations

from functools import partial

import httpx

from cloud.api.routes import disaster as disaster_routes
from cloud.service import CloudService
from tests.disaster.conftest import TOKEN
from tests.disaster.test_cap_import import JMA_FLOOD
from tests.support.busy_database import send_while_locked

IMPORTS = 3
# well under the 30 s busy timeout: an import stuck behind a frozen event loop would take that long
ANSWER_TIMEOUT_S = 10.0


def post_cap(base_url: str, number: int) -> httpx.Response:
    message = JMA_FLOOD.replace(b"jma-flood-taito-1", f"jma-flood-taito-{number}".encode())
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/cap+xml"}
    with httpx.Client(base_url=base_url, timeout=ANSWER_TIMEOUT_S, headers=headers) as operator:
        return operator.post("/api/v1/disaster/cap/import", content=message)


def test_cap_messages_posted_while_the_database_is_busy_all_become_drafts(service: CloudService) -> None:
    """While another transaction holds the write lock, the login page still loads; then every import answers a draft."""
    assert service.api_url is not None

    busy = send_while_locked(
        sessions=service.sessions,
        base_url=service.api_url,
        handlers=disaster_routes,
        requests=[partial(post_cap, service.api_url, number) for number in range(IMPORTS)],
    )

    assert busy.page is not None and busy.page.status_code == 200, "the login page did not load while imports waited"
    assert [reply.status_code for reply in busy.replies] == [200] * IMPORTS, [reply.text for reply in busy.replies]
    drafts = [alert for reply in busy.replies for alert in reply.json()]
    assert sorted(alert["identifier"] for alert in drafts) == [f"jma-flood-taito-{n}" for n in range(IMPORTS)]
    assert {(alert["state"], alert["texts"]["ja"]["headline"]) for alert in drafts} == {("draft", "台東区に洪水警報")}
