"""Job and batch records and how they sit in the one DynamoDB table.

Pure: records convert to and from DynamoDB's attribute-value maps, and every state change is built here
as a request (a plain dict) that the sync store (API) and the async store (worker) only execute. That
keeps one definition of each conditional write, whichever SDK sends it.

Layout: `pk=JOB#<jobId>, sk=JOB` for jobs (GSI `byBatch`: batchId/seq, and GSI `byBatchStatus`:
batchStatus/seq, where batchStatus is `<batchId>#<status>`, so a status filter reads full pages),
`pk=BATCH#<batchId>, sk=BATCH` for batches (sparse GSI `byOwner`: batchOwner/createdAt), and
`pk=QUOTA#<owner>, sk=DAY#<yyyy-mm-dd>` for the per-caller daily image counters. A batch holds one counter
per status; every job transition moves one unit between two counters in the same transaction that changes
the job, under a condition on the job's current status, so a counter can never move twice for one transition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from imagejobs.errors import ErrorCode
from imagejobs.model import AnalysisOptions, JobStatus

AttributeMap = dict[str, Any]

JOB_SK = "JOB"
BATCH_SK = "BATCH"
BY_BATCH_INDEX = "byBatch"
BY_BATCH_STATUS_INDEX = "byBatchStatus"
BY_OWNER_INDEX = "byOwner"


def job_key(job_id: str) -> AttributeMap:
    return {"pk": {"S": f"JOB#{job_id}"}, "sk": {"S": JOB_SK}}


def batch_key(batch_id: str) -> AttributeMap:
    return {"pk": {"S": f"BATCH#{batch_id}"}, "sk": {"S": BATCH_SK}}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _s(value: str) -> AttributeMap:
    return {"S": value}


def _n(value: int | float) -> AttributeMap:
    return {"N": str(value)}


def _json(value: object) -> AttributeMap:
    return {"S": json.dumps(value, separators=(",", ":"), ensure_ascii=False)}


def _load_json(item: AttributeMap, name: str) -> Any:
    return json.loads(item[name]["S"]) if name in item else None


# The batch's usage totals (absent until a job of the batch has finished after analysis).
CALLS_ATTRIBUTE = "rekognitionCalls"
SAVED_ATTRIBUTE = "rekognitionCallsSaved"


def count_attribute(status: JobStatus) -> str:
    return f"count{status.value}"


def batch_status(batch_id: str, status: JobStatus) -> str:
    """The `byBatchStatus` index's partition key: the jobs of one batch in one status."""
    return f"{batch_id}#{status.value}"


@dataclass(frozen=True)
class JobError:
    code: ErrorCode
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code.value, "message": self.message}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> JobError:
        return cls(code=ErrorCode(data["code"]), message=data["message"])


