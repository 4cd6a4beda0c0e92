"""Safe zones drawn on the console and the family's live position, in a real Chromium."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cloud.db import Alert, AuditEntry, LocationRecord
from cloud.service import CloudService
from maps.projection import distance_m, from_plane, to_plane
from tests.support import wait_until
from tests.web.conftest import screenshot
from tests.web.people import HOUSEHOLD, logged_in, raise_alert
from tests.web.test_pages import accessibility_faults, log_in

HOME = (35.7126, 139.78)  # household A, as the people module places it
TRACKER = "trk-hanako"
PHONE = "hanako-phone"


def shifted(metres_east: float, metres_north: float) -> tuple[float, float]:
    """Return the point so many metres east and north of household A."""
    x, y = to_plane(*HOME)
    return from_plane(x + metres_east, y + metres_north)


def add_tracker(base_url: str) -> None:
    """Register household A's person's OsmAnd phone, with no zone yet."""
    with logged_in(base_url, "sato") as caseworker:
        body = {"id": TRACKER, "household_id": HOUSEHOLD, "kind": "osmand", "external_id": PHONE}
        caseworker.post("/api/v1/trackers", json=body).raise_for_status()


def zones_in_api(base_url: str) -> list[dict[str, Any]]:
    with logged_in(base_url, "sato") as caseworker:
        zones: list[dict[str, Any]] = caseworker.get(f"/api/v1/trackers/{TRACKER}/zones").json()
    return zones


def send_fix(service: CloudService, where: tuple[float, float], seconds_on: float) -> None:
    """Post one fix through the OsmAnd endpoint, as the phone would."""
    stamp = int(service.clock.now().timestamp() + seconds_on)
    params = {"id": PHONE, "lat": where[0], "lon": where[1], "timestamp": stamp, "accuracy": 10}
    httpx.get(f"{service.api_url}/osmand", params=params, timeout=10).raise_for_status()


def stored_fixes(service: CloudService) -> list[LocationRecord]:
    with service.sessions() as session:
        return list(session.scalars(select(LocationRecord).where(LocationRecord.device_id == TRACKER)))


def click_map(page: Page, where: tuple[float, float], *, double: bool = False) -> None:
    """Click the console's map at a place (its screen point asked of the map, as it is now)."""
    x, y = page.evaluate(
        "([lat, lon]) => { const p = map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }", list(where)
    )
    if double:
        page.locator("#map").dblclick(position={"x": x, "y": y})
    else:
        page.locator("#map").click(position={"x": x, "y": y})


def open_zone_tab(page: Page) -> None:
    expect(page.locator("#live")).to_have_text("ライブ更新中")
    page.get_by_role("tab", name="安全エリア").click()
    expect(page.get_by_label("見守り対象者（位置情報端末）")).to_contain_text("田中花子")
    # zoomed in on the street, as a caseworker would before drawing
    page.evaluate("([lat, lon]) => map.setView([lat, lon], 16, { animate: false })", list(HOME))


def exit_alerts(service: CloudService) -> list[Alert]:
    with service.sessions() as session:
        query = select(Alert).where(Alert.rule == "safe_zone_exit", Alert.state != "resolved")
        return list(session.scalars(query))


