"""One Rekognition call from start to answer: quota, latency, parameters, image, backend, filters.

Transport-free: the HTTP server hands it the target header and body and writes back what it returns.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from .backends.base import Backend
from .errors import (
    InvalidParameterError,
    RekognitionError,
    SerializationError,
    ThroughputExceededError,
    UnknownOperationError,
)
from .image_input import MAX_BYTES_INLINE, MAX_BYTES_S3, ImageInput, load_image
from .image_properties import image_properties
from .operations import (
    OPERATIONS,
    Operation,
    filter_text,
    parse_face_keys,
    parse_image_ref,
    parse_label_selection,
    parse_moderation_min_confidence,
    parse_text_filters,
    select_face_keys,
    select_labels,
    select_moderation,
)
from .s3_source import ImageSource
from .throttle import ApiQuota

Json = dict[str, Any]
TARGET_PREFIX = "RekognitionService."
INTERNAL_ERROR_STATUS = 500
logger = logging.getLogger(__name__)


class RecognitionService:
    def __init__(
        self,
        backend: Backend,
        image_source: ImageSource,
        quota: ApiQuota | None = None,
        latency_ms: int = 0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.backend = backend
        self._image_source = image_source
        self._quota = quota or ApiQuota(None)
        self._latency_s = latency_ms / 1000.0
        self._sleep = sleep

    def handle(self, target: str | None, body: bytes) -> tuple[int, Json]:
        """(HTTP status, JSON body) for one call; errors come back as Rekognition's error bodies."""
        try:
            return 200, self._call(target, body)
        except RekognitionError as error:
            logger.info("rekognition call refused", extra={"target": target, "error_type": error.error_type})
            return error.status, error.to_body()
        except Exception:
            # A defect in the recognizer or a model, never the caller's fault: answered like the real service.
            logger.exception("rekognition call failed", extra={"target": target})
            return INTERNAL_ERROR_STATUS, {"__type": "InternalServerError", "Message": "internal error"}

    def _call(self, target: str | None, body: bytes) -> Json:
        operation = _operation(target)
        if not self._quota.admit(operation):
            raise ThroughputExceededError(f"Provisioned rate exceeded for {operation}")
        try:
            payload = json.loads(body or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise SerializationError("Request body is not valid JSON") from error
        if not isinstance(payload, dict):
            raise SerializationError("Request body must be a JSON object")
        if self._latency_s:
            self._sleep(self._latency_s)
        handlers: dict[Operation, Callable[[Json], Json]] = {
            "DetectLabels": self._detect_labels,
            "DetectFaces": self._detect_faces,
            "DetectText": self._detect_text,
            "DetectModerationLabels": self._detect_moderation_labels,
        }
        return handlers[operation](payload)

    def _image(self, payload: Json) -> ImageInput:
        reference = parse_image_ref(payload)
        if reference.s3 is not None:
            return load_image(self._image_source.read(reference.s3, MAX_BYTES_S3), MAX_BYTES_S3)
        assert reference.inline is not None
        return load_image(reference.inline, MAX_BYTES_INLINE)

    def _detect_labels(self, payload: Json) -> Json:
        selection = parse_label_selection(payload)
        max_colors = payload.get("Settings", {}).get("ImageProperties", {}).get("MaxDominantColors", 10)
        if isinstance(max_colors, bool) or not isinstance(max_colors, int) or not 0 <= max_colors <= 12:
            raise InvalidParameterError("Settings.ImageProperties.MaxDominantColors must be 0..12")
        image = self._image(payload)
        response: Json = {"LabelModelVersion": self.backend.label_model_version}
        if selection.general_labels:
            response["Labels"] = select_labels(self.backend.labels(image), selection)
        if selection.image_properties:
            response["ImageProperties"] = image_properties(image.rgb(), max_colors)
        return response

    def _detect_faces(self, payload: Json) -> Json:
        keys = parse_face_keys(payload)
        image = self._image(payload)
        return {"FaceDetails": [select_face_keys(face, keys) for face in self.backend.faces(image)]}

    def _detect_text(self, payload: Json) -> Json:
        filters = parse_text_filters(payload)
        image = self._image(payload)
        return {
            "TextDetections": filter_text(self.backend.text(image), filters),
            "TextModelVersion": self.backend.text_model_version,
        }

    def _detect_moderation_labels(self, payload: Json) -> Json:
        min_confidence = parse_moderation_min_confidence(payload)
        if "ProjectVersion" in payload:
            raise InvalidParameterError("ProjectVersion (custom moderation adapters) is not available locally")
        image = self._image(payload)
        return {
            "ModerationLabels": select_moderation(self.backend.moderation(image), min_confidence),
            "ModerationModelVersion": self.backend.moderation_model_version,
        }


def _operation(target: str | None) -> Operation:
    name = (target or "").removeprefix(TARGET_PREFIX)
    for operation in OPERATIONS:
        if name == operation and target == TARGET_PREFIX + operation:
            return operation
    raise UnknownOperationError(f"Unknown operation {target!r}")
