"""The console's disaster tab and tracker layer, and the family's live position, in a real Chromium."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from cloud.service import CloudService
from tests.support import wait_until
from tests.web.conftest import screenshot
from tests.web.people import HOUSEHOLD, SECRET, logged_in, raise_alert, seed_people
from tests.web.test_pages import accessibility_faults, log_in

HOME = (35.7126, 139.78)  # household A, as the people module places it
RESIDENT_HOME = (35.7130, 139.7805)  # a resident registered next door


def register_resident(base_url: str) -> str:
    """Register a resident device with its home next to household A; return its token."""
    home = {"lat": RESIDENT_HOME[0], "lon": RESIDENT_HOME[1]}
    response = httpx.post(f"{base_url}/api/v1/residents/devices", json={"language": "ja", "home": home}, timeout=10)
    response.raise_for_status()
    token: str = response.json()["token"]
    return token


def resident_alerts(base_url: str, token: str) -> list[dict[str, Any]]:
    """Return the alerts that reached the resident device."""
    headers = {"Authorization": f"Bearer {token}"}
    response = httpx.get(f"{base_url}/api/v1/residents/devices/me/alerts", headers=headers, timeout=10)
    response.raise_for_status()
    alerts: list[dict[str, Any]] = response.json()
    return alerts


def add_tracker_with_zone(base_url: str) -> str:
    """Register an OsmAnd phone for household A's person with a 300 m home zone; return the tracker id."""
    with logged_in(base_url, "sato") as caseworker:
        caseworker.post(
            "/api/v1/trackers",
            json={"id": "trk-hanako", "household_id": HOUSEHOLD, "kind": "osmand", "external_id": "hanako-phone"},
        ).raise_for_status()
        zone = {"id": "hanako-home", "name": "自宅のまわり", "kind": "home", "radius_m": 300}
        zone |= {"center_lat": HOME[0], "center_lon": HOME[1]}
        caseworker.post("/api/v1/trackers/trk-hanako/zones", json=zone).raise_for_status()
    return "trk-hanako"


