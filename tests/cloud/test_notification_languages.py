"""A family contact who reads Chinese or Korean gets the alert in that language, through the outbox."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from alerts import AppriseChannel
from cloud.alerting import AlertLifecycle
from cloud.notifier import NotificationOutbox
from protocol import ManualClock
from tests.cloud.watched_home import NOW, ContactSpec, add_home, entity_store, signal
from tests.support import NotificationReceiver


def test_each_family_contact_reads_the_emergency_in_their_own_language(
    tmp_path: Path, receiver: NotificationReceiver
) -> None:
    """An emergency reaches a Chinese (zh-CN) daughter, then, unanswered, a Korean son: each in their language."""
    store = entity_store(tmp_path)
    clock = ManualClock(NOW)
    add_home(
        store,
        [
            ContactSpec("王 芳", "family", [receiver.url("/zh")], language="zh-CN", priority=0),
            ContactSpec("김 민수", "family", [receiver.url("/ko")], language="ko", priority=1),
        ],
    )
    lifecycle = AlertLifecycle(sessions=store, clock=clock)
    lifecycle.apply([signal()])
    outbox = NotificationOutbox(sessions=store, clock=clock, channel=AppriseChannel())
    try:
        assert outbox.run_due() == 1
        [chinese] = receiver.wait_for("/zh")
        clock.advance(timedelta(minutes=11))  # nobody answered: the chain moves on
        lifecycle.run_escalations()
        outbox.run_due()
        [korean] = receiver.wait_for("/ko")
    finally:
        outbox.stop()
    assert chinese.title == "【紧急】山田 花子按下了紧急按钮"
    assert "请立即给山田 花子打电话" in chinese.message
    assert "11月26日（周四）09:05（日本时间）" in chinese.message
    assert "卧室" in chinese.message  # the sensor's room 寝室, in Chinese
    assert korean.title == "[미대응·재알림] [긴급] 山田 花子님이 긴급 버튼을 눌렀습니다"
    assert "아직 아무도 대응하지 않았습니다" in korean.message
    assert "11월 26일(목) 09:05(일본 시간)" in korean.message
    assert "침실" in korean.message
