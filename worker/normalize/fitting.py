"""Fit: the output size for an upright image, and a JPEG encoding that fits the byte limit."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image

from imagejobs.errors import ErrorCode, JobFailure
from imagejobs.settings import REKOGNITION_MAX_EDGE
from worker.normalize.model import NormalizeLimits

# Quality steps tried in order; 90 keeps small text and faces crisp, 40 is the floor before shrinking.
QUALITY_STEPS = (90, 82, 75, 65, 55, 40)
# Each extra shrink when even the lowest quality is too large (only noise-like content gets here).
_SHRINK_STEP = 0.8


# libjpeg's DCT scaling denominators, largest first.
DCT_DENOMINATORS = (8, 4, 2)


@dataclass(frozen=True)
class FitPlan:
    """Output size (upright) and the scale from the upright original (1.0 = untouched).

    `dct_denominator` > 1: the size is exactly what libjpeg produces when decoding at 1/denominator
    (ceil of each side), so the decode does the whole shrink and no resample follows.
    """

    width: int
    height: int
    scale: float
    dct_denominator: int = 1

    @property
    def resizes(self) -> bool:
        return self.scale < 1.0


def plan_fit(width: int, height: int, limits: NormalizeLimits, *, dct_scaling: bool = False) -> FitPlan:
    """Long side down to `max_edge`, never upscaled, short side kept at `min_edge` or more.

    With `dct_scaling` (JPEG), when decoding at 1/2, 1/4 or 1/8 gives a long side within
    `limits.dct_fit_tolerance` under `max_edge`, that size is the fit: 4032x3024 becomes 2016x1512 rather
    than 2048x1536, decoded at half scale with no resample, instead of a full decode then a resample.

    Extreme aspect ratios: when fitting the long side would push the short side under `min_edge`, the
    short side wins and the long side may exceed `max_edge` up to Rekognition's 10,000 px (20000x200
    becomes 8000x80). Beyond that (aspect ratio above 125:1 with the defaults) no size satisfies both
    limits and the image is refused as TOO_SMALL rather than cropped: cropping would hide content.
    """
    long_side, short_side = max(width, height), min(width, height)
    if short_side < limits.min_edge:
        raise JobFailure(
            ErrorCode.TOO_SMALL,
            f"The image is {width}x{height}; both sides must be at least {limits.min_edge} px.",
        )
    scale = min(1.0, limits.max_edge / long_side)
    if short_side * scale < limits.min_edge:
        scale = limits.min_edge / short_side
        if long_side * scale > REKOGNITION_MAX_EDGE + 0.5:
            raise JobFailure(
                ErrorCode.TOO_SMALL,
                f"The image is {width}x{height}: too narrow for its length. Scaled to fit "
                f"{REKOGNITION_MAX_EDGE} px, its short side would be under {limits.min_edge} px.",
            )
    if scale >= 1.0:
        return FitPlan(width, height, 1.0)
    snapped = _dct_fit(width, height, limits) if dct_scaling else None
    if snapped is not None:
        return snapped
    out_width = _clamp(round(width * scale), limits.min_edge)
    out_height = _clamp(round(height * scale), limits.min_edge)
    return FitPlan(out_width, out_height, scale)


def _dct_fit(width: int, height: int, limits: NormalizeLimits) -> FitPlan | None:
    """The DCT-scaled size that fits `max_edge` with the least shrink, if it is within the tolerance."""
    long_side = max(width, height)
    for denominator in reversed(DCT_DENOMINATORS):
        out_width, out_height = -(-width // denominator), -(-height // denominator)
        if max(out_width, out_height) <= limits.max_edge:
            close_enough = max(out_width, out_height) >= limits.max_edge * (1 - limits.dct_fit_tolerance)
            if close_enough and min(out_width, out_height) >= limits.min_edge:
                return FitPlan(out_width, out_height, max(out_width, out_height) / long_side, denominator)
            return None
    return None


def _clamp(edge: int, min_edge: int) -> int:
    return min(max(edge, min_edge), REKOGNITION_MAX_EDGE)


def resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size == size:
        return image
    # Pillow's thumbnail() recipe: a box-filter reduce() to within 2x, then an antialiased BICUBIC.
    # Same look as LANCZOS for recognition, a fraction of its time on big shrinks.
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


@dataclass(frozen=True)
class Encoded:
    data: bytes
    quality: int
    width: int
    height: int


def encode_jpeg(image: Image.Image, limits: NormalizeLimits) -> Encoded:
    """Encode RGB as baseline JPEG, stepping quality down, then shrinking, until under the byte limit."""
    current = image
    while True:
        size = 0
        for quality in QUALITY_STEPS:
            data = _save_jpeg(current, quality)
            if len(data) <= limits.max_output_bytes:
                return Encoded(data, quality, current.width, current.height)
            size = len(data)
        factor = min(_SHRINK_STEP, math.sqrt(limits.max_output_bytes / size))
        smaller = (round(current.width * factor), round(current.height * factor))
        if min(smaller) < limits.min_edge:
            raise JobFailure(
                ErrorCode.FILE_TOO_LARGE,
                f"The image does not compress under {limits.max_output_bytes:,} bytes at any size we accept.",
            )
        current = resize(current, smaller)


def _save_jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    # Nothing but pixels: Pillow would copy a decoded comment (GIF, JPEG, PNG text) from `image.info`,
    # and a comment over JPEG's 65,533-byte COM limit would make it raise.
    image.save(buffer, "JPEG", quality=quality, comment=b"", exif=b"", icc_profile=None, xmp=None)
    return buffer.getvalue()
