"""Webhook endpoints and deliveries: their records in the one table and every request that changes them.

Pure, like `records`. Layout:
- `pk=HOOKS#<owner>`: `sk=ENDPOINT#<endpointId>` an endpoint (URL, secrets, state), `sk=URL#<digest>` the
  URL's owner-unique claim (so a batch's callback URL finds the endpoint it already has), `sk=COUNT` how
  many endpoints the owner has (moved in the same transactions, so the per-owner limit holds);
- `pk=DELIVERIES#<endpointId>, sk=DELIVERY#<deliveryId>`: one event's delivery to one endpoint, with its
  recent attempts. Delivery ids start with the event's time in hex, so a partition reads newest first.

Delivery ids are a digest of the event and the endpoint: the notifier creating the same delivery twice (a
stream record retried) finds it already there. Every change of a delivery is conditional on its `version`,
so two messages for the same delivery (at-least-once queues) cannot both make the same attempt.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from imagejobs.records import AttributeMap, delete_when_none_left_request

ENDPOINT_ID_PATTERN = r"^wh-[0-9a-f]{32}$"
DELIVERY_ID_PATTERN = r"^dlv-[0-9a-f]{32}$"
# Attempts kept on a delivery (the newest); older ones only count.
KEPT_ATTEMPTS = 10
RESPONSE_SNIPPET_CHARS = 200


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


def _s(value: str) -> AttributeMap:
    return {"S": value}


def _n(value: int) -> AttributeMap:
    return {"N": str(value)}


def endpoint_key(owner: str, endpoint_id: str) -> AttributeMap:
    return {"pk": _s(f"HOOKS#{owner}"), "sk": _s(f"ENDPOINT#{endpoint_id}")}


def url_digest(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:40]


def url_key(owner: str, url: str) -> AttributeMap:
    return {"pk": _s(f"HOOKS#{owner}"), "sk": _s(f"URL#{url_digest(url)}")}


def count_key(owner: str) -> AttributeMap:
    return {"pk": _s(f"HOOKS#{owner}"), "sk": _s("COUNT")}


def delivery_key(endpoint_id: str, delivery_id: str) -> AttributeMap:
    return {"pk": _s(f"DELIVERIES#{endpoint_id}"), "sk": _s(f"DELIVERY#{delivery_id}")}


def delivery_id(event_id: str, endpoint_id: str, event_time: datetime) -> str:
    """Time-ordered (milliseconds in 12 hex digits) and deterministic for one event and endpoint."""
    millis = f"{int(event_time.timestamp() * 1000):012x}"[-12:]
    return "dlv-" + millis + hashlib.sha256(f"{event_id}\0{endpoint_id}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Secret:
    value: str
    created_at: str
    # Set on a rotated-out secret: it keeps signing (beside the new one) until then.
    expires_at: str | None = None

    def to_json(self) -> dict[str, str]:
        return {
            k: v
            for k, v in {"value": self.value, "createdAt": self.created_at, "expiresAt": self.expires_at}.items()
            if v
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Secret:
        return cls(value=data["value"], created_at=data["createdAt"], expires_at=data.get("expiresAt"))


@dataclass(frozen=True)
class Endpoint:
    endpoint_id: str
    owner: str
    url: str
    created_at: str
    secrets: tuple[Secret, ...]  # the current one first
    description: str | None = None
    event_types: tuple[str, ...] = ()  # empty: every type
    # True: every batch of the owner; False: only batches that name it as their callback URL.
    all_batches: bool = True
    enabled: bool = True
    disabled_reason: str | None = None
    disabled_at: str | None = None
    failing_since: str | None = None
    last_success_at: str | None = None

    def signing_secrets(self, now: str) -> list[str]:
        """The current secret, and a rotated-out one until its overlap ends."""
        return [s.value for s in self.secrets if s.expires_at is None or s.expires_at > now]

    def wants(self, event_type: str, named_by_batch: bool) -> bool:
        if not self.enabled or (self.event_types and event_type not in self.event_types):
            return False
        return self.all_batches or named_by_batch

    def to_item(self) -> AttributeMap:
        item: AttributeMap = {
            **endpoint_key(self.owner, self.endpoint_id),
            "endpointId": _s(self.endpoint_id),
            "owner": _s(self.owner),
            "url": _s(self.url),
            "createdAt": _s(self.created_at),
            "secrets": _s(json.dumps([s.to_json() for s in self.secrets])),
            "allBatches": {"BOOL": self.all_batches},
            "enabled": {"BOOL": self.enabled},
        }
        optional = {
            "description": self.description,
            "disabledReason": self.disabled_reason,
            "disabledAt": self.disabled_at,
            "failingSince": self.failing_since,
            "lastSuccessAt": self.last_success_at,
        }
        item.update({name: _s(value) for name, value in optional.items() if value is not None})
        if self.event_types:
            item["eventTypes"] = {"SS": sorted(self.event_types)}
        return item

    @classmethod
    def from_item(cls, item: AttributeMap) -> Endpoint:
        def text(name: str) -> str | None:
            return item[name]["S"] if name in item else None

        return cls(
            endpoint_id=item["endpointId"]["S"],
            owner=item["owner"]["S"],
            url=item["url"]["S"],
            created_at=item["createdAt"]["S"],
            secrets=tuple(Secret.from_json(s) for s in json.loads(item["secrets"]["S"])),
            description=text("description"),
            event_types=tuple(sorted(item["eventTypes"]["SS"])) if "eventTypes" in item else (),
            all_batches=bool(item["allBatches"]["BOOL"]),
            enabled=bool(item["enabled"]["BOOL"]),
            disabled_reason=text("disabledReason"),
            disabled_at=text("disabledAt"),
            failing_since=text("failingSince"),
            last_success_at=text("lastSuccessAt"),
        )


@dataclass(frozen=True)
class Attempt:
    at: str
    status_code: int | None
    duration_ms: int
    error: str | None = None
    response: str | None = None  # the start of the receiver's answer, for the delivery log

    def to_json(self) -> dict[str, Any]:
        data = {"at": self.at, "statusCode": self.status_code, "durationMs": self.duration_ms}
        data.update({k: v for k, v in (("error", self.error), ("response", self.response)) if v})
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attempt:
        return cls(
            at=data["at"],
            status_code=data.get("statusCode"),
            duration_ms=int(data["durationMs"]),
            error=data.get("error"),
            response=data.get("response"),
        )

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    endpoint_id: str
    owner: str
    event_id: str
    event_type: str
    payload: str  # the event's exact body: every attempt sends (and signs) the same bytes
    created_at: str
    expires_at: int
    status: DeliveryStatus = DeliveryStatus.PENDING
    version: int = 0
    # Attempts made, ever; `round_start` is where the current round began (a redelivery starts a round).
    attempt_count: int = 0
    round_start: int = 0
    next_attempt_at: int | None = None  # epoch seconds
    claimed_until: int | None = None
    attempts: tuple[Attempt, ...] = field(default=())
    redeliveries: int = 0

    @property
    def round_attempts(self) -> int:
        return self.attempt_count - self.round_start

    @property
    def last_attempt(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    def changed(self, **changes: Any) -> Delivery:
        return replace(self, version=self.version + 1, **changes)

    def with_attempt(self, attempt: Attempt, **changes: Any) -> Delivery:
        return self.changed(attempts=(*self.attempts, attempt)[-KEPT_ATTEMPTS:], claimed_until=None, **changes)

    def to_item(self) -> AttributeMap:
        item: AttributeMap = {
            **delivery_key(self.endpoint_id, self.delivery_id),
            "deliveryId": _s(self.delivery_id),
            "endpointId": _s(self.endpoint_id),
            "owner": _s(self.owner),
            "eventId": _s(self.event_id),
            "eventType": _s(self.event_type),
            "payload": _s(self.payload),
            "createdAt": _s(self.created_at),
            "expiresAt": _n(self.expires_at),
            "status": _s(self.status.value),
            "version": _n(self.version),
            "attemptCount": _n(self.attempt_count),
            "roundStart": _n(self.round_start),
            "attempts": _s(json.dumps([a.to_json() for a in self.attempts])),
            "redeliveries": _n(self.redeliveries),
        }
        if self.next_attempt_at is not None:
            item["nextAttemptAt"] = _n(self.next_attempt_at)
        if self.claimed_until is not None:
            item["claimedUntil"] = _n(self.claimed_until)
        return item

    @classmethod
    def from_item(cls, item: AttributeMap) -> Delivery:
        def number(name: str) -> int | None:
            return int(item[name]["N"]) if name in item else None

        return cls(
            delivery_id=item["deliveryId"]["S"],
            endpoint_id=item["endpointId"]["S"],
            owner=item["owner"]["S"],
            event_id=item["eventId"]["S"],
            event_type=item["eventType"]["S"],
            payload=item["payload"]["S"],
            created_at=item["createdAt"]["S"],
            expires_at=int(item["expiresAt"]["N"]),
            status=DeliveryStatus(item["status"]["S"]),
            version=int(item["version"]["N"]),
            attempt_count=int(item["attemptCount"]["N"]),
            round_start=int(item["roundStart"]["N"]),
            next_attempt_at=number("nextAttemptAt"),
            claimed_until=number("claimedUntil"),
            attempts=tuple(Attempt.from_json(a) for a in json.loads(item["attempts"]["S"])),
            redeliveries=int(item["redeliveries"]["N"]),
        )


@dataclass(frozen=True)
class DeliveryMessage:
    """What the delivery queue carries: where the delivery is (the record holds the rest)."""

    owner: str
    endpoint_id: str
    delivery_id: str

    def to_body(self) -> str:
        return json.dumps({"owner": self.owner, "endpointId": self.endpoint_id, "deliveryId": self.delivery_id})

    @classmethod
    def from_body(cls, body: str) -> DeliveryMessage:
        data = json.loads(body)
        return cls(owner=data["owner"], endpoint_id=data["endpointId"], delivery_id=data["deliveryId"])


# ---- requests -------------------------------------------------------------------------------------------


def create_endpoint_request(table: str, endpoint: Endpoint, max_endpoints: int) -> AttributeMap:
    """The endpoint, its URL claim and the owner's count, in one transaction: a URL the owner already has
    an endpoint for, or one endpoint too many, cancels it (`StaleRecordError`)."""
    return {
        "TransactItems": [
            {
                "Put": {
                    "TableName": table,
                    "Item": endpoint.to_item(),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": table,
                    "Item": {**url_key(endpoint.owner, endpoint.url), "endpointId": _s(endpoint.endpoint_id)},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": table,
                    "Key": count_key(endpoint.owner),
                    "UpdateExpression": "ADD #endpoints :one",
                    "ConditionExpression": "attribute_not_exists(#endpoints) OR #endpoints < :max",
                    "ExpressionAttributeNames": {"#endpoints": "endpoints"},
                    "ExpressionAttributeValues": {":one": _n(1), ":max": _n(max_endpoints)},
                }
            },
        ]
    }


def delete_endpoint_request(table: str, endpoint: Endpoint) -> AttributeMap:
    return {
        "TransactItems": [
            {
                "Delete": {
                    "TableName": table,
                    "Key": endpoint_key(endpoint.owner, endpoint.endpoint_id),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            {"Delete": {"TableName": table, "Key": url_key(endpoint.owner, endpoint.url)}},
            {
                "Update": {
                    "TableName": table,
                    "Key": count_key(endpoint.owner),
                    "UpdateExpression": "ADD #endpoints :minus",
                    "ExpressionAttributeNames": {"#endpoints": "endpoints"},
                    "ExpressionAttributeValues": {":minus": _n(-1)},
                }
            },
        ]
    }


def forget_count_request(table: str, owner: str) -> AttributeMap:
    """The owner's endpoint count, once no endpoint is left (a registration racing the account's deletion
    keeps it, and its endpoint)."""
    return delete_when_none_left_request(table, count_key(owner), "endpoints")


def put_endpoint_request(table: str, endpoint: Endpoint) -> AttributeMap:
    """A changed endpoint (settings, secrets), only while it exists."""
    return {"TableName": table, "Item": endpoint.to_item(), "ConditionExpression": "attribute_exists(pk)"}


def endpoints_query(table: str, owner: str) -> AttributeMap:
    return {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": _s(f"HOOKS#{owner}"), ":prefix": _s("ENDPOINT#")},
        "ConsistentRead": True,
    }


def endpoint_succeeded_request(table: str, owner: str, endpoint_id: str, at: str) -> AttributeMap:
    return {
        "TableName": table,
        "Key": endpoint_key(owner, endpoint_id),
        "UpdateExpression": "SET #last = :at REMOVE #failing",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeNames": {"#last": "lastSuccessAt", "#failing": "failingSince"},
        "ExpressionAttributeValues": {":at": _s(at)},
    }


def endpoint_failed_request(table: str, owner: str, endpoint_id: str, at: str) -> AttributeMap:
    """Remember when the endpoint started failing (the first failure since its last success)."""
    return {
        "TableName": table,
        "Key": endpoint_key(owner, endpoint_id),
        "UpdateExpression": "SET #failing = if_not_exists(#failing, :at)",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeNames": {"#failing": "failingSince"},
        "ExpressionAttributeValues": {":at": _s(at)},
    }


def disable_endpoint_request(table: str, owner: str, endpoint_id: str, reason: str, at: str) -> AttributeMap:
    """Disable an enabled endpoint (the first reason stands)."""
    return {
        "TableName": table,
        "Key": endpoint_key(owner, endpoint_id),
        "UpdateExpression": "SET #enabled = :false, #reason = :reason, #at = :at",
        "ConditionExpression": "#enabled = :true",
        "ExpressionAttributeNames": {"#enabled": "enabled", "#reason": "disabledReason", "#at": "disabledAt"},
        "ExpressionAttributeValues": {
            ":false": {"BOOL": False},
            ":true": {"BOOL": True},
            ":reason": _s(reason),
            ":at": _s(at),
        },
    }


def put_new_delivery_request(table: str, delivery: Delivery) -> AttributeMap:
    return {"TableName": table, "Item": delivery.to_item(), "ConditionExpression": "attribute_not_exists(pk)"}


def replace_delivery_request(table: str, before: Delivery, after: Delivery) -> AttributeMap:
    """`after` only if the stored delivery is still `before` (its version)."""
    if after.version != before.version + 1 or after.delivery_id != before.delivery_id:
        raise ValueError("a delivery change bumps the version of the same delivery by one")
    return {
        "TableName": table,
        "Item": after.to_item(),
        "ConditionExpression": "#version = :version",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": {":version": _n(before.version)},
    }


def deliveries_query(table: str, endpoint_id: str, limit: int, start_key: AttributeMap | None) -> AttributeMap:
    query: AttributeMap = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": _s(f"DELIVERIES#{endpoint_id}"), ":prefix": _s("DELIVERY#")},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if start_key:
        query["ExclusiveStartKey"] = start_key
    return query
