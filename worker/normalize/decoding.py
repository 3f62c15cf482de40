"""Open an upload with exactly one allowed decoder, check its header against the limits, decode it safely.

Every exception a decoder can raise on hostile input becomes a JobFailure here, so nothing untyped leaves
the normalizer. Only these Pillow calls are wrapped: a bug in our own code must not pass for bad input.
"""

from __future__ import annotations

import io
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, ImageFile

from imagejobs.errors import ErrorCode, JobFailure
from worker.normalize.frame_counting import FRAME_COUNT_LIMIT, count_gif_frames, count_tiff_pages
from worker.normalize.model import NormalizeLimits

# What Pillow's plugins and pillow-heif raise on malformed data (OSError covers "image file is truncated"
# and UnidentifiedImageError; plugins also assert and index past short buffers). MemoryError is absent on
# purpose: the pixel cap makes it an infrastructure failure, not a verdict on the image.
_DECODER_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    EOFError,
    struct.error,
    ZeroDivisionError,
    OverflowError,
    RuntimeError,
    AssertionError,
)

_FORMAT_NAMES = {"JPEG": "JPEG", "PNG": "PNG", "GIF": "GIF", "WEBP": "WebP", "TIFF": "TIFF"}

_heif_lock = threading.Lock()
_heif_registered = False


def _ensure_heif_opener() -> None:
    """Register pillow-heif with Pillow once per process, on the first HEIF upload, never at import."""
    global _heif_registered  # noqa: PLW0603 - a process-wide one-time registration is the point
    if _heif_registered:
        return
    with _heif_lock:
        if not _heif_registered:
            import pillow_heif

            # Thumbnails, depth maps and auxiliary images are never used: skip decoding and holding them.
            pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
            _heif_registered = True


@contextmanager
def decoder_errors(source_format: str) -> Iterator[None]:
    """Translate whatever a decoder raises into the job's error vocabulary."""
    name = _FORMAT_NAMES.get(source_format, source_format)
    try:
        yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow's own backstop (Image.MAX_IMAGE_PIXELS); its warning is an exception under `-W error`.
        raise JobFailure(
            ErrorCode.TOO_MANY_PIXELS, f"The {name} image has more pixels than we decode safely."
        ) from error
    except Warning as error:
        # Only reachable when warnings are turned into errors; the data is suspect either way.
        raise JobFailure(ErrorCode.DECODE_ERROR, f"The {name} image is damaged: {error}") from error
    except _DECODER_ERRORS as error:
        raise JobFailure(
            ErrorCode.DECODE_ERROR, f"The {name} image is truncated or damaged and cannot be decoded."
        ) from error


def open_checked(data: bytes, source_format: str, limits: NormalizeLimits) -> ImageFile.ImageFile:
    """Parse only the header with the one decoder the sniffer chose, then refuse what the limits forbid."""
    if source_format == "HEIF":
        _ensure_heif_opener()
    with decoder_errors(source_format):
        image = Image.open(io.BytesIO(data), formats=[source_format])
    width, height = image.size
    name = _FORMAT_NAMES.get(source_format, source_format)
    if width <= 0 or height <= 0:
        raise JobFailure(ErrorCode.DECODE_ERROR, f"The {name} image declares an empty canvas.")
    if width * height > limits.max_pixels:
        raise JobFailure(
            ErrorCode.TOO_MANY_PIXELS,
            f"The image is {width}x{height} ({width * height:,} pixels); the limit is {limits.max_pixels:,}.",
        )
    if min(width, height) < limits.min_edge:
        raise JobFailure(
            ErrorCode.TOO_SMALL,
            f"The image is {width}x{height}; both sides must be at least {limits.min_edge} px.",
        )
    return image


def count_frames(image: ImageFile.ImageFile, data: bytes, source_format: str) -> int:
    """Frames or pages in the file (only the first is decoded); reads headers, decodes nothing."""
    if source_format == "GIF":
        return count_gif_frames(data)
    if source_format == "TIFF":
        return count_tiff_pages(data)
    # The other containers state their frame count up front (acTL, ANIM, HEIF items, MPF, AVIF).
    with decoder_errors(source_format):
        frames = int(getattr(image, "n_frames", 1))
    return min(max(frames, 1), FRAME_COUNT_LIMIT)


def decode(image: ImageFile.ImageFile, source_format: str) -> None:
    """Decode the first frame in place; `image` may have been given a JPEG draft first."""
    with decoder_errors(source_format):
        image.load()
