"""Create the resources of `local_stack.resources` in the emulator, idempotently (what the template declares)."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from local_stack import names
from local_stack.resources import STACK, StackSpec


@dataclass(frozen=True)
class Provisioned:
    table_name: str
    bucket_name: str
    queue_url: str
    dlq_url: str


def _client(service: str, endpoint_url: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=names.REGION,
        aws_access_key_id=names.LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=names.LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def provision_table(dynamodb: Any, spec: StackSpec, table_name: str) -> None:
    table = spec.table
    attributes = {table.hash_key: "S", table.range_key: "S"}
    for index in table.indexes:
        attributes[index.hash_key] = "S"
        attributes[index.range_key] = index.range_type
    try:
        dynamodb.create_table(
            TableName=table_name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": t} for k, t in attributes.items()],
            KeySchema=[
                {"AttributeName": table.hash_key, "KeyType": "HASH"},
                {"AttributeName": table.range_key, "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": index.name,
                    "KeySchema": [
                        {"AttributeName": index.hash_key, "KeyType": "HASH"},
                        {"AttributeName": index.range_key, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in table.indexes
            ],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": table.stream_view_type},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise
    dynamodb.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute}
    )


def provision_bucket(s3: Any, spec: StackSpec, bucket: str, web_origins: list[str]) -> None:
    try:
        s3.create_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
            raise
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    cors = spec.cors
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedMethods": list(cors.allowed_methods),
                    "AllowedOrigins": web_origins,
                    "AllowedHeaders": list(cors.allowed_headers),
                    "ExposeHeaders": list(cors.expose_headers),
                    "MaxAgeSeconds": cors.max_age_seconds,
                }
            ]
        },
    )


def provision_queues(sqs: Any, spec: StackSpec, visibility_timeout: int | None = None) -> tuple[str, str]:
    queue = spec.queue
    dlq_url = sqs.create_queue(
        QueueName=names.DLQ_NAME,
        Attributes={
            "MessageRetentionPeriod": str(queue.dlq_retention_seconds),
            "VisibilityTimeout": str(queue.dlq_visibility_timeout),
        },
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName=names.QUEUE_NAME,
        Attributes={
            "VisibilityTimeout": str(visibility_timeout or queue.visibility_timeout),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count}),
        },
    )["QueueUrl"]
    return queue_url, dlq_url


def provision(
    endpoint_url: str,
    web_origins: list[str],
    spec: StackSpec = STACK,
    visibility_timeout: int | None = None,
) -> Provisioned:
    """`visibility_timeout` overrides the template's value only for tests that exercise redelivery."""
    provision_table(_client("dynamodb", endpoint_url), spec, names.TABLE_NAME)
    provision_bucket(_client("s3", endpoint_url), spec, names.BUCKET_NAME, web_origins)
    queue_url, dlq_url = provision_queues(_client("sqs", endpoint_url), spec, visibility_timeout)
    from local_stack.library_services import provision_deletions_queue

    provision_deletions_queue(_client("sqs", endpoint_url), spec)
    from local_stack.notify_services import provision_events_topic, provision_webhook_queue

    provision_webhook_queue(_client("sqs", endpoint_url), spec)
    provision_events_topic(_client("sns", endpoint_url))
    return Provisioned(names.TABLE_NAME, names.BUCKET_NAME, queue_url, dlq_url)


def run(argv: list[str] | None = None) -> Provisioned:
    """The command line's work; the embedded stack calls it in its own process with compose's arguments."""
    parser = argparse.ArgumentParser(description="Create the product's resources in the local AWS emulator.")
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--web-origin", action="append", default=[], help="allowed CORS origin (repeatable)")
    parser.add_argument("--visibility-timeout", type=int, default=None, help="tests only: faster redelivery")
    args = parser.parse_args(argv)
    origins = args.web_origin or ["http://127.0.0.1:8000", "http://localhost:8000"]
    return provision(args.endpoint_url, origins, visibility_timeout=args.visibility_timeout)


def main(argv: list[str] | None = None) -> None:
    print(json.dumps(run(argv).__dict__), flush=True)  # noqa: T201 - a CLI's output


if __name__ == "__main__":
    main()
