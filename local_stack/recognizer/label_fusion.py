"""Labels that come from the face detector and the text detector rather than the image classifier.

ImageNet has no "Person" class, so Person/Head/Face labels (with each face's box as a Face `Instance`)
come from the faces found, and a "Text" label from the text found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .taxonomy import Taxonomy

Json = dict[str, Any]


def face_labels(taxonomy: Taxonomy, faces: Sequence[Json]) -> list[Json]:
    if not faces:
        return []
    confidence = max(float(face["Confidence"]) for face in faces)
    instances = [{"BoundingBox": dict(face["BoundingBox"]), "Confidence": face["Confidence"]} for face in faces]
    return [
        taxonomy.label("Person", confidence),
        taxonomy.label("Head", confidence),
        taxonomy.label("Face", confidence, instances),
    ]


def text_label(taxonomy: Taxonomy, text_confidences: Sequence[float]) -> list[Json]:
    if not text_confidences:
        return []
    return [taxonomy.label("Text", max(text_confidences))]
