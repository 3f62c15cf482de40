"""Live updates: the WebSocket API's routes. `$connect` (after the authorizer) records the connection,
`$disconnect` forgets it and what it watched, `subscribe`/`unsubscribe` start and stop watching one of the
caller's batches, `ping` keeps an idle connection open (API Gateway closes it after 10 minutes of silence).
Events then come from the notifier (worker/notifier.py), as the same JSON the webhooks carry.

Client messages: `{"action": "subscribe", "batchId": "b-..."}`, `{"action": "unsubscribe", "batchId": ...}`,
`{"action": "ping"}`. Answers: `{"type": "subscribed", "batchId", "connectionId"}`, `{"type": "unsubscribed"}`,
`{"type": "pong"}`, `{"type": "error", "code", "message"}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from imagejobs import keys
from imagejobs.connections import CONNECTION_SECONDS, TTL_MARGIN_SECONDS, Connection
from imagejobs.observability import logger
from imagejobs.records import BatchRecord, iso
from imagejobs.store import StaleRecordError


class LiveStore(Protocol):
    def get_batch(self, batch_id: str) -> BatchRecord | None: ...
    def put_connection(self, connection: Connection) -> None: ...
    def get_connection(self, connection_id: str) -> Connection | None: ...
    def watch(self, batch_id: str, connection: Connection) -> None: ...
    def unwatch(self, batch_id: str, connection_id: str) -> None: ...
    def forget_connection(self, connection_id: str) -> None: ...


class Replies(Protocol):
    def post(self, endpoint: str, connection_id: str, data: bytes) -> bool: ...


@dataclass(frozen=True)
class Live:
    store: LiveStore
    replies: Replies
    management_url: str
    clock: Callable[[], datetime]


def _reply(live: Live, connection_id: str, message: dict[str, Any]) -> None:
    live.replies.post(live.management_url, connection_id, json.dumps(message).encode())


def _error(live: Live, connection_id: str, code: str, message: str) -> None:
    _reply(live, connection_id, {"type": "error", "code": code, "message": message})


def connect(live: Live, connection_id: str, owner: str) -> None:
    now = live.clock()
    expires = now + timedelta(seconds=CONNECTION_SECONDS + TTL_MARGIN_SECONDS)
    connection = Connection(connection_id, owner, live.management_url, iso(now), int(expires.timestamp()))
    live.store.put_connection(connection)
    logger.info("connected", connection_id=connection_id)


def disconnect(live: Live, connection_id: str) -> None:
    live.store.forget_connection(connection_id)
    logger.info("disconnected", connection_id=connection_id)


def _watched_batch(live: Live, connection: Connection, body: dict[str, Any]) -> str | None:
    """The caller's batch the message names, or None after answering why not (another caller's is unknown)."""
    batch_id = body.get("batchId")
    if not isinstance(batch_id, str) or not keys.is_valid_id(batch_id) or not batch_id.startswith("b-"):
        _error(live, connection.connection_id, "VALIDATION_ERROR", "send {action, batchId} with a batch id")
        return None
    batch = live.store.get_batch(batch_id)
    if batch is None or batch.owner != connection.owner or batch.deleting_since is not None:
        _error(live, connection.connection_id, "NOT_FOUND", f"no batch {batch_id!r}")
        return None
    return batch_id


def message(live: Live, connection_id: str, route: str, raw: str | None) -> None:
    try:
        body = json.loads(raw or "{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        _error(live, connection_id, "VALIDATION_ERROR", "messages are JSON objects with an action")
        return
    if route == "ping":
        _reply(live, connection_id, {"type": "pong"})
        return
    connection = live.store.get_connection(connection_id)
    if connection is None or route not in ("subscribe", "unsubscribe"):
        _error(live, connection_id, "VALIDATION_ERROR", "actions: subscribe, unsubscribe, ping")
        return
    batch_id = _watched_batch(live, connection, body)
    if batch_id is None:
        return
    if route == "unsubscribe":
        live.store.unwatch(batch_id, connection_id)
        _reply(live, connection_id, {"type": "unsubscribed", "batchId": batch_id})
        return
    try:
        live.store.watch(batch_id, connection)
    except StaleRecordError:
        _error(live, connection_id, "QUOTA_EXCEEDED", "a connection watches at most 20 batches")
        return
    _reply(live, connection_id, {"type": "subscribed", "batchId": batch_id, "connectionId": connection_id})


def handle(live: Live, event: dict[str, Any]) -> dict[str, Any]:
    context = event.get("requestContext") or {}
    route, connection_id = str(context.get("routeKey", "")), str(context.get("connectionId", ""))
    if route == "$connect":
        owner = (context.get("authorizer") or {}).get("principalId")
        if not owner:
            return {"statusCode": 401}
        connect(live, connection_id, str(owner))
    elif route == "$disconnect":
        disconnect(live, connection_id)
    else:
        message(live, connection_id, route, event.get("body"))
    return {"statusCode": 200}
