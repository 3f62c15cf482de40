"""The local API gateway: HTTP → API Gateway REST proxy events for the API handler, like the deployed
REST API with its Cognito authorizer; also serves the web app (`frontend/`) at `/`.

Locally the bearer token itself is the caller's name (design/API.md); it becomes the `sub` claim.
"""

from __future__ import annotations

import argparse
import base64
import json
import mimetypes
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from local_stack.lambda_context import LocalLambdaContext
from local_stack.process import wait_for_shutdown

API_PREFIX = "/api"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway REST payload limit
PUBLIC_PATHS = frozenset({"/health", "/openapi.json", "/docs"})
FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend"

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


@dataclass
class Gateway:
    handler: Handler
    frontend_dir: Path = FRONTEND_DIR
    extra_health: dict[str, Any] = field(default_factory=dict)
    # One request at a time, as one Lambda instance runs them: the API's resolver keeps the request it is
    # answering on itself, so two threads in it at once could answer one request with another's route.
    _invoke_lock: threading.Lock = field(default_factory=threading.Lock)

    def handle_api(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
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
        with self._invoke_lock:
            answer = self.handler(event, LocalLambdaContext(function_name="imgrec-api", timeout_seconds=29))
        status = int(answer.get("statusCode", 502))
        out_headers = {k: v for k, v in (answer.get("headers") or {}).items()}
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            out_headers[name] = ", ".join(values)
        payload = answer.get("body") or ""
        data = base64.b64decode(payload) if answer.get("isBase64Encoded") else payload.encode()
        if path == "/health" and status == 200 and self.extra_health:
            data = json.dumps({**json.loads(data), **self.extra_health}).encode()
        return status, out_headers, data

    def route(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if urlsplit(raw_path).path.startswith(API_PREFIX + "/"):
            return self.handle_api(method, raw_path, headers, body)
        if method in {"GET", "HEAD"}:
            return self.handle_static(raw_path)
        return _json(HTTPStatus.METHOD_NOT_ALLOWED, _error("METHOD_NOT_ALLOWED", "only the API takes this method"))

    def handle_static(self, raw_path: str) -> tuple[int, dict[str, str], bytes]:
        path = unquote(urlsplit(raw_path).path)
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


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return int(status), {"Content-Type": "application/json"}, json.dumps(body).encode()


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
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            length = int(headers.get("content-length") or 0)
            if length > MAX_BODY_BYTES:
                message = f"request bodies are limited to {MAX_BODY_BYTES} bytes"
                too_large = _json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _error("FILE_TOO_LARGE", message))
                self._reply(*too_large, close=True)
                return
            body = self.rfile.read(length) if length else b""
            self._reply(*gateway.route(self.command, self.path, headers, body))

        def _reply(self, status: int, headers: dict[str, str], body: bytes, close: bool = False) -> None:
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


def main(argv: list[str] | None = None) -> None:
    from api.handle_api import lambda_handler

    parser = argparse.ArgumentParser(description="Run the local API gateway in front of the API handler.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    running = start_gateway(Gateway(handler=lambda_handler), args.host, args.port)
    print(f"API on {running.url}/api, web app on {running.url}/", flush=True)  # noqa: T201 - a CLI's output
    wait_for_shutdown()
    running.stop()


if __name__ == "__main__":
    main()
