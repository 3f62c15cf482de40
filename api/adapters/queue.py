"""SQS for the API: one message per job, sent ten at a time, with the X-Ray trace header riding along."""

from __future__ import annotations

import json
import os
from typing import Any

from imagejobs.messages import JobMessage
from imagejobs.store import chunks

SQS_BATCH = 10


class JobQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, messages: list[JobMessage]) -> list[str]:
        """Send every message; returns the job ids SQS refused (the caller leaves those jobs unqueued)."""
        refused: list[str] = []
        trace_header = os.environ.get("_X_AMZN_TRACE_ID")  # set by Lambda for the current invocation
        for group in chunks(messages, SQS_BATCH):
            entries = []
            for index, message in enumerate(group):
                entry: dict[str, Any] = {"Id": str(index), "MessageBody": json.dumps(message.to_json())}
                if trace_header:
                    entry["MessageSystemAttributes"] = {
                        "AWSTraceHeader": {"DataType": "String", "StringValue": trace_header}
                    }
                entries.append(entry)
            answer = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            refused += [group[int(failure["Id"])].job_id for failure in answer.get("Failed", [])]
        return refused
