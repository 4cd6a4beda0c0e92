"""Browser fixtures: Debian's Chromium driven by Playwright, and a cloud with people who log in."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cloud.service import CloudService
from tests.cloud import conftest as cloud_fixtures
from tests.support import NotificationReceiver
from tests.web.people import SECRET, seed_people

# the cloud tests' fixtures: a service on a real Mosquitto, its clock, a gateway publisher
clock = cloud_fixtures.clock
make_settings = cloud_fixtures.make_settings
start_service = cloud_fixtures.start_service
gateway = cloud_fixtures.gateway

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FAMILY_INBOX = "/family/ichiro"

if shutil.which(CHROMIUM) is None:
    pytest.skip("Debian's chromium is not installed (make test installs it)", allow_module_level=True)

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for all browser tests (they share two cores)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page at the console's design size, offline from the internet (no map tiles)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP", timezone_id="Asia/Tokyo")
    # tiles come from the internet: the vector layers must show without them
    context.route("https://**/*", lambda route: route.abort())
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def site(start_service: Callable[..., CloudService], receiver: NotificationReceiver) -> CloudService:
    """A running cloud with households A (family ichiro's) and B, and its users."""
    service = start_service(api_port=0, session_secret=SECRET, contacts=[receiver.url(FAMILY_INBOX)])
    seed_people(service)
    return service


def screenshot(page: Page, name: str) -> None:
    """Save a screenshot to tests/artifacts/ (git-ignored) for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
