"""The AWS resources the product runs on, as data: the embedded stack provisions exactly these, and a
parity test checks `infra/template.yaml` declares the same (queue timeouts, redrive, keys, indexes, TTL, CORS).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The worker function's timeout in the template; the queue's visibility timeout is 6x it (AWS guidance
# for SQS event sources), so a slow batch is never redelivered while it still runs.
WORKER_TIMEOUT_SECONDS = 120
QUEUE_VISIBILITY_TIMEOUT_SECONDS = 6 * WORKER_TIMEOUT_SECONDS
MAX_RECEIVE_COUNT = 8
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
# The dead-letter handler's timeout is 30 s; its queue gets 6x that too.
DLQ_VISIBILITY_TIMEOUT_SECONDS = 180

# The event source mapping.
BATCH_SIZE = 10
MAXIMUM_BATCHING_WINDOW_SECONDS = 1
MAXIMUM_CONCURRENCY = 10

TTL_ATTRIBUTE = "expiresAt"


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str
    range_type: str = "S"


@dataclass(frozen=True)
class TableSpec:
    hash_key: str = "pk"
    range_key: str = "sk"
    indexes: tuple[Index, ...] = (
        # Every job of a batch, in the order the client listed them.
        Index(name="byBatch", hash_key="batchId", range_key="seq", range_type="N"),
        # The jobs of a batch in one status, in order: status filters read full pages.
        Index(name="byBatchStatus", hash_key="batchStatus", range_key="seq", range_type="N"),
        # A caller's batches, newest first (sparse: only batch items carry `batchOwner`).
        Index(name="byOwner", hash_key="batchOwner", range_key="createdAt"),
        # The library index: a caller's images with one term, newest first (imagejobs/index.py).
        Index(name="byTerm", hash_key="term", range_key="at"),
    )
    ttl_attribute: str = TTL_ATTRIBUTE
    # The change stream the indexer reads (job records in, index items and analytics records out).
    stream_view_type: str = "NEW_AND_OLD_IMAGES"


@dataclass(frozen=True)
class CorsRule:
    allowed_methods: tuple[str, ...] = ("GET", "POST", "HEAD")
    allowed_headers: tuple[str, ...] = ("*",)
    expose_headers: tuple[str, ...] = ("ETag",)
    max_age_seconds: int = 3000


@dataclass(frozen=True)
class QueueSpec:
    visibility_timeout: int = QUEUE_VISIBILITY_TIMEOUT_SECONDS
    max_receive_count: int = MAX_RECEIVE_COUNT
    dlq_retention_seconds: int = DLQ_RETENTION_SECONDS
    dlq_visibility_timeout: int = DLQ_VISIBILITY_TIMEOUT_SECONDS


@dataclass(frozen=True)
class EventSourceSpec:
    batch_size: int = BATCH_SIZE
    maximum_batching_window_seconds: int = MAXIMUM_BATCHING_WINDOW_SECONDS
    maximum_concurrency: int = MAXIMUM_CONCURRENCY
    function_response_types: tuple[str, ...] = ("ReportBatchItemFailures",)


@dataclass(frozen=True)
class LibrarySpec:
    """The indexer's stream event source and the deletions queue (template: the library block)."""

    stream_batch_size: int = 100
    stream_batching_window_seconds: int = 1
    stream_maximum_retry_attempts: int = 10
    deletion_timeout_seconds: int = 300
    # 6 x the deletion function's timeout, as for the jobs queue.
    deletions_visibility_timeout: int = 6 * 300
    deletions_max_receive_count: int = 5
    deletions_batch_size: int = 1


# Lambda event filtering patterns (the template's FilterCriteria), one list per stream consumer.
INDEXER_FILTERS: tuple[str, ...] = ('{"dynamodb": {"Keys": {"sk": {"S": ["JOB"]}}}}',)
NOTIFIER_FILTERS: tuple[str, ...] = (
    # A job written in a terminal status (the notifier keeps those whose old status was not terminal).
    '{"eventName": ["INSERT", "MODIFY"], "dynamodb": {"Keys": {"sk": {"S": ["JOB"]}}, '
    '"NewImage": {"status": {"S": ["SUCCEEDED", "PARTIAL", "FAILED"]}}}}',
    # A batch that has a finish time (the notifier keeps those that just became done).
    '{"eventName": ["MODIFY"], "dynamodb": {"Keys": {"sk": {"S": ["BATCH"]}}, '
    '"NewImage": {"finishedAt": {"S": [{"exists": true}]}}}}',
)


@dataclass(frozen=True)
class NotificationSpec:
    """The notifier's stream event source, the webhook delivery queue and its sender (template: the
    notifications block)."""

    stream_batch_size: int = 100
    stream_batching_window_seconds: int = 0
    stream_maximum_retry_attempts: int = 10
    notifier_filters: tuple[str, ...] = NOTIFIER_FILTERS
    sender_timeout_seconds: int = 60
    # 6 x the sender's timeout; retries hide their message for the schedule's delay instead.
    webhook_visibility_timeout: int = 6 * 60
    # Receives before a message is set aside: the schedule's 8 attempts and early arrivals.
    webhook_max_receive_count: int = 20
    # Longer than the whole retry schedule (about 28 hours).
    webhook_retention_seconds: int = 4 * 24 * 3600
    webhook_batch_size: int = 10


@dataclass(frozen=True)
class StackSpec:
    table: TableSpec = field(default_factory=TableSpec)
    queue: QueueSpec = field(default_factory=QueueSpec)
    event_source: EventSourceSpec = field(default_factory=EventSourceSpec)
    cors: CorsRule = field(default_factory=CorsRule)
    library: LibrarySpec = field(default_factory=LibrarySpec)
    notifications: NotificationSpec = field(default_factory=NotificationSpec)


STACK = StackSpec()
