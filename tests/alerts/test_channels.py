"""The apprise channel against a real HTTP receiver."""

from __future__ import annotations

from alerts import AppriseChannel, describe_url
from tests.support import NotificationReceiver


def test_apprise_channel_delivers_title_and_body(receiver: NotificationReceiver) -> None:
    """A message sent to a json:// URL arrives with its title and body."""
    result = AppriseChannel().send(receiver.url("/family/hanako"), title="【緊急】テスト", body="本文です")
    [received] = receiver.wait_for("/family/hanako")
    assert result.ok and result.error is None
    assert (received.title, received.message) == ("【緊急】テスト", "本文です")


def test_apprise_channel_reports_the_failure_text(receiver: NotificationReceiver) -> None:
    """A refused delivery is reported with apprise's error text."""
    receiver.fail_paths.add("/broken")
    result = AppriseChannel().send(receiver.url("/broken"), title="t", body="b")
    assert not result.ok
    assert result.error is not None and "500" in result.error


def test_malformed_url_is_a_failed_delivery() -> None:
    """A URL apprise cannot use fails cleanly instead of raising."""
    result = AppriseChannel().send("nonsense://", title="t", body="b")
    assert not result.ok and result.error


def test_describe_url_keeps_scheme_and_host_only() -> None:
    """The delivery log shows where a message went without passwords or paths."""
    assert describe_url("mailto://hanako:secret@gmail.com?to=taro@example.com") == "mailtos://gmail.com"
    assert describe_url("json://127.0.0.1:8080/family/hanako") == "json://127.0.0.1:8080"
