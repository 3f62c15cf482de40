"""The client's errors. Messages never contain the token or a presigned URL's query string."""

from __future__ import annotations

QUOTA_EXCEEDED = "QUOTA_EXCEEDED"


class ImgrecClientError(Exception):
    """Base of every error the client raises on purpose."""


class TransportError(ImgrecClientError):
    """The HTTP exchange itself failed (refused, reset, timed out): no answer from the server.

    `maybe_sent` is False only when the connection could not be opened, so a retry cannot duplicate anything.
    """

    def __init__(self, message: str, *, maybe_sent: bool = True) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


class ApiError(ImgrecClientError):
    """The API answered 4xx/5xx with its `{"error": {"code", "message"}}` body."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {message} (HTTP {status})")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def is_transient(self) -> bool:
        """Worth retrying soon: 5xx, and 429 for request rate. A quota (images per day, jobs per batch) is
        a 429 too, but waiting seconds does not help: the run stops and says when it may go on."""
        return (self.status == 429 and self.code != QUOTA_EXCEEDED) or self.status >= 500


class UploadRejected(ImgrecClientError):
    """The upload endpoint (S3) refused the file; `code` is S3's error code, e.g. `EntityTooLarge`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"upload refused: {code}: {message} (HTTP {status})")
        self.status = status
        self.code = code
        self.message = message


class UploadCancelled(ImgrecClientError):
    """The caller asked the upload to stop (Ctrl-C) while the file was being sent."""


class LocalFileError(ImgrecClientError):
    """A local file could not be read to the end (vanished, shrank, I/O error) while it was being sent."""
