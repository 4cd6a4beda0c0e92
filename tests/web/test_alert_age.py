"""The console counts an alert's age ("… 分前") from the server's clock, not the browser's.

The server here runs an accelerated clock (as the demo does) that started a day behind this
machine's wall clock: counted from the browser's clock, every age would read about a day.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from alerts import RuleName
from cloud.service import CloudService
from protocol import AcceleratedClock
from tests.cloud.conftest import START
from tests.support import wait_until
from tests.web.people import HOUSEHOLD, raise_alert
from tests.web.test_pages import log_in

SPEED = 300.0  # five simulated minutes per wall second
AGE = re.compile(r"(\d+) (分前|時間前)")


@pytest.fixture
def clock() -> AcceleratedClock:
    """The server's clock: 30 minutes after the alerts below open, running 300 times the wall clock."""
    return AcceleratedClock(start=START + timedelta(minutes=30), speed=SPEED)


def minutes_since_opening(clock: AcceleratedClock) -> float:
    return (clock.now() - START).total_seconds() / 60


def shown_minutes(page: Page) -> int:
    """Read the age the console shows for the first alert in its list, in minutes."""
    text = page.locator("#alerts li .meta").first.inner_text()
    found = AGE.search(text)
    assert found is not None, text
    return int(found[1]) * (60 if found[2] == "時間前" else 1)


def test_alert_age_counts_from_the_server_clock(page: Page, site: CloudService, clock: AcceleratedClock) -> None:
    """An alert reads the server's minutes since it opened, when the page loads and when it re-renders later."""
    assert site.api_url is not None
    raise_alert(site, HOUSEHOLD)  # opened at START (raise_alert's moment): 30 server minutes ago
    before = minutes_since_opening(clock)
    log_in(page, site.api_url, "sato")
    expect(page.locator("#alerts li .meta").first).to_contain_text("分前")
    shown, after = shown_minutes(page), minutes_since_opening(clock)
    assert before - 1 <= shown <= after + 1, (before, shown, after)

    # later in server time a new alert (opened at the same moment) re-renders the list, with no new
    # answer from the server in between: the page carries the server's clock forward at its rate
    wait_until(lambda: minutes_since_opening(clock) >= shown + 20, timeout=15, what="20 server minutes")
    first = shown
    before = minutes_since_opening(clock)
    raise_alert(site, HOUSEHOLD, rule=RuleName.INACTIVITY)
    expect(page.locator("#alerts li")).to_have_count(2)
    shown, after = shown_minutes(page), minutes_since_opening(clock)
    assert shown >= first + 20
    assert before - 1 <= shown <= after + 1, (before, shown, after)
