"""Shared fixtures: a real Mosquitto broker and a real HTTP notification receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import MosquittoBroker, NotificationReceiver


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A Mosquitto broker of this test's own, on a free loopback port."""
    broker = MosquittoBroker(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def receiver() -> Iterator[NotificationReceiver]:
    """An HTTP server that records the notifications apprise posts to it."""
    server = NotificationReceiver().start()
    yield server
    server.stop()
