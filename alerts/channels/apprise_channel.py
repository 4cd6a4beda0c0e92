"""Apprise: one URL per contact channel reaches LINE, e-mail, SMS, ntfy, JSON webhooks and more."""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

import apprise

from alerts.channels.base import DeliveryResult

# apprise 2 reports each call's own log entries on its result; older versions only log to the
# process-wide "apprise" logger, which LogCapture hooks, so there captures are taken one send
# at a time or concurrent sends would read each other's errors.
_PER_CALL_LOGS = hasattr(apprise, "AppriseResult")
_capture_lock = threading.Lock()


def describe_url(url: str) -> str:
    """Return the URL's scheme and host only, for the delivery log (tokens and passwords masked)."""
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        return f"{urlsplit(url).scheme or 'unknown'}://(invalid)"
    # apprise's privacy form masks tokens that some services keep in the host part (tgram://)
    parts = urlsplit(plugin.url(privacy=True))  # type: ignore[no-untyped-call]
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


class AppriseChannel:
    """Send notifications through apprise, reporting apprise's own error text on failure."""

    def __init__(self) -> None:
        # apprise loads its plugins on first use (~0.3 s); pay that at start-up, not on the
        # first emergency
        apprise.Apprise.instantiate("json://localhost", suppress_exceptions=True)

    def send(self, url: str, *, title: str, body: str) -> DeliveryResult:
        notifier = apprise.Apprise()
        if not notifier.add(url):
            return DeliveryResult(ok=False, error=f"unsupported or malformed URL ({describe_url(url)})")
        if _PER_CALL_LOGS:
            result = notifier.notify(body=body, title=title)
            if result:
                return DeliveryResult(ok=True)
            lines = [str(entry.message) for entry in result.logs()]
            return DeliveryResult(ok=False, error=" | ".join(lines) or "delivery failed")
        with _capture_lock, apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:  # type: ignore[no-untyped-call]
            ok = bool(notifier.notify(body=body, title=title))
        if ok:
            return DeliveryResult(ok=True)
        return DeliveryResult(ok=False, error=captured.getvalue().strip().replace("\n", " | ") or "delivery failed")

    def describe(self, url: str) -> str:
        return describe_url(url)
