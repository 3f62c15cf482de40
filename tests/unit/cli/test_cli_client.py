"""ImgrecClient against the FAKE API over real loopback HTTP (the default standard-library transport)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from imgrec.client import AnalysisRequest, ImageSpec, ImgrecClient, RetryPolicy
from imgrec.errors import ApiError, TransportError, UploadRejected
from tests.unit.cli.fake_imgrec_api import JPEG_MAGIC, FakeImgrecApi

FAST = RetryPolicy(attempts=3, first_delay=0.0)


def _client(fake: FakeImgrecApi, token: str = "alice") -> ImgrecClient:
    return ImgrecClient(fake.api_url, token, retry=FAST, timeout=5)


def test_create_upload_submit_and_read_a_job(fake_api: FakeImgrecApi, tmp_path: Path) -> None:
    image = tmp_path / "a.jpg"
    image.write_bytes(JPEG_MAGIC + b"pixels")
    client = _client(fake_api)

    batch = client.create_batch([ImageSpec("a.jpg", "image/jpeg", 9)], AnalysisRequest(("LABELS", "TEXT")))
    client.upload(batch.jobs[0].upload, str(image), "image/jpeg")
    submitted = client.submit(batch.batch_id)
    job = client.get_job(batch.jobs[0].job_id).data

    assert submitted.queued == [batch.jobs[0].job_id]
    assert fake_api.objects[f"uploads/{batch.batch_id}/{batch.jobs[0].job_id}"] == image.read_bytes()
    assert job["status"] == "SUCCEEDED"
    assert job["results"]["text"][0]["DetectedText"] == "HELLO WORLD"
    assert client.submit(batch.batch_id).already_submitted == [batch.jobs[0].job_id]


def test_api_errors_surface_their_code_and_message(fake_api: FakeImgrecApi) -> None:
    client = _client(fake_api)
    with pytest.raises(ApiError) as caught:
        client.get_batch("b-unknown")
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        404,
        "NOT_FOUND",
        "no such batch",
    )


def test_another_callers_batch_is_not_found(fake_api: FakeImgrecApi) -> None:
    batch = _client(fake_api, "alice").create_batch([ImageSpec("a.jpg", "image/jpeg", 3)], AnalysisRequest())
    with pytest.raises(ApiError) as caught:
        _client(fake_api, "bob").get_batch(batch.batch_id)
    assert caught.value.status == 404


def test_5xx_answers_are_retried(fake_api: FakeImgrecApi) -> None:
    fake_api.fail_api_with_503 = 2
    batch = _client(fake_api).create_batch([ImageSpec("a.jpg", "image/jpeg", 3)], AnalysisRequest())
    assert batch.batch_id.startswith("b-")
    assert fake_api.count("create") == 1


def test_persistent_5xx_gives_up_with_the_api_error(fake_api: FakeImgrecApi) -> None:
    fake_api.fail_api_with_503 = 10
    with pytest.raises(ApiError) as caught:
        _client(fake_api).get_batch("b-x")
    assert caught.value.status == 503
    assert caught.value.is_transient


@pytest.mark.parametrize("warm", [False, True], ids=["new-connection", "kept-alive-connection"])
def test_a_create_whose_answer_is_lost_is_not_repeated_by_the_client(fake_api: FakeImgrecApi, warm: bool) -> None:
    client = _client(fake_api)
    if warm:
        client.health()  # the create goes out on a reused connection
    fake_api.drop_create_answers = 1
    with pytest.raises(TransportError):
        client.create_batch([ImageSpec("a.jpg", "image/jpeg", 3)], AnalysisRequest(), idempotency_key="key-1")
    assert len(fake_api.batches) == 1  # created once, never twice: the caller repeats it under its key

    again = client.create_batch([ImageSpec("a.jpg", "image/jpeg", 3)], AnalysisRequest(), idempotency_key="key-1")
    assert len(fake_api.batches) == 1
    assert again.batch_id in fake_api.batches


def test_pages_of_jobs_are_followed(fake_api: FakeImgrecApi) -> None:
    fake_api.page_size_cap = 7
    client = _client(fake_api)
    batch = client.create_batch([ImageSpec(f"{i}.jpg", "image/jpeg", 3) for i in range(30)], AnalysisRequest())
    assert [job["filename"] for job in client.iter_jobs(batch.batch_id)] == [f"{i}.jpg" for i in range(30)]
    assert fake_api.count("list") == 5


def test_uploads_retry_s3_throttling_and_report_refusals(fake_api: FakeImgrecApi, tmp_path: Path) -> None:
    image = tmp_path / "a.jpg"
    image.write_bytes(JPEG_MAGIC + b"x" * 100)
    client = _client(fake_api)
    batch = client.create_batch([ImageSpec("a.jpg", "image/jpeg", 103)], AnalysisRequest())
    sent: list[int] = []

    fake_api.fail_uploads_with_503 = 1
    client.upload(batch.jobs[0].upload, str(image), "image/jpeg", on_bytes=sent.append)
    assert fake_api.count("upload") == 1
    assert sum(sent) == 103  # the bytes of the refused attempt are taken back

    fake_api.max_upload_bytes = 10
    with pytest.raises(UploadRejected) as caught:
        client.upload(batch.jobs[0].upload, str(image), "image/jpeg")
    assert caught.value.code == "EntityTooLarge"


def test_an_unreachable_api_is_a_transport_error_without_the_token() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = ImgrecClient(f"http://127.0.0.1:{port}/api", "s3cr3t-token", retry=FAST, timeout=2)
    with pytest.raises(TransportError) as caught:
        client.health()
    assert caught.value.maybe_sent is False
    assert "s3cr3t" not in str(caught.value)
    assert "s3cr3t" not in repr(client)


def test_every_api_call_carries_the_bearer_token(fake_api: FakeImgrecApi) -> None:
    client = _client(fake_api, "carol")
    client.create_batch([ImageSpec("a.jpg", "image/jpeg", 3)], AnalysisRequest())
    assert fake_api.auth_headers == ["Bearer carol"]


def test_a_quota_429_is_explained_as_a_sentence_and_not_retried() -> None:
    from imgrec.cli import explain
    from imgrec.errors import ApiError

    quota = ApiError(429, "QUOTA_EXCEEDED", "this request would pass your quota of 10 images per day (UTC)", 7200)
    rate = ApiError(429, "RATE_LIMITED", "too many requests", 30)

    assert not quota.is_transient and rate.is_transient
    sentence = explain(quota, "http://127.0.0.1:8000/api")
    assert "usage limit" in sentence and "10 images per day" in sentence and "in 2 hours" in sentence