@dataclass(frozen=True)
class Usage:
    """What analysing one image cost: Rekognition calls paid for, and calls saved by reusing stored answers."""

    calls: int = 0
    saved: int = 0

    def to_json(self) -> dict[str, int]:
        return {"calls": self.calls, "saved": self.saved}

    @classmethod
    def from_json(cls, data: dict[str, int]) -> Usage:
        return cls(calls=int(data.get("calls", 0)), saved=int(data.get("saved", 0)))


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    batch_id: str
    seq: int
    owner: str
    filename: str
    content_type: str
    declared_size: int
    options: AnalysisOptions
    status: JobStatus
    created_at: str
    updated_at: str
    expires_at: int
    version: int = 0
    attempts: int = 0
    claim_token: str | None = None
    lease_until: int | None = None
    error: JobError | None = None
    feature_errors: dict[str, JobError] | None = None
    # Facts about the upload and about the image Rekognition saw (the normalizer's record).
    original: dict[str, Any] | None = None
    image: dict[str, Any] | None = None
    results_key: str | None = None
    summary: dict[str, Any] | None = None
    # Set on jobs made by a request with an Idempotency-Key: the digest of that request (a replay must match).
    request_digest: str | None = None
    # Set when a job finishes after analysis: Rekognition calls made and answers reused from the cache.
    usage: Usage | None = None

    def moved_to(self, status: JobStatus, at: str, **changes: Any) -> JobRecord:
        """The job in `status` from time `at`, one version on: what a transition writes. Any state but
        PROCESSING holds no claim."""
        if status is not JobStatus.PROCESSING:
            changes = {"claim_token": None, "lease_until": None, **changes}
        return replace(self, status=status, version=self.version + 1, updated_at=at, **changes)

    def to_item(self) -> AttributeMap:
        item: AttributeMap = {
            **job_key(self.job_id),
            "jobId": _s(self.job_id),
            "batchId": _s(self.batch_id),
            "seq": _n(self.seq),
            "owner": _s(self.owner),
            "filename": _s(self.filename),
            "contentType": _s(self.content_type),
            "declaredSize": _n(self.declared_size),
            "options": _json(self.options.to_json()),
            "status": _s(self.status.value),
            "batchStatus": _s(batch_status(self.batch_id, self.status)),
            "createdAt": _s(self.created_at),
            "updatedAt": _s(self.updated_at),
            "expiresAt": _n(self.expires_at),
            "version": _n(self.version),
            "attempts": _n(self.attempts),
        }
        if self.claim_token is not None:
            item["claimToken"] = _s(self.claim_token)
        if self.lease_until is not None:
            item["leaseUntil"] = _n(self.lease_until)
        if self.request_digest is not None:
            item["requestDigest"] = _s(self.request_digest)
        if self.usage is not None:
            item["usage"] = _json(self.usage.to_json())
        item.update(_outcome_attributes(self))
        return item

    @classmethod
    def from_item(cls, item: AttributeMap) -> JobRecord:
        feature_errors = _load_json(item, "featureErrors")
        error = _load_json(item, "error")
        return cls(
            job_id=item["jobId"]["S"],
            batch_id=item["batchId"]["S"],
            seq=int(item["seq"]["N"]),
            owner=item["owner"]["S"],
            filename=item["filename"]["S"],
            content_type=item["contentType"]["S"],
            declared_size=int(item["declaredSize"]["N"]),
            options=AnalysisOptions.from_json(_load_json(item, "options")),
            status=JobStatus(item["status"]["S"]),
            created_at=item["createdAt"]["S"],
            updated_at=item["updatedAt"]["S"],
            expires_at=int(item["expiresAt"]["N"]),
            version=int(item["version"]["N"]),
            attempts=int(item["attempts"]["N"]),
            claim_token=item["claimToken"]["S"] if "claimToken" in item else None,
            lease_until=int(item["leaseUntil"]["N"]) if "leaseUntil" in item else None,
            error=JobError.from_json(error) if error else None,
            feature_errors=(
                {name: JobError.from_json(value) for name, value in feature_errors.items()} if feature_errors else None
            ),
            original=_load_json(item, "original"),
            image=_load_json(item, "image"),
            results_key=item["resultsKey"]["S"] if "resultsKey" in item else None,
            summary=_load_json(item, "summary"),
            request_digest=item["requestDigest"]["S"] if "requestDigest" in item else None,
            usage=Usage.from_json(_load_json(item, "usage")) if "usage" in item else None,
        )


def _outcome_attributes(job: JobRecord) -> AttributeMap:
    attributes: AttributeMap = {}
    if job.error is not None:
        attributes["error"] = _json(job.error.to_json())
    if job.feature_errors:
        attributes["featureErrors"] = _json({k: v.to_json() for k, v in job.feature_errors.items()})
    if job.original is not None:
        attributes["original"] = _json(job.original)
    if job.image is not None:
        attributes["image"] = _json(job.image)
    if job.results_key is not None:
        attributes["resultsKey"] = _s(job.results_key)
    if job.summary is not None:
        attributes["summary"] = _json(job.summary)
    return attributes


