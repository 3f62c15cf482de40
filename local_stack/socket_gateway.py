"""The local WebSocket endpoint, with the semantics of an API Gateway WebSocket API, for the embedded stack
and compose: the function behind it (`api.handle_socket.lambda_handler`) runs in this process, as the REST
gateway runs the API's.

- `$connect`: the handshake carries the caller's token as `?token=`; locally the token is the caller's name
  (as on the REST gateway), deployed a Lambda REQUEST authorizer verifies the Cognito JWT. No token: 401.
  The function's `$connect` answer accepts or refuses the handshake.
- Messages: JSON text; the route is the message's `action` (`$request.body.action`) when the API has such
  a route, else `$default`. A message over 128 KB closes the connection (1009), as API Gateway does.
- `$disconnect` runs after any close, whichever side closed.
- Limits: a connection idle for 10 minutes, or open for 2 hours, is closed (1001 "Going away"); both are
  options so tests can meet them in seconds.
- The management API (`POST/GET/DELETE /@connections/{connectionId}`, what boto3's
  `apigatewaymanagementapi` client calls) on a port of its own: a message to a connection that is gone
  answers 410 `GoneException`, one over 128 KB 413 `PayloadTooLargeException`; DELETE closes it.

The token is never logged (neither are query strings): deployed, the access log format leaves it out too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from local_stack.lambda_context import LocalLambdaContext
from local_stack.log_lines import emit
from local_stack.poller import load_handler
from local_stack.process import announce, wait_for_shutdown

MAX_MESSAGE_BYTES = 128 * 1024
IDLE_SECONDS = 10 * 60
MAX_LIFETIME_SECONDS = 2 * 3600
ROUTES = frozenset({"subscribe", "unsubscribe", "ping"})
FUNCTION_NAME = "imgrec-socket"
Handler = Callable[[dict[str, Any], Any], Any]


def route_of(body: str, routes: frozenset[str] = ROUTES) -> str:
    """`$request.body.action` when it names a route, else `$default`."""
    try:
        action = json.loads(body).get("action")
    except (ValueError, AttributeError):
        return "$default"
    return action if isinstance(action, str) and action in routes else "$default"


@dataclass
class Client:
    connection_id: str
    socket: Any  # websockets' ServerConnection
    principal: str
    source_ip: str
    user_agent: str
    connected_at: float = field(default_factory=time.time)
    last_active: float = field(default_factory=time.time)


@dataclass
class SocketGateway:
    handler: Handler
    domain: str = "127.0.0.1"
    idle_seconds: float = IDLE_SECONDS
    max_lifetime_seconds: float = MAX_LIFETIME_SECONDS
    clients: dict[str, Client] = field(default_factory=dict)
    loop: asyncio.AbstractEventLoop | None = None

    def event(self, route: str, connection_id: str, **extra: Any) -> dict[str, Any]:
        kinds = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}
        context = {
            "routeKey": route,
            "eventType": kinds.get(route, "MESSAGE"),
            "connectionId": connection_id,
            "domainName": self.domain,
            "stage": "local",
            "apiId": "local",
            "requestId": secrets.token_hex(8),
            "requestTimeEpoch": int(time.time() * 1000),
            "connectedAt": int(time.time() * 1000),
        }
        context.update(extra.pop("context", {}))
        return {"requestContext": context, "isBase64Encoded": False, **extra}

    async def invoke(self, event: dict[str, Any]) -> int:
        def call() -> int:
            context = LocalLambdaContext(function_name=FUNCTION_NAME, timeout_seconds=29)
            try:
                answer = self.handler(event, context)
            except Exception as error:  # the function failed: API Gateway answers 502 / drops the message
                emit("ERROR", "invocation failed", function_name=FUNCTION_NAME, error=str(error))
                return 502
            return int((answer or {}).get("statusCode", 200))

        return await asyncio.to_thread(call)

    # ---- the WebSocket side

    async def process_request(self, connection: Any, request: Any) -> Any:
        """The handshake: the token, then the function's `$connect` (refusing with its status)."""
        query = parse_qs(urlsplit(request.path).query)
        token = (query.get("token") or [""])[-1].strip()
        if not token:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
        connection_id = secrets.token_urlsafe(12)
        source_ip = str(connection.remote_address[0]) if connection.remote_address else "127.0.0.1"
        user_agent = request.headers.get("User-Agent", "")
        status = await self.invoke(
            self.event(
                "$connect",
                connection_id,
                queryStringParameters={k: v[-1] for k, v in query.items()},
                headers={k: v for k, v in request.headers.raw_items() if k.lower() != "cookie"},
                context={"authorizer": {"principalId": token, "sub": token}, "identity": {"sourceIp": source_ip}},
            )
        )
        if status != 200:
            return connection.respond(HTTPStatus(status if status in (401, 403) else 500), "Forbidden\n")
        connection.imgrec = Client(connection_id, connection, token, source_ip, user_agent)
        return None

    async def serve(self, connection: Any) -> None:
        client: Client = connection.imgrec
        self.clients[client.connection_id] = client
        watchdog = asyncio.create_task(self._watch(client))
        try:
            async for frame in connection:
                client.last_active = time.time()
                body = frame if isinstance(frame, str) else frame.decode("utf-8", errors="replace")
                await self.invoke(self.event(route_of(body), client.connection_id, body=body))
        except Exception as error:  # a dropped connection ends here as it ends in API Gateway: $disconnect
            emit("INFO", "connection dropped", connection_id=client.connection_id, reason=type(error).__name__)
        finally:
            watchdog.cancel()
            self.clients.pop(client.connection_id, None)
            await self.invoke(self.event("$disconnect", client.connection_id))

    async def _watch(self, client: Client) -> None:
        while True:
            now = time.time()
            if now - client.last_active >= self.idle_seconds or now - client.connected_at >= self.max_lifetime_seconds:
                await client.socket.close(1001, "Going away")
                return
            await asyncio.sleep(min(1.0, self.idle_seconds / 4))

    # ---- the management API (called from its HTTP server's threads)

    def _on_loop(self, coroutine: Any, timeout: float = 10) -> Any:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def post(self, connection_id: str, data: bytes) -> int:
        client = self.clients.get(connection_id)
        if client is None:
            return HTTPStatus.GONE
        if len(data) > MAX_MESSAGE_BYTES:
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        try:
            self._on_loop(client.socket.send(data.decode("utf-8", errors="replace")))
        except Exception:  # it closed meanwhile
            return HTTPStatus.GONE
        return HTTPStatus.OK

    def delete(self, connection_id: str) -> int:
        client = self.clients.get(connection_id)
        if client is None:
            return HTTPStatus.GONE
        self._on_loop(client.socket.close(1000, "Closed by the server"))
        return HTTPStatus.NO_CONTENT

    def describe(self, connection_id: str) -> dict[str, Any] | None:
        client = self.clients.get(connection_id)
        if client is None:
            return None
        iso = lambda moment: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))  # noqa: E731
        return {
            "ConnectedAt": iso(client.connected_at),
            "LastActiveAt": iso(client.last_active),
            "Identity": {"SourceIp": client.source_ip, "UserAgent": client.user_agent},
        }


