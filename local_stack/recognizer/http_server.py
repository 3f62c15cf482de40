"""The HTTP face of the recognizer: Rekognition's JSON 1.1 protocol on POST /, and GET /health."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .backends import select_backend
from .backends.base import Backend
from .config import RecognizerConfig
from .s3_source import S3ImageSource
from .service import RecognitionService
from .throttle import ApiQuota

logger = logging.getLogger(__name__)
# Base64 of a 5 MB image is 6.7 MB: room enough for the image checks to answer "too large" themselves.
MAX_REQUEST_BYTES = 16 * 1024 * 1024
DISCARD_LIMIT_BYTES = 64 * 1024 * 1024


class _RecognizerHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Many SDK clients open connections at once (the worker fans out per image and per API).
    request_queue_size = 256
    service: RecognitionService


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: without TCP_NODELAY, Nagle plus delayed ACKs add ~40 ms a call.
    disable_nagle_algorithm = True
    server: _RecognizerHTTPServer

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/health":
            self._send(200, {"status": "ok", "backend": self.server.service.backend.name})
        else:
            self._send(404, {"__type": "UnknownOperationException", "Message": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            # Read the body away before answering: a client still sending sees a reset, not our answer.
            self.close_connection = True
            self._discard(min(length, DISCARD_LIMIT_BYTES))
            self._send(413, {"__type": "ImageTooLargeException", "Message": "Request is too large"})
            return
        body = self.rfile.read(length) if length else b""
        status, answer = self.server.service.handle(self.headers.get("X-Amz-Target"), body)
        self._send(status, answer)

    def _discard(self, length: int) -> None:
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                return
            length -= len(chunk)

    def _send(self, status: int, answer: dict[str, Any]) -> None:
        payload = json.dumps(answer, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("recognizer request", extra={"client": self.address_string(), "line": format % args})


class RecognizerServer:
    """A running recognizer; `stop()` shuts it down and joins its threads."""

    def __init__(self, http_server: _RecognizerHTTPServer, warm_up: threading.Thread | None) -> None:
        self._http = http_server
        self._warm_up = warm_up
        # A short poll interval keeps stop() quick (tests start and stop servers often); idle cost is nil.
        self._thread = threading.Thread(
            target=http_server.serve_forever, kwargs={"poll_interval": 0.1}, name="recognizer-http", daemon=True
        )
        self._thread.start()
        host, port = http_server.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else host
        self.url = f"http://{host_text}:{port}"
        self.backend_name = http_server.service.backend.name

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()
        if self._warm_up is not None:
            self._warm_up.join()

    def __enter__(self) -> RecognizerServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _warm_up(backend: Backend) -> None:
    started = time.perf_counter()
    try:
        backend.load()
    except Exception:
        # Not fatal here: each call loads again and answers InternalServerError with the cause logged.
        logger.exception("recognizer warm-up failed", extra={"backend": backend.name})
        return
    logger.info("recognizer models loaded", extra={"backend": backend.name, "seconds": time.perf_counter() - started})


def start_recognizer(config: RecognizerConfig, host: str = "127.0.0.1", port: int = 0) -> RecognizerServer:
    """Listen on host:port (0 = any free port) and serve in background threads; returns once listening."""
    backend = select_backend(config.backend)
    service = RecognitionService(
        backend,
        S3ImageSource(config.s3_endpoint_url),
        ApiQuota(config.tps),
        config.latency_ms,
    )
    http_server = _RecognizerHTTPServer((host, port), _Handler)
    http_server.service = service
    # Load the models in the background so the first call waits less; the backend's own lock makes
    # that call wait for the load rather than start a second one.
    warm_up = threading.Thread(target=_warm_up, args=(backend,), name="recognizer-warm-up", daemon=True)
    warm_up.start()
    server = RecognizerServer(http_server, warm_up)
    logger.info(
        "recognizer started",
        extra={
            "url": server.url,
            "backend": backend.name,
            "latency_ms": config.latency_ms,
            "tps": config.tps,
        },
    )
    return server
