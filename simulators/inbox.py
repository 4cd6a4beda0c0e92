"""A contact's inbox played on loopback: an HTTP server that takes what apprise's json:// posts.

The demo shows the texts it receives, the tests wait on them and the benchmarks time their
arrival; all three use this one server. Paths stand for contacts (``/family/hanako``); a path
in `fail_paths` answers 500, as a broken channel would.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True, slots=True)
class InboxPost:
    """One notification as it reached the inbox."""

    path: str
    payload: dict[str, Any] = field(default_factory=dict)
    arrived: float = 0.0
    """When it arrived, on `time.monotonic`."""

    @property
    def title(self) -> str:
        """The notification's title (apprise's json ``title``)."""
        return str(self.payload.get("title") or "")

    @property
    def message(self) -> str:
        """The notification's text (apprise's json ``message``)."""
        return str(self.payload.get("message") or self.payload.get("body") or "")


class Inbox:
    """Keep every POST by path; `url(path)` is the apprise URL of a contact at that path."""

    def __init__(self, *, on_post: Callable[[InboxPost], None] | None = None, name: str = "inbox") -> None:
        self.fail_paths: set[str] = set()
        self._posts: list[InboxPost] = []
        self._lock = threading.Lock()
        self._on_post = on_post
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = time.monotonic()
                if self.path in inbox.fail_paths:
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                inbox._received(InboxPost(path=self.path, payload=_payload(body), arrived=arrived))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    def start(self) -> Inbox:
        """Serve in a background thread; return self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        """Return the apprise URL that posts JSON to this inbox at `path` (e.g. "/family/hanako")."""
        return f"json://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def posts(self, path: str | None = None) -> list[InboxPost]:
        """Return what arrived, at `path` or anywhere, oldest first."""
        with self._lock:
            return [post for post in self._posts if path is None or post.path == path]

    def first_arrival(self, path: str) -> float | None:
        """Return when the first notification reached `path` (time.monotonic), or None."""
        with self._lock:
            return next((post.arrived for post in self._posts if post.path == path), None)

    def clear(self) -> None:
        """Forget everything received (between phases that notify the same paths)."""
        with self._lock:
            self._posts.clear()

    def _received(self, post: InboxPost) -> None:
        with self._lock:
            self._posts.append(post)
        if self._on_post is not None:
            self._on_post(post)


def _payload(body: bytes) -> dict[str, Any]:
    """Read a JSON object; anything else is kept as its text under "message"."""
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return {"message": body.decode(errors="replace")}
    return payload if isinstance(payload, dict) else {"message": str(payload)}