@dataclass(frozen=True)
class BatchRecord:
    batch_id: str
    owner: str
    created_at: str
    options: AnalysisOptions
    expires_at: int
    total: int = 0
    counts: dict[JobStatus, int] = field(default_factory=dict)
    next_seq: int = 0
    # Set on batches made by a request with an Idempotency-Key: the digest of that request.
    request_digest: str | None = None
    # Totals of its finished jobs' usage, moved in the same transactions that finish them.
    usage: Usage = field(default_factory=Usage)
    name: str | None = None
    tags: tuple[str, ...] = ()
    # When a job of the batch last reached a terminal status (the batch's finish time once it is done).
    finished_at: str | None = None
    # Set when its deletion starts: from then on the API answers as if it were gone.
    deleting_since: str | None = None
    # The webhook endpoint its callback URL named (imagejobs/webhooks.py), if any.
    callback_endpoint_id: str | None = None

    @property
    def done(self) -> bool:
        """Every job has reached a terminal state (and there is at least one job)."""
        return self.total > 0 and sum(self.counts.get(s, 0) for s in JobStatus if s.is_terminal) >= self.total

    def to_item(self) -> AttributeMap:
        item: AttributeMap = {
            **batch_key(self.batch_id),
            "batchId": _s(self.batch_id),
            "batchOwner": _s(self.owner),
            "createdAt": _s(self.created_at),
            "options": _json(self.options.to_json()),
            "expiresAt": _n(self.expires_at),
            "total": _n(self.total),
            "nextSeq": _n(self.next_seq),
        }
        for status in JobStatus:
            item[count_attribute(status)] = _n(self.counts.get(status, 0))
        if self.request_digest is not None:
            item["requestDigest"] = _s(self.request_digest)
        item.update(batch_label_attributes(self.name, self.tags))
        if self.finished_at is not None:
            item["finishedAt"] = _s(self.finished_at)
        if self.deleting_since is not None:
            item["deletingSince"] = _s(self.deleting_since)
        if self.callback_endpoint_id is not None:
            item["callbackEndpointId"] = _s(self.callback_endpoint_id)
        return item

    @classmethod
    def from_item(cls, item: AttributeMap) -> BatchRecord:
        return cls(
            batch_id=item["batchId"]["S"],
            owner=item["batchOwner"]["S"],
            created_at=item["createdAt"]["S"],
            options=AnalysisOptions.from_json(_load_json(item, "options")),
            expires_at=int(item["expiresAt"]["N"]),
            total=int(item["total"]["N"]),
            counts={s: int(item.get(count_attribute(s), {"N": "0"})["N"]) for s in JobStatus},
            next_seq=int(item.get("nextSeq", {"N": "0"})["N"]),
            request_digest=item["requestDigest"]["S"] if "requestDigest" in item else None,
            usage=Usage(
                calls=int(item.get(CALLS_ATTRIBUTE, {"N": "0"})["N"]),
                saved=int(item.get(SAVED_ATTRIBUTE, {"N": "0"})["N"]),
            ),
            name=item["name"]["S"] if "name" in item else None,
            tags=tuple(sorted(item["tags"]["SS"])) if "tags" in item else (),
            finished_at=item["finishedAt"]["S"] if "finishedAt" in item else None,
            deleting_since=item["deletingSince"]["S"] if "deletingSince" in item else None,
            callback_endpoint_id=item["callbackEndpointId"]["S"] if "callbackEndpointId" in item else None,
        )


def batch_label_attributes(name: str | None, tags: tuple[str, ...]) -> AttributeMap:
    """A batch's name and tags as stored: `nameLower` and the `tags` string set are what list filters
    match (a string set cannot be empty, so no tags is no attribute)."""
    attributes: AttributeMap = {}
    if name is not None:
        attributes["name"] = _s(name)
        attributes["nameLower"] = _s(name.casefold())
    if tags:
        attributes["tags"] = {"SS": sorted(set(tags))}
    return attributes


# ---- requests -------------------------------------------------------------------------------------------


