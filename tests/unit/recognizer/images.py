"""Small images made in memory for the recognizer's tests."""

from __future__ import annotations

import io

from PIL import Image


def encoded(
    width: int = 200,
    height: int = 150,
    image_format: str = "JPEG",
    color: tuple[int, int, int] = (20, 120, 200),
    exif_orientation: int | None = None,
) -> bytes:
    image = Image.new("RGB", (width, height), color)
    buffer = io.BytesIO()
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        image.save(buffer, image_format, exif=exif.tobytes())
    else:
        image.save(buffer, image_format)
    return buffer.getvalue()
