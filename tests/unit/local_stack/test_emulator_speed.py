"""The emulator resolves backends from a list made once, not from the file system on every request."""

from __future__ import annotations

import os

import pytest
from moto import backends

from local_stack import emulator_speed


def test_the_backend_list_is_the_same_and_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    listed = list(backends.list_of_moto_modules())
    emulator_speed.install()

    def no_listing(path: str) -> list[str]:
        raise AssertionError(f"listed {path} again")

    monkeypatch.setattr(os, "listdir", no_listing)
    assert list(backends.list_of_moto_modules()) == listed
    assert {"s3", "sqs", "dynamodb"} <= set(listed)


def test_queue_attributes_read_as_before_and_one_lookup_does_not_count_the_messages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moto.sqs.models import Message, Queue

    emulator_speed.install()
    full = emulator_speed._QueueAttributes.full  # moto's own getter, kept by the patch
    fifo = Queue("jobs.fifo", "us-east-1", "123456789012", FifoQueue="true", ContentBasedDeduplication="true")
    standard = Queue("jobs", "us-east-1", "123456789012", VisibilityTimeout="30")
    standard.add_message(Message("m-1", "body"))

    assert dict(standard.attributes) == full(standard) and dict(fifo.attributes) == full(fifo)
    assert fifo.attributes.get("ContentBasedDeduplication") == full(fifo)["ContentBasedDeduplication"] == "true"
    assert standard.attributes.get("ContentBasedDeduplication") is None
    # The lookup SendMessage makes no longer walks the messages (the counts are what cost O(queue length)).
    monkeypatch.setattr(Queue, "approximate_number_of_messages_not_visible", property(lambda self: 1 / 0))
    assert standard.attributes.get("ContentBasedDeduplication") is None


def test_a_single_queue_attribute_is_read_without_counting_the_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """ReceiveMessage checks each message's retention period: that lookup must not walk the queue."""
    from moto.sqs.models import Message, Queue

    emulator_speed.install()
    full = emulator_speed._QueueAttributes.full
    queue = Queue("jobs", "us-east-1", "123456789012", MessageRetentionPeriod="600", VisibilityTimeout="30")
    queue.add_message(Message("m-1", "body"))
    expected = full(queue)
    assert {name: queue.attributes[name] for name in expected} == expected
    assert [name in queue.attributes for name in ("MessageRetentionPeriod", "FifoQueue", "Nope")] == [
        True,
        False,
        False,
    ]
    monkeypatch.setattr(Queue, "approximate_number_of_messages_not_visible", property(lambda self: 1 / 0))
    monkeypatch.setattr(Queue, "approximate_number_of_messages", property(lambda self: 1 / 0))
    assert queue.attributes["MessageRetentionPeriod"] == expected["MessageRetentionPeriod"] == 600
    with pytest.raises(KeyError):
        queue.attributes["FifoQueue"]
    with pytest.raises(ZeroDivisionError):  # a count still counts
        queue.attributes["ApproximateNumberOfMessages"]


def test_stream_records_read_the_same_through_the_fast_answer() -> None:
    """GetRecords answered without moto's serializer parses, through botocore, to exactly what it did."""
    import boto3
    from moto import mock_aws
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    emulator_speed.install()
    fast = DynamoDBStreamsHandler.get_records
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        arn = dynamodb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]["LatestStreamArn"]
        item = {
            "pk": {"S": "JOB#é"},
            "sk": {"N": "1"},
            "n": {"N": "12.5"},
            "b": {"B": b"\x00\xff"},
            "m": {"M": {"l": {"L": [{"S": "x"}, {"BOOL": True}, {"NULL": True}]}, "ss": {"SS": ["a", "b"]}}},
        }
        dynamodb.put_item(TableName="t", Item=item)
        dynamodb.put_item(TableName="t", Item={**item, "n": {"N": "13"}})
        dynamodb.delete_item(TableName="t", Key={"pk": item["pk"], "sk": item["sk"]})
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]

        def read() -> list[dict[str, object]]:
            iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
            return streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=10)["Records"]

        quick = read()
        DynamoDBStreamsHandler.get_records = fast._imgrec_original  # type: ignore[attr-defined,method-assign]
        try:
            slow = read()
        finally:
            DynamoDBStreamsHandler.get_records = fast  # type: ignore[method-assign]
    assert [r["eventName"] for r in quick] == ["INSERT", "MODIFY", "REMOVE"]
    assert quick == slow
