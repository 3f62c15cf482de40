"""The four operations' request parameters, checked as Rekognition checks them, and the filters they apply
to a backend's candidates (MinConfidence, MaxLabels, label filters, face Attributes, text Filters).

Pure: no I/O. Backends return every candidate they find; the Rekognition semantics live here, once.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .errors import InvalidParameterError

Json = dict[str, Any]
Operation = Literal["DetectLabels", "DetectFaces", "DetectText", "DetectModerationLabels"]
OPERATIONS: tuple[Operation, ...] = ("DetectLabels", "DetectFaces", "DetectText", "DetectModerationLabels")

DEFAULT_LABELS_MIN_CONFIDENCE = 55.0
DEFAULT_MODERATION_MIN_CONFIDENCE = 50.0
MAX_LABELS_LIMIT = 1000

# Face keys every DetectFaces answer carries; the rest come only on request (Attributes).
DEFAULT_FACE_KEYS = ("BoundingBox", "Landmarks", "Pose", "Quality", "Confidence")
FACE_ATTRIBUTE_KEYS = {
    "AGE_RANGE": "AgeRange",
    "BEARD": "Beard",
    "EMOTIONS": "Emotions",
    "EYE_DIRECTION": "EyeDirection",
    "EYEGLASSES": "Eyeglasses",
    "EYES_OPEN": "EyesOpen",
    "GENDER": "Gender",
    "MOUTH_OPEN": "MouthOpen",
    "MUSTACHE": "Mustache",
    "FACE_OCCLUDED": "FaceOccluded",
    "SMILE": "Smile",
    "SUNGLASSES": "Sunglasses",
}


@dataclass(frozen=True)
class S3Location:
    bucket: str
    name: str
    version: str | None = None


@dataclass(frozen=True)
class ImageRef:
    inline: bytes | None = None
    s3: S3Location | None = None


def parse_image_ref(payload: Mapping[str, Any]) -> ImageRef:
    image = payload.get("Image")
    if not isinstance(image, Mapping):
        raise InvalidParameterError("Image is required")
    has_bytes, has_s3 = "Bytes" in image, "S3Object" in image
    if has_bytes == has_s3:
        raise InvalidParameterError("Image must have exactly one of Bytes or S3Object")
    if has_bytes:
        encoded = image["Bytes"]
        if not isinstance(encoded, str):
            raise InvalidParameterError("Image.Bytes must be base64 text")
        try:
            return ImageRef(inline=base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError) as error:
            raise InvalidParameterError("Image.Bytes is not valid base64") from error
    s3_object = image["S3Object"]
    if not isinstance(s3_object, Mapping):
        raise InvalidParameterError("Image.S3Object must be an object")
    bucket, name, version = s3_object.get("Bucket"), s3_object.get("Name"), s3_object.get("Version")
    if not isinstance(bucket, str) or not bucket or not isinstance(name, str) or not name:
        raise InvalidParameterError("Image.S3Object needs Bucket and Name")
    if version is not None and not isinstance(version, str):
        raise InvalidParameterError("Image.S3Object.Version must be a string")
    return ImageRef(s3=S3Location(bucket, name, version))


def _confidence_param(payload: Mapping[str, Any], key: str, default: float) -> float:
    value = payload.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise InvalidParameterError(f"{key} must be a number between 0 and 100")
    return float(value)


def _string_list(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidParameterError(f"{key} must be a list of strings")
    return value


# ---- DetectLabels --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelSelection:
    min_confidence: float = DEFAULT_LABELS_MIN_CONFIDENCE
    max_labels: int = MAX_LABELS_LIMIT
    general_labels: bool = True
    image_properties: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    include_categories: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()


def parse_label_selection(payload: Mapping[str, Any]) -> LabelSelection:
    min_confidence = _confidence_param(payload, "MinConfidence", DEFAULT_LABELS_MIN_CONFIDENCE)
    max_labels = payload.get("MaxLabels", MAX_LABELS_LIMIT)
    if isinstance(max_labels, bool) or not isinstance(max_labels, int) or max_labels < 0:
        raise InvalidParameterError("MaxLabels must be a non-negative integer")
    features = _string_list(payload.get("Features", ["GENERAL_LABELS"]), "Features")
    unknown = set(features) - {"GENERAL_LABELS", "IMAGE_PROPERTIES"}
    if unknown or not features:
        raise InvalidParameterError(f"Features must be GENERAL_LABELS and/or IMAGE_PROPERTIES, not {sorted(unknown)}")
    settings = payload.get("Settings", {})
    general = settings.get("GeneralLabels", {}) if isinstance(settings, Mapping) else None
    if not isinstance(general, Mapping):
        raise InvalidParameterError("Settings.GeneralLabels must be an object")

    def names(key: str) -> tuple[str, ...]:
        return tuple(_string_list(general.get(key, []), f"Settings.GeneralLabels.{key}"))

    return LabelSelection(
        min_confidence=min_confidence,
        max_labels=min(max_labels, MAX_LABELS_LIMIT),
        general_labels="GENERAL_LABELS" in features,
        image_properties="IMAGE_PROPERTIES" in features,
        include=names("LabelInclusionFilters"),
        exclude=names("LabelExclusionFilters"),
        include_categories=names("LabelCategoryInclusionFilters"),
        exclude_categories=names("LabelCategoryExclusionFilters"),
    )


def select_labels(candidates: Sequence[Json], selection: LabelSelection) -> list[Json]:
    """Candidates sorted best first → the labels Rekognition would return for these parameters."""
    chosen: list[Json] = []
    for label in sorted(candidates, key=lambda item: -float(item["Confidence"])):
        categories = {category["Name"] for category in label.get("Categories", [])}
        if label["Confidence"] < selection.min_confidence:
            continue
        if selection.include and label["Name"] not in selection.include:
            continue
        if label["Name"] in selection.exclude:
            continue
        if selection.include_categories and not categories & set(selection.include_categories):
            continue
        if categories & set(selection.exclude_categories):
            continue
        chosen.append(label)
    return chosen[: selection.max_labels]


# ---- DetectFaces ---------------------------------------------------------------------------------


def parse_face_keys(payload: Mapping[str, Any]) -> frozenset[str] | None:
    """The FaceDetail keys to return; None means every attribute (ALL)."""
    attributes = _string_list(payload.get("Attributes", ["DEFAULT"]), "Attributes")
    unknown = set(attributes) - {"DEFAULT", "ALL", *FACE_ATTRIBUTE_KEYS}
    if unknown:
        raise InvalidParameterError(f"Attributes has unknown values {sorted(unknown)}")
    if "ALL" in attributes:
        return None
    return frozenset(DEFAULT_FACE_KEYS) | {FACE_ATTRIBUTE_KEYS[name] for name in attributes if name != "DEFAULT"}


def select_face_keys(face: Json, keys: frozenset[str] | None) -> Json:
    if keys is None:
        return dict(face)
    return {key: value for key, value in face.items() if key in keys}


# ---- DetectText ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    width: float
    height: float

    @classmethod
    def from_json(cls, box: Mapping[str, Any]) -> Box:
        return cls(float(box["Left"]), float(box["Top"]), float(box["Width"]), float(box["Height"]))

    def overlap_area(self, other: Box) -> float:
        width = min(self.left + self.width, other.left + other.width) - max(self.left, other.left)
        height = min(self.top + self.height, other.top + other.height) - max(self.top, other.top)
        return max(0.0, width) * max(0.0, height)


@dataclass(frozen=True)
class TextFilters:
    min_confidence: float = 0.0
    min_height: float = 0.0
    min_width: float = 0.0
    regions: tuple[Box, ...] = ()


def parse_text_filters(payload: Mapping[str, Any]) -> TextFilters:
    filters = payload.get("Filters", {})
    if not isinstance(filters, Mapping):
        raise InvalidParameterError("Filters must be an object")
    word = filters.get("WordFilter", {})
    if not isinstance(word, Mapping):
        raise InvalidParameterError("Filters.WordFilter must be an object")
    min_confidence = _confidence_param(word, "MinConfidence", 0.0)
    sizes = []
    for key in ("MinBoundingBoxHeight", "MinBoundingBoxWidth"):
        value = word.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise InvalidParameterError(f"Filters.WordFilter.{key} must be between 0 and 1")
        sizes.append(float(value))
    regions_json = filters.get("RegionsOfInterest", [])
    if not isinstance(regions_json, list) or len(regions_json) > 10:
        raise InvalidParameterError("Filters.RegionsOfInterest must be a list of at most 10 regions")
    return TextFilters(min_confidence, sizes[0], sizes[1], tuple(_region_box(region) for region in regions_json))


def _region_box(region: Any) -> Box:
    try:
        if "BoundingBox" in region:
            return Box.from_json(region["BoundingBox"])
        points = [(float(point["X"]), float(point["Y"])) for point in region["Polygon"]]
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidParameterError("each region needs a BoundingBox or a Polygon") from error
    if len(points) < 3:
        raise InvalidParameterError("a region Polygon needs at least 3 points")
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def filter_text(detections: Sequence[Json], filters: TextFilters) -> list[Json]:
    """Apply the word filter and regions to WORDs; a LINE stays while at least one of its words does."""

    def keeps(word: Json) -> bool:
        box = Box.from_json(word["Geometry"]["BoundingBox"])
        if word["Confidence"] < filters.min_confidence:
            return False
        if box.height < filters.min_height or box.width < filters.min_width:
            return False
        # Rekognition counts a word as inside a region when at least half of it lies there.
        area = box.width * box.height
        return not filters.regions or any(
            area > 0 and region.overlap_area(box) >= 0.5 * area for region in filters.regions
        )

    words = [item for item in detections if item["Type"] == "WORD" and keeps(item)]
    kept_parents = {word.get("ParentId") for word in words}
    lines = [item for item in detections if item["Type"] == "LINE" and item["Id"] in kept_parents]
    return lines + words


# ---- DetectModerationLabels ----------------------------------------------------------------------


def parse_moderation_min_confidence(payload: Mapping[str, Any]) -> float:
    return _confidence_param(payload, "MinConfidence", DEFAULT_MODERATION_MIN_CONFIDENCE)


def select_moderation(candidates: Sequence[Json], min_confidence: float) -> list[Json]:
    return sorted(
        (label for label in candidates if label["Confidence"] >= min_confidence),
        key=lambda label: (label["TaxonomyLevel"], -label["Confidence"]),
    )
