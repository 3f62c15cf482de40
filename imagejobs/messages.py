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

    def to_json(self) -> dict[str, str]:
        return {"jobId": self.job_id, "batchId": self.batch_id}

    @classmethod
    def parse(cls, body: str) -> JobMessage:
        try:
            data = json.loads(body)
            return cls(job_id=str(data["jobId"]), batch_id=str(data["batchId"]))
        except (ValueError, KeyError, TypeError) as error:
            raise MalformedMessageError(f"not a job message: {error}") from error