def put_batch_with_jobs_request(table: str, batch: BatchRecord, jobs: list[JobRecord]) -> AttributeMap:
    """A new batch and its first jobs (at most 99: one transaction holds 100 items). `batch.next_seq` may
    already reserve the sequence numbers of jobs that later transactions add."""
    counted = replace(
        batch,
        total=len(jobs),
        counts={JobStatus.AWAITING_UPLOAD: len(jobs)},
        next_seq=max(batch.next_seq, len(jobs)),
    )
    items = [
        {
            "Put": {
                "TableName": table,
                "Item": counted.to_item(),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
    ]
    items += [_put_new_job(table, job) for job in jobs]
    return {"TransactItems": items}


def add_jobs_request(table: str, batch_id: str, jobs: list[JobRecord], max_total: int | None = None) -> AttributeMap:
    """More jobs for an existing batch, with its total and counter moved in the same transaction; with
    `max_total`, only if the batch stays within it."""
    items = [_put_new_job(table, job) for job in jobs]
    update: AttributeMap = {
        "TableName": table,
        "Key": batch_key(batch_id),
        "UpdateExpression": "ADD #total :n, #awaiting :n",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeNames": {"#total": "total", "#awaiting": count_attribute(JobStatus.AWAITING_UPLOAD)},
        "ExpressionAttributeValues": {":n": _n(len(jobs))},
    }
    if max_total is not None:
        update["ConditionExpression"] += " AND #total <= :room"
        update["ExpressionAttributeValues"][":room"] = _n(max_total - len(jobs))
    items.append({"Update": update})
    return {"TransactItems": items}


def reserve_daily_images_request(
    table: str, owner: str, day: str, count: int, limit: int, expires_at: int
) -> AttributeMap:
    """Count `count` images against `owner`'s quota for `day` unless that passes `limit` (conditional)."""
    return {
        "TableName": table,
        "Key": {"pk": _s(f"QUOTA#{owner}"), "sk": _s(f"DAY#{day}")},
        "UpdateExpression": "ADD #images :n SET #expires = :expires",
        "ConditionExpression": "attribute_not_exists(#images) OR #images <= :room",
        "ExpressionAttributeNames": {"#images": "images", "#expires": "expiresAt"},
        "ExpressionAttributeValues": {":n": _n(count), ":room": _n(limit - count), ":expires": _n(expires_at)},
    }


def reserve_seq_request(table: str, batch_id: str, count: int) -> AttributeMap:
    """Reserve `count` sequence numbers for new jobs of a batch; the answer's nextSeq ends the range."""
    return {
        "TableName": table,
        "Key": batch_key(batch_id),
        "UpdateExpression": "ADD nextSeq :n",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeValues": {":n": _n(count)},
        "ReturnValues": "UPDATED_NEW",
    }


def _put_new_job(table: str, job: JobRecord) -> AttributeMap:
    return {"Put": {"TableName": table, "Item": job.to_item(), "ConditionExpression": "attribute_not_exists(pk)"}}


def transition_request(table: str, before: JobRecord, after: JobRecord) -> AttributeMap:
    """Replace `before` by `after` only if the stored job is still exactly `before` (same status and
    version), moving the batch counters in the same transaction when the status changes."""
    return transitions_request(table, [(before, after)])


def transitions_request(table: str, pairs: list[tuple[JobRecord, JobRecord]]) -> AttributeMap:
    """Several jobs of one batch making the same move (e.g. AWAITING_UPLOAD → QUEUED on submit) in one
    transaction: each job conditional as in `transition_request`, the counters moved once by the count.
    At most 99 pairs (a transaction holds 100 items); any failed condition cancels the whole."""
    moves = {(before.batch_id, before.status, after.status) for before, after in pairs}
    if len(moves) != 1 or len(pairs) > 99:
        raise ValueError("one transaction moves 1..99 jobs of one batch between the same two statuses")
    [(batch_id, from_status, to_status)] = moves
    items = [_conditional_put(table, before, after) for before, after in pairs]
    if from_status != to_status:
        update: AttributeMap = {
            "TableName": table,
            "Key": batch_key(batch_id),
            "UpdateExpression": "ADD #from :minus, #to :plus",
            "ExpressionAttributeNames": {"#from": count_attribute(from_status), "#to": count_attribute(to_status)},
            "ExpressionAttributeValues": {":minus": _n(-len(pairs)), ":plus": _n(len(pairs))},
        }
        usages = [after.usage for before, after in pairs if after.usage is not None and before.usage is None]
        if to_status.is_terminal and usages:
            # The batch's usage moves with the job that incurred it: once, whatever the deliveries.
            update["UpdateExpression"] += ", #calls :calls, #saved :saved"
            update["ExpressionAttributeNames"].update({"#calls": CALLS_ATTRIBUTE, "#saved": SAVED_ATTRIBUTE})
            update["ExpressionAttributeValues"].update(
                {":calls": _n(sum(u.calls for u in usages)), ":saved": _n(sum(u.saved for u in usages))}
            )
        if to_status.is_terminal:
            # The batch's finish time once it is done: set by whichever job finishes last, at no extra write.
            update["UpdateExpression"] += " SET #finished = :finished"
            update["ExpressionAttributeNames"]["#finished"] = "finishedAt"
            update["ExpressionAttributeValues"][":finished"] = _s(max(after.updated_at for _, after in pairs))
        items.append({"Update": update})
    return {"TransactItems": items}


def _conditional_put(table: str, before: JobRecord, after: JobRecord) -> AttributeMap:
    if after.version != before.version + 1 or after.job_id != before.job_id:
        raise ValueError("a transition must bump the version of the same job by one")
    item = after.to_item()
    put: AttributeMap = {
        "Put": {
            "TableName": table,
            "Item": item,
            "ConditionExpression": "#status = :before_status AND #version = :before_version",
            "ExpressionAttributeNames": {"#status": "status", "#version": "version"},
            "ExpressionAttributeValues": {
                ":before_status": _s(before.status.value),
                ":before_version": _n(before.version),
            },
        }
    }
    return put


def jobs_of_batch_query(
    table: str, batch_id: str, limit: int, start_key: AttributeMap | None, status: JobStatus | None
) -> AttributeMap:
    """A page of a batch's jobs in their order, or of those in `status` (full pages: its own index)."""
    query: AttributeMap = {"TableName": table, "Limit": limit}
    if status is None:
        query["IndexName"] = BY_BATCH_INDEX
        query["KeyConditionExpression"] = "batchId = :b"
        query["ExpressionAttributeValues"] = {":b": _s(batch_id)}
    else:
        query["IndexName"] = BY_BATCH_STATUS_INDEX
        query["KeyConditionExpression"] = "batchStatus = :bs"
        query["ExpressionAttributeValues"] = {":bs": _s(batch_status(batch_id, status))}
    if start_key:
        query["ExclusiveStartKey"] = start_key
    return query


def batches_of_owner_query(table: str, owner: str, limit: int, start_key: AttributeMap | None) -> AttributeMap:
    query: AttributeMap = {
        "TableName": table,
        "IndexName": BY_OWNER_INDEX,
        "KeyConditionExpression": "batchOwner = :o",
        "ExpressionAttributeValues": {":o": _s(owner)},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if start_key:
        query["ExclusiveStartKey"] = start_key
    return query


UNCHANGED: Any = object()


def update_batch_labels_request(
    table: str, batch_id: str, name: str | None = UNCHANGED, tags: tuple[str, ...] = UNCHANGED
) -> AttributeMap:
    """Rename and re-tag a batch (`None` removes the name, `()` the tags); the answer holds the new batch."""
    sets: list[str] = []
    removes: list[str] = []
    values: AttributeMap = {}
    names: dict[str, str] = {}
    if name is not UNCHANGED:
        names.update({"#name": "name", "#lower": "nameLower"})
        if name is None:
            removes += ["#name", "#lower"]
        else:
            sets += ["#name = :name", "#lower = :lower"]
            values.update({":name": _s(name), ":lower": _s(name.casefold())})
    if tags is not UNCHANGED:
        names["#tags"] = "tags"
        if tags:
            sets.append("#tags = :tags")
            values[":tags"] = {"SS": sorted(set(tags))}
        else:
            removes.append("#tags")
    expression = " ".join(
        part for part in (f"SET {', '.join(sets)}" if sets else "", f"REMOVE {', '.join(removes)}" if removes else "")
    )
    request: AttributeMap = {
        "TableName": table,
        "Key": batch_key(batch_id),
        "UpdateExpression": expression or "SET #pk = #pk",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeNames": names or {"#pk": "pk"},
        "ReturnValues": "ALL_NEW",
    }
    if values:
        request["ExpressionAttributeValues"] = values
    return request


def delete_job_request(table: str, job: JobRecord) -> AttributeMap:
    """Remove a job, only if it is still exactly `job` (a worker may have claimed it meanwhile), and take
    it out of its batch's total and status counter in the same transaction."""
    return {
        "TransactItems": [
            {
                "Delete": {
                    "TableName": table,
                    "Key": job_key(job.job_id),
                    "ConditionExpression": "#status = :status AND #version = :version",
                    "ExpressionAttributeNames": {"#status": "status", "#version": "version"},
                    "ExpressionAttributeValues": {":status": _s(job.status.value), ":version": _n(job.version)},
                }
            },
            {
                "Update": {
                    "TableName": table,
                    "Key": batch_key(job.batch_id),
                    "UpdateExpression": "ADD #total :minus, #count :minus",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#total": "total", "#count": count_attribute(job.status)},
                    "ExpressionAttributeValues": {":minus": _n(-1)},
                }
            },
        ]
    }


def delete_when_none_left_request(table: str, key: AttributeMap, counter: str) -> AttributeMap:
    """Delete the item at `key` only while its `counter` is at most zero (or it is already gone): whatever the
    counter counts and was added meanwhile keeps the item."""
    return {
        "TableName": table,
        "Key": key,
        "ConditionExpression": "attribute_not_exists(pk) OR #counter <= :zero",
        "ExpressionAttributeNames": {"#counter": counter},
        "ExpressionAttributeValues": {":zero": _n(0)},
    }


def delete_batch_request(table: str, batch_id: str) -> AttributeMap:
    """Remove a batch once it holds no job (an image added meanwhile keeps it, to be deleted in turn)."""
    return delete_when_none_left_request(table, batch_key(batch_id), "total")


def mark_batch_deleting_request(table: str, batch_id: str, at: str) -> AttributeMap:
    """Hide a batch from the API while its deletion runs (the first mark stands)."""
    return {
        "TableName": table,
        "Key": batch_key(batch_id),
        "UpdateExpression": "SET #deleting = if_not_exists(#deleting, :at)",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeNames": {"#deleting": "deletingSince"},
        "ExpressionAttributeValues": {":at": _s(at)},
    }
