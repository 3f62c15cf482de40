"""The `stub` backend: fast, deterministic answers derived from a hash of the image bytes.

Its labels, faces, text and moderation labels look plausible and always validate against Rekognition's
shapes, but they say NOTHING true about the picture. It exists for tests and load runs of the pipeline.
The same bytes always give the same answer; the image's real dimensions keep boxes well proportioned.
"""

from __future__ import annotations

import random
from typing import Any

from ..image_input import ImageInput
from ..label_fusion import face_labels, text_label
from ..taxonomy import load_taxonomy, merge_labels
from .geometry import box_polygon, clamp01, relative_box

Json = dict[str, Any]

_WORDS = ("OPEN", "EXIT", "SALE", "CAFE", "STOP", "PARKING", "NO", "ENTRY", "MAIN", "STREET", "LOCAL", "STUB")
_EMOTIONS = ("HAPPY", "SAD", "ANGRY", "CONFUSED", "DISGUSTED", "SURPRISED", "CALM", "FEAR")
# Rekognition's moderation taxonomy (version 7): a top-level category and one of its children.
_MODERATION = (
    ("Alcohol", "Alcoholic Beverages"),
    ("Swimwear or Underwear", "Female Swimwear or Underwear"),
    ("Rude Gestures", "Middle Finger"),
    ("Drugs & Tobacco", "Smoking"),
)


def _rng(image: ImageInput, purpose: str) -> random.Random:
    # One stream per API, so that adding a field to one answer never changes another's.
    return random.Random(image.sha256 + purpose.encode())  # noqa: S311 - made-up answers, not secrets


def _percent(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 3)


def _flag(rng: random.Random) -> Json:
    return {"Value": rng.random() < 0.5, "Confidence": _percent(rng, 60, 99.9)}


