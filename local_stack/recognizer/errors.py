"""Rekognition's error answers: each class carries the `__type` and HTTP status that make botocore raise the
exception class of the same name (`client.exceptions.InvalidParameterException`, ...)."""

from __future__ import annotations

from typing import ClassVar


class RekognitionError(Exception):
    """An error answered to the caller, never a defect of the recognizer."""

    error_type: ClassVar[str] = "InvalidParameterException"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_body(self) -> dict[str, str]:
        return {"__type": self.error_type, "Message": self.message}


class InvalidParameterError(RekognitionError):
    error_type = "InvalidParameterException"


class InvalidImageFormatError(RekognitionError):
    error_type = "InvalidImageFormatException"


class ImageTooLargeError(RekognitionError):
    error_type = "ImageTooLargeException"


class InvalidS3ObjectError(RekognitionError):
    error_type = "InvalidS3ObjectException"


class ThroughputExceededError(RekognitionError):
    # botocore's standard and adaptive retry modes treat this code as throttling (retries/standard.py).
    error_type = "ProvisionedThroughputExceededException"


class UnknownOperationError(RekognitionError):
    error_type = "UnknownOperationException"


class SerializationError(RekognitionError):
    error_type = "SerializationException"
