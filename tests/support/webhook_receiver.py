"""A webhook receiver on 127.0.0.1 for tests and benchmarks: records every request (path, headers, body, when
it arrived) and answers from a per-path script (`answers[path]`: statuses given in order, by event id, the
last one repeating; 200 when unscripted). It verifies nothing itself: the tests verify with the independent
`standardwebhooks` library, as a receiver would."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic()

    @property
    def event_id(self) -> str:
        return self.headers.get("webhook-id", "")


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    answers: dict[str, list[int]] = field(default_factory=dict)
    extra_headers: dict[str, dict[str, str]] = field(default_factory=dict)
    _tries: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def answer_for(self, path: str, event_id: str) -> int:
        script = self.answers.get(path)
        if not script:
            return 200
        attempt = self._tries[(path, event_id)]
        self._tries[(path, event_id)] += 1
        return script[min(attempt, len(script) - 1)]

    def record(self, received: Received) -> None:
        with self._changed:
            self.requests.append(received)
            self._changed.notify_all()

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 60) -> list[Received]:
        """Until `predicate(requests)` holds (woken by each request, no sleeping)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(list(self.requests)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"the receiver did not see what was awaited in {timeout}s: {self.requests}")
                self._changed.wait(remaining)
            return list(self.requests)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            path = self.path
            status = receiver.answer_for(path, headers.get("webhook-id", ""))
            receiver.record(Received(path, headers, body, time.monotonic()))
            self.send_response(status)
            for name, value in receiver.extra_headers.get(path, {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Receiver(url="")))
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
