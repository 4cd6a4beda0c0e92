"""A BLE tag's presence (home / not home, since when) on the console and the family view."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from cloud.service import CloudService
from cloud.trackers import add_tracker
from protocol import Presence, PresenceState, TopicKind, encode, new_message_id, topic_for
from tests.cloud.conftest import GATEWAY, START, GatewayPublisher
from tests.support import wait_until
from tests.web.people import HOUSEHOLD
from tests.web.test_pages import log_in

TAG = "tag-hanako"


def tag_left_home(site: CloudService, gateway: GatewayPublisher) -> None:
    """Register household A's BLE tag, and have its gateway report it not home since 12:30 JST."""
    add_tracker(
        site.sessions,
        tracker_id="trk-tag",
        household_id=HOUSEHOLD,
        kind="ble_tag",
        gateway_id=GATEWAY,
        device_id=TAG,
        label="見守りタグ",
        clock=site.clock,
    )
    site.refresh_households()
    last_heard = START.replace(hour=3, minute=30)  # 12:30 in Tokyo
    report = Presence(
        msg_id=new_message_id(),
        gateway_id=GATEWAY,
        ts=last_heard + timedelta(seconds=90),
        device_id=TAG,
        state=PresenceState.NOT_HOME,
        last_heard=last_heard,
        rssi_dbm=-88,
    )
    accepted = site.stats.accepted
    gateway.publish(topic_for(GATEWAY, TopicKind.PRESENCE), encode(report))
    wait_until(lambda: site.stats.accepted > accepted, timeout=10, what="presence stored")


def test_caseworker_and_family_see_whether_the_tag_is_home(
    page: Page, site: CloudService, gateway: GatewayPublisher
) -> None:
    """The console's safe-zone tab and the family view both say: out since 12:30."""
    assert site.api_url is not None
    tag_left_home(site, gateway)

    log_in(page, site.api_url, "sato")
    expect(page.locator("#live")).to_have_text("ライブ更新中")
    page.get_by_role("tab", name="安全エリア").click()
    expect(page.locator("#zone-presence")).to_have_text("外出中（見守りタグを自宅で検知していません） — 12:30から")

    page.goto(f"{site.api_url}/web/login.html")
    log_in(page, site.api_url, "ichiro")
    expect(page.locator("#presence")).to_have_text("外出中（見守りタグを自宅で検知していません） — 12:30から")
