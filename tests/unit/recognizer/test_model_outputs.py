"""Pure conversions from model outputs to Rekognition's shapes (numpy only, no model loaded)."""

from __future__ import annotations

import numpy as np
import pytest

from local_stack.recognizer.backends.models.faces import DetectedFace, _nms, _square
from local_stack.recognizer.backends.models.rekognition_shapes import face_detail, moderation_labels, text_detections
from local_stack.recognizer.backends.models.text import OcrLine, OcrWord


def rectangle(x1: float, y1: float, x2: float, y2: float) -> tuple[tuple[float, float], ...]:
    return ((x1, y1), (x2, y1), (x2, y2), (x1, y2))


def test_text_lines_come_first_and_words_point_at_their_line() -> None:
    lines = [
        OcrLine(
            "OPEN DAILY",
            0.99,
            rectangle(20, 10, 180, 40),
            (OcrWord("OPEN", 0.98, rectangle(20, 10, 90, 40)), OcrWord("DAILY", 0.97, rectangle(100, 10, 180, 40))),
        ),
        OcrLine("EXIT", 0.9, rectangle(20, 60, 80, 90), (OcrWord("EXIT", 0.9, rectangle(20, 60, 80, 90)),)),
    ]
    items = text_detections(lines, width=200, height=100)
    assert [(item["Type"], item["Id"], item.get("ParentId")) for item in items] == [
        ("LINE", 0, None),
        ("LINE", 1, None),
        ("WORD", 2, 0),
        ("WORD", 3, 0),
        ("WORD", 4, 1),
    ]
    assert items[0]["Geometry"]["BoundingBox"] == {"Width": 0.8, "Height": 0.3, "Left": 0.1, "Top": 0.1}
    assert items[0]["Confidence"] == 99.0


def test_a_level_face_looking_ahead_has_a_near_zero_pose() -> None:
    face = DetectedFace(
        box=(40, 40, 160, 180), score=0.999, points=((70, 90), (130, 90), (100, 120), (75, 150), (125, 150))
    )
    detail = face_detail(face, np.full((200, 200), 128, dtype=np.uint8))
    assert detail["Pose"]["Roll"] == pytest.approx(0, abs=1)
    assert detail["Pose"]["Yaw"] == pytest.approx(0, abs=1)
    assert abs(detail["Pose"]["Pitch"]) < 10
    assert [landmark["Type"] for landmark in detail["Landmarks"]] == [
        "eyeLeft",
        "eyeRight",
        "nose",
        "mouthLeft",
        "mouthRight",
    ]
    assert detail["Landmarks"][0] == {"Type": "eyeLeft", "X": 0.35, "Y": 0.45}
    assert detail["Quality"]["Brightness"] == pytest.approx(50.2, abs=0.1)
    assert detail["Quality"]["Sharpness"] == 0.0  # a flat grey face has no edges at all


def test_a_tilted_face_has_roll_and_a_turned_face_has_yaw() -> None:
    tilted = DetectedFace((0, 0, 200, 200), 0.99, ((60, 80), (140, 120), (100, 130), (70, 160), (130, 170)))
    turned = DetectedFace((0, 0, 200, 200), 0.99, ((60, 90), (140, 90), (130, 120), (75, 150), (125, 150)))
    gray = np.zeros((200, 200), dtype=np.uint8)
    assert face_detail(tilted, gray)["Pose"]["Roll"] == pytest.approx(26.565, abs=0.01)
    assert face_detail(turned, gray)["Pose"]["Yaw"] > 30


def test_nudity_maps_to_explicit_only_above_the_floor() -> None:
    assert moderation_labels(0.05) == []
    labels = moderation_labels(0.9)
    assert [(label["Name"], label["ParentName"], label["TaxonomyLevel"]) for label in labels] == [
        ("Explicit", "", 1),
        ("Explicit Nudity", "Explicit", 2),
    ]
    assert labels[1]["Confidence"] == 90.0


def test_nms_keeps_the_best_of_overlapping_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10, 0.9], [1, 1, 11, 11, 0.95], [50, 50, 60, 60, 0.5]], dtype=np.float64)
    assert sorted(_nms(boxes, 0.5).tolist()) == [1, 2]
    assert _nms(np.empty((0, 5)), 0.5).size == 0


def test_square_keeps_the_centre_and_takes_the_longer_side() -> None:
    squared = _square(np.array([[10.0, 20.0, 30.0, 60.0, 0.9]]))
    assert squared[0, :4].tolist() == [0.0, 20.0, 40.0, 60.0]
