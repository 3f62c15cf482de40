"""The client's errors. Messages never contain the token or a presigned URL's query string."""

from __future__ import annotations


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

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message} (HTTP {status})")
        self.status = status
        self.code = code
        self.message = message

    @property
    def is_transient(self) -> bool:
        return self.status == 429 or self.status >= 500


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
