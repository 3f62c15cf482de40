"""The local API gateway: HTTP → API Gateway REST proxy events for the API handler, like the deployed
REST API with its Cognito authorizer and WAF rate rule; also serves the web app (`frontend/`) at `/`.

Locally the bearer token itself is the caller's name (design/API.md); it becomes the `sub` claim.
As API Gateway does, it answers a handler crash with 502 `{"message": "Internal server error"}` (and logs
it), a malformed request with 400, a caller over the rate limit with 429. Under the embedded stack's
supervisor the API answers 503 until the supervisor says every part of the stack is up (provisioned
resources, running pollers), so a client that waits for `/api/health` can then use every route.
"""

from __future__ import annotations

import argparse
import base64
import json
import mimetypes
import sys
import threading
import time
import traceback
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from local_stack.lambda_context import LocalLambdaContext
from local_stack.log_lines import emit
from local_stack.process import announce, is_supervised, wait_for_shutdown
from local_stack.rate_limit import DEFAULT_LIMIT, RATE_LIMITED_MESSAGE, RETRY_AFTER_SECONDS, RateLimiter

API_PREFIX = "/api"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway REST payload limit
PUBLIC_PATHS = frozenset({"/health", "/openapi.json", "/docs"})
FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend"
FUNCTION_NAME = "imgrec-api"
# API Gateway's answer when the integration fails (the Lambda raised or returned garbage).
BAD_GATEWAY_BODY = {"message": "Internal server error"}

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _is_binary(content_type: str) -> bool:
    # The template's BinaryMediaTypes: image/* and octet-stream arrive base64-encoded.
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    return kind.startswith("image/") or kind == "application/octet-stream"


def build_event(method: str, raw_path: str, headers: dict[str, str], body: bytes, caller: str | None) -> dict[str, Any]:
    split = urlsplit(raw_path)
    path = unquote(split.path[len(API_PREFIX) :] or "/")
    query = parse_qs(split.query, keep_blank_values=True)
    binary = _is_binary(headers.get("content-type", ""))
    text = None
    if body:
        text = base64.b64encode(body).decode() if binary else body.decode("utf-8", errors="replace")
    authorizer = {"claims": {"sub": caller, "cognito:username": caller}} if caller else {}
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/api{path}",
            "stage": "api",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": authorizer,
        },
        "body": text,
        "isBase64Encoded": bool(body) and binary,
    }


