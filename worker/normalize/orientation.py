"""EXIF orientation: which transpose puts the pixels upright, read defensively from untrusted metadata."""

from __future__ import annotations

import struct

from PIL import Image

_ORIENTATION_TAG = 0x0112

# EXIF orientation value -> the transpose that undoes it (same table as ImageOps.exif_transpose).
TRANSPOSE_FOR_ORIENTATION: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_AXES = frozenset(
    {
        Image.Transpose.ROTATE_90,
        Image.Transpose.ROTATE_270,
        Image.Transpose.TRANSPOSE,
        Image.Transpose.TRANSVERSE,
    }
)

# Corrupt EXIF blocks make Pillow's parser raise these (or warn, which `-W error` turns into raising).
_EXIF_ERRORS = (OSError, SyntaxError, ValueError, TypeError, IndexError, KeyError, struct.error, Warning)


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1..8) left for us to apply; 1 when absent, out of range or unreadable.

    A bad tag never fails a job. TIFF is excluded: Pillow's TIFF plugin reports the upright size and
    transposes the pixels itself while loading (see `decoder_applied_orientation`).
    """
    if image.format == "TIFF":
        return 1
    return _read_tag(image)


def has_orientation_tag(image: Image.Image) -> bool:
    """Any orientation tag but a plain 1, even an invalid one: a viewer might still act on it."""
    return _raw_tag(image) not in (None, 1)


def _read_tag(image: Image.Image) -> int:
    value = _raw_tag(image)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _raw_tag(image: Image.Image) -> object:
    try:
        value: object = image.getexif().get(_ORIENTATION_TAG)
    except _EXIF_ERRORS:
        return "unreadable"
    if isinstance(value, tuple) and value:
        return value[0]
    return value


def decoder_applied_orientation(image: Image.Image) -> int:
    """Orientation the decoder applies itself: libheif from HEIF's irot/imir (pillow-heif then resets the
    EXIF tag to 1, keeping the old value in info), Pillow's TIFF plugin from the TIFF tag."""
    if image.format == "TIFF":
        return _read_tag(image)
    value = image.info.get("original_orientation")
    return value if isinstance(value, int) and 2 <= value <= 8 else 1


def swaps_axes(method: Image.Transpose | None) -> bool:
    return method in _SWAPS_AXES
