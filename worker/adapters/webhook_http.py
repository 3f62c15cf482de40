"""POSTs a webhook to a receiver's URL, safely: the address is resolved once, every address checked
(`imagejobs.callback_urls`), and the connection made to the checked address — the name only goes into the
TLS handshake (SNI, certificate check) and the Host header — so DNS cannot be switched under the check.
No redirect is followed (http.client never follows one), timeouts are short, and at most a few hundred bytes
of the answer are read. Every failure is a `PostResult`, never an exception: it is recorded as an attempt.
"""

from __future__ import annotations

import email.utils
import http.client
import socket
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from imagejobs.callback_urls import Target, UrlPolicy, UrlRefusedError, check_addresses, target_of
from imagejobs.webhooks import RESPONSE_SNIPPET_CHARS
from worker.webhook_sender import PostResult

Resolver = Callable[[str, int], list[str]]
CONNECT_TIMEOUT_SECONDS = 5.0
# The whole answer must come within this; receivers should answer at once and work later.
READ_TIMEOUT_SECONDS = 10.0


def resolve(host: str, port: int) -> list[str]:
    """Every address the name has (IPv4 and IPv6), in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _PinnedConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), CONNECT_TIMEOUT_SECONDS)
        self.sock.settimeout(self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedTlsConnection(_PinnedConnection):
    def __init__(self, target: Target, address: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(target, address, timeout)
        self._context = context

    def connect(self) -> None:
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


def retry_after_seconds(value: str | None, now: datetime) -> int | None:
    """`Retry-After` as seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return int(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, int((when - now).total_seconds()))


class WebhookPoster:
    def __init__(
        self,
        policy: UrlPolicy,
        resolver: Resolver = resolve,
        tls: ssl.SSLContext | None = None,
        timeout: float = READ_TIMEOUT_SECONDS,
    ) -> None:
        self._policy = policy
        self._resolver = resolver
        self._tls = tls or ssl.create_default_context()
        self._timeout = timeout

    def post(self, url: str, headers: dict[str, str], body: bytes) -> PostResult:
        started = time.monotonic()

        def elapsed() -> int:
            return round((time.monotonic() - started) * 1000)

        try:
            target = target_of(url, self._policy)
            addresses = check_addresses(self._resolver(target.host, target.port), self._policy)
        except UrlRefusedError as error:
            return PostResult(None, elapsed(), error=f"refused: {error}")
        except OSError as error:
            return PostResult(None, elapsed(), error=f"the name did not resolve: {error}")
        try:
            return self._send(target, addresses[0], headers, body, elapsed)
        except (OSError, http.client.HTTPException) as error:
            return PostResult(None, elapsed(), error=f"{type(error).__name__}: {error}"[:RESPONSE_SNIPPET_CHARS])

    def _connection(self, target: Target, address: str) -> _PinnedConnection:
        if target.scheme == "https":
            return _PinnedTlsConnection(target, address, self._timeout, self._tls)
        return _PinnedConnection(target, address, self._timeout)

    def _send(
        self, target: Target, address: str, headers: dict[str, str], body: bytes, elapsed: Callable[[], int]
    ) -> PostResult:
        connection = self._connection(target, address)
        try:
            connection.request(
                "POST", target.path, body=body, headers={**headers, "Host": target.host_header, "Connection": "close"}
            )
            answer: Any = connection.getresponse()
            snippet = answer.read(RESPONSE_SNIPPET_CHARS).decode("utf-8", errors="replace")
            retry_after = retry_after_seconds(answer.getheader("Retry-After"), datetime.now(UTC))
            return PostResult(answer.status, elapsed(), retry_after=retry_after, response=snippet or None)
        finally:
            connection.close()
