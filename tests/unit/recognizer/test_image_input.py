from __future__ import annotations

import pytest

from local_stack.recognizer.errors import ImageTooLargeError, InvalidImageFormatError, InvalidParameterError
from local_stack.recognizer.image_input import MAX_BYTES_INLINE, load_image, sniff_format

from .images import encoded


def test_jpeg_and_png_are_read_with_their_dimensions() -> None:
    jpeg = load_image(encoded(300, 120, "JPEG"))
    png = load_image(encoded(90, 100, "PNG"))
    assert (jpeg.format, jpeg.width, jpeg.height) == ("JPEG", 300, 120)
    assert (png.format, png.width, png.height) == ("PNG", 90, 100)


def test_exif_rotation_swaps_the_reported_dimensions() -> None:
    rotated = load_image(encoded(300, 120, "JPEG", exif_orientation=6))
    assert (rotated.width, rotated.height) == (120, 300)
    assert rotated.rgb().size == (120, 300)


@pytest.mark.parametrize("image_format", ["WEBP", "GIF", "BMP", "TIFF"])
def test_formats_other_than_jpeg_and_png_are_refused(image_format: str) -> None:
    with pytest.raises(InvalidImageFormatError):
        load_image(encoded(200, 200, image_format))


def test_a_truncated_jpeg_is_an_invalid_format() -> None:
    with pytest.raises(InvalidImageFormatError):
        load_image(encoded(200, 200)[:40])


def test_images_under_80_pixels_on_a_side_are_invalid_parameters() -> None:
    with pytest.raises(InvalidParameterError):
        load_image(encoded(60, 60))
    with pytest.raises(InvalidParameterError):
        load_image(encoded(500, 79))
    assert load_image(encoded(80, 80)).width == 80


def test_bytes_over_the_inline_limit_are_too_large_before_any_decode() -> None:
    data = encoded(200, 200)
    oversized = data + b"\0" * (MAX_BYTES_INLINE + 1 - len(data))
    with pytest.raises(ImageTooLargeError):
        load_image(oversized)


def test_empty_bytes_are_an_invalid_parameter() -> None:
    with pytest.raises(InvalidParameterError):
        load_image(b"")


def test_sniffing_uses_magic_bytes_only() -> None:
    assert sniff_format(b"\xff\xd8\xff\xe0rest") == "JPEG"
    assert sniff_format(b"\x89PNG\r\n\x1a\nrest") == "PNG"
    assert sniff_format(b"RIFF\0\0\0\0WEBPVP8 ") is None
