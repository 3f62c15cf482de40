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
