"""The web pages in a real Chromium: the console, the family view and the resident app."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cloud.provisioning import add_contact
from cloud.service import CloudService
from protocol import EventKind, Metric, Reading, ReadingBatch, TopicKind, encode, new_message_id, topic_for
from tests.cloud.conftest import GATEWAY, START, GatewayPublisher, event, events_topic
from tests.support import NotificationReceiver, free_port, wait_until
from tests.web.conftest import FAMILY_INBOX, screenshot
from tests.web.people import HOUSEHOLD, OTHER_HOUSEHOLD, PASSWORD, SECRET, raise_alert, seed_people

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/web/login.html")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def accessibility_faults(page: Page) -> list[str]:
    """Run axe-core in the page; return the serious and critical violations (labels, contrast…)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{v['id']}: {[node['target'] for node in v['nodes']][:3]}"
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


def test_caseworker_sees_an_emergency_live_and_acknowledges_it(
    page: Page, site: CloudService, gateway: GatewayPublisher, receiver: NotificationReceiver
) -> None:
    """A button press shows on the map and list without reload; acknowledging tells the family who."""
    assert site.api_url is not None
    log_in(page, site.api_url, "sato")
    expect(page.locator("#live")).to_have_text("ライブ更新中")
    expect(page.locator(".leaflet-overlay-pane path").first).to_be_visible()  # ward boundary, without tiles

    pressed = time.monotonic()
    gateway.publish(events_topic(), encode(event(kind=EventKind.BUTTON_PRESSED, device_id="btn-1", room="bedroom")))
    item = page.locator("#alerts li.sev-critical")
    expect(item).to_contain_text("緊急ボタン", timeout=5000)
    shown_after = time.monotonic() - pressed
    expect(page.locator(f'.hh-marker.alert[data-household="{HOUSEHOLD}"]')).to_be_visible()
    screenshot(page, "console-alert")

    item.get_by_role("button", name="対応します").click()
    expect(item.locator(".acked-by")).to_have_text("佐藤")
    messages = receiver.wait_for(FAMILY_INBOX, count=2)
    assert "佐藤" in messages[-1].message
    assert shown_after < 3.0  # one poll of the stream, plus ingest and rules on a shared machine
    assert accessibility_faults(page) == []


def test_household_detail_shows_person_devices_and_charts(
    page: Page, site: CloudService, gateway: GatewayPublisher
) -> None:
    """Opening a household shows its sentence, devices and the motion chart; English on request."""
    assert site.api_url is not None
    gateway.publish(events_topic(), encode(event(room="kitchen")))
    climate = [
        Reading(device_id="climate-1", metric=metric, value=value, ts=START - timedelta(hours=hours))
        for hours in (3, 2, 1)
        for metric, value in ((Metric.TEMPERATURE_C, 27.0 + hours), (Metric.HUMIDITY_PCT, 70.0))
    ]
    batch = ReadingBatch(msg_id=new_message_id(), gateway_id=GATEWAY, ts=START, readings=climate)
    gateway.publish(topic_for(GATEWAY, TopicKind.READINGS), encode(batch))
    log_in(page, site.api_url, "sato")
    page.locator(f'.hh-marker[data-household="{HOUSEHOLD}"]').click()
    expect(page.locator("#detail-summary")).to_contain_text("台所")
    expect(page.locator("#chart-motion svg")).to_be_visible()
    expect(page.locator("#chart-wbgt polyline")).to_be_visible()
    expect(page.locator("#devices")).to_contain_text("pir-living")
    screenshot(page, "console-household")
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
    screenshot(page, "console-tablet")
    page.get_by_role("button", name="English").click()
    expect(page.locator("#alerts-title")).to_contain_text("Open alerts")


def test_family_member_sees_their_relative_but_not_another_household(page: Page, site: CloudService) -> None:
    """The family view tells the state in a sentence; another household's page shows nothing of it."""
    assert site.api_url is not None
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, site.api_url, "ichiro")
    expect(page.locator("#sentence")).to_contain_text("まだ動きの記録がありません")
    screenshot(page, "family")
    assert accessibility_faults(page) == []

    page.goto(f"{site.api_url}/web/family/?household={OTHER_HOUSEHOLD}")
    expect(page.locator("#notfound")).to_be_visible()
    assert "鈴木" not in page.content()
    screenshot(page, "family-other-household")


