"""The notifier: the jobs table's change stream in; events out to the topic, the webhook delivery queue and
live connections.

A second consumer of the stream the indexer reads (its own event source mapping and filter), so no code
path of the API or the worker has to remember to notify. For each record that stands for an event
(`imagejobs.events.event_of`): publish it on the topic, create one delivery per webhook endpoint that wants
it (the owner's endpoints, and the one the batch's callback URL named) and queue a message for each, and
post it to every connection watching the batch. Deliveries go through the queue, never inline: a slow or
failing receiver cannot hold the stream up.

At least once, end to end: a record that fails is retried from the start, and everything it does is
idempotent or deduped downstream — deliveries have deterministic ids (creating one twice is a no-op, and
its message is sent again in case the first send was lost), and the topic and sockets carry the event id.
Events of a batch being deleted are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from imagejobs.connections import Watcher
from imagejobs.events import Event, event_of
from imagejobs.observability import logger, metrics
from imagejobs.records import BatchRecord
from imagejobs.webhooks import Delivery, DeliveryMessage, Endpoint, delivery_id


class NotifierStore(Protocol):
    def get_batch(self, batch_id: str) -> BatchRecord | None: ...
    def list_endpoints(self, owner: str) -> list[Endpoint]: ...
    def create_delivery(self, delivery: Delivery) -> bool: ...
    def watchers(self, batch_id: str) -> list[Watcher]: ...
    def forget_connection(self, connection_id: str) -> None: ...


class Topic(Protocol):
    def publish(self, event: Event, owner: str) -> None: ...


class DeliveryQueue(Protocol):
    def send(self, messages: list[DeliveryMessage]) -> None: ...


class Connections(Protocol):
    def post(self, endpoint: str, connection_id: str, data: bytes) -> bool:
        """False when the connection is gone (410)."""
        ...


@dataclass
class Outlets:
    store: NotifierStore
    topic: Topic
    queue: DeliveryQueue
    connections: Connections
    delivery_retention_days: int = 14
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    # Per invocation: a batch of records mostly shares a few batches and owners.
    _batches: dict[str, BatchRecord | None] = field(default_factory=dict)
    _endpoints: dict[str, list[Endpoint]] = field(default_factory=dict)

    def batch(self, batch_id: str) -> BatchRecord | None:
        if batch_id not in self._batches:
            self._batches[batch_id] = self.store.get_batch(batch_id)
        return self._batches[batch_id]

    def remember(self, batch: BatchRecord) -> None:
        self._batches[batch.batch_id] = batch

    def endpoints(self, owner: str) -> list[Endpoint]:
        if owner not in self._endpoints:
            self._endpoints[owner] = self.store.list_endpoints(owner)
        return self._endpoints[owner]


def _parsed(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def deliveries_for(
    event: Event, owner: str, batch: BatchRecord, endpoints: list[Endpoint], retention_days: int
) -> list[Delivery]:
    """One delivery per endpoint that wants the event (pure)."""
    at = _parsed(event.timestamp)
    expires_at = int((at + timedelta(days=retention_days)).timestamp())
    return [
        Delivery(
            delivery_id=delivery_id(event.id, endpoint.endpoint_id, at),
            endpoint_id=endpoint.endpoint_id,
            owner=owner,
            event_id=event.id,
            event_type=event.type.value,
            payload=event.body().decode(),
            created_at=event.timestamp,
            expires_at=expires_at,
        )
        for endpoint in endpoints
        if endpoint.wants(event.type.value, named_by_batch=endpoint.endpoint_id == batch.callback_endpoint_id)
    ]


def _post_to_watchers(event: Event, owner: str, batch_id: str, outlets: Outlets) -> int:
    posted = 0
    body = event.body()
    for watcher in outlets.store.watchers(batch_id):
        if watcher.owner != owner:
            continue  # only the batch's owner can watch it; never leak to another caller
        if outlets.connections.post(watcher.endpoint, watcher.connection_id, body):
            posted += 1
        else:
            outlets.store.forget_connection(watcher.connection_id)
            logger.info("gone connection forgotten", connection_id=watcher.connection_id)
    return posted


def notify(record: dict[str, Any], outlets: Outlets) -> str:
    """Handle one stream record; returns what was done (for logs and tests)."""
    found = event_of(record)
    if found is None:
        return "ignored"
    event, owner, batch_id = found
    if event.type.value == "batch.completed":
        # The record holds the batch as it completed: no read needed.
        batch: BatchRecord | None = BatchRecord.from_item(record["dynamodb"]["NewImage"])
        outlets.remember(BatchRecord.from_item(record["dynamodb"]["NewImage"]))
    else:
        batch = outlets.batch(batch_id)
    if batch is None or batch.deleting_since is not None:
        return "batch gone"
    outlets.topic.publish(event, owner)
    deliveries = deliveries_for(event, owner, batch, outlets.endpoints(owner), outlets.delivery_retention_days)
    created = sum(outlets.store.create_delivery(delivery) for delivery in deliveries)
    if deliveries:
        # Sent again when the deliveries existed already: the earlier send may be what failed.
        outlets.queue.send([DeliveryMessage(d.owner, d.endpoint_id, d.delivery_id) for d in deliveries])
    posted = _post_to_watchers(event, owner, batch_id, outlets)
    metrics.add_metric(name="EventsPublished", unit="Count", value=1)
    logger.info(
        "event published",
        event_id=event.id,
        event_type=event.type.value,
        batch_id=batch_id,
        deliveries=len(deliveries),
        new_deliveries=created,
        sockets=posted,
    )
    return "notified"


def handle_stream(event: dict[str, Any], outlets: Outlets) -> dict[str, Any]:
    """Records in order; at the first failure, report it and stop: Lambda retries from that record."""
    for record in event.get("Records", []):
        sequence = record.get("dynamodb", {}).get("SequenceNumber", "")
        try:
            notify(record, outlets)
        except Exception:
            logger.exception("stream record not notified", sequence=sequence)
            metrics.add_metric(name="NotifierFailures", unit="Count", value=1)
            return {"batchItemFailures": [{"itemIdentifier": sequence}]}
    return {"batchItemFailures": []}
