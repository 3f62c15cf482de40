"""HTTP on the standard library: one kept-alive connection per thread and host, bodies streamed.

The client talks to two hosts (the API and the presigned upload endpoint) from many upload threads, so
connections are cached per thread. No third-party HTTP stack: the CLI installs with nothing beyond Python.
Tests inject their own `Transport` or point this one at an in-process fake server.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from imgrec.errors import TransportError

Body = bytes | Iterable[bytes] | None


@dataclass(frozen=True)
class HttpResponse:
    status: int
    # Header names lower-cased.
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Transport(Protocol):
    def send(
        self, method: str, url: str, *, headers: Mapping[str, str], body: Body = None, timeout: float
    ) -> HttpResponse: ...


# Errors after which a request on a *reused* connection can be sent again: the server closed an idle
# keep-alive connection before reading our request, so the request never reached it.
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_STALE_CONNECTION_ERRORS = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class HttpTransport:
    """`Transport` over `http.client`. Thread-safe: every thread has its own connections."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._local = threading.local()
        self._ssl_context = ssl_context or ssl.create_default_context()

    def send(
        self, method: str, url: str, *, headers: Mapping[str, str], body: Body = None, timeout: float
    ) -> HttpResponse:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TransportError(f"not an http(s) URL: {_without_query(url)}")
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        key = (parts.scheme, parts.netloc)
        conn, reused = self._connection(key, timeout)
        try:
            return self._exchange(conn, method, target, headers, body)
        except _STALE_CONNECTION_ERRORS as error:
            self._drop(key)
            # A POST is never sent twice here: the server may have acted on it before closing.
            if not reused or method not in _IDEMPOTENT_METHODS or not isinstance(body, bytes | None):
                raise TransportError(f"connection lost: {error.__class__.__name__}") from error
        except (OSError, http.client.HTTPException) as error:
            self._drop(key)
            raise TransportError(_describe(error), maybe_sent=not _never_sent(error)) from error
        except BaseException:
            # The body generator gave up (file changed, Ctrl-C): the connection holds half a request.
            self._drop(key)
            raise
        # Retried once on a fresh connection: the body is bytes, so it can be sent again.
        conn, _ = self._connection(key, timeout)
        try:
            return self._exchange(conn, method, target, headers, body)
        except (OSError, http.client.HTTPException) as error:
            self._drop(key)
            raise TransportError(_describe(error), maybe_sent=not _never_sent(error)) from error

    def close(self) -> None:
        """Closes this thread's connections."""
        for conn in self._connections().values():
            conn.close()
        self._connections().clear()

    @staticmethod
    def _exchange(
        conn: http.client.HTTPConnection, method: str, target: str, headers: Mapping[str, str], body: Body
    ) -> HttpResponse:
        conn.request(method, target, body=body, headers=dict(headers))
        response = conn.getresponse()
        data = response.read()
        if response.will_close:
            conn.close()
        return HttpResponse(
            status=response.status,
            headers={name.lower(): value for name, value in response.getheaders()},
            body=data,
        )

    def _connections(self) -> dict[tuple[str, str], http.client.HTTPConnection]:
        conns: dict[tuple[str, str], http.client.HTTPConnection] | None = getattr(self._local, "conns", None)
        if conns is None:
            conns = {}
            self._local.conns = conns
        return conns

    def _connection(self, key: tuple[str, str], timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        conns = self._connections()
        conn = conns.get(key)
        if conn is not None and conn.sock is not None:
            conn.timeout = timeout
            conn.sock.settimeout(timeout)
            return conn, True
        scheme, netloc = key
        if scheme == "https":
            conn = _HTTPSConnection(netloc, timeout=timeout, context=self._ssl_context)
        else:
            conn = _HTTPConnection(netloc, timeout=timeout)
        conns[key] = conn
        return conn, False

    def _drop(self, key: tuple[str, str]) -> None:
        conn = self._connections().pop(key, None)
        if conn is not None:
            conn.close()


class _HTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        # Headers and a streamed body go out in separate writes: without this, Nagle's algorithm and the
        # peer's delayed ACK add ~40 ms to every request.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _HTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _describe(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, socket.gaierror):
        return "unknown host"
    return error.__class__.__name__ + (f": {error}" if str(error) else "")


def _never_sent(error: BaseException) -> bool:
    """The connection could not even be opened, so the server cannot have acted on the request."""
    return isinstance(error, ConnectionRefusedError | socket.gaierror)


def _without_query(url: str) -> str:
    """Presigned URLs carry credentials in the query: never show it."""
    return url.split("?", 1)[0]
