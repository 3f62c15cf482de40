"""Shared checks for the normalizer tests: what "Rekognition accepts it" means, decoded from the bytes."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import pytest
from PIL import Image

from imagejobs.settings import REKOGNITION_MAX_EDGE, REKOGNITION_MAX_IMAGE_BYTES, REKOGNITION_MIN_EDGE
from worker.normalize import NormalizedImage, NormalizeLimits

RekognitionCheck = Callable[[NormalizedImage, NormalizeLimits], Image.Image]


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
    decoded.load()
    record = result.record
    assert record.sha256 == hashlib.sha256(result.data).hexdigest()
    assert record.output_bytes == len(result.data)
    return decoded


@pytest.fixture
def rekognition_check() -> RekognitionCheck:
    return assert_rekognition_accepts
