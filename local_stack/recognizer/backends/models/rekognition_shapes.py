"""Model outputs → Rekognition's JSON shapes (FaceDetail, TextDetection, ModerationLabel). Pure numpy."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..geometry import clamp01, relative_box
from .faces import DetectedFace
from .text import OcrLine, Polygon

Json = dict[str, Any]
LANDMARK_TYPES = ("eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight")
# Below this open_nsfw probability no moderation candidate is produced at all.
NUDITY_FLOOR = 0.2


def face_detail(face: DetectedFace, gray: np.ndarray) -> Json:
    """A DetectFaces FaceDetail. Pose is a rough geometric estimate from the five landmarks; Quality is
    measured on the face's pixels. Age, gender, emotions and the like are not estimated (no offline model)."""
    height, width = gray.shape[:2]
    x1, y1, x2, y2 = face.box
    box = relative_box(x1 / width, y1 / height, (x2 - x1) / width, (y2 - y1) / height)
    landmarks = [
        {"Type": kind, "X": round(clamp01(x / width), 6), "Y": round(clamp01(y / height), 6)}
        for kind, (x, y) in zip(LANDMARK_TYPES, face.points, strict=True)
    ]
    return {
        "BoundingBox": box,
        "Landmarks": landmarks,
        "Pose": _pose(face.points),
        "Quality": _quality(gray, face.box),
        "Confidence": round(100.0 * face.score, 3),
    }


def _pose(points: Sequence[tuple[float, float]]) -> Json:
    (lx, ly), (rx, ry), (nx, ny), (_mlx, mly), (_mrx, mry) = points
    eye_x, eye_y = (lx + rx) / 2, (ly + ry) / 2
    mouth_y = (mly + mry) / 2
    half_eye_distance = max(1e-6, math.hypot(rx - lx, ry - ly) / 2)
    roll = math.degrees(math.atan2(ry - ly, rx - lx))
    yaw = 60.0 * max(-1.0, min(1.0, (nx - eye_x) / half_eye_distance))
    # On a frontal face the nose tip sits about halfway between the eye line and the mouth.
    ratio = (ny - eye_y) / max(1e-6, mouth_y - eye_y)
    pitch = max(-60.0, min(60.0, (0.5 - ratio) * 120.0))
    return {"Roll": round(roll, 3), "Yaw": round(yaw, 3), "Pitch": round(pitch, 3)}


def _quality(gray: np.ndarray, box: tuple[float, float, float, float]) -> Json:
    import cv2

    height, width = gray.shape[:2]
    x1, y1 = max(0, int(box[0])), max(0, int(box[1]))
    x2, y2 = min(width, int(box[2]) + 1), min(height, int(box[3]) + 1)
    crop = gray[y1:y2, x1:x2]
    if crop.size == 0:
        return {"Brightness": 0.0, "Sharpness": 0.0}
    sharpness_variance = float(cv2.Laplacian(crop, cv2.CV_64F).var())
    return {
        "Brightness": round(100.0 * float(crop.mean()) / 255.0, 3),
        "Sharpness": round(100.0 * (1.0 - math.exp(-sharpness_variance / 500.0)), 3),
    }


def _geometry(polygon: Polygon, width: int, height: int) -> Json:
    xs = [clamp01(x / width) for x, _ in polygon]
    ys = [clamp01(y / height) for _, y in polygon]
    box = relative_box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
    return {
        "BoundingBox": box,
        "Polygon": [{"X": round(x, 6), "Y": round(y, 6)} for x, y in zip(xs, ys, strict=True)],
    }


def text_detections(lines: Sequence[OcrLine], width: int, height: int) -> list[Json]:
    """LINEs first, then WORDs pointing at their line, as Rekognition orders them."""
    line_items: list[Json] = []
    word_items: list[Json] = []
    for line_id, line in enumerate(lines):
        line_items.append(
            {
                "DetectedText": line.text,
                "Type": "LINE",
                "Id": line_id,
                "Confidence": round(100.0 * line.score, 3),
                "Geometry": _geometry(line.polygon, width, height),
            }
        )
        for word in line.words:
            word_items.append(
                {
                    "DetectedText": word.text,
                    "Type": "WORD",
                    "Id": -1,
                    "ParentId": line_id,
                    "Confidence": round(100.0 * word.score, 3),
                    "Geometry": _geometry(word.polygon, width, height),
                }
            )
    for offset, item in enumerate(word_items):
        item["Id"] = len(line_items) + offset
    return line_items + word_items


def moderation_labels(nsfw_probability: float) -> list[Json]:
    """open_nsfw says only "nudity or not": mapped to Rekognition's Explicit → Explicit Nudity."""
    if nsfw_probability < NUDITY_FLOOR:
        return []
    confidence = round(100.0 * nsfw_probability, 3)
    return [
        {"Confidence": confidence, "Name": "Explicit", "ParentName": "", "TaxonomyLevel": 1},
        {"Confidence": confidence, "Name": "Explicit Nudity", "ParentName": "Explicit", "TaxonomyLevel": 2},
    ]
