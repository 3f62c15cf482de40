"""The few fields of an SQS event record the worker reads.

Powertools' SQSRecord would do, but importing its data-classes package loads every event class it knows
(~0.2 s of a cold start); these fields are all the handlers need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SqsRecord:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    sent_timestamp_ms: int | None

    @classmethod
    def from_event(cls, raw: dict[str, Any]) -> SqsRecord:
        attributes = raw.get("attributes") or {}
        sent = attributes.get("SentTimestamp")
        return cls(
            message_id=str(raw.get("messageId", "")),
            receipt_handle=str(raw.get("receiptHandle", "")),
            body=str(raw.get("body", "")),
            receive_count=int(attributes.get("ApproximateReceiveCount") or 1),
            sent_timestamp_ms=int(sent) if sent else None,
        )


def records_of(event: dict[str, Any]) -> list[SqsRecord]:
    return [SqsRecord.from_event(raw) for raw in event.get("Records", [])]
