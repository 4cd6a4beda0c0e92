"""The demo as a caseworker sees it in Chromium: the wanderer's alert and position, and the flood's answers.

The whole demo world runs in-process (embedded broker, simulated homes and trackers, the
resident devices, an accelerated clock) as `make demo` starts it; its script is played by a
thread as the demo's own loop does.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cloud.demo import DEMO_PASSWORD, DemoWorld
from cloud.demo_scenes import RESIDENT_PATH
from cloud.demo_view import AlertRow
from tests.support import wait_until
from tests.web.conftest import screenshot

SPEED = 600.0  # ten simulated minutes per wall second: the wanderer is out for about 25 s
AGE = re.compile(r"(\d+) (分前|時間前)")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoWorld]:
    """The demo's world with six homes, its script played every quarter second."""
    world = DemoWorld(speed=SPEED, households=6, port=0, mqtt_url=None, folder=tmp_path / "demo").start()
    stopping = threading.Event()

    def play() -> None:
        while not stopping.wait(0.25):
            world.play_script()

    player = threading.Thread(target=play, name="demo-script", daemon=True)
    player.start()
    yield world
    stopping.set()
    player.join(timeout=10)
    world.stop()


def answered(world: DemoWorld) -> bool:
    """Tell whether a resident has answered the flood alert through their link (the demo's own count)."""
    return world.disaster is not None and world.disaster.answered >= 1


def log_in_as_caseworker(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/web/login.html")
    page.get_by_label("ユーザー名").fill("caseworker")
    page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def wanderer_outside(world: DemoWorld) -> bool:
    """Tell whether the tracker desk finds the wanderer outside their zone (its memory, not the database)."""
    desk = world.service.tracker_desk if world.service is not None else None
    try:
        return desk is not None and bool(desk.watch.is_outside("gps-wanderer"))
    except (KeyError, RuntimeError):
        return False


def open_exit_alert(world: DemoWorld) -> AlertRow | None:
    """Return the wanderer's "left the safe zone" alert once it is open (or acknowledged)."""
    alerts = [a for a in world.snapshot().alerts if a.rule == "safe_zone_exit" and a.state != "resolved"]
    return alerts[0] if alerts else None


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_demo_console_shows_the_wanderer_and_the_flood_answers(page: Page, demo: DemoWorld) -> None:
    """The console shows the wanderer's open alert with its age on the demo's clock and the person outside
    the safe zone on the map; once residents answer the flood alert, the disaster tab shows the answers."""
    assert demo.service is not None and demo.service.api_url is not None and demo.clock is not None
    # the demo's database is busy enough: poll memory, then read it once in a while
    wait_until(lambda: wanderer_outside(demo), timeout=30, interval=0.1, what="the wanderer outside")
    exit_alert = wait_until(lambda: open_exit_alert(demo), timeout=30, interval=0.5, what="the exit alert")

    before = (demo.clock.now() - exit_alert.opened_at).total_seconds() / 60
    log_in_as_caseworker(page, demo.service.api_url)
    item = page.locator("#alerts li", has_text="安全エリアから出た")
    expect(item).to_be_visible(timeout=10_000)
    found = AGE.search(item.locator(".meta").inner_text())
    after = (demo.clock.now() - exit_alert.opened_at).total_seconds() / 60
    assert found is not None
    shown = int(found[1]) * (60 if found[2] == "時間前" else 1)
    # counted from the demo's clock (minutes since 06:1x), not from this machine's
    assert before - 1 <= shown <= after + 60 * (found[2] == "時間前"), (before, shown, after)

    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("外出中の位置").check()
    expect(page.locator('.tracker-marker.outside[data-tracker="gps-wanderer"]')).to_be_visible(timeout=10_000)
    page.get_by_role("tab", name="安全エリア").click()
    expect(page.locator("#zone-person option")).to_have_count(3)

    wait_until(lambda: answered(demo), timeout=40, interval=0.1, what="a first safety answer to the flood alert")
    snapshot = demo.snapshot()
    assert snapshot.disaster is not None and demo.disaster is not None and demo.inbox is not None
    assert snapshot.disaster.devices_reached == demo.disaster.expected_devices > 0
    # each phone got the message in its own language
    titles = {post.path.strip("/"): post.title for post in demo.inbox.posts() if RESIDENT_PATH in post.path}
    languages = {r.path: r.language for r in demo.disaster.residents if r.inside}
    assert any("洪水" in title for path, title in titles.items() if languages.get(path) == "ja")
    assert any("flood" in title.lower() for path, title in titles.items() if languages.get(path) == "en")

    page.reload()  # the tab shows the alerts in force when the page loads
    page.get_by_role("tab", name="災害").click()
    expect(page.locator("#safety")).to_be_visible()
    expect(page.locator("path.disaster-area")).to_have_count(1)
    expect(page.locator("#safety-safe")).to_have_text(re.compile(r"^[1-9]\d*$"), timeout=10_000)
    screenshot(page, "demo-console-flood")
