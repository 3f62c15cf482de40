"""Text search on real OCR: a sign rendered with Pillow's font goes through the whole pipeline with the
`models` recognizer (the stub's text says nothing true about an image), and searching for one of its
words finds it, whatever the letter case, and nothing else of the caller's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_stack.embedded import EmbeddedStack, StackOptions
from local_stack.recognizer import RecognizerConfig
from tests.integration.recognizer.test_models_photos import sign
from tests.support.api import ApiClient
from tests.support.images import photo_like


@pytest.fixture(scope="module")
def models_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    """A stack of its own whose local Rekognition runs the models: the worker is a process of the stack (a
    Lambda execution environment), so only the stack's settings choose its recognizer, and Rekognition
    reads the image from that stack's bucket."""
    stack = EmbeddedStack(
        StackOptions(
            api_port=0,
            aws_port=0,
            recognizer_port=0,
            socket_port=0,
            recognizer=RecognizerConfig(backend="models"),
            worker_processes=1,
            rate_limit=1_000_000,
            log_dir=Path(tmp_path_factory.mktemp("models-stack-logs")),
            export_environment=False,
        )
    ).start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.mark.slow
def test_a_word_read_from_a_rendered_sign_finds_the_sign(models_stack: EmbeddedStack) -> None:
    client = ApiClient(models_stack.api_url, token=f"ocr-{uuid.uuid4().hex[:8]}")
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
