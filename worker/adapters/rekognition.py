"""Rekognition for the worker: one Detect* call, its errors sorted into transient and permanent."""

from __future__ import annotations

from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from imagejobs.errors import FeatureFailure, ImgrecError, TransientError
from imagejobs.model import Feature

# The image itself is the problem: this feature cannot succeed for it, however often we retry.
_PERMANENT = frozenset({"InvalidImageFormatException", "ImageTooLargeException", "InvalidParameterException"})
THROTTLING = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "LimitExceededException"})


class ImageUnreadableError(ImgrecError):
    """Rekognition could not read the image from S3 (`InvalidS3ObjectException`): send its bytes instead."""


class ThrottledError(TransientError):
    """Rekognition's TPS quota was exceeded even after botocore's adaptive retries."""


class Recognizer(Protocol):
    async def detect(self, feature: Feature, request: dict[str, Any]) -> dict[str, Any]: ...


class RekognitionRecognizer:
    def __init__(self, client: Any) -> None:
        self._client = client

    async def detect(self, feature: Feature, request: dict[str, Any]) -> dict[str, Any]:
        call = {
            Feature.LABELS: self._client.detect_labels,
            Feature.FACES: self._client.detect_faces,
            Feature.TEXT: self._client.detect_text,
            Feature.MODERATION: self._client.detect_moderation_labels,
        }[feature]
        try:
            response: dict[str, Any] = await call(**request)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            message = error.response.get("Error", {}).get("Message", "") or code
            if code == "InvalidS3ObjectException":
                raise ImageUnreadableError(f"{feature.operation}: {message}") from error
            if code in _PERMANENT:
                raise FeatureFailure(f"{feature.operation}: {message}") from error
            if code in THROTTLING:
                raise ThrottledError(f"{feature.operation} throttled: {code}") from error
            raise TransientError(f"{feature.operation} failed: {code}") from error
        except BotoCoreError as error:
            raise TransientError(f"{feature.operation} failed: {error}") from error
        response.pop("ResponseMetadata", None)
        return response
