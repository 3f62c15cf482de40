"""Images people actually send, through the whole embedded stack: what Rekognition cannot take as-is is
normalized and succeeds; what nobody can read fails after one attempt with the code that says why."""

from __future__ import annotations

from typing import Any

import pytest

from local_stack.names import BUCKET_NAME
from tests.fixtures.corpus import STORED_SIZE, sample
from tests.support.api import ApiClient
from tests.support.rekognition_shapes import shape_errors

WIDTH, HEIGHT = STORED_SIZE


def test_heic_rotated_jpeg_and_cmyk_jpeg_all_succeed(api: ApiClient) -> None:
    names = ["heic", "heic_rotated", "jpeg_orientation_6", "cmyk_plain_jpeg", "cmyk_adobe_jpeg", "png_rgba"]

    _, jobs = api.analyze([(f"{name}.bin", sample(name)) for name in names], features=["LABELS", "FACES"])

    by_name = {job["filename"].removesuffix(".bin"): job for job in jobs}
    assert {name: job["status"] for name, job in by_name.items()} == dict.fromkeys(names, "SUCCEEDED")
    assert all(shape_errors(job["results"]) == [] for job in jobs)
    assert by_name["heic"]["original"]["format"] == "HEIF"
    # Rotated sources: Rekognition saw (and the boxes refer to) the upright image, so width and height swap.
    for name in ("heic_rotated", "jpeg_orientation_6"):
        assert (by_name[name]["image"]["width"], by_name[name]["image"]["height"]) == (HEIGHT, WIDTH), name
    assert (by_name["heic"]["image"]["width"], by_name["heic"]["image"]["height"]) == (WIDTH, HEIGHT)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("jpeg_truncated", "DECODE_ERROR"),
        ("png_bad_crc", "DECODE_ERROR"),
        ("random_bytes", "UNSUPPORTED_FORMAT"),
        ("text_named_jpg", "UNSUPPORTED_FORMAT"),
        ("svg", "UNSUPPORTED_FORMAT"),
        ("pdf", "UNSUPPORTED_FORMAT"),
        ("png_claims_100000x100000", "TOO_MANY_PIXELS"),
        ("narrow_79x300", "TOO_SMALL"),
    ],
)
def test_broken_uploads_fail_with_their_code_after_one_attempt(api: ApiClient, name: str, code: str) -> None:
    _, [job] = api.analyze([(f"{name}.jpg", sample(name))])

    assert job["status"] == "FAILED"
    assert job["error"]["code"] == code and job["error"]["message"]
    assert job["attempts"] == 1 and job["results"] is None


def test_an_empty_upload_is_empty_file(stack: Any, api: ApiClient) -> None:
    # The presigned POST policy refuses zero bytes (content-length-range starts at 1), in AWS and in the
    # emulator: the object is written behind the form's back, as any other way an empty object could appear.
    created = api.create_batch([("empty.jpg", b"")])
    slot = created["jobs"][0]
    stack.client("s3").put_object(Bucket=BUCKET_NAME, Key=slot["upload"]["fields"]["key"], Body=b"")

    api.submit(created["batchId"])

    job = api.wait_job(slot["jobId"])
    assert job["status"] == "FAILED" and job["error"]["code"] == "EMPTY_FILE"
