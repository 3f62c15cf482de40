"""The library's parts of the embedded stack (issue 13), kept in one module so the stack's own layout
stays as it is: the deletions queue and its dead-letter queue, the indexer reading the table's stream, and
the deletion handler reading the deletions queue. `start(stack)` provisions and starts them."""

from __future__ import annotations

import json
import os
from typing import Any

from local_stack import names
from local_stack.poller import InProcessInvoker, Poller
from local_stack.resources import STACK, StackSpec
from local_stack.stream_poller import StreamPoller

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


def start(stack: Any) -> list[Any]:
    """Provision the deletions queue, tell the API where it is, start the indexer's and the deletion
    handler's event sources. Returns them (each has `stop()`)."""
    from api.handle_deletions import lambda_handler as deletion_handler
    from worker.handle_index import lambda_handler as index_handler
    from worker.handle_index import reset_clients

    sqs = stack.client("sqs")
    os.environ["IMGREC_DELETIONS_QUEUE_URL"] = provision_deletions_queue(sqs)
    reset_clients()
    stack.reset_settings()
    indexer = StreamPoller(
        streams=stack.client("dynamodbstreams"),
        stream_arn=stream_arn(stack.client("dynamodb"), names.TABLE_NAME),
        invoker=InProcessInvoker(index_handler, "imgrec-indexer"),
        on_error=stack.invocation_errors.append,
    ).start()
    deleter = Poller(
        sqs=sqs,
        queue_url=os.environ["IMGREC_DELETIONS_QUEUE_URL"],
        invoker=InProcessInvoker(deletion_handler, "imgrec-deletions"),
        batch_size=STACK.library.deletions_batch_size,
        maximum_concurrency=2,
        on_error=stack.invocation_errors.append,
    ).start()
    return [indexer, deleter]
