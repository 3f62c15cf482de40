"""The library's resources in the emulator (issue 13): the deletions queue and its dead-letter queue (the
indexer and the deletion handler run as services of their own: local_stack/services.py)."""

from __future__ import annotations

import json
from typing import Any

from local_stack import names
from local_stack.resources import STACK, StackSpec

DELETIONS_QUEUE_NAME = names.DELETIONS_QUEUE_NAME
DELETIONS_DLQ_NAME = "imgrec-deletions-dlq"


def provision_deletions_queue(sqs: Any, spec: StackSpec = STACK) -> str:
    dlq_url = sqs.create_queue(
        QueueName=DELETIONS_DLQ_NAME, Attributes={"MessageRetentionPeriod": str(spec.queue.dlq_retention_seconds)}
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.library.deletions_max_receive_count}
    return str(
        sqs.create_queue(
            QueueName=DELETIONS_QUEUE_NAME,
            Attributes={
                "VisibilityTimeout": str(spec.library.deletions_visibility_timeout),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
    )


def stream_arn(dynamodb: Any, table_name: str) -> str:
    return str(dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"])