def test_caseworker_draws_a_polygon_and_a_circle_and_a_fix_outside_raises_the_exit(
    page: Page, site: CloudService
) -> None:
    """Both zones drawn in the browser are saved, shown after a reload, in the API, and watched."""
    assert site.api_url is not None
    add_tracker(site.api_url)
    log_in(page, site.api_url, "sato")
    open_zone_tab(page)

    # a usual walk north of home: four corners, the last one double-clicked to finish
    page.get_by_role("button", name="多角形を描く").click()
    corners = [shifted(-150, 120), shifted(150, 120), shifted(150, 320), shifted(-150, 320)]
    for corner in corners[:-1]:
        click_map(page, corner)
    click_map(page, corners[-1], double=True)
    expect(page.locator("#zone-help")).to_contain_text("形ができました")
    page.get_by_label("名前（例: 自宅、デイサービス、いつもの散歩道）").fill("いつもの散歩道")
    page.get_by_label("種類", exact=True).select_option("walk")
    page.get_by_label("開始", exact=True).fill("09:00")
    page.get_by_label("終了", exact=True).fill("17:00")
    assert accessibility_faults(page) == []
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#zone-status")).to_have_text("保存しました")

    # home: a circle around a point south of the house, its radius by a second click 200 m east
    page.get_by_role("button", name="円を描く").click()
    centre = shifted(0, -60)
    click_map(page, centre)
    click_map(page, shifted(200, -60))
    radius = float(page.get_by_label("エリアの半径（メートル）").input_value())
    assert 190 <= radius <= 210
    page.get_by_label("名前（例: 自宅、デイサービス、いつもの散歩道）").fill("自宅のまわり")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#zone-status")).to_have_text("保存しました")
    screenshot(page, "console-zones-drawn")

    page.reload()
    open_zone_tab(page)
    expect(page.locator("#zone-list li")).to_have_count(2)
    expect(page.locator("#zone-list")).to_contain_text("いつもの散歩道")
    expect(page.locator("#zone-list")).to_contain_text("09:00–17:00")
    expect(page.locator("#zone-list")).to_contain_text("自宅のまわり")
    expect(page.locator("path.safe-zone")).to_have_count(2)

    zones = {zone["name"]: zone for zone in zones_in_api(site.api_url)}
    walk, home = zones["いつもの散歩道"], zones["自宅のまわり"]
    assert walk["kind"] == "walk" and len(walk["polygon"]) == 4
    assert (walk["active_from"], walk["active_to"]) == ("09:00", "17:00")
    # where the caseworker clicked, to a pixel or two (2.4 m each at zoom 16)
    assert all(distance_m(tuple(got), want) < 5 for got, want in zip(walk["polygon"], corners, strict=True))
    assert home["kind"] == "home" and 190 <= home["radius_m"] <= 210
    assert distance_m((home["center_lat"], home["center_lon"]), centre) < 5

    # the person walks from home to 600 m south-east, away from both zones
    for step, where in enumerate([shifted(0, -60), shifted(400, -400), shifted(430, -420)]):
        send_fix(site, where, 30 * step)
    [alert] = wait_until(lambda: exit_alerts(site), timeout=15, what="exit alert")
    assert alert.facts["zone"] in {"自宅のまわり", "いつもの散歩道"}
    expect(page.locator("#alerts")).to_contain_text("安全エリアから出た", timeout=5000)


def screen_point(page: Page, where: tuple[float, float]) -> tuple[float, float]:
    """Return where a place is on the page (the map's container point plus the map's offset)."""
    box = page.locator("#map").bounding_box()
    assert box is not None
    x, y = page.evaluate(
        "([lat, lon]) => { const p = map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }", list(where)
    )
    return box["x"] + x, box["y"] + y


def test_caseworker_inserts_corners_in_the_middle_of_edges(page: Page, site: CloudService) -> None:
    """A corner dragged out of an edge's midpoint mark, one clicked in and one added by the button land
    between the two corners of their edge, in the saved zone as in the drawing."""
    assert site.api_url is not None
    add_tracker(site.api_url)
    log_in(page, site.api_url, "sato")
    open_zone_tab(page)
    page.get_by_role("button", name="多角形を描く").click()
    south_west, south_east, north_east, north_west = corners = [
        shifted(-150, 120),
        shifted(150, 120),
        shifted(150, 320),
        shifted(-150, 320),
    ]
    for corner in corners:
        click_map(page, corner)
    page.get_by_role("button", name="多角形を閉じる").click()
    midpoints = page.get_by_title("ここに頂点を足す（ドラッグかクリック）")
    expect(midpoints).to_have_count(4)  # one on each edge, the closing one too

    # the east edge's mark dragged 100 m further east: a new corner between the two east corners
    east_bulge = shifted(250, 220)
    page.mouse.move(*screen_point(page, shifted(150, 220)))
    page.mouse.down()
    page.mouse.move(*screen_point(page, east_bulge), steps=8)
    page.mouse.up()
    expect(midpoints).to_have_count(5)
    # the closing (west) edge's mark clicked: a corner where it was, last in the ring
    page.mouse.click(*screen_point(page, shifted(-150, 220)))
    expect(midpoints).to_have_count(6)
    # keyboard users: the map's centre just north of the north edge goes into that edge
    north_bulge = shifted(0, 340)
    page.evaluate("([lat, lon]) => map.setView([lat, lon], 16, { animate: false })", list(north_bulge))
    page.get_by_role("button", name="地図の中心に頂点を足す").click()
    expect(midpoints).to_have_count(7)
    expect(page.locator("#zone-help")).to_contain_text("形ができました")
    screenshot(page, "console-zone-midpoints")

    page.get_by_label("名前（例: 自宅、デイサービス、いつもの散歩道）").fill("いつもの散歩道")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#zone-status")).to_have_text("保存しました")
    expect(page.locator("#zone-list")).to_contain_text("多角形 (7 頂点)")
    [zone] = zones_in_api(site.api_url)
    wanted = [south_west, south_east, east_bulge, north_east, north_bulge, north_west, shifted(-150, 220)]
    assert len(zone["polygon"]) == len(wanted)
    # each where it was put, to a pixel or two (2.4 m each at zoom 16)
    assert all(distance_m(tuple(got), want) < 5 for got, want in zip(zone["polygon"], wanted, strict=True))


