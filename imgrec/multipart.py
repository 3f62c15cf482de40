"""A streaming `multipart/form-data` body for S3 presigned POST: every policy field, then the file, last.

The file is read in fixed chunks while the request is being sent, so memory stays flat whatever its size;
the length is known up front (S3 wants a `Content-Length`, not chunked encoding).
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from imgrec.errors import LocalFileError, UploadCancelled

CHUNK_SIZE = 64 * 1024


def _quote(value: str) -> str:
    # RFC 7578: quote and escape the parameter; drop line breaks rather than let them end the header.
    cleaned = value.replace("\r", "").replace("\n", "")
    return cleaned.replace("\\", "\\\\").replace('"', '\\"')


@dataclass
class MultipartFile:
    """One file upload as a multipart body. Open it with `open()`, stream `chunks()`, then `close()`."""

    fields: Mapping[str, str]
    path: str
    filename: str
    content_type: str
    boundary: str = field(default_factory=lambda: "imgrec-" + secrets.token_hex(16))
    on_bytes: Callable[[int], None] | None = None
    cancel: threading.Event | None = None
    _fd: int | None = None
    _size: int = 0

    def open(self) -> None:
        try:
            self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            self._size = os.fstat(self._fd).st_size
        except OSError as error:
            self.close()
            raise LocalFileError(f"cannot read {self.path}: {error.strerror or error}") from error

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    @property
    def file_size(self) -> int:
        return self._size

    @property
    def content_type_header(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _head(self) -> bytes:
        parts = [
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n{value}\r\n'
            for name, value in self.fields.items()
        ]
        parts.append(
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{_quote(self.filename)}"\r\n'
            f"Content-Type: {self.content_type}\r\n\r\n"
        )
        return "".join(parts).encode("utf-8")

    def _tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode("ascii")

    @property
    def content_length(self) -> int:
        return len(self._head()) + self._size + len(self._tail())

    def chunks(self) -> Iterator[bytes]:
        if self._fd is None:
            raise LocalFileError(f"{self.path} is not open")
        os.lseek(self._fd, 0, os.SEEK_SET)
        yield self._head()
        remaining = self._size
        while remaining > 0:
            if self.cancel is not None and self.cancel.is_set():
                raise UploadCancelled(self.path)
            try:
                chunk = os.read(self._fd, min(CHUNK_SIZE, remaining))
            except OSError as error:
                raise LocalFileError(f"cannot read {self.path}: {error.strerror or error}") from error
            if not chunk:
                raise LocalFileError(f"{self.path} shrank while it was being uploaded")
            remaining -= len(chunk)
            if self.on_bytes is not None:
                self.on_bytes(len(chunk))
            yield chunk
        yield self._tail()
