"""Error codes a job or a feature can end with, and the small exception hierarchy behind them.

Codes are part of the REST contract (design/API.md): clients map them to sentences, so never rename one.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    UPLOAD_MISSING = "UPLOAD_MISSING"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    EMPTY_FILE = "EMPTY_FILE"
    UNSUPPORTED_FORMAT = "UNSUPPORTED_FORMAT"
    DECODE_ERROR = "DECODE_ERROR"
    TOO_SMALL = "TOO_SMALL"
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"
    FEATURE_FAILED = "FEATURE_FAILED"
    INTERNAL = "INTERNAL"
    # Rekognition stayed over its quota for longer than the worker waits (throttle_max_age_hours).
    THROTTLED = "THROTTLED"


class ImgrecError(Exception):
    """Base of every error this product raises on purpose."""


class JobFailure(ImgrecError):
    """A permanent problem with one job's input: retrying cannot help, the job ends FAILED with `code`."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"JobFailure({self.code.value}, {self.message!r})"


class TransientError(ImgrecError):
    """Throttling, a 5xx or a timeout from a dependency: the job is retried later, never failed for it."""


class DependencyError(ImgrecError):
    """A dependency refused a call in a way retrying cannot fix (access denied, a malformed request): a bug or
    a misconfiguration of ours, never the caller's fault. Answered as 500 INTERNAL, logged with details."""


class FeatureFailure(ImgrecError):
    """One Rekognition feature failed permanently for this image; the others may still succeed (PARTIAL)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = ErrorCode.FEATURE_FAILED
        self.message = message
