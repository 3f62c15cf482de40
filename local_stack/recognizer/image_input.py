"""Turn the caller's bytes into a checked image, with Rekognition's format, size and dimension rules."""

from __future__ import annotations

import hashlib
import io
import threading
import warnings
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

from imagejobs.settings import REKOGNITION_MAX_EDGE, REKOGNITION_MAX_IMAGE_BYTES, REKOGNITION_MIN_EDGE, MiB

from .errors import ImageTooLargeError, InvalidImageFormatError, InvalidParameterError

MAX_BYTES_INLINE = REKOGNITION_MAX_IMAGE_BYTES
# Rekognition accepts larger images when they are read from S3.
MAX_BYTES_S3 = 15 * MiB

ImageFormat = Literal["JPEG", "PNG"]
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# EXIF orientations 5..8 rotate by 90 degrees: width and height swap once the image is upright.
_TRANSPOSED_ORIENTATIONS = frozenset({5, 6, 7, 8})
_EXIF_ORIENTATION_TAG = 0x0112


def sniff_format(data: bytes) -> ImageFormat | None:
    if data.startswith(_JPEG_MAGIC):
        return "JPEG"
    if data.startswith(_PNG_MAGIC):
        return "PNG"
    return None


@dataclass(frozen=True)
class ImageInput:
    """A JPEG or PNG within Rekognition's limits. Width and height are those of the upright image."""

    data: bytes
    format: ImageFormat
    width: int
    height: int
    sha256: bytes
    _rgb_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _rgb: list[Image.Image] = field(default_factory=list, repr=False, compare=False)

    def rgb(self) -> Image.Image:
        """The decoded, upright RGB image, decoded once however many models ask for it."""
        with self._rgb_lock:
            if not self._rgb:
                self._rgb.append(_decode_upright_rgb(self.data))
            return self._rgb[0]


def load_image(data: bytes, max_bytes: int = MAX_BYTES_INLINE) -> ImageInput:
    """Check `data` as Rekognition does, reading only the header (no full decode)."""
    if not data:
        raise InvalidParameterError("Request has invalid image bytes: the image is empty")
    if len(data) > max_bytes:
        raise ImageTooLargeError(f"Image size {len(data)} bytes exceeds the limit of {max_bytes} bytes")
    image_format = sniff_format(data)
    if image_format is None:
        raise InvalidImageFormatError("Request has unsupported image format: only JPEG and PNG are accepted")
    width, height = _upright_size(data)
    if min(width, height) < REKOGNITION_MIN_EDGE:
        raise InvalidParameterError(
            f"Image dimensions {width}x{height} are below the minimum of {REKOGNITION_MIN_EDGE} pixels"
        )
    if max(width, height) > REKOGNITION_MAX_EDGE:
        raise ImageTooLargeError(
            f"Image dimensions {width}x{height} exceed the maximum of {REKOGNITION_MAX_EDGE} pixels"
        )
    return ImageInput(data, image_format, width, height, hashlib.sha256(data).digest())


def _upright_size(data: bytes) -> tuple[int, int]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                orientation = image.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageTooLargeError("Image has too many pixels") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise InvalidImageFormatError("Request has invalid image format: the image cannot be read") from error
    if orientation in _TRANSPOSED_ORIENTATIONS:
        return height, width
    return width, height


def _decode_upright_rgb(data: bytes) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data)) as image:
            upright = ImageOps.exif_transpose(image)
            return upright.convert("RGB")
    except (OSError, SyntaxError, ValueError) as error:
        # A header that parses over a truncated or corrupt body: Rekognition calls that a bad format too.
        raise InvalidImageFormatError("Request has invalid image format: the image data is corrupt") from error
