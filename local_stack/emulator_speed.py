"""CPU moto's server spends per request for nothing, removed in the local AWS emulator (process-wide).

1. moto resolves the backend of every request by listing its own package directory (`os.listdir` and one
`os.path.isdir` per entry, ~130 system calls): about a fifth of the emulator's CPU per request, measured
with the stack's mix of DynamoDB, S3 and SQS calls. The list cannot change while the process runs.
2. SendMessage read one queue attribute by computing them all, a pass over every message (`install_sqs`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any


def install() -> None:
    _install_backend_list()
    install_sqs()


def _install_backend_list() -> None:
    from moto import backends

    if getattr(backends.list_of_moto_modules, "_imgrec_cached", False):
        return
    modules = tuple(backends.list_of_moto_modules())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    list_of_moto_modules._imgrec_cached = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules  # type: ignore[assignment]


class _QueueAttributes(Mapping[str, Any]):
    """`Queue.attributes`, computed only when more than `ContentBasedDeduplication` is read."""

    full: Callable[[Any], dict[str, Any]]  # moto's own property getter, set by install_sqs

    def __init__(self, queue: Any) -> None:
        self._queue = queue
        self._all: dict[str, Any] | None = None

    def _full(self) -> dict[str, Any]:
        if self._all is None:
            self._all = type(self).full(self._queue)
        return self._all

    def get(self, key: str, default: Any = None) -> Any:
        if key == "ContentBasedDeduplication":
            # Only FIFO queues carry it; booleans read as "true"/"false", as in the full mapping.
            if not self._queue.fifo_queue:
                return default
            value = self._queue.content_based_deduplication
            return str(value).lower() if isinstance(value, bool) else value
        return self._full().get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._full()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._full())

    def __len__(self) -> int:
        return len(self._full())


def install_sqs() -> None:
    """moto's SQS computes every attribute of a queue (message counts: one pass over all its messages)
    to read `ContentBasedDeduplication` on each SendMessage: each send cost O(queue length), and a
    1,000-image submit O(n²). That one lookup is answered directly; any other use of `Queue.attributes`
    gets the full mapping, computed as before."""
    from moto.sqs.models import Queue

    if isinstance(Queue.__dict__["attributes"].fget, type):
        return
    _QueueAttributes.full = Queue.__dict__["attributes"].fget
    Queue.attributes = property(_QueueAttributes)  # type: ignore[assignment,method-assign]
