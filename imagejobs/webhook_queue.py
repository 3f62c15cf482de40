"""The webhook delivery queue (SQS), from the sending side: the notifier and the API (redeliveries, test
events) put one message per delivery on it; worker/handle_webhooks.py takes them off."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imagejobs.aws_errors import translate
from imagejobs.errors import TransientError
from imagejobs.webhooks import DeliveryMessage


class WebhookQueue:
    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def send(self, messages: list[DeliveryMessage]) -> None:
        for start in range(0, len(messages), 10):
            entries = [
                {"Id": str(index), "MessageBody": message.to_body()}
                for index, message in enumerate(messages[start : start + 10])
            ]
            try:
                answer = self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            except (ClientError, BotoCoreError) as error:
                raise translate(error, "SQS SendMessageBatch") from error
            if answer.get("Failed"):
                # Retried with the stream record (deliveries are idempotent, their messages deduped).
                raise TransientError(f"SQS SendMessageBatch: {answer['Failed'][0].get('Code', '')}")
