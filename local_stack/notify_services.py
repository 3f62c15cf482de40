"""The notification resources in the emulator (issue 12): the webhook delivery queue with its dead-letter
queue, and the event topic. The notifier, the sender and the WebSocket endpoint are services of their own
(local_stack/services.py)."""

from __future__ import annotations

import json
from typing import Any

from local_stack import names
from local_stack.resources import STACK, StackSpec


def provision_webhook_queue(sqs: Any, spec: StackSpec = STACK) -> str:
    dlq_url = sqs.create_queue(
        QueueName=names.WEBHOOK_DLQ_NAME, Attributes={"MessageRetentionPeriod": str(spec.queue.dlq_retention_seconds)}
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    notifications = spec.notifications
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": notifications.webhook_max_receive_count}
    return str(
        sqs.create_queue(
            QueueName=names.WEBHOOK_QUEUE_NAME,
            Attributes={
                "VisibilityTimeout": str(notifications.webhook_visibility_timeout),
                "MessageRetentionPeriod": str(notifications.webhook_retention_seconds),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
    )


def provision_events_topic(sns: Any) -> str:
    return str(sns.create_topic(Name=names.EVENTS_TOPIC_NAME)["TopicArn"])
