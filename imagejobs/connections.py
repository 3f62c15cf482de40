"""Live connections (the WebSocket API) and what they watch, as records of the one table.

`pk=CONN#<connectionId>, sk=CONNECTION`: who is connected, through which management endpoint their messages
are posted (a connection made in the other region of a pair is posted through that region's API), and
the batches it watches. `pk=WATCH#<batchId>, sk=CONN#<connectionId>`: one per watched batch, which the
notifier reads to find the batch's watchers. Both expire with the connection (API Gateway closes any
connection after 2 hours): a TTL removes what a missed `$disconnect` left behind, and readers skip expired
items before TTL gets to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from imagejobs.records import AttributeMap

# API Gateway's limit on a connection's life, plus a margin for the TTL.
CONNECTION_SECONDS = 2 * 3600
TTL_MARGIN_SECONDS = 300
MAX_WATCHED_BATCHES = 20


def _s(value: str) -> AttributeMap:
    return {"S": value}


def connection_key(connection_id: str) -> AttributeMap:
    return {"pk": _s(f"CONN#{connection_id}"), "sk": _s("CONNECTION")}


def watch_key(batch_id: str, connection_id: str) -> AttributeMap:
    return {"pk": _s(f"WATCH#{batch_id}"), "sk": _s(f"CONN#{connection_id}")}


@dataclass(frozen=True)
class Connection:
    connection_id: str
    owner: str
    endpoint: str  # the management API's URL for this connection
    connected_at: str
    expires_at: int
    batches: tuple[str, ...] = ()

    def to_item(self) -> AttributeMap:
        item: AttributeMap = {
            **connection_key(self.connection_id),
            "connectionId": _s(self.connection_id),
            "owner": _s(self.owner),
            "endpoint": _s(self.endpoint),
            "connectedAt": _s(self.connected_at),
            "expiresAt": {"N": str(self.expires_at)},
        }
        if self.batches:
            item["batches"] = {"SS": sorted(self.batches)}
        return item

    @classmethod
    def from_item(cls, item: AttributeMap) -> Connection:
        return cls(
            connection_id=item["connectionId"]["S"],
            owner=item["owner"]["S"],
            endpoint=item["endpoint"]["S"],
            connected_at=item["connectedAt"]["S"],
            expires_at=int(item["expiresAt"]["N"]),
            batches=tuple(sorted(item["batches"]["SS"])) if "batches" in item else (),
        )


@dataclass(frozen=True)
class Watcher:
    """A connection watching a batch, as the notifier reads it."""

    connection_id: str
    owner: str
    endpoint: str
    expires_at: int


def watch_item(batch_id: str, connection: Connection) -> AttributeMap:
    return {
        **watch_key(batch_id, connection.connection_id),
        "connectionId": _s(connection.connection_id),
        "owner": _s(connection.owner),
        "endpoint": _s(connection.endpoint),
        "expiresAt": {"N": str(connection.expires_at)},
    }


def watcher_from_item(item: AttributeMap) -> Watcher:
    return Watcher(
        connection_id=item["connectionId"]["S"],
        owner=item["owner"]["S"],
        endpoint=item["endpoint"]["S"],
        expires_at=int(item["expiresAt"]["N"]),
    )


def watch_request(table: str, batch_id: str, connection: Connection) -> AttributeMap:
    """The watch item and the connection's list in one transaction; a connection that is gone (or watches
    too many batches already) cancels it."""
    return {
        "TransactItems": [
            {"Put": {"TableName": table, "Item": watch_item(batch_id, connection)}},
            {
                "Update": {
                    "TableName": table,
                    "Key": connection_key(connection.connection_id),
                    "UpdateExpression": "ADD #batches :batch",
                    "ConditionExpression": (
                        "attribute_exists(pk) AND (attribute_not_exists(#batches) OR size(#batches) < :max)"
                    ),
                    "ExpressionAttributeNames": {"#batches": "batches"},
                    "ExpressionAttributeValues": {
                        ":batch": {"SS": [batch_id]},
                        ":max": {"N": str(MAX_WATCHED_BATCHES)},
                    },
                }
            },
        ]
    }


def unwatch_request(table: str, batch_id: str, connection_id: str) -> AttributeMap:
    return {
        "TransactItems": [
            {"Delete": {"TableName": table, "Key": watch_key(batch_id, connection_id)}},
            {
                "Update": {
                    "TableName": table,
                    "Key": connection_key(connection_id),
                    "UpdateExpression": "DELETE #batches :batch",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#batches": "batches"},
                    "ExpressionAttributeValues": {":batch": {"SS": [batch_id]}},
                }
            },
        ]
    }


def watchers_query(table: str, batch_id: str, start_key: AttributeMap | None) -> AttributeMap:
    query: AttributeMap = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": _s(f"WATCH#{batch_id}")},
    }
    if start_key:
        query["ExclusiveStartKey"] = start_key
    return query