def test_resident_app_installs_and_registers_its_device(page: Page, site: CloudService) -> None:
    """The resident app registers its service worker and its device; the manifest makes it installable."""
    assert site.api_url is not None
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{site.api_url}/web/app/")
    scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    expect(page.locator("#sw-status")).to_have_text("オフラインでも使えます")
    prefs = json.loads(page.evaluate("localStorage.getItem('mimamori.resident') || '{}'"))
    manifest = page.request.get(f"{site.api_url}/web/app/manifest.webmanifest").json()
    page.get_by_label("大きな文字").check()
    screenshot(page, "resident-app")
    assert scope == f"{site.api_url}/web/app/"
    assert prefs.get("token")  # the device registered itself and keeps its own token
    assert manifest["display"] == "standalone"
    assert accessibility_faults(page) == []


def test_resident_app_shows_an_alert_sent_to_its_home(page: Page, site: CloudService) -> None:
    """A disaster alert released over the resident's home shows in the app, with a shelter."""
    disaster = pytest.importorskip("cloud.disaster")
    model = pytest.importorskip("alerts.disaster.model")
    assert site.api_url is not None
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{site.api_url}/web/app/")
    page.wait_for_function("JSON.parse(localStorage.getItem('mimamori.resident') || '{}').token")
    with page.expect_response(lambda r: r.url.endswith("/residents/devices/me") and r.request.method == "PATCH"):
        page.locator("#map").click()  # sets the home where the map is centred: inside Taito City
    draft = disaster.AlertDraft(
        hazard=model.Hazard.EARTHQUAKE,
        area=model.AreaSpec(municipalities=("13106",)),
        texts={"ja": model.AlertText(headline="地震 震度6強", instruction="落ち着いて避難してください")},
    )
    desk = site.disaster
    alert_id = desk.create(draft, by="佐藤")
    desk.release(alert_id, by="佐藤")

    def shown() -> bool:
        # what a Web Push message does in the app: fetch the device's alerts again
        page.evaluate("loadAlerts()")
        return "震度6強" in page.locator("#alerts").inner_text()

    wait_until(shown, timeout=15, what="alert shown in the resident app")
    expect(page.get_by_role("button", name="無事です")).to_be_visible()
    screenshot(page, "resident-alert")


def test_console_reconnects_after_a_server_restart(
    page: Page, start_service: Callable[..., CloudService], gateway: GatewayPublisher
) -> None:
    """The console shows the lost connection, reconnects by itself and then shows new alerts."""
    port = free_port()
    service = start_service(api_port=port, session_secret=SECRET)
    seed_people(service)
    assert service.api_url is not None
    log_in(page, service.api_url, "sato")
    expect(page.locator("#live")).to_have_text("ライブ更新中")

    service.stop()
    expect(page.locator("#live")).to_have_text("再接続中…")
    start_service(api_port=port, session_secret=SECRET)
    expect(page.locator("#live")).to_have_text("ライブ更新中", timeout=10000)
    gateway.publish(events_topic(), encode(event(kind=EventKind.BUTTON_PRESSED, device_id="btn-1")))

    expect(page.locator("#alerts li.sev-critical")).to_contain_text("緊急ボタン", timeout=5000)


def test_family_member_acknowledges_from_their_phone(page: Page, site: CloudService) -> None:
    """An open alert in the family view is acknowledged with one tap, under the member's name."""
    assert site.api_url is not None
    raise_alert(site, HOUSEHOLD)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, site.api_url, "ichiro")
    page.locator("#open").get_by_role("button", name="対応します").click()
    expect(page.locator("#history")).to_contain_text("田中一郎")
    screenshot(page, "family-acknowledged")


def test_family_member_sets_quiet_hours(page: Page, site: CloudService) -> None:
    """Quiet hours typed in the family view are saved."""
    assert site.api_url is not None
    log_in(page, site.api_url, "ichiro")
    page.get_by_label("開始").fill("22:00")
    page.get_by_label("終了").fill("07:00")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#saved")).to_have_text("保存しました")


def test_family_member_sees_the_caseworker_but_cannot_change_their_settings(page: Page, site: CloudService) -> None:
    """The ward's contacts are listed for the family, without a form to mute them."""
    assert site.api_url is not None
    add_contact(site.sessions, household_id=HOUSEHOLD, name="佐藤ケースワーカー", role="caseworker", channels=[])
    log_in(page, site.api_url, "ichiro")
    expect(page.locator("#others")).to_contain_text("佐藤ケースワーカー — ケースワーカー")
    expect(page.locator("#settings fieldset[data-contact]")).to_have_count(1)
    expect(page.locator("#settings")).not_to_contain_text("佐藤ケースワーカー")
