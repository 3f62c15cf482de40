from __future__ import annotations

import botocore.session
import pytest
from botocore.validate import ParamValidator

from local_stack.recognizer.backends.stub import StubBackend
from local_stack.recognizer.image_input import load_image

from .images import encoded

MODEL = botocore.session.get_session().get_service_model("rekognition")
IMAGES = [load_image(encoded(120 + 7 * seed, 90 + 13 * seed, color=(seed * 9 % 256, 40, 80))) for seed in range(40)]


def validate(operation: str, member: str, items: list) -> None:
    report = ParamValidator().validate({member: items}, MODEL.operation_model(operation).output_shape)
    assert not report.has_errors(), report.generate_report()


def test_every_stub_answer_fits_rekognitions_shapes() -> None:
    backend = StubBackend()
    for image in IMAGES:
        validate("DetectLabels", "Labels", backend.labels(image))
        validate("DetectFaces", "FaceDetails", backend.faces(image))
        validate("DetectText", "TextDetections", backend.text(image))
        validate("DetectModerationLabels", "ModerationLabels", backend.moderation(image))


def test_same_bytes_same_answer_and_different_bytes_differ() -> None:
    backend = StubBackend()
    again = load_image(IMAGES[3].data)
    assert backend.labels(IMAGES[3]) == backend.labels(again)
    assert backend.faces(IMAGES[3]) == backend.faces(again)
    answers = {repr(backend.labels(image)) for image in IMAGES}
    assert len(answers) > len(IMAGES) // 2


def test_the_stub_varies_faces_text_and_moderation_across_images() -> None:
    backend = StubBackend()
    face_counts = {len(backend.faces(image)) for image in IMAGES}
    assert face_counts == {0, 1, 2}
    assert any(backend.text(image) for image in IMAGES)
    assert any(backend.moderation(image) for image in IMAGES)
    assert any(label["Instances"] for image in IMAGES for label in backend.labels(image) if label["Name"] != "Face")


def test_person_and_face_labels_follow_the_stub_faces() -> None:
    backend = StubBackend()
    for image in IMAGES:
        names = {label["Name"] for label in backend.labels(image)}
        faces = backend.faces(image)
        assert ("Person" in names) == bool(faces)
        if faces:
            face_label = next(label for label in backend.labels(image) if label["Name"] == "Face")
            assert len(face_label["Instances"]) == len(faces)


@pytest.mark.parametrize("image", IMAGES[:10])
def test_boxes_are_relative_and_inside_the_image(image) -> None:  # type: ignore[no-untyped-def]
    backend = StubBackend()
    boxes = [face["BoundingBox"] for face in backend.faces(image)]
    boxes += [item["Geometry"]["BoundingBox"] for item in backend.text(image)]
    for box in boxes:
        assert 0 <= box["Left"] <= 1 and 0 <= box["Top"] <= 1
        assert box["Left"] + box["Width"] <= 1 + 1e-6 and box["Top"] + box["Height"] <= 1 + 1e-6