_ERRORS = {HTTPStatus.GONE: "GoneException", HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "PayloadTooLargeException"}


def _management_handler(gateway: SocketGateway) -> type[BaseHTTPRequestHandler]:
    class Management(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _connection_id(self) -> str | None:
            path = unquote(urlsplit(self.path).path)
            _, marker, rest = path.partition("/@connections/")
            return rest.strip("/") or None if marker else None

        def _answer(self, status: int, body: dict[str, Any] | None = None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            if status in _ERRORS:
                self.send_header("x-amzn-ErrorType", _ERRORS[HTTPStatus(status)])
                data = json.dumps({"message": None}).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            connection_id = self._connection_id()
            self._answer(gateway.post(connection_id, data) if connection_id else HTTPStatus.NOT_FOUND)

        def do_GET(self) -> None:
            connection_id = self._connection_id()
            described = gateway.describe(connection_id) if connection_id else None
            self._answer(HTTPStatus.OK, described) if described else self._answer(HTTPStatus.GONE)

        def do_DELETE(self) -> None:
            connection_id = self._connection_id()
            self._answer(gateway.delete(connection_id) if connection_id else HTTPStatus.NOT_FOUND)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Management


def _start_management(gateway: SocketGateway, host: str, port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), _management_handler(gateway))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="socket-management", daemon=True).start()
    return server


async def _serve(
    gateway: SocketGateway, host: str, port: int, management: ThreadingHTTPServer, stop: threading.Event
) -> None:
    from websockets.asyncio.server import serve

    gateway.loop = asyncio.get_running_loop()
    async with serve(
        gateway.serve,
        host,
        port,
        process_request=gateway.process_request,
        max_size=MAX_MESSAGE_BYTES,
        compression=None,
        server_header=None,
        logger=None,
    ) as server:
        bound = server.sockets[0].getsockname()
        management_url = f"http://{host}:{management.server_address[1]}"
        os.environ["IMGREC_SOCKET_MANAGEMENT_URL"] = management_url  # the hosted function replies through it
        announce(f"WebSocket API listening on ws://{host}:{bound[1]} management={management_url}")
        await asyncio.to_thread(stop.wait)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the local WebSocket API (API Gateway's semantics).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--management-port", type=int, default=8002, help="the @connections management API")
    parser.add_argument("--handler", default="api.handle_socket.lambda_handler")
    parser.add_argument("--idle-timeout", type=float, default=IDLE_SECONDS, help="seconds (API Gateway: 600)")
    parser.add_argument("--max-lifetime", type=float, default=MAX_LIFETIME_SECONDS, help="seconds (API Gateway: 7200)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    gateway = SocketGateway(
        handler=load_handler(args.handler),
        domain=args.host,
        idle_seconds=args.idle_timeout,
        max_lifetime_seconds=args.max_lifetime,
    )
    try:
        management = _start_management(gateway, args.host, args.management_port)
    except OSError as error:
        raise SystemExit(f"the WebSocket management API cannot listen: {error.strerror}") from None
    stop = threading.Event()
    failed: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(_serve(gateway, args.host, args.port, management, stop))
        except OSError as error:
            failed.append(error)
            os.kill(os.getpid(), signal.SIGTERM)

    server = threading.Thread(target=run, name="socket-gateway")
    server.start()
    # The main thread waits for the stop signal (signal handlers only run there); the loop runs beside it.
    wait_for_shutdown()
    stop.set()
    server.join(timeout=15)
    management.shutdown()
    if failed:
        raise SystemExit(f"the WebSocket API cannot listen on {args.host}:{args.port}: {failed[0]}")


if __name__ == "__main__":
    main()
