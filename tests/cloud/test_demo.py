"""`mimamori demo --duration 30`: the whole system on one machine raises its scripted alerts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MIMAMORI = Path(sys.executable).parent / "mimamori"
SCRIPTED_ALERTS = ("emergency_button", "inactivity", "gateway_offline")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run() -> subprocess.CompletedProcess[str]:
    """Run the demo once for 30 wall seconds with stdout piped (not a terminal), as CI does."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIMAMORI_")}
    return subprocess.run(
        [str(MIMAMORI), "demo", "--duration", "30", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=110,
        env=env,
        check=False,
    )


@pytest.mark.timeout(130)
def test_demo_ends_by_itself_with_success(demo_run: subprocess.CompletedProcess[str]) -> None:
    """The demo stops after its duration and exits 0, every scripted alert having been raised."""
    assert demo_run.returncode == 0, demo_run.stdout[-3000:] + demo_run.stderr[-3000:]


@pytest.mark.timeout(130)
def test_demo_output_names_the_three_scripted_alerts(demo_run: subprocess.CompletedProcess[str]) -> None:
    """The plain output shows an ALERT line for the emergency button, the inactivity and the gateway offline."""
    for rule in SCRIPTED_ALERTS:
        assert f"ALERT {rule} " in demo_run.stdout, demo_run.stdout[-3000:]


@pytest.mark.timeout(130)
def test_demo_output_shows_a_notification_text(demo_run: subprocess.CompletedProcess[str]) -> None:
    """At least one notification text that reached the demo's inbox is printed."""
    notifications = [line for line in demo_run.stdout.splitlines() if "NOTIFICATION to " in line]
    assert notifications, demo_run.stdout[-3000:]
    assert any("緊急ボタン" in line for line in notifications)
