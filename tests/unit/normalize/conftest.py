"""Shared checks for the normalizer tests: what "Rekognition accepts it" means, decoded from the bytes."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import pytest
from PIL import Image

from imagejobs.settings import REKOGNITION_MAX_EDGE, REKOGNITION_MAX_IMAGE_BYTES, REKOGNITION_MIN_EDGE
from tests.fixtures.corpus import jpeg_segments
from worker.normalize import NormalizedImage, NormalizeLimits

RekognitionCheck = Callable[[NormalizedImage, NormalizeLimits], Image.Image]
# libjpeg's own 16-byte JFIF header (no thumbnail) and APP14 Adobe's fixed 12 bytes are not metadata.
_ALLOWED_JPEG_APP = {(0xE0, 18), (0xEE, 16)}


def assert_only_pixels(result: NormalizedImage) -> None:
    """No comment, EXIF, XMP, IPTC, ICC, text chunk or trailing data, read from the formats' specifications."""
    data = result.data
    if result.content_type == "image/png":
        position, kinds = 8, set()
        while position + 8 <= len(data):
            kinds.add(data[position + 4 : position + 8])
            position += 12 + int.from_bytes(data[position : position + 4], "big")
        assert position == len(data), "bytes after IEND"
        assert kinds <= {b"IHDR", b"IDAT", b"IEND"}, kinds
        return
    segments = jpeg_segments(data)
    assert segments[-1][2] == len(data), "bytes after EOI"
    for marker, start, end in segments:
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            assert (marker, end - start) in _ALLOWED_JPEG_APP, f"marker {marker:#x} of {end - start} bytes"


def assert_rekognition_accepts(result: NormalizedImage, limits: NormalizeLimits) -> Image.Image:
    """Decode the output independently and check every Rekognition input rule; returns the decoded image."""
    assert result.content_type in ("image/jpeg", "image/png")
    assert len(result.data) <= limits.max_output_bytes <= REKOGNITION_MAX_IMAGE_BYTES
    decoded = Image.open(io.BytesIO(result.data))
    assert decoded.format == {"image/jpeg": "JPEG", "image/png": "PNG"}[result.content_type]
    assert result.extension == {"image/jpeg": "jpg", "image/png": "png"}[result.content_type]
    assert decoded.mode == "RGB"
    assert decoded.size == (result.width, result.height)
    assert min(decoded.size) >= REKOGNITION_MIN_EDGE
    assert max(decoded.size) <= REKOGNITION_MAX_EDGE
    assert decoded.getexif().get(0x0112, 1) == 1
    if decoded.format == "PNG":
        assert decoded.info.get("transparency") is None
    assert_only_pixels(result)
    decoded.load()
    record = result.record
    assert record.sha256 == hashlib.sha256(result.data).hexdigest()
    assert record.output_bytes == len(result.data)
    return decoded


@pytest.fixture
def rekognition_check() -> RekognitionCheck:
    return assert_rekognition_accepts
