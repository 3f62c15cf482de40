"""Statuses, features and analysis options: the vocabulary of the REST contract (design/API.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator


class JobStatus(StrEnum):
    AWAITING_UPLOAD = "AWAITING_UPLOAD"
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.PARTIAL, JobStatus.FAILED})


class Feature(StrEnum):
    """A Rekognition analysis a job can ask for; each maps to one Detect* operation."""

    LABELS = "LABELS"
    FACES = "FACES"
    TEXT = "TEXT"
    MODERATION = "MODERATION"

    @property
    def operation(self) -> str:
        return _OPERATIONS[self]

    @property
    def result_key(self) -> str:
        """The field of `results` in a job answer that holds this feature's items."""
        return _RESULT_KEYS[self]

    @property
    def response_items_key(self) -> str:
        """The key of the Rekognition response that holds the items, copied unchanged into `results`."""
        return _RESPONSE_ITEMS[self]


_OPERATIONS = {
    Feature.LABELS: "DetectLabels",
    Feature.FACES: "DetectFaces",
    Feature.TEXT: "DetectText",
    Feature.MODERATION: "DetectModerationLabels",
}
_RESULT_KEYS = {
    Feature.LABELS: "labels",
    Feature.FACES: "faces",
    Feature.TEXT: "text",
    Feature.MODERATION: "moderation",
}
_RESPONSE_ITEMS = {
    Feature.LABELS: "Labels",
    Feature.FACES: "FaceDetails",
    Feature.TEXT: "TextDetections",
    Feature.MODERATION: "ModerationLabels",
}


def integral_float(value: object) -> object:
    """JSON Schema counts 50.0 as an integer; booleans and strings stay refused by the strict field."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


DEFAULT_MIN_CONFIDENCE = 55.0
DEFAULT_MAX_LABELS = 50


class AnalysisOptions(BaseModel):
    """What to ask Rekognition for one image. Validated once at the API, carried on the job."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True)

    features: Annotated[list[Feature], Field(min_length=1, max_length=4)] = [Feature.LABELS]
    # Strict: `"55"` or `true` is a client bug to report, not a number to guess at.
    min_confidence: Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=100, alias="minConfidence")] = (
        DEFAULT_MIN_CONFIDENCE
    )
    max_labels: Annotated[
        int, Field(strict=True, ge=1, le=1000, alias="maxLabels"), BeforeValidator(integral_float)
    ] = DEFAULT_MAX_LABELS

    @field_validator("features")
    @classmethod
    def _unique_in_canonical_order(cls, features: list[Feature]) -> list[Feature]:
        return [feature for feature in Feature if feature in set(features)]

    def to_json(self) -> dict[str, object]:
        return {
            "features": [feature.value for feature in self.features],
            "minConfidence": self.min_confidence,
            "maxLabels": self.max_labels,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> AnalysisOptions:
        return cls.model_validate(data)
