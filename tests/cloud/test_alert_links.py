"""The alert link in a notification opens the page that shows the alert to whoever taps it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from cloud.service import CloudService
from tests.web.people import SECRET, logged_in, seed_people


@pytest.fixture
def service(start_service: Callable[..., CloudService]) -> CloudService:
    service = start_service(api_port=0, session_secret=SECRET)
    seed_people(service)
    return service


def test_link_asks_a_stranger_to_log_in_first(service: CloudService) -> None:
    """Without a login the link leads to the login page, which comes back to the alert."""
    assert service.api_url is not None
    response = httpx.get(f"{service.api_url}/alerts/7", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/web/login.html?next=/alerts/7"


@pytest.mark.parametrize(("username", "page"), [("ichiro", "/web/family/"), ("sato", "/web/console/")])
def test_link_opens_the_page_of_the_role(service: CloudService, username: str, page: str) -> None:
    """A family member lands in the family view, a caseworker in the console, on that alert."""
    assert service.api_url is not None
    with logged_in(service.api_url, username) as client:
        response = client.get("/alerts/7", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"{page}?alert=7"
