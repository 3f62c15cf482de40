from __future__ import annotations

import base64
import json

from local_stack.recognizer.backends.stub import StubBackend
from local_stack.recognizer.errors import InvalidS3ObjectError
from local_stack.recognizer.operations import S3Location
from local_stack.recognizer.service import RecognitionService
from local_stack.recognizer.throttle import ApiQuota

from .images import encoded


class InMemoryImages:
    def __init__(self, objects: dict[tuple[str, str], bytes]) -> None:
        self.objects = objects

    def read(self, location: S3Location, max_bytes: int) -> bytes:
        try:
            return self.objects[(location.bucket, location.name)]
        except KeyError:
            raise InvalidS3ObjectError("no such object") from None


def body(**payload: object) -> bytes:
    return json.dumps(payload).encode()


def inline(data: bytes) -> dict:
    return {"Bytes": base64.b64encode(data).decode()}


def service(**kwargs: object) -> RecognitionService:
    return RecognitionService(StubBackend(), InMemoryImages({("b", "cat.jpg"): encoded(300, 200)}), **kwargs)  # type: ignore[arg-type]


def test_labels_from_inline_bytes_and_from_s3_agree() -> None:
    status_inline, from_bytes = service().handle(
        "RekognitionService.DetectLabels", body(Image=inline(encoded(300, 200)))
    )
    status_s3, from_s3 = service().handle(
        "RekognitionService.DetectLabels", body(Image={"S3Object": {"Bucket": "b", "Name": "cat.jpg"}})
    )
    assert status_inline == status_s3 == 200
    assert from_bytes == from_s3


def test_errors_come_back_as_rekognition_error_bodies() -> None:
    cases = {
        ("RekognitionService.DetectFaces", body(Image=inline(encoded(60, 60)))): "InvalidParameterException",
        (
            "RekognitionService.DetectFaces",
            body(Image=inline(encoded(200, 200, "WEBP"))),
        ): "InvalidImageFormatException",
        (
            "RekognitionService.DetectText",
            body(Image={"S3Object": {"Bucket": "b", "Name": "gone"}}),
        ): "InvalidS3ObjectException",
        ("RekognitionService.DeleteEverything", body()): "UnknownOperationException",
        (None, body()): "UnknownOperationException",
        ("RekognitionService.DetectText", b"{not json"): "SerializationException",
    }
    for (target, payload), error_type in cases.items():
        status, answer = service().handle(target, payload)
        assert (status, answer["__type"]) == (400, error_type)


def test_latency_is_added_to_each_call() -> None:
    slept: list[float] = []
    slow = service(latency_ms=250, sleep=slept.append)
    slow.handle("RekognitionService.DetectLabels", body(Image=inline(encoded())))
    assert slept == [0.25]


def test_over_quota_calls_are_throttled_per_api() -> None:
    limited = service(quota=ApiQuota(1))
    payload = body(Image=inline(encoded()))
    assert limited.handle("RekognitionService.DetectLabels", payload)[0] == 200
    status, answer = limited.handle("RekognitionService.DetectLabels", payload)
    assert (status, answer["__type"]) == (400, "ProvisionedThroughputExceededException")
    assert limited.handle("RekognitionService.DetectText", payload)[0] == 200


def test_a_backend_defect_is_an_internal_error_not_a_crash() -> None:
    class Broken(StubBackend):
        def faces(self, image):  # type: ignore[no-untyped-def]
            raise RuntimeError("model exploded")

    broken = RecognitionService(Broken(), InMemoryImages({}))
    status, answer = broken.handle("RekognitionService.DetectFaces", body(Image=inline(encoded())))
    assert (status, answer["__type"]) == (500, "InternalServerError")


def test_image_properties_are_measured_from_the_pixels() -> None:
    dark = body(Image=inline(encoded(color=(10, 10, 10))), Features=["IMAGE_PROPERTIES"])
    bright = body(Image=inline(encoded(color=(250, 250, 250))), Features=["IMAGE_PROPERTIES"])
    _, dark_answer = service().handle("RekognitionService.DetectLabels", dark)
    _, bright_answer = service().handle("RekognitionService.DetectLabels", bright)
    assert "Labels" not in dark_answer
    assert dark_answer["ImageProperties"]["Quality"]["Brightness"] < 10
    assert bright_answer["ImageProperties"]["Quality"]["Brightness"] > 90
    assert bright_answer["ImageProperties"]["DominantColors"][0]["PixelPercent"] > 90
