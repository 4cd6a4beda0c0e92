"""A real HTTP server that plays a notification endpoint (apprise's json:// posts to it)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.waiting import wait_until


@dataclass
class ReceivedNotification:
    path: str
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.payload.get("title", ""))

    @property
    def message(self) -> str:
        return str(self.payload.get("message", ""))


class NotificationReceiver:
    """Collect every POST; `url(path)` gives the apprise json:// URL for a contact."""

    def __init__(self) -> None:
        self.received: list[ReceivedNotification] = []
        self.fail_paths: set[str] = set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path in receiver.fail_paths:
                    self.send_response(500)
                    self.end_headers()
                    return
                try:
                    payload = json.loads(body or b"{}")
                except ValueError:
                    payload = {"raw": body.decode(errors="replace")}
                with receiver._lock:
                    receiver.received.append(ReceivedNotification(path=self.path, payload=payload))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> NotificationReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        """Apprise URL that posts JSON to this receiver at `path` (e.g. "/family/hanako")."""
        return f"json://127.0.0.1:{self.port}{path}"

    def messages(self, path: str | None = None) -> list[ReceivedNotification]:
        with self._lock:
            return [item for item in self.received if path is None or item.path == path]

    def wait_for(self, path: str, *, count: int = 1, timeout: float = 15.0) -> list[ReceivedNotification]:
        """Wait until `count` notifications reached `path` and return them."""
        return wait_until(
            lambda: len(self.messages(path)) >= count and self.messages(path),
            timeout=timeout,
            what=f"{count} notification(s) at {path}",
        )
