"""The streaming multipart body for presigned POST: fields, then the file last; exact length; small chunks."""

from __future__ import annotations

import email.parser
import email.policy
import threading
from pathlib import Path

import pytest

from imgrec.errors import LocalFileError, UploadCancelled
from imgrec.multipart import CHUNK_SIZE, MultipartFile


def _parse(body: bytes, content_type: str) -> list[tuple[str, bytes, str | None]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    return [
        (
            part.get_param("name", header="content-disposition"),
            part.get_payload(decode=True),
            part.get_filename(),
        )
        for part in message.iter_parts()
    ]


def test_fields_come_first_in_order_and_the_file_last(tmp_path: Path) -> None:
    data = bytes(range(256)) * 1000
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    fields = {
        "key": "uploads/b-1/j-1",
        "Content-Type": "image/jpeg",
        "policy": "abc==",
        "x-amz-signature": "f00",
    }
    body = MultipartFile(fields=fields, path=str(path), filename="photo.jpg", content_type="image/jpeg")
    body.open()
    encoded = b"".join(body.chunks())
    body.close()

    parts = _parse(encoded, body.content_type_header)

    assert [name for name, _, _ in parts] == [*fields, "file"]
    assert [payload.decode() for _, payload, _ in parts[:-1]] == list(fields.values())
    assert parts[-1][1] == data
    assert parts[-1][2] == "photo.jpg"
    assert len(encoded) == body.content_length


def test_the_file_is_read_in_bounded_chunks_not_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(b"\0" * (5 * CHUNK_SIZE + 17))
    body = MultipartFile(fields={"key": "k"}, path=str(path), filename="big.png", content_type="image/png")
    body.open()
    sizes = [len(chunk) for chunk in body.chunks()][1:-1]  # between the head and the tail
    body.close()
    assert max(sizes) <= CHUNK_SIZE
    assert sum(sizes) == 5 * CHUNK_SIZE + 17


def test_quotes_in_a_filename_cannot_break_the_header(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    path.write_bytes(b"x")
    body = MultipartFile(fields={}, path=str(path), filename='we"ird\r\nname.jpg', content_type="image/jpeg")
    body.open()
    parts = _parse(b"".join(body.chunks()), body.content_type_header)
    body.close()
    assert [name for name, _, _ in parts] == ["file"]
    assert parts[0][2] == 'we"irdname.jpg'


def test_a_missing_file_is_a_local_file_error(tmp_path: Path) -> None:
    body = MultipartFile(fields={}, path=str(tmp_path / "gone.jpg"), filename="gone.jpg", content_type="image/jpeg")
    with pytest.raises(LocalFileError, match=r"gone\.jpg"):
        body.open()


def test_a_file_that_shrinks_while_sent_is_an_error_not_a_short_body(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    path.write_bytes(b"y" * (3 * CHUNK_SIZE))
    body = MultipartFile(fields={}, path=str(path), filename="a.jpg", content_type="image/jpeg")
    body.open()
    chunks = body.chunks()
    next(chunks)
    path.write_bytes(b"y")  # truncated under our feet
    with pytest.raises(LocalFileError, match="shrank"):
        list(chunks)
    body.close()


def test_cancelling_stops_the_stream(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    path.write_bytes(b"z" * (3 * CHUNK_SIZE))
    cancel = threading.Event()
    body = MultipartFile(fields={}, path=str(path), filename="a.jpg", content_type="image/jpeg", cancel=cancel)
    body.open()
    chunks = body.chunks()
    next(chunks)
    cancel.set()
    with pytest.raises(UploadCancelled):
        list(chunks)
    body.close()
