"""The type comes from the bytes: accepted formats map to one decoder, everything else is refused by name."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from imagejobs.errors import ErrorCode, JobFailure
from tests.fixtures.corpus import sample
from worker.normalize import normalize
from worker.normalize.frame_counting import FRAME_COUNT_LIMIT, count_gif_frames, count_tiff_pages
from worker.normalize.sniffing import sniff_format


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (len(body) + 8).to_bytes(4, "big") + b"ftyp" + body + b"\x00" * 32


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("jpeg_compliant", "JPEG"),
        ("png_compliant", "PNG"),
        ("gif_animated", "GIF"),
        ("webp", "WEBP"),
        ("tiff_multipage", "TIFF"),
        ("bmp", "BMP"),
        ("heic", "HEIF"),
        ("avif", "AVIF"),
    ],
)
def test_corpus_samples_are_recognised_from_their_bytes(name, expected):
    assert sniff_format(sample(name)) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (_ftyp(b"mif1", b"mif1", b"heic"), "HEIF"),
        (_ftyp(b"mif1", b"mif1", b"avif"), "AVIF"),
        (_ftyp(b"avis", b"avis", b"msf1"), "AVIF"),
        (_ftyp(b"heix", b"mif1"), "HEIF"),
    ],
)
def test_heif_family_brands_pick_the_right_decoder(header, expected):
    assert sniff_format(header) == expected


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (_ftyp(b"isom", b"isom", b"mp41"), "video"),
        (b"%PDF-1.7\n", "PDF"),
        (b"8BPS\x00\x01" + b"\x00" * 40, "Photoshop"),
        (b"PK\x03\x04" + b"\x00" * 40, "ZIP"),
        (b"  <svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
        (b"BMW is a car, not a bitmap" + b"\x00" * 20, "not an image format"),
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    ],
)
def test_other_files_are_unsupported_and_named(data, words):
    with pytest.raises(JobFailure) as failure:
        sniff_format(data)

    assert failure.value.code is ErrorCode.UNSUPPORTED_FORMAT
    assert words in failure.value.message


def test_zero_bytes_is_an_empty_file():
    with pytest.raises(JobFailure) as failure:
        sniff_format(b"")

    assert failure.value.code is ErrorCode.EMPTY_FILE


# ------------------------------------------------------------------------------ bounded frame counting


def _gif_with_tiny_frames(count: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (100, 100), 0).save(buffer, "GIF")
    one_pixel_frame = (
        b"\x21\xf9\x04\x00\x00\x00\x00\x00"  # graphic control extension
        + b"\x2c"
        + struct.pack("<HHHH", 0, 0, 1, 1)
        + b"\x00"  # image descriptor, no local colour table
        + b"\x02\x02\x44\x01\x00"  # LZW code size 2, one sub-block, terminator
    )
    return buffer.getvalue()[:-1] + one_pixel_frame * count + b";"


def test_gif_frames_are_counted_like_pillow_counts_them():
    assert count_gif_frames(sample("gif_animated")) == 3
    assert count_gif_frames(_gif_with_tiny_frames(41)) == 42


def test_tiff_pages_are_counted_like_pillow_counts_them():
    assert count_tiff_pages(sample("tiff_multipage")) == 2
    assert count_tiff_pages(sample("tiff_orientation_6")) == 1


def test_a_gif_with_a_million_frames_is_counted_only_up_to_the_limit():
    result = normalize(_gif_with_tiny_frames(1_000_000))

    assert result.record.frames == FRAME_COUNT_LIMIT
    assert result.width == 100


def test_a_tiff_whose_ifd_chain_loops_counts_each_page_once():

    # Header -> IFD at 8 with no entries whose "next IFD" points back at itself.
    data = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 0) + struct.pack("<I", 8)

    assert count_tiff_pages(data) == 1
