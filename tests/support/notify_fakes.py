"""In-memory fakes of the notification ports: the store of endpoints, deliveries and connections (the API's
`Webhooks`, the notifier's and the sender's stores), the topic, the delivery queue, live connections and the
HTTP poster. They keep the real adapters' contracts — a URL claimed once per owner, a per-owner endpoint
limit, deliveries created once, changes conditional on the version — and mypy checks them against the
ports (see `_conforms`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from api.logic.ports import WebhookQueue, Webhooks
from imagejobs.connections import Watcher
from imagejobs.events import Event
from imagejobs.records import AttributeMap, BatchRecord
from imagejobs.store import StaleCancellationError, StaleRecordError
from imagejobs.webhooks import Delivery, DeliveryMessage, Endpoint
from worker.notifier import Connections, DeliveryQueue, NotifierStore, Topic
from worker.webhook_sender import Poster, PostResult, SenderStore


@dataclass
class FakeNotifyStore:
    endpoints: dict[tuple[str, str], Endpoint] = field(default_factory=dict)
    deliveries: dict[tuple[str, str], Delivery] = field(default_factory=dict)
    batches: dict[str, BatchRecord] = field(default_factory=dict)
    watching: dict[str, list[Watcher]] = field(default_factory=dict)
    forgotten: list[str] = field(default_factory=list)
    owners_forgotten: list[str] = field(default_factory=list)

    # ---- endpoints
    def get_endpoint(self, owner: str, endpoint_id: str) -> Endpoint | None:
        return self.endpoints.get((owner, endpoint_id))

    def endpoint_for_url(self, owner: str, url: str) -> Endpoint | None:
        return next((e for (o, _), e in self.endpoints.items() if o == owner and e.url == url), None)

    def list_endpoints(self, owner: str) -> list[Endpoint]:
        return [e for (o, _), e in self.endpoints.items() if o == owner]

    def create_endpoint(self, endpoint: Endpoint, max_endpoints: int) -> None:
        failed = set()
        if self.endpoint_for_url(endpoint.owner, endpoint.url) is not None:
            failed.add(1)
        if len(self.list_endpoints(endpoint.owner)) >= max_endpoints:
            failed.add(2)
        if failed:
            raise StaleCancellationError("cancelled", failed)
        self.endpoints[(endpoint.owner, endpoint.endpoint_id)] = endpoint

    def save_endpoint(self, endpoint: Endpoint) -> None:
        if (endpoint.owner, endpoint.endpoint_id) not in self.endpoints:
            raise StaleRecordError("gone")
        self.endpoints[(endpoint.owner, endpoint.endpoint_id)] = endpoint

    def delete_endpoint(self, endpoint: Endpoint) -> None:
        if self.endpoints.pop((endpoint.owner, endpoint.endpoint_id), None) is None:
            raise StaleRecordError("gone")

    def forget_owner(self, owner: str) -> None:
        self.owners_forgotten.append(owner)

    def endpoint_succeeded(self, owner: str, endpoint_id: str, at: str) -> None:
        if (found := self.endpoints.get((owner, endpoint_id))) is not None:
            self.endpoints[(owner, endpoint_id)] = replace(found, last_success_at=at, failing_since=None)

    def endpoint_failed(self, owner: str, endpoint_id: str, at: str) -> None:
        if (found := self.endpoints.get((owner, endpoint_id))) is not None:
            self.endpoints[(owner, endpoint_id)] = replace(found, failing_since=found.failing_since or at)

    def disable_endpoint(self, owner: str, endpoint_id: str, reason: str, at: str) -> bool:
        found = self.endpoints.get((owner, endpoint_id))
        if found is None or not found.enabled:
            return False
        self.endpoints[(owner, endpoint_id)] = replace(found, enabled=False, disabled_reason=reason, disabled_at=at)
        return True

    # ---- deliveries
    def get_delivery(self, endpoint_id: str, delivery_id: str) -> Delivery | None:
        return self.deliveries.get((endpoint_id, delivery_id))

    def create_delivery(self, delivery: Delivery) -> bool:
        key = (delivery.endpoint_id, delivery.delivery_id)
        if key in self.deliveries:
            return False
        self.deliveries[key] = delivery
        return True

    def replace_delivery(self, before: Delivery, after: Delivery) -> Delivery:
        key = (before.endpoint_id, before.delivery_id)
        stored = self.deliveries.get(key)
        if stored is None or stored.version != before.version or after.version != before.version + 1:
            raise StaleRecordError("changed")
        self.deliveries[key] = after
        return after

    def list_deliveries(
        self, endpoint_id: str, limit: int, start_key: AttributeMap | None = None
    ) -> tuple[list[Delivery], AttributeMap | None]:
        found = sorted((d for (e, _), d in self.deliveries.items() if e == endpoint_id), key=lambda d: d.delivery_id)
        found.reverse()
        if start_key:
            after = start_key["sk"]["S"].removeprefix("DELIVERY#")
            found = [d for d in found if d.delivery_id < after]
        page = found[:limit]
        last = (
            {"pk": {"S": f"DELIVERIES#{endpoint_id}"}, "sk": {"S": f"DELIVERY#{page[-1].delivery_id}"}}
            if len(found) > limit
            else None
        )
        return page, last

    # ---- the notifier's reads
    def get_batch(self, batch_id: str) -> BatchRecord | None:
        return self.batches.get(batch_id)

    def watchers(self, batch_id: str) -> list[Watcher]:
        return list(self.watching.get(batch_id, []))

    def forget_connection(self, connection_id: str) -> None:
        self.forgotten.append(connection_id)
        for batch_id, watchers in self.watching.items():
            self.watching[batch_id] = [w for w in watchers if w.connection_id != connection_id]


@dataclass
class FakeTopic:
    published: list[tuple[Event, str]] = field(default_factory=list)

    def publish(self, event: Event, owner: str) -> None:
        self.published.append((event, owner))


@dataclass
class FakeDeliveryQueue:
    sent: list[DeliveryMessage] = field(default_factory=list)

    def send(self, messages: list[DeliveryMessage]) -> None:
        self.sent.extend(messages)


@dataclass
class FakeConnections:
    gone: set[str] = field(default_factory=set)
    posted: list[tuple[str, str, bytes]] = field(default_factory=list)

    def post(self, endpoint: str, connection_id: str, data: bytes) -> bool:
        if connection_id in self.gone:
            return False
        self.posted.append((endpoint, connection_id, data))
        return True


@dataclass
class FakePoster:
    """Answers from a script (the last one repeats), and records what was posted."""

    answers: list[PostResult] = field(default_factory=lambda: [PostResult(200, 5)])
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def post(self, url: str, headers: dict[str, str], body: bytes) -> PostResult:
        self.requests.append((url, headers, body))
        return self.answers[min(len(self.requests), len(self.answers)) - 1]


def _conforms() -> None:
    """mypy checks each fake against the port it stands in for (never called)."""
    store = FakeNotifyStore()
    webhooks: Webhooks = store
    notifier: NotifierStore = store
    sender: SenderStore = store
    topic: Topic = FakeTopic()
    queue: DeliveryQueue = FakeDeliveryQueue()
    api_queue: WebhookQueue = FakeDeliveryQueue()
    connections: Connections = FakeConnections()
    poster: Poster = FakePoster()
    del webhooks, notifier, sender, topic, queue, api_queue, connections, poster


__all__: list[Any] = ["FakeConnections", "FakeDeliveryQueue", "FakeNotifyStore", "FakePoster", "FakeTopic"]
