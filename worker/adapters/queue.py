"""SQS for the worker: push a failed message's next attempt out with exponential backoff, and put a job
back on the queue with a fresh message (a throttled job on its last allowed receive)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imagejobs.aws_errors import translate
from imagejobs.messages import JobMessage
from imagejobs.observability import logger

MAX_BACKOFF_SECONDS = 600
MAX_DELAY_SECONDS = 900  # SQS's limit on DelaySeconds


def backoff_seconds(receive_count: int) -> int:
    """5 s, 10 s, 20 s … capped at 10 minutes, plus jitter so throttled jobs do not return in step."""
    base = min(MAX_BACKOFF_SECONDS, 5 * 2 ** max(0, receive_count - 1))
    return int(min(MAX_BACKOFF_SECONDS, base + random.randint(0, 5)))  # noqa: S311 - jitter, not crypto


SqsOpener = Callable[[], AbstractAsyncContextManager[Any]]


class SqsRedelivery:
    """Opens its SQS client only when a record actually failed: most invocations never need one."""

    def __init__(self, open_client: SqsOpener, queue_url: str) -> None:
        self._open_client = open_client
        self._queue_url = queue_url

    async def retry_later(self, receipt_handle: str, receive_count: int) -> None:
        try:
            async with self._open_client() as client:
                await client.change_message_visibility(
                    QueueUrl=self._queue_url,
                    ReceiptHandle=receipt_handle,
                    VisibilityTimeout=backoff_seconds(receive_count),
                )
        except (ClientError, BotoCoreError) as error:
            # Not fatal: the queue's own visibility timeout brings the message back anyway.
            logger.warning("could not schedule retry", error=str(error))

    async def requeue(self, message: JobMessage, delay_seconds: int) -> None:
        """A new message for the job; raises TransientError when SQS refuses (the old one is then kept)."""
        try:
            async with self._open_client() as client:
                await client.send_message(
                    QueueUrl=self._queue_url,
                    MessageBody=json.dumps(message.to_json()),
                    DelaySeconds=max(0, min(MAX_DELAY_SECONDS, delay_seconds)),
                )
        except (ClientError, BotoCoreError) as error:
            raise translate(error, "SQS SendMessage") from error