def test_caseworker_sends_a_disaster_alert_and_sees_a_safety_answer_live(page: Page, site: CloudService) -> None:
    """A circle drawn over a household is counted before sending; a resident's answer shows live."""
    assert site.api_url is not None
    token = register_resident(site.api_url)
    log_in(page, site.api_url, "sato")
    expect(page.locator("#live")).to_have_text("ライブ更新中")
    page.get_by_role("tab", name="災害").click()
    page.get_by_label("円（中心を地図でクリック）").check()
    page.get_by_label("半径 (m)").fill("800")
    # the centre a little west of the household: the circle still covers it and the neighbour
    centre = [HOME[0], HOME[1] - 0.001]
    x, y = page.evaluate(
        "([lat, lon]) => { const p = map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }", centre
    )
    page.locator("#map").click(position={"x": x, "y": y})
    expect(page.locator("path.disaster-draft")).to_be_visible()
    page.get_by_role("button", name="対象人数を確認").click()
    expect(page.locator("#count-watched")).to_have_text("1")
    expect(page.locator("#count-devices")).to_have_text("1")
    screenshot(page, "console-disaster-preview")

    page.get_by_label("災害の種類").select_option("large_fire")
    page.get_by_label("見出し（日本語）").fill("竹町で大規模な火災")
    page.get_by_label("とるべき行動（日本語）").fill("風上の避難場所へ避難してください")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="送信する").click()
    expect(page.locator("#dis-status")).to_contain_text("送信しました")
    expect(page.locator("path.disaster-area")).to_be_visible()
    expect(page.locator("#safety-unanswered")).to_contain_text("田中花子")

    [alert] = wait_until(lambda: resident_alerts(site.api_url or "", token), timeout=15, what="alert reached device")
    answered = httpx.post(
        f"{site.api_url}/api/v1/residents/devices/me/alerts/{alert['alert_id']}/answer",
        json={"answer": "safe"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answered.status_code == 204
    expect(page.locator("#safety-safe")).to_have_text("1", timeout=5000)
    screenshot(page, "console-disaster-safety")
    assert accessibility_faults(page) == []


def test_new_alert_starts_on_flood_and_keeps_the_operators_choice(page: Page, site: CloudService) -> None:
    """The hazard list opens on 洪水 (the ward's usual alert); a hazard the operator picks stays for the next alert."""
    assert site.api_url is not None
    log_in(page, site.api_url, "sato")
    expect(page.locator("#live")).to_have_text("ライブ更新中")
    page.get_by_role("tab", name="災害").click()
    hazard = page.get_by_label("災害の種類")
    expect(hazard).to_have_value("flood")
    expect(hazard.locator("option:checked")).to_have_text("洪水")

    hazard.select_option("earthquake")
    # the list is rebuilt in the other language and back, and the operator looks at another tab
    page.get_by_role("button", name="English").click()
    expect(page.get_by_label("Hazard").locator("option:checked")).to_have_text("earthquake")
    page.get_by_role("button", name="日本語").click()
    page.get_by_role("tab", name="安全エリア").click()
    page.get_by_role("tab", name="災害").click()
    expect(hazard.locator("option:checked")).to_have_text("地震")

    page.get_by_role("button", name="対象人数を確認").click()
    expect(page.locator("#count-watched")).to_have_text("1")
    page.get_by_label("見出し（日本語）").fill("強い揺れに備えてください")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="送信する").click()
    expect(page.locator("#dis-status")).to_contain_text("送信しました")
    assert [alert.hazard for alert in site.disaster.alerts(states=None)] == ["earthquake"]
    # the next alert starts from the operator's last choice, not from the ward's default
    expect(hazard.locator("option:checked")).to_have_text("地震")


def test_alert_needing_approval_is_sent_by_a_second_person(
    page: Page, start_service: Callable[..., CloudService]
) -> None:
    """With approval on, a sent alert waits as a draft; its author cannot approve it, a second person can."""
    service = start_service(api_port=0, session_secret=SECRET, disaster_approval_required=True)
    seed_people(service)
    assert service.api_url is not None
    log_in(page, service.api_url, "sato")
    expect(page.locator("#live")).to_have_text("ライブ更新中")
    page.get_by_role("tab", name="災害").click()
    page.get_by_role("button", name="対象人数を確認").click()
    expect(page.locator("#count-watched")).to_have_text("1")  # household A is in Taito City, B is not
    page.get_by_label("見出し（日本語）").fill("大雨による内水氾濫のおそれ")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="送信する").click()
    expect(page.locator("#dis-status")).to_contain_text("承認待ち")
    page.locator("#draft-list").get_by_role("button", name="承認して送信").click()
    expect(page.locator("#dis-status")).to_contain_text("自分で作成した警報は承認できません")
    screenshot(page, "console-disaster-approval")

    log_in(page, service.api_url, "admin")
    expect(page.locator("#live")).to_have_text("ライブ更新中")
    page.get_by_role("tab", name="災害").click()
    page.locator("#draft-list").get_by_role("button", name="承認して送信").click()
    expect(page.locator("#dis-status")).to_contain_text("送信しました")
    expect(page.locator("#drafts")).to_be_hidden()
    assert [a.state for a in service.disaster.alerts(states=None)] == ["released"]


def test_console_tracker_layer_shows_a_safe_zone(page: Page, site: CloudService) -> None:
    """A tracker's safe zone made through the API is drawn on the console's map."""
    assert site.api_url is not None
    add_tracker_with_zone(site.api_url)
    log_in(page, site.api_url, "sato")
    expect(page.locator("path.safe-zone")).to_be_visible()
    box = page.locator("path.safe-zone").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 12, box["y"] + box["height"] / 2)  # inside the zone, beside the household marker
    expect(page.locator(".leaflet-popup-content")).to_contain_text("自宅のまわり")
    screenshot(page, "console-safe-zone")


def test_family_sees_the_position_only_while_an_alert_is_open(page: Page, site: CloudService) -> None:
    """Without an open alert the family view says why no position shows; with one it shows the position."""
    assert site.api_url is not None
    add_tracker_with_zone(site.api_url)
    stamp = int(site.clock.now().timestamp())
    fix = {"id": "hanako-phone", "lat": HOME[0], "lon": HOME[1] + 0.002, "timestamp": stamp, "accuracy": 10}
    httpx.get(f"{site.api_url}/osmand", params=fix, timeout=10).raise_for_status()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, site.api_url, "ichiro")
    expect(page.locator("#position-text")).to_contain_text("アラートが対応中の間だけ")

    raise_alert(site, HOUSEHOLD)
    expect(page.locator("#position-text")).to_contain_text("時点", timeout=10000)
    expect(page.locator("path.position-marker")).to_be_visible()
    screenshot(page, "family-position")
