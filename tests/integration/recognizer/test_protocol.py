"""The endpoint as boto3 sees it: answers fit botocore's shapes; errors are Rekognition's classes."""

from __future__ import annotations

import io
import json
import urllib.request
import uuid
from typing import Any

import boto3
import pytest
from PIL import Image

from local_stack.recognizer import RecognizerServer

from .conftest import CREDENTIALS, assert_valid_response, jpeg, rekognition_client

OPERATIONS = {
    "DetectLabels": (
        "detect_labels",
        {"MinConfidence": 0, "Features": ["GENERAL_LABELS", "IMAGE_PROPERTIES"]},
    ),
    "DetectFaces": ("detect_faces", {"Attributes": ["ALL"]}),
    "DetectText": ("detect_text", {}),
    "DetectModerationLabels": ("detect_moderation_labels", {"MinConfidence": 0}),
}


def test_every_response_validates_against_botocore_shapes(
    any_server: RecognizerServer, photos: dict[str, bytes]
) -> None:
    client = rekognition_client(any_server.url)
    for data in photos.values():
        for operation, (method, extra) in OPERATIONS.items():
            response = getattr(client, method)(Image={"Bytes": data}, **extra)
            assert_valid_response(operation, response)
            default = getattr(client, method)(Image={"Bytes": data})
            assert_valid_response(operation, default)


def test_health_reports_the_backend_in_use(stub_server: RecognizerServer) -> None:
    with urllib.request.urlopen(f"{stub_server.url}/health", timeout=5) as response:
        assert json.loads(response.read()) == {"status": "ok", "backend": "stub"}
    assert stub_server.backend_name == "stub"


def encoded(width: int, height: int, image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, image_format)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "exception"),
    [
        (encoded(200, 200, "WEBP"), "InvalidImageFormatException"),
        (encoded(60, 60, "JPEG"), "InvalidParameterException"),
        (encoded(200, 200, "PNG") + b"\0" * (6 * 1024 * 1024), "ImageTooLargeException"),
    ],
    ids=["webp", "60x60", "6MB"],
)
def test_bad_images_raise_rekognitions_exception_classes(
    stub_server: RecognizerServer, data: bytes, exception: str
) -> None:
    client = rekognition_client(stub_server.url, retries={"total_max_attempts": 1})
    with pytest.raises(getattr(client.exceptions, exception)):
        client.detect_labels(Image={"Bytes": data})


def test_s3_images_are_read_and_missing_ones_are_invalid_s3_objects(
    stub_server: RecognizerServer, s3_endpoint: str, photos: dict[str, bytes]
) -> None:
    s3: Any = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)
    bucket = f"images-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="uploads/cat.jpg", Body=photos["chelsea"])
    client = rekognition_client(stub_server.url, retries={"total_max_attempts": 1})

    from_s3 = client.detect_labels(Image={"S3Object": {"Bucket": bucket, "Name": "uploads/cat.jpg"}})
    inline = client.detect_labels(Image={"Bytes": photos["chelsea"]})
    assert from_s3["Labels"] == inline["Labels"]

    with pytest.raises(client.exceptions.InvalidS3ObjectException):
        client.detect_faces(Image={"S3Object": {"Bucket": bucket, "Name": "uploads/missing.jpg"}})
    with pytest.raises(client.exceptions.InvalidS3ObjectException):
        client.detect_text(Image={"S3Object": {"Bucket": "no-such-bucket-here", "Name": "x.jpg"}})


def test_parameters_are_honoured_end_to_end(stub_server: RecognizerServer) -> None:
    client = rekognition_client(stub_server.url)
    data = jpeg(Image.new("RGB", (640, 480), (90, 140, 30)))
    everything = client.detect_labels(Image={"Bytes": data}, MinConfidence=0)["Labels"]
    assert len(everything) > 1
    top = client.detect_labels(Image={"Bytes": data}, MinConfidence=0, MaxLabels=1)["Labels"]
    assert top == everything[:1]
    with pytest.raises(client.exceptions.InvalidParameterException):
        client.detect_labels(Image={"Bytes": data}, MinConfidence=150)


def test_a_request_body_over_the_transport_limit_is_still_image_too_large(stub_server: RecognizerServer) -> None:
    client = rekognition_client(stub_server.url, retries={"total_max_attempts": 1})
    huge = encoded(200, 200, "PNG") + b"\0" * (13 * 1024 * 1024)  # 17 MB once base64-encoded
    with pytest.raises(client.exceptions.ImageTooLargeException):
        client.detect_labels(Image={"Bytes": huge})


def test_boto3_finds_the_endpoint_from_the_environment(
    stub_server: RecognizerServer, photos: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_REKOGNITION", stub_server.url)
    client: Any = boto3.session.Session().client("rekognition", **CREDENTIALS)
    assert client.meta.endpoint_url == stub_server.url
    assert_valid_response("DetectText", client.detect_text(Image={"Bytes": photos["coffee"]}))
