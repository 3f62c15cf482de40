"""Text search on real OCR: a sign rendered with Pillow's font goes through the whole pipeline with the
`models` recognizer (the stub's text says nothing true about an image), and searching for one of its
words finds it, whatever the letter case, and nothing else of the caller's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from local_stack.recognizer import RecognizerServer
from tests.integration.recognizer.test_models_photos import sign
from tests.support.api import ApiClient
from tests.support.images import photo_like


@pytest.mark.slow
def test_a_word_read_from_a_rendered_sign_finds_the_sign(
    stack: Any, models_server: RecognizerServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker opens its Rekognition client per invocation from the environment, as in Lambda.
    monkeypatch.setenv("AWS_ENDPOINT_URL_REKOGNITION", models_server.url)
    client = ApiClient(stack.api_url, token=f"ocr-{uuid.uuid4().hex[:8]}")
    images = [("sign.jpg", sign(["OPEN DAILY", "FRESH COFFEE"])), ("plain.jpg", photo_like(seed=5))]

    batch_id, jobs = client.analyze(images, features=["TEXT"])
    client.wait_indexed(batch_id, 2)
    by_name = {job["filename"]: job["jobId"] for job in jobs}

    coffee, _ = client.search_all(text="coffee")
    daily, _ = client.search_all(text="Daily")
    absent, _ = client.search_all(text="tea")
    stats = client.request("GET", "/stats").json()

    assert [hit["jobId"] for hit in coffee] == [by_name["sign.jpg"]]
    assert [hit["jobId"] for hit in daily] == [by_name["sign.jpg"]]
    assert absent == []
    assert stats["imagesWithText"] == 1