def test_caseworker_sees_why_a_zone_is_refused_and_edits_and_deletes_one(page: Page, site: CloudService) -> None:
    """A crossing polygon and a too small circle show the server's reason; a zone is renamed, then deleted."""
    assert site.api_url is not None
    add_tracker(site.api_url)
    log_in(page, site.api_url, "sato")
    open_zone_tab(page)

    page.get_by_role("button", name="多角形を描く").click()
    for corner in [shifted(-100, 100), shifted(100, 300), shifted(100, 100), shifted(-100, 300)]:
        click_map(page, corner)
    page.get_by_role("button", name="多角形を閉じる").click()
    page.get_by_label("名前（例: 自宅、デイサービス、いつもの散歩道）").fill("ちょうちょ")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").filter(has_text="辺が交差")).to_be_visible()
    screenshot(page, "console-zone-refused")

    # redrawn as a circle, keyboard-style: the map's centre and a typed radius
    page.get_by_role("button", name="円で描き直す").click()
    page.get_by_role("button", name="地図の中心を円の中心にする").click()
    page.get_by_label("エリアの半径（メートル）").fill("10")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").filter(has_text="半径が小さすぎます")).to_be_visible()
    page.get_by_label("エリアの半径（メートル）").fill("120")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#zone-status")).to_have_text("保存しました")
    [zone] = zones_in_api(site.api_url)
    assert zone["radius_m"] == 120 and zone["name"] == "ちょうちょ"

    page.get_by_role("button", name="編集: ちょうちょ").click()
    page.get_by_label("名前（例: 自宅、デイサービス、いつもの散歩道）").fill("デイサービス")
    page.get_by_label("種類", exact=True).select_option("day_care")
    page.get_by_label("開始", exact=True).fill("10:00")
    page.get_by_label("終了", exact=True).fill("16:00")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#zone-list")).to_contain_text("デイサービス")
    [renamed] = zones_in_api(site.api_url)
    assert (renamed["id"], renamed["name"], renamed["kind"]) == (zone["id"], "デイサービス", "day_care")
    assert (renamed["active_from"], renamed["radius_m"]) == ("10:00", 120)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="削除: デイサービス").click()
    expect(page.locator("#zone-status")).to_have_text("削除しました")
    expect(page.locator("path.safe-zone")).to_have_count(0)
    assert zones_in_api(site.api_url) == []


def marker_x(page: Page) -> float:
    box = page.locator("path.position-marker").bounding_box()
    assert box is not None
    return float(box["x"])


def test_family_sees_the_marker_move_as_a_fix_arrives(page: Page, site: CloudService) -> None:
    """With an alert open the marker moves when the phone reports; the view is audited once."""
    assert site.api_url is not None
    add_tracker(site.api_url)
    send_fix(site, shifted(0, 0), 0)
    wait_until(lambda: stored_fixes(site), timeout=10, what="first fix stored")
    raise_alert(site, HOUSEHOLD)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, site.api_url, "ichiro")
    expect(page.locator("path.position-marker")).to_be_visible(timeout=10000)
    before = marker_x(page)

    send_fix(site, shifted(150, 0), 30)
    page.wait_for_function(
        "before => document.querySelector('path.position-marker').getBoundingClientRect().x > before + 30", arg=before
    )
    screenshot(page, "family-position-moved")
    with site.sessions() as session:
        views = session.scalars(select(AuditEntry).where(AuditEntry.action == "location.view")).all()
    assert [(view.actor, view.detail["reason"]) for view in views] == [("田中一郎", "open_alert")]


def test_console_tracker_layer_follows_each_fix(page: Page, site: CloudService) -> None:
    """With the positions layer on, a caseworker sees the person's mark move as the phone reports."""
    assert site.api_url is not None
    add_tracker(site.api_url)
    send_fix(site, shifted(0, -100), 0)
    wait_until(lambda: stored_fixes(site), timeout=10, what="first fix stored")
    log_in(page, site.api_url, "sato")
    expect(page.locator("#live")).to_have_text("ライブ更新中")
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("外出中の位置").check()
    mark = page.locator(f'.tracker-marker[data-tracker="{TRACKER}"]')
    expect(mark).to_be_visible()
    box = mark.bounding_box()
    assert box is not None

    send_fix(site, shifted(300, -100), 30)
    # 300 m east: the mark moves right on the screen (the console's map does not follow it)
    page.wait_for_function(
        "([selector, before]) => document.querySelector(selector).getBoundingClientRect().x > before + 10",
        arg=[f'.tracker-marker[data-tracker="{TRACKER}"]', box["x"]],
    )
    assert accessibility_faults(page) == []
