"""The models backend says true things about real photos (scikit-image's public-domain samples)."""

from __future__ import annotations

from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from local_stack.recognizer import RecognizerServer

from .conftest import jpeg, rekognition_client


def labels_by_name(server: RecognizerServer, data: bytes, **params: Any) -> dict[str, dict[str, Any]]:
    response = rekognition_client(server.url).detect_labels(Image={"Bytes": data}, **params)
    return {label["Name"]: label for label in response["Labels"]}


def test_the_cat_is_a_cat_with_an_animal_parent(models_server: RecognizerServer, photos: dict[str, bytes]) -> None:
    labels = labels_by_name(models_server, photos["chelsea"])
    assert "Cat" in labels
    assert {"Name": "Animal"} in labels["Cat"]["Parents"]
    assert "Person" not in labels


def test_the_coffee_is_a_cup_or_beverage(models_server: RecognizerServer, photos: dict[str, bytes]) -> None:
    labels = labels_by_name(models_server, photos["coffee"])
    assert {"Cup", "Beverage", "Coffee"} & set(labels)
    assert "Cat" not in labels


def test_the_astronaut_has_exactly_one_face_with_landmarks_and_a_person_label(
    models_server: RecognizerServer, photos: dict[str, bytes]
) -> None:
    faces = rekognition_client(models_server.url).detect_faces(Image={"Bytes": photos["astronaut"]})["FaceDetails"]
    assert len(faces) == 1
    face = faces[0]
    landmarks = {landmark["Type"]: landmark for landmark in face["Landmarks"]}
    assert set(landmarks) == {"eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight"}
    # The eyes sit above the nose, the nose above the mouth, all inside the face box.
    assert landmarks["eyeLeft"]["Y"] < landmarks["nose"]["Y"] < landmarks["mouthLeft"]["Y"]
    assert landmarks["eyeLeft"]["X"] < landmarks["eyeRight"]["X"]
    box = face["BoundingBox"]
    for point in landmarks.values():
        assert box["Left"] <= point["X"] <= box["Left"] + box["Width"]
        assert box["Top"] <= point["Y"] <= box["Top"] + box["Height"]
    labels = labels_by_name(models_server, photos["astronaut"])
    assert "Person" in labels
    assert [instance["BoundingBox"] for instance in labels["Face"]["Instances"]] == [box]


def test_no_faces_on_the_cat_or_the_coffee(models_server: RecognizerServer, photos: dict[str, bytes]) -> None:
    client = rekognition_client(models_server.url)
    for name in ("chelsea", "coffee"):
        assert client.detect_faces(Image={"Bytes": photos[name]})["FaceDetails"] == []


def test_no_moderation_labels_on_ordinary_photos(models_server: RecognizerServer, photos: dict[str, bytes]) -> None:
    client = rekognition_client(models_server.url)
    for data in photos.values():
        assert client.detect_moderation_labels(Image={"Bytes": data})["ModerationLabels"] == []


def sign(lines: list[str]) -> bytes:
    """A sign rendered with the font that ships inside Pillow, at a size OCR reads comfortably."""
    image = Image.new("RGB", (720, 120 + 110 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=72)
    for row, text in enumerate(lines):
        draw.text((40, 50 + 110 * row), text, fill="black", font=font)
    return jpeg(image)


@pytest.mark.slow
def test_a_rendered_sign_reads_back_its_words(models_server: RecognizerServer) -> None:
    client = rekognition_client(models_server.url)
    data = sign(["OPEN DAILY", "FRESH COFFEE"])
    detections = client.detect_text(Image={"Bytes": data})["TextDetections"]
    lines = [item["DetectedText"] for item in detections if item["Type"] == "LINE"]
    words = [item["DetectedText"] for item in detections if item["Type"] == "WORD"]
    assert lines == ["OPEN DAILY", "FRESH COFFEE"]
    assert words == ["OPEN", "DAILY", "FRESH", "COFFEE"]
    line_ids = {item["Id"] for item in detections if item["Type"] == "LINE"}
    assert all(item["ParentId"] in line_ids for item in detections if item["Type"] == "WORD")
    assert "Text" in labels_by_name(models_server, data)