def caller_from(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Gateway:
    handler: Handler
    frontend_dir: Path = FRONTEND_DIR
    extra_health: dict[str, Any] = field(default_factory=dict)
    _environment: threading.Lock = field(default_factory=threading.Lock)
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)
    # Cleared by a supervisor until the whole stack is up; a gateway started on its own serves at once.
    ready: threading.Event = field(default_factory=threading.Event)
    # The local WebSocket API's port, which the web app's config.json names (0: none).
    socket_port: int = 0

    def __post_init__(self) -> None:
        self.ready.set()

    def handle_api(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Answer:
        if not self.ready.is_set():
            message = "the local stack is starting, try again shortly"
            status, out, data = _json(HTTPStatus.SERVICE_UNAVAILABLE, _error("SERVICE_UNAVAILABLE", message))
            return status, {**out, "Retry-After": "1"}, data
        authorization = headers.get("authorization")
        if authorization and self.rate_limiter.admit(authorization) is not None:
            # What the template's WAF rule answers (its custom response).
            status, out, data = _json(HTTPStatus.TOO_MANY_REQUESTS, _error("RATE_LIMITED", RATE_LIMITED_MESSAGE))
            return status, {**out, "Retry-After": str(RETRY_AFTER_SECONDS)}, data
        try:
            return self._invoke(method, raw_path, headers, body)
        except Exception as error:  # the Lambda failed: API Gateway answers 502 and the function's log has it
            emit(
                "ERROR",
                "handler crashed",
                function_name=FUNCTION_NAME,
                path=urlsplit(raw_path).path,
                method=method,
                exception_name=type(error).__name__,
                exception="".join(traceback.format_exception(error)),
            )
            return _json(HTTPStatus.BAD_GATEWAY, BAD_GATEWAY_BODY)

    def _invoke(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Answer:
        path = urlsplit(raw_path).path[len(API_PREFIX) :] or "/"
        caller = caller_from(headers)
        if method != "OPTIONS" and path not in PUBLIC_PATHS and caller is None:
            # What the Cognito authorizer answers before the Lambda runs (with the template's gateway response).
            return _json(
                HTTPStatus.UNAUTHORIZED,
                {
                    "error": {
                        "code": "UNAUTHORIZED",
                        "message": "sign in first: send Authorization: Bearer <token>",
                    }
                },
            )
        event = build_event(method, raw_path, headers, body, caller)
        # One request at a time, as in one Lambda execution environment: the resolver keeps the current
        # request in its own attributes, so two threads inside it at once would mix their requests up.
        with self._environment:
            answer = self.handler(event, LocalLambdaContext(function_name=FUNCTION_NAME, timeout_seconds=29))
        status = int(answer["statusCode"])
        out_headers = {k: v for k, v in (answer.get("headers") or {}).items()}
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            out_headers[name] = ", ".join(values)
        payload = answer.get("body") or ""
        data = base64.b64decode(payload) if answer.get("isBase64Encoded") else payload.encode()
        if path == "/health" and status == 200 and self.extra_health:
            data = json.dumps({**json.loads(data), **self.extra_health}).encode()
        return status, out_headers, data

    def route(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Answer:
        if urlsplit(raw_path).path.startswith(API_PREFIX + "/"):
            return self.handle_api(method, raw_path, headers, body)
        if method in {"GET", "HEAD"}:
            return self.handle_static(raw_path, headers)
        return _json(HTTPStatus.METHOD_NOT_ALLOWED, _error("METHOD_NOT_ALLOWED", "only the API takes this method"))

    def handle_static(self, raw_path: str, headers: dict[str, str] | None = None) -> Answer:
        path = unquote(urlsplit(raw_path).path)
        if path == "/config.json" and self.socket_port:
            return self._config(headers or {})
        root = self.frontend_dir.resolve()
        target = (root / path.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(root) or not target.is_file():
            return _json(HTTPStatus.NOT_FOUND, {"error": {"code": "NOT_FOUND", "message": "no such page"}})
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.suffix == ".js":
            kind = "text/javascript"
        return 200, {"Content-Type": kind, "Cache-Control": "no-cache"}, target.read_bytes()

    def _config(self, headers: dict[str, str]) -> Answer:
        """frontend/config.json with the WebSocket API's URL on the host the browser reached us by."""
        config = json.loads((self.frontend_dir / "config.json").read_text(encoding="utf-8"))
        host = urlsplit(f"//{headers.get('host', '127.0.0.1')}").hostname or "127.0.0.1"
        config["socketUrl"] = f"ws://{host}:{self.socket_port}"
        return 200, {"Content-Type": "application/json", "Cache-Control": "no-cache"}, json.dumps(config).encode()


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _json(status: int, body: Any) -> Answer:
    return int(status), {"Content-Type": "application/json"}, json.dumps(body).encode()


def refuse_body(content_length: str | None) -> Answer | None:
    """The answer to a body announced wrongly or too large (API Gateway's), or None when it can be read."""
    try:
        length = int(content_length or 0)
    except ValueError:
        length = -1
    if length < 0:
        message = "Content-Length must be a non-negative integer"
        return _json(HTTPStatus.BAD_REQUEST, _error("VALIDATION_ERROR", message))
    if length > MAX_BODY_BYTES:
        message = f"request bodies are limited to {MAX_BODY_BYTES} bytes"
        return _json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _error("FILE_TOO_LARGE", message))
    return None


class _AnyMethod(BaseHTTPRequestHandler):
    """Every method (TRACE, QUERY, …) is served, as API Gateway's ANY does: the API answers 405 where a path
    has no such method, where http.server would answer 501."""

    def _serve(self) -> None:
        raise NotImplementedError

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)


def _request_handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(_AnyMethod):
        protocol_version = "HTTP/1.1"  # keep-alive, as browsers and the CLI expect
        # Without it, a small answer on a kept-alive connection waits for the client's delayed ACK (~40 ms).
        disable_nagle_algorithm = True
        timeout = 120  # an idle kept-alive connection gives its thread back

        def _serve(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            refused = refuse_body(headers.get("content-length"))
            if refused is not None:  # the body cannot be skipped reliably: answer, then close
                self._reply(*refused, close=True)
                return
            length = int(headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            self._reply(*gateway.route(self.command, self.path, headers, body))

        def _reply(self, status: int, headers: dict[str, str], body: bytes, close: bool = False) -> None:
            if close:
                self.close_connection = True
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            if close:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and status != 304:
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return RequestHandler


@dataclass
class RunningGateway:
    server: ThreadingHTTPServer
    thread: threading.Thread
    url: str

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class _GatewayServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (Ctrl-C in the CLI, a closed tab) is not the gateway's error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def start_gateway(gateway: Gateway, host: str = "127.0.0.1", port: int = 0) -> RunningGateway:
    server = _GatewayServer((host, port), _request_handler(gateway))
    thread = threading.Thread(target=server.serve_forever, name="gateway", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return RunningGateway(server=server, thread=thread, url=f"http://{bound_host}:{bound_port}")


def on_control(gateway: Gateway) -> Callable[[dict[str, Any]], None]:
    """The supervisor's messages: `{"event": "ready", "health": {...}}` once every part is up."""

    def handle(message: dict[str, Any]) -> None:
        if message.get("event") == "ready":
            gateway.extra_health.update(message.get("health") or {})
            gateway.ready.set()

    return handle


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the local API gateway in front of the API handler.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--rate-limit", type=int, default=DEFAULT_LIMIT, help="requests per minute per caller (the WAF rule)"
    )
    parser.add_argument("--socket-port", type=int, default=0, help="the WebSocket API's port for config.json")
    args = parser.parse_args(argv)
    # Invocations that record no business metric (health checks, empty batches) would each print a warning.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    from api.handle_api import lambda_handler

    gateway = Gateway(
        handler=lambda_handler, rate_limiter=RateLimiter(limit=args.rate_limit), socket_port=args.socket_port
    )
    if is_supervised():
        gateway.ready.clear()
    try:
        running = start_gateway(gateway, args.host, args.port)
    except OSError as error:
        raise SystemExit(f"the API gateway cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    announce(f"API gateway listening on {running.url} (API {running.url}/api, web app {running.url}/)")
    wait_for_shutdown(on_control(gateway))
    running.stop()


if __name__ == "__main__":
    main()
