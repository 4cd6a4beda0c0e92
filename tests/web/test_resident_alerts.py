"""The resident app in a real Chromium: one shelter distance (the server's), and alerts that end by themselves."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from alerts.disaster.model import AlertText, AreaSpec
from cloud.disaster import AlertDraft
from cloud.service import CloudService
from maps import Hazard
from protocol import ManualClock
from tests.cloud.conftest import START
from tests.support import wait_until
from tests.web.conftest import screenshot

DISTANCE = re.compile(r"約[\d,]+m")


def _home_in_taito(page: Page, site: CloudService) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{site.api_url}/web/app/")
    page.wait_for_function("JSON.parse(localStorage.getItem('mimamori.resident') || '{}').token")
    with page.expect_response(lambda r: r.url.endswith("/residents/devices/me") and r.request.method == "PATCH"):
        page.locator("#map").click()  # the map opens centred inside Taito City


def _release_earthquake(site: CloudService, **draft: object) -> int:
    desk = site.disaster
    alert_id = desk.create(
        AlertDraft(
            hazard=Hazard.EARTHQUAKE,
            area=AreaSpec(municipalities=("13106",)),
            texts={"ja": AlertText(headline="地震 震度6強")},
            **draft,  # type: ignore[arg-type]
        ),
        by="佐藤",
    )
    desk.release(alert_id, by="佐藤")
    return alert_id


def _shown(page: Page, text: str) -> bool:
    # what a Web Push message does in the app: fetch the device's alerts again
    page.evaluate("loadAlerts()")
    return text in page.locator("#alerts").inner_text()


def test_alert_card_shows_the_shelter_distance_the_text_gives(page: Page, site: CloudService) -> None:
    """The card's distance to the shelter is the alert text's, rounded the same (約140m), not a second figure."""
    _home_in_taito(page, site)
    expect(page.locator("#shelter")).to_contain_text("m）")  # the home's nearest shelter, measured by the server
    assert DISTANCE.search(page.locator("#shelter").inner_text())
    _release_earthquake(site)

    wait_until(lambda: _shown(page, "震度6強"), timeout=15, what="alert shown in the resident app")

    card = page.locator("#alerts li").first
    body = card.locator("p").first.inner_text()
    shelter_line = card.locator("p.shelter").inner_text()
    in_text = DISTANCE.findall(body)
    in_card = DISTANCE.findall(shelter_line)
    screenshot(page, "resident-alert-distance")
    assert in_text and in_card == in_text[-1:]


def test_an_expired_alert_leaves_the_resident_app(page: Page, site: CloudService, clock: ManualClock) -> None:
    """Past its expiry the alert is no longer shown as current, and the answer buttons go away."""
    _home_in_taito(page, site)
    _release_earthquake(site, expires=START + timedelta(hours=1))
    wait_until(lambda: _shown(page, "震度6強"), timeout=15, what="alert shown in the resident app")
    expect(page.get_by_role("button", name="無事です")).to_be_visible()

    clock.advance(timedelta(hours=1, seconds=1))

    wait_until(lambda: _shown(page, "現在、警報はありません"), timeout=15, what="the expired alert gone from the app")
    expect(page.get_by_role("button", name="無事です")).to_be_hidden()
    assert "震度6強" not in page.locator("#alerts").inner_text()
