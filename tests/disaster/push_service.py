"""A real HTTP server playing a Web Push service: it decrypts what it receives with the subscriber's keys."""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support import wait_until


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Subscriber:
    """A browser's side of a subscription: the key pair and auth secret only it knows."""

    path: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    def subscription(self, base_url: str) -> dict[str, Any]:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": f"{base_url}{self.path}", "keys": {"p256dh": _b64(public), "auth": _b64(self.auth)}}


@dataclass
class PushReceived:
    path: str
    headers: dict[str, str]
    payload: dict[str, Any]


class PushService:
    """Accept pushes (201), decrypt each with its subscriber's private key; `gone` paths answer 410.

    Connections are kept alive (HTTP/1.1), as real push services do; `failing` maps a path to how
    many more times it answers 500 before it accepts.
    """

    def __init__(self) -> None:
        self.received: list[PushReceived] = []
        self.gone: set[str] = set()
        self.failing: dict[str, int] = {}
        self.connections = 0
        self._subscribers: dict[str, Subscriber] = {}
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with service._lock:
                    service.connections += 1

            def answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path in service.gone:
                    self.answer(410)
                    return
                with service._lock:
                    failing = service.failing.get(self.path, 0)
                    if failing:
                        service.failing[self.path] = failing - 1
                if failing:
                    self.answer(500)
                    return
                subscriber = service._subscribers.get(self.path)
                if subscriber is None:
                    self.answer(404)
                    return
                plain = http_ece.decrypt(
                    body, private_key=subscriber.private_key, auth_secret=subscriber.auth, version="aes128gcm"
                )
                with service._lock:
                    service.received.append(
                        PushReceived(path=self.path, headers=dict(self.headers.items()), payload=json.loads(plain))
                    )
                self.answer(201)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> PushService:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def subscribe(self, name: str) -> dict[str, Any]:
        """Make a browser subscription (a fresh key pair) and return its PushSubscription JSON."""
        subscriber = Subscriber(
            path=f"/push/{name}", private_key=ec.generate_private_key(ec.SECP256R1()), auth=os.urandom(16)
        )
        self._subscribers[subscriber.path] = subscriber
        return subscriber.subscription(self.base_url)

    def messages(self, name: str) -> list[PushReceived]:
        with self._lock:
            return [item for item in self.received if item.path == f"/push/{name}"]

    def wait_for(self, name: str, *, count: int = 1, timeout: float = 15.0) -> list[PushReceived]:
        """Wait until `count` pushes reached the subscriber `name` and return them."""
        return wait_until(
            lambda: len(self.messages(name)) >= count and self.messages(name),
            timeout=timeout,
            what=f"{count} push(es) for {name}",
        )
