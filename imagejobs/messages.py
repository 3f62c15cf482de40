"""The SQS message that asks the worker to process one job."""

from __future__ import annotations

import json
from dataclasses import dataclass


class MalformedMessageError(ValueError):
    """A message body that is not a job message (nothing to retry: it can never succeed)."""


@dataclass(frozen=True)
class JobMessage:
    job_id: str
    batch_id: str
    # When the job first went on the queue (Unix seconds), carried over when a throttled job is put back on
    # the queue with a fresh message, so its age survives the re-send. None: the message's own SentTimestamp.
    queued_at: int | None = None

    def to_json(self) -> dict[str, str | int]:
        body: dict[str, str | int] = {"jobId": self.job_id, "batchId": self.batch_id}
        if self.queued_at is not None:
            body["queuedAt"] = self.queued_at
        return body

    @classmethod
    def parse(cls, body: str) -> JobMessage:
        try:
            data = json.loads(body)
            queued_at = data.get("queuedAt")
            if queued_at is not None and (not isinstance(queued_at, int) or isinstance(queued_at, bool)):
                raise TypeError("queuedAt is not an integer")
            return cls(job_id=str(data["jobId"]), batch_id=str(data["batchId"]), queued_at=queued_at)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise MalformedMessageError(f"not a job message: {error}") from error
