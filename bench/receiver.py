"""A loopback HTTP endpoint that notes when each notification arrived (apprise json:// posts here)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class TimedReceiver:
    """Record the monotonic arrival time of every POST, by path."""

    def __init__(self) -> None:
        self.arrivals: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = time.monotonic()
                with receiver._lock:
                    receiver.arrivals.setdefault(self.path, []).append(arrived)
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
        self._thread = threading.Thread(target=self._server.serve_forever, name="bench-receiver", daemon=True)

    def start(self) -> TimedReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        """Return the apprise URL that posts JSON to this receiver at `path`."""
        return f"json://127.0.0.1:{self.port}{path}"

    def clear(self) -> None:
        """Forget every arrival (between phases that notify the same paths)."""
        with self._lock:
            self.arrivals.clear()

    def first_arrival(self, path: str) -> float | None:
        """Return when the first notification reached `path` (time.monotonic), or None."""
        with self._lock:
            times = self.arrivals.get(path)
            return times[0] if times else None
