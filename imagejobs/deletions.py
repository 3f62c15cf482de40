"""Deletion records: what `DELETE /jobs/{id}`, `DELETE /batches/{id}` and `DELETE /account/data` started,
and how far they got (`GET /deletions/{id}`). Pure: items and request shapes.

`pk=DELETION#<deletionId>, sk=DELETION`. The id is derived from the caller, the scope and the target, so
repeating a DELETE names the same deletion: it is answered, not started twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from imagejobs import keys
from imagejobs.records import AttributeMap

DELETION_SK = "DELETION"
# How long the status of a deletion stays readable after its last change.
DELETION_RECORD_SECONDS = 30 * 24 * 3600


class DeletionScope(StrEnum):
    JOB = "JOB"
    BATCH = "BATCH"
    ACCOUNT = "ACCOUNT"


class DeletionStatus(StrEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


def deletion_id(owner: str, scope: DeletionScope, target: str | None) -> str:
    return keys.replayable_id("d", owner, scope.value, target or "")


def deletion_key(deletion_id_: str) -> AttributeMap:
    return {"pk": {"S": f"DELETION#{deletion_id_}"}, "sk": {"S": DELETION_SK}}


@dataclass(frozen=True)
class Progress:
    jobs: int = 0
    batches: int = 0
    objects: int = 0

    def __add__(self, other: Progress) -> Progress:
        return Progress(self.jobs + other.jobs, self.batches + other.batches, self.objects + other.objects)


@dataclass(frozen=True)
class DeletionRecord:
    deletion_id: str
    owner: str
    scope: DeletionScope
    target: str | None
    status: DeletionStatus
    created_at: str
    updated_at: str
    expires_at: int
    completed_at: str | None = None
    deleted: Progress = Progress()

    def to_item(self) -> AttributeMap:
        item: AttributeMap = {
            **deletion_key(self.deletion_id),
            "deletionId": {"S": self.deletion_id},
            "owner": {"S": self.owner},
            "scope": {"S": self.scope.value},
            "status": {"S": self.status.value},
            "createdAt": {"S": self.created_at},
            "updatedAt": {"S": self.updated_at},
            "expiresAt": {"N": str(self.expires_at)},
            "jobsDeleted": {"N": str(self.deleted.jobs)},
            "batchesDeleted": {"N": str(self.deleted.batches)},
            "objectsDeleted": {"N": str(self.deleted.objects)},
        }
        if self.target is not None:
            item["target"] = {"S": self.target}
        if self.completed_at is not None:
            item["completedAt"] = {"S": self.completed_at}
        return item

    @classmethod
    def from_item(cls, item: AttributeMap) -> DeletionRecord:
        return cls(
            deletion_id=item["deletionId"]["S"],
            owner=item["owner"]["S"],
            scope=DeletionScope(item["scope"]["S"]),
            target=item["target"]["S"] if "target" in item else None,
            status=DeletionStatus(item["status"]["S"]),
            created_at=item["createdAt"]["S"],
            updated_at=item["updatedAt"]["S"],
            expires_at=int(item["expiresAt"]["N"]),
            completed_at=item["completedAt"]["S"] if "completedAt" in item else None,
            deleted=Progress(
                int(item["jobsDeleted"]["N"]), int(item["batchesDeleted"]["N"]), int(item["objectsDeleted"]["N"])
            ),
        )


def start_deletion_request(table: str, record: DeletionRecord) -> AttributeMap:
    """A new deletion, or a finished one started again (new data may have come since): never one that runs."""
    return {
        "TableName": table,
        "Item": record.to_item(),
        "ConditionExpression": "attribute_not_exists(pk) OR #status = :done",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {":done": {"S": DeletionStatus.COMPLETED.value}},
    }


def claim_request(table: str, deletion_id_: str, now: int, until: int) -> AttributeMap:
    """One run at a time: a run holds the deletion until `until` (or until it records its progress)."""
    return {
        "TableName": table,
        "Key": deletion_key(deletion_id_),
        "UpdateExpression": "SET #until = :until",
        "ConditionExpression": "#status <> :done AND (attribute_not_exists(#until) OR #until < :now)",
        "ExpressionAttributeNames": {"#until": "runUntil", "#status": "status"},
        "ExpressionAttributeValues": {
            ":until": {"N": str(until)},
            ":now": {"N": str(now)},
            ":done": {"S": DeletionStatus.COMPLETED.value},
        },
    }


def progress_request(
    table: str, deletion_id_: str, done: Progress, status: DeletionStatus, at: str, expires_at: int
) -> AttributeMap:
    values: dict[str, Any] = {
        ":jobs": {"N": str(done.jobs)},
        ":batches": {"N": str(done.batches)},
        ":objects": {"N": str(done.objects)},
        ":status": {"S": status.value},
        ":at": {"S": at},
        ":expires": {"N": str(expires_at)},
    }
    expression = "SET #status = :status, updatedAt = :at, expiresAt = :expires"
    if status is DeletionStatus.COMPLETED:
        expression += ", completedAt = :at"
    return {
        "TableName": table,
        "Key": deletion_key(deletion_id_),
        "UpdateExpression": expression
        + " REMOVE runUntil ADD jobsDeleted :jobs, batchesDeleted :batches, objectsDeleted :objects",
        # A run that overlapped another (a repeated message) never reopens or recounts a finished deletion.
        "ConditionExpression": "attribute_exists(pk) AND #status <> :done",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {**values, ":done": {"S": DeletionStatus.COMPLETED.value}},
        "ReturnValues": "ALL_NEW",
    }
