"""Executes the requests of `webhooks` and `connections` with a boto3 DynamoDB client (the API, the
notifier, the webhook sender and the socket handler), with the job store's retries and error translation."""

from __future__ import annotations

import time
from typing import Any

from imagejobs import connections, webhooks
from imagejobs.connections import Connection, Watcher
from imagejobs.records import AttributeMap
from imagejobs.store import JobStore, StaleRecordError
from imagejobs.webhooks import Delivery, Endpoint


class NotifyStore(JobStore):
    # ---- endpoints

    def get_endpoint(self, owner: str, endpoint_id: str) -> Endpoint | None:
        answer = self._call(
            "get_item",
            {"TableName": self._table, "Key": webhooks.endpoint_key(owner, endpoint_id), "ConsistentRead": True},
        )
        return Endpoint.from_item(answer["Item"]) if "Item" in answer else None

    def endpoint_for_url(self, owner: str, url: str) -> Endpoint | None:
        answer = self._call(
            "get_item", {"TableName": self._table, "Key": webhooks.url_key(owner, url), "ConsistentRead": True}
        )
        if "Item" not in answer:
            return None
        return self.get_endpoint(owner, answer["Item"]["endpointId"]["S"])

    def list_endpoints(self, owner: str) -> list[Endpoint]:
        found: list[Endpoint] = []
        query = webhooks.endpoints_query(self._table, owner)
        while True:
            answer = self._call("query", query)
            found += [Endpoint.from_item(item) for item in answer.get("Items", [])]
            if not answer.get("LastEvaluatedKey"):
                return found
            query = {**query, "ExclusiveStartKey": answer["LastEvaluatedKey"]}

    def create_endpoint(self, endpoint: Endpoint, max_endpoints: int) -> None:
        self._call("transact_write_items", webhooks.create_endpoint_request(self._table, endpoint, max_endpoints))

    def save_endpoint(self, endpoint: Endpoint) -> None:
        self._call("put_item", webhooks.put_endpoint_request(self._table, endpoint))

    def delete_endpoint(self, endpoint: Endpoint) -> None:
        self._call("transact_write_items", webhooks.delete_endpoint_request(self._table, endpoint))

    def forget_owner(self, owner: str) -> None:
        """Drop the owner's endpoint count once it has no endpoint (its account's deletion)."""
        self._ignore_gone("delete_item", webhooks.forget_count_request(self._table, owner))

    def endpoint_succeeded(self, owner: str, endpoint_id: str, at: str) -> None:
        self._ignore_gone("update_item", webhooks.endpoint_succeeded_request(self._table, owner, endpoint_id, at))

    def endpoint_failed(self, owner: str, endpoint_id: str, at: str) -> None:
        self._ignore_gone("update_item", webhooks.endpoint_failed_request(self._table, owner, endpoint_id, at))

    def disable_endpoint(self, owner: str, endpoint_id: str, reason: str, at: str) -> bool:
        """False when it was disabled (or deleted) already."""
        try:
            self._call("update_item", webhooks.disable_endpoint_request(self._table, owner, endpoint_id, reason, at))
        except StaleRecordError:
            return False
        return True

    def _ignore_gone(self, operation: str, request: AttributeMap) -> None:
        try:
            self._call(operation, request)
        except StaleRecordError:
            return  # the endpoint was deleted meanwhile: nothing to remember

    # ---- deliveries

    def get_delivery(self, endpoint_id: str, delivery_id: str) -> Delivery | None:
        answer = self._call(
            "get_item",
            {"TableName": self._table, "Key": webhooks.delivery_key(endpoint_id, delivery_id), "ConsistentRead": True},
        )
        return Delivery.from_item(answer["Item"]) if "Item" in answer else None

    def create_delivery(self, delivery: Delivery) -> bool:
        """False when it exists already (the same event for the same endpoint, created before)."""
        try:
            self._call("put_item", webhooks.put_new_delivery_request(self._table, delivery))
        except StaleRecordError:
            return False
        return True

    def replace_delivery(self, before: Delivery, after: Delivery) -> Delivery:
        """`StaleRecordError` when somebody else changed it first."""
        self._call("put_item", webhooks.replace_delivery_request(self._table, before, after))
        return after

    def list_deliveries(
        self, endpoint_id: str, limit: int, start_key: AttributeMap | None = None
    ) -> tuple[list[Delivery], AttributeMap | None]:
        answer = self._call("query", webhooks.deliveries_query(self._table, endpoint_id, limit, start_key))
        return [Delivery.from_item(i) for i in answer.get("Items", [])], answer.get("LastEvaluatedKey")

    # ---- live connections

    def put_connection(self, connection: Connection) -> None:
        self._call("put_item", {"TableName": self._table, "Item": connection.to_item()})

    def get_connection(self, connection_id: str) -> Connection | None:
        answer = self._call(
            "get_item",
            {"TableName": self._table, "Key": connections.connection_key(connection_id), "ConsistentRead": True},
        )
        return Connection.from_item(answer["Item"]) if "Item" in answer else None

    def watch(self, batch_id: str, connection: Connection) -> None:
        self._call("transact_write_items", connections.watch_request(self._table, batch_id, connection))

    def unwatch(self, batch_id: str, connection_id: str) -> None:
        try:
            self._call("transact_write_items", connections.unwatch_request(self._table, batch_id, connection_id))
        except StaleRecordError:
            return  # the connection is gone already

    def watchers(self, batch_id: str) -> list[Watcher]:
        now = int(time.time())
        found: list[Watcher] = []
        start: AttributeMap | None = None
        while True:
            answer = self._call("query", connections.watchers_query(self._table, batch_id, start))
            found += [connections.watcher_from_item(item) for item in answer.get("Items", [])]
            start = answer.get("LastEvaluatedKey")
            if not start:
                return [w for w in found if w.expires_at > now]  # TTL removes expired items only eventually

    def forget_connection(self, connection_id: str) -> None:
        """The connection and every watch item it had (on $disconnect, or once it answers Gone)."""
        connection = self.get_connection(connection_id)
        keys: list[Any] = [connections.connection_key(connection_id)]
        if connection is not None:
            keys += [connections.watch_key(batch_id, connection_id) for batch_id in connection.batches]
        for key in keys:
            self._call("delete_item", {"TableName": self._table, "Key": key})

    def forget_watch(self, batch_id: str, connection_id: str) -> None:
        self._call("delete_item", {"TableName": self._table, "Key": connections.watch_key(batch_id, connection_id)})
