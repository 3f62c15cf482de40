"""SQS for the API: one message per job, sent ten at a time, with the X-Ray trace header riding along."""

from __future__ import annotations

import json
import os
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imagejobs.aws_errors import translate
from imagejobs.messages import JobMessage
from imagejobs.observability import logger
from imagejobs.store import chunks

SQS_BATCH = 10


class JobQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, messages: list[JobMessage]) -> list[str]:
        """Send every message; returns the job ids SQS refused (the caller leaves those jobs unqueued for a
        later submit). Raises when SQS took none of them, so the caller answers 503 instead of a submit
        that silently queued nothing."""
        refused: list[str] = []
        failure: Exception | None = None
        trace_header = os.environ.get("_X_AMZN_TRACE_ID")  # set by Lambda for the current invocation
        for group in chunks(messages, SQS_BATCH):
            try:
                answer = self._client.send_message_batch(
                    QueueUrl=self._queue_url, Entries=_entries(group, trace_header)
                )
            except (ClientError, BotoCoreError) as error:
                failure = translate(error, "SQS SendMessageBatch")
                logger.warning("messages not sent", count=len(group), error=str(failure))
                refused += [message.job_id for message in group]
                continue
            refused += [group[int(failed["Id"])].job_id for failed in answer.get("Failed", [])]
        if failure is not None and len(refused) == len(messages):
            raise failure
        return refused


def _entries(group: list[JobMessage], trace_header: str | None) -> list[dict[str, Any]]:
    entries = []
    for index, message in enumerate(group):
        entry: dict[str, Any] = {"Id": str(index), "MessageBody": json.dumps(message.to_json())}
        if trace_header:
            entry["MessageSystemAttributes"] = {"AWSTraceHeader": {"DataType": "String", "StringValue": trace_header}}
        entries.append(entry)
    return entries


class DeletionQueue:
    """The deletions queue: one message per deletion to go on with (`api/handle_deletions.py`)."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, deletion_id: str, delay_seconds: int = 0) -> None:
        try:
            self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=json.dumps({"deletionId": deletion_id}),
                DelaySeconds=max(0, min(900, delay_seconds)),
            )
        except (ClientError, BotoCoreError) as error:
            raise translate(error, "SQS SendMessage") from error
