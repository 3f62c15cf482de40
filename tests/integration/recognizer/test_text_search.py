"""Text search on real OCR: a sign rendered with Pillow's font goes through the whole pipeline with the
`models` recognizer (the stub's text says nothing true about an image), and searching for one of its
words finds it, whatever the letter case, and nothing else of the caller's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from local_stack.recognizer import RecognizerServer
from tests.integration.recognizer.test_models_photos import sign
from tests.integration.test_worker_delivery import sqs_event
from tests.support.api import ApiClient
from tests.support.images import photo_like
from worker.handle_jobs import handle_batch
from worker.runtime import ExecutionEnvironment


@pytest.mark.slow
def test_a_word_read_from_a_rendered_sign_finds_the_sign(
    stack: Any, models_server: RecognizerServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stack's workers answer with the stub: these jobs are uploaded but not submitted, and processed
    # here by the real handler in an execution environment of its own whose Rekognition is the models server.
    monkeypatch.setenv("AWS_ENDPOINT_URL_REKOGNITION", models_server.url)
    client = ApiClient(stack.api_url, token=f"ocr-{uuid.uuid4().hex[:8]}")
    images = [("sign.jpg", sign(["OPEN DAILY", "FRESH COFFEE"])), ("plain.jpg", photo_like(seed=5))]
    created = client.create_batch(images, features=["TEXT"])
    for slot, (_, data) in zip(created["jobs"], images, strict=True):
        client.upload(slot, data)
    batch_id = created["batchId"]
    records = [sqs_event(batch_id, slot["jobId"])["Records"][0] for slot in created["jobs"]]
    environment = ExecutionEnvironment()
    try:
        answer = environment.run(handle_batch({"Records": records}, environment.invocation))
    finally:
        environment.close()
    assert answer == {"batchItemFailures": []}
    client.wait_indexed(batch_id, 2)
    by_name = {slot["filename"]: slot["jobId"] for slot in created["jobs"]}

    coffee, _ = client.search_all(text="coffee")
    daily, _ = client.search_all(text="Daily")
    absent, _ = client.search_all(text="tea")
    stats = client.request("GET", "/stats").json()

    assert [hit["jobId"] for hit in coffee] == [by_name["sign.jpg"]]
    assert [hit["jobId"] for hit in daily] == [by_name["sign.jpg"]]
    assert absent == []
    assert stats["imagesWithText"] == 1