class StubBackend:
    name = "stub"
    label_model_version = "local-stub-1"
    text_model_version = "local-stub-1"
    moderation_model_version = "local-stub-1"

    def load(self) -> None:
        load_taxonomy()

    def labels(self, image: ImageInput) -> list[Json]:
        taxonomy = load_taxonomy()
        rng = _rng(image, "labels")
        picks = rng.sample(range(len(taxonomy.class_names)), rng.randint(1, 4))
        # The first pick usually clears the default MinConfidence (55); the rest share what is left.
        probabilities = {picks[0]: rng.uniform(0.45, 0.97)}
        remaining = 1.0 - probabilities[picks[0]]
        for index in picks[1:]:
            probabilities[index] = remaining * rng.uniform(0.2, 0.7)
            remaining -= probabilities[index]
        labels = taxonomy.labels_from_classes(probabilities)
        top_leaf = taxonomy.class_names[picks[0]]
        if rng.random() < 0.35:
            for label in labels:
                if label["Name"] == top_leaf:
                    label["Instances"] = [
                        {"BoundingBox": self._box(rng, image, 0.2, 0.8), "Confidence": label["Confidence"]}
                    ]
        text_confidences = [item["Confidence"] for item in self.text(image) if item["Type"] == "LINE"]
        return merge_labels(labels, face_labels(taxonomy, self.faces(image)), text_label(taxonomy, text_confidences))

    def faces(self, image: ImageInput) -> list[Json]:
        rng = _rng(image, "faces")
        count = rng.choices((0, 1, 2), weights=(4, 4, 2))[0]
        with_landmarks = rng.random() < 0.75
        return [self._face(rng, image, with_landmarks) for _ in range(count)]

    def text(self, image: ImageInput) -> list[Json]:
        rng = _rng(image, "text")
        lines: list[Json] = []
        words: list[Json] = []
        for line_id in range(rng.choices((0, 1, 2), weights=(5, 3, 2))[0]):
            line_words = rng.sample(_WORDS, rng.randint(1, 3))
            left, top = rng.uniform(0.05, 0.4), rng.uniform(0.05, 0.85)
            width, height = rng.uniform(0.2, 0.5), rng.uniform(0.04, 0.1)
            line_box = relative_box(left, top, width, height)
            confidence = _percent(rng, 80, 99.9)
            lines.append(self._text_item(" ".join(line_words), "LINE", (line_id, None), confidence, line_box))
            word_width = line_box["Width"] / len(line_words)
            for position, word in enumerate(line_words):
                word_box = relative_box(
                    line_box["Left"] + position * word_width,
                    line_box["Top"],
                    word_width * 0.9,
                    line_box["Height"],
                )
                words.append(self._text_item(word, "WORD", (-1, line_id), _percent(rng, 75, 99.9), word_box))
        for offset, item in enumerate(words):
            item["Id"] = len(lines) + offset
        return lines + words

    def moderation(self, image: ImageInput) -> list[Json]:
        rng = _rng(image, "moderation")
        if rng.random() >= 0.15:
            return []
        parent, child = rng.choice(_MODERATION)
        confidence = _percent(rng, 55, 99)
        return [
            {"Confidence": confidence, "Name": parent, "ParentName": "", "TaxonomyLevel": 1},
            {
                "Confidence": round(confidence * rng.uniform(0.8, 1.0), 3),
                "Name": child,
                "ParentName": parent,
                "TaxonomyLevel": 2,
            },
        ]

    @staticmethod
    def _box(rng: random.Random, image: ImageInput, low: float, high: float) -> Json:
        width = rng.uniform(low, high)
        # Keep the box's pixel aspect near that of a real object whatever the picture's own aspect.
        height = clamp01(width * image.width / image.height * rng.uniform(0.8, 1.3))
        return relative_box(rng.uniform(0, 1 - width), rng.uniform(0, max(0.0, 1 - height)), width, height)

    def _face(self, rng: random.Random, image: ImageInput, with_landmarks: bool) -> Json:
        box = self._box(rng, image, 0.08, 0.3)
        left, top, width, height = box["Left"], box["Top"], box["Width"], box["Height"]
        points = {
            "eyeLeft": (0.3, 0.38),
            "eyeRight": (0.7, 0.38),
            "nose": (0.5, 0.58),
            "mouthLeft": (0.35, 0.78),
            "mouthRight": (0.65, 0.78),
        }
        landmarks = (
            [
                {"Type": kind, "X": round(left + fx * width, 6), "Y": round(top + fy * height, 6)}
                for kind, (fx, fy) in points.items()
            ]
            if with_landmarks
            else []
        )
        low_age = rng.randint(5, 60)
        emotions = [{"Type": kind, "Confidence": _percent(rng, 0, 99)} for kind in rng.sample(_EMOTIONS, 3)]
        return {
            "BoundingBox": box,
            "AgeRange": {"Low": low_age, "High": low_age + rng.randint(4, 12)},
            "Smile": _flag(rng),
            "Eyeglasses": _flag(rng),
            "Sunglasses": _flag(rng),
            "Gender": {"Value": rng.choice(("Male", "Female")), "Confidence": _percent(rng, 60, 99.9)},
            "Beard": _flag(rng),
            "Mustache": _flag(rng),
            "EyesOpen": _flag(rng),
            "MouthOpen": _flag(rng),
            "Emotions": sorted(emotions, key=lambda emotion: -emotion["Confidence"]),
            "Landmarks": landmarks,
            "Pose": {
                "Roll": _percent(rng, -30, 30),
                "Yaw": _percent(rng, -45, 45),
                "Pitch": _percent(rng, -30, 30),
            },
            "Quality": {"Brightness": _percent(rng, 30, 95), "Sharpness": _percent(rng, 30, 95)},
            "Confidence": _percent(rng, 90, 99.999),
            "FaceOccluded": _flag(rng),
            "EyeDirection": {
                "Yaw": _percent(rng, -20, 20),
                "Pitch": _percent(rng, -20, 20),
                "Confidence": _percent(rng, 60, 99.9),
            },
        }

    @staticmethod
    def _text_item(text: str, kind: str, ids: tuple[int, int | None], confidence: float, box: Json) -> Json:
        item_id, parent = ids
        item: Json = {
            "DetectedText": text,
            "Type": kind,
            "Id": item_id,
            "Confidence": confidence,
            "Geometry": {"BoundingBox": box, "Polygon": box_polygon(box)},
        }
        if parent is not None:
            item["ParentId"] = parent
        return item
