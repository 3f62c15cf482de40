"""CPU moto's server spends per request for nothing, removed in the local AWS emulator (process-wide).

1. moto resolves the backend of every request by listing its own package directory (`os.listdir` and one
`os.path.isdir` per entry, ~130 system calls): about a fifth of the emulator's CPU per request, measured
with the stack's mix of DynamoDB, S3 and SQS calls. The list cannot change while the process runs.
2. SQS read single queue attributes by computing them all, a pass over every message (`install_sqs`):
SendMessage for `ContentBasedDeduplication`, and ReceiveMessage twice per message received for
`MessageRetentionPeriod`.
3. GetRecords answers went through moto's generic, shape-driven serializer: the stream's records are already
in the wire format, and two consumers read each of them (`install_stream_records`).
"""

from __future__ import annotations

import base64
import calendar
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any


def install() -> None:
    _install_backend_list()
    install_sqs()
    install_stream_records()


def _install_backend_list() -> None:
    from moto import backends

    if getattr(backends.list_of_moto_modules, "_imgrec_cached", False):
        return
    modules = tuple(backends.list_of_moto_modules())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    list_of_moto_modules._imgrec_cached = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules  # type: ignore[assignment]


# The attributes that count the queue's messages; any other is one field of the queue, read directly.
_COUNTED = frozenset(
    {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"}
)


class _QueueAttributes(Mapping[str, Any]):
    """`Queue.attributes`, computed in full only when iterated or when a count is read."""

    full: Callable[[Any], dict[str, Any]]  # moto's own property getter, set by install_sqs

    def __init__(self, queue: Any) -> None:
        self._queue = queue
        self._all: dict[str, Any] | None = None

    def _full(self) -> dict[str, Any]:
        if self._all is None:
            self._all = type(self).full(self._queue)
        return self._all

    def _has(self, key: str) -> bool:
        queue = self._queue
        return (
            key in queue.BASE_ATTRIBUTES
            or (queue.fifo_queue and key in queue.FIFO_ATTRIBUTES)
            or (bool(queue.kms_master_key_id) and key in queue.KMS_ATTRIBUTES)
            or (key == "Policy" and bool(queue.policy))
            or (key == "RedrivePolicy" and bool(queue.redrive_policy))
        )

    def _one(self, key: str) -> Any:
        """One attribute as the full mapping has it (booleans as "true"/"false", the redrive policy as JSON)."""
        if key in _COUNTED or key in ("Policy", "RedrivePolicy"):
            return self._full()[key]
        value = getattr(self._queue, _snake(key))
        return str(value).lower() if isinstance(value, bool) else value

    def get(self, key: str, default: Any = None) -> Any:
        return self._one(key) if self._has(key) else default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._has(key)

    def __getitem__(self, key: str) -> Any:
        if not self._has(key):
            raise KeyError(key)
        return self._one(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._full())

    def __len__(self) -> int:
        return len(self._full())


def _snake(name: str) -> str:
    from moto.core.utils import camelcase_to_underscores

    return str(camelcase_to_underscores(name))


def install_sqs() -> None:
    """moto's SQS computes every attribute of a queue (message counts: one pass over all its messages)
    to read one of them: `ContentBasedDeduplication` on each SendMessage (a 1,000-image submit was O(n²)),
    `MessageRetentionPeriod` twice per message received. Single attributes are read directly; iterating
    `Queue.attributes` or reading a count computes the full mapping, as before."""
    from moto.sqs.models import Queue

    if isinstance(Queue.__dict__["attributes"].fget, type):
        return
    _QueueAttributes.full = Queue.__dict__["attributes"].fget
    Queue.attributes = property(_QueueAttributes)  # type: ignore[assignment,method-assign]


def install_stream_records() -> None:
    """GetRecords answered with `json.dumps` of the records moto keeps, which are already DynamoDB Streams'
    wire format; moto's serializer walked every attribute of every image against the model (a sixth of the
    emulator's CPU during a batch). Timestamps are epoch seconds, as the serializer writes them."""
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    if getattr(DynamoDBStreamsHandler.get_records, "_imgrec_fast", False):
        return

    def get_records(self: Any) -> str:
        limit = self._get_param("Limit")
        found = self.backend.get_records(self._get_param("ShardIterator"), 1000 if limit is None else limit)
        return json.dumps(found, default=_wire_value, separators=(",", ":"))

    get_records._imgrec_fast = True  # type: ignore[attr-defined]
    get_records._imgrec_original = DynamoDBStreamsHandler.get_records  # type: ignore[attr-defined]
    DynamoDBStreamsHandler.get_records = get_records  # type: ignore[method-assign]


def _wire_value(value: Any) -> float | str:
    """As moto's serializer writes a timestamp (whole seconds, plus milliseconds when there are any) and a
    binary attribute (base64)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        seconds = calendar.timegm(value.utctimetuple())
        return seconds + (value.microsecond // 1000) / 1000.0 if value.microsecond else seconds
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
