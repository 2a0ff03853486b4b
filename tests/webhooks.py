"""A webhook receiver for the tests, on loopback only: it records what it gets, checks each
signature and timestamp as a careful receiver would, and can fail (503) or be down (its port
closed) for a while."""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from runtime.nats_server import free_port


@dataclass(frozen=True)
class Received:
    event: str
    delivery_id: str
    signature: str
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


class Receiver:
    def __init__(self, secret: str, port: int | None = None) -> None:
        self.secret, self.port = secret, port or free_port()
        self.received: list[Received] = []
        self.failing = False
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/scpln"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if receiver.failing:
                    self.send_response(503)
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.received.append(Received(self.headers.get("X-Scpln-Event", ""),
                                                      self.headers.get("X-Scpln-Delivery", ""),
                                                      self.headers.get("X-Scpln-Signature", ""), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port is closed, connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def verified(self) -> list[Received]:
        """Everything received, each signature checked, each timestamp recent; duplicates (the
        same delivery id again, as at-least-once allows) dropped as a receiver would."""
        seen: dict[str, Received] = {}
        for got in list(self.received):
            expected = "sha256=" + hmac.new(self.secret.encode(), got.body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(got.signature, expected), f"bad signature on {got.delivery_id}"
            sent = datetime.fromisoformat(got.json["timestamp"])
            assert abs((datetime.now(UTC) - sent).total_seconds()) < 300, "a stale body: a replay"
            assert got.json["delivery_id"] == got.delivery_id and got.json["event"] == got.event
            seen.setdefault(got.delivery_id, got)
        return list(seen.values())

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(got := self.verified()) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"the receiver got {len(self.verified())} deliveries, not {count}, in {timeout}s")
