"""Cheap refusals before decoding: scan bombs, metadata floods and sub-block GIFs end TOO_COMPLEX before any
decoder or Pillow parser sees them, while ordinary files well inside the bounds still go through."""

from __future__ import annotations

import io

import pytest
from PIL import GifImagePlugin, Image, JpegImagePlugin, PngImagePlugin

from imagejobs.errors import ErrorCode, JobFailure
from tests.fixtures.corpus import (
    encode,
    gif_sub_block_bomb,
    gif_with_extension,
    jpeg_scan_bomb,
    jpeg_segments,
    marked,
    photo_like,
    png_chunk,
    sample,
)
from worker.normalize import NormalizeLimits, normalize
from worker.normalize.gif_blocks import MAX_EXTENSION_SUB_BLOCKS
from worker.normalize.jpeg_markers import MAX_SEGMENTS
from worker.normalize.model import DEFAULT_MAX_JPEG_SCANS


def _too_complex(data: bytes, limits: NormalizeLimits | None = None) -> JobFailure:
    with pytest.raises(JobFailure) as failure:
        normalize(data, limits or NormalizeLimits())
    assert failure.value.code is ErrorCode.TOO_COMPLEX
    assert failure.value.message.endswith(".")
    return failure.value


@pytest.fixture
def no_decoding(monkeypatch):
    """Any Pillow parse or decode of JPEG, GIF or PNG fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a decoder or parser ran on a file the walk should have refused")

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "_open", refuse)
    monkeypatch.setattr(GifImagePlugin.GifImageFile, "_open", refuse)
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "_open", refuse)


# ------------------------------------------------------------------------------------------- scans


def _scans(data: bytes) -> int:
    return sum(1 for marker, _, _ in jpeg_segments(data) if marker == 0xDA)


@pytest.mark.parametrize("mode", ["RGB", "L", "CMYK"])
def test_libjpegs_own_progressions_are_well_under_the_scan_limit(mode):
    data = encode(photo_like((160, 120)).convert(mode), "JPEG", quality=90, progressive=True)

    # libjpeg-turbo's default scripts, as written by Pillow: 10 (YCbCr), 6 (grey), 18 (CMYK).
    assert _scans(data) == {"RGB": 10, "L": 6, "CMYK": 18}[mode]
    assert _scans(data) * 5 <= DEFAULT_MAX_JPEG_SCANS
    assert normalize(data).width == 160


def test_a_scan_bomb_is_refused_before_libjpeg_decodes_it(no_decoding):
    data = sample("jpeg_scan_bomb")
    assert _scans(data) == 150

    failure = _too_complex(data)

    assert "more than 100 scans" in failure.message


def test_the_scan_limit_is_a_limit_and_the_bomb_decodes_below_it():
    data = jpeg_scan_bomb((160, 120), 40)

    assert normalize(data, NormalizeLimits(max_jpeg_scans=40)).width == 160
    _too_complex(data, NormalizeLimits(max_jpeg_scans=39))


def test_a_flood_of_jpeg_segments_is_refused_before_pillow_parses_it(no_decoding):
    failure = _too_complex(sample("jpeg_comment_flood"))

    assert f"{MAX_SEGMENTS:,} marker segments" in failure.message


def test_more_jpeg_metadata_than_the_bound_is_refused():
    # 300 APP1 segments of 64 KB: 19 MB of "XMP", over the 16 MB bound though under the segment count.
    segment = b"\xff\xe1\xff\xff" + b"x" * 65_533
    base = encode(marked(), "JPEG", quality=90)

    failure = _too_complex(base[:2] + segment * 300 + base[2:])

    assert "MB of metadata" in failure.message


# --------------------------------------------------------------------------------------------- GIF


def test_the_sub_block_gif_is_refused_before_pillow_parses_it(no_decoding):
    # 40 MB of 1-byte comment sub-blocks: ~9 s and ~1.8 GB inside Pillow's parser (docs/normalizer.md).
    data = gif_sub_block_bomb(20_000_000)

    failure = _too_complex(data)

    assert f"{MAX_EXTENSION_SUB_BLOCKS:,} blocks" in failure.message


def test_more_gif_extension_bytes_than_the_bound_are_refused(no_decoding):
    failure = _too_complex(gif_with_extension(0xFF, b"XMP DataXMP" + b"x" * 1_100_000))

    assert "MB of extension data" in failure.message


def test_gif_extensions_within_the_bounds_are_read_and_dropped():
    # 600 KB of application data in 255-byte blocks, and a 60 KB comment: ordinary, if large.
    data = gif_with_extension(0xFF, b"XMP DataXMP" + b"secret-xmp " * 55_000)

    result = normalize(data)

    assert b"secret" not in result.data
    assert normalize(sample("gif_comment_60k")).width == 120


# --------------------------------------------------------------------------------------------- PNG


def test_more_png_text_than_the_bound_is_refused_before_pillow_parses_it(no_decoding):
    failure = _too_complex(sample("png_text_flood"))

    assert "MB of text and EXIF chunks" in failure.message


def test_a_flood_of_png_chunks_is_refused():
    data = encode(marked(), "PNG")
    iend = data.rindex(b"IEND") - 4
    flood = data[:iend] + png_chunk(b"prVt", b"") * 100_001 + data[iend:]

    failure = _too_complex(flood)

    assert "100,000 chunks" in failure.message


def test_a_png_in_many_small_idat_chunks_still_decodes():
    image = photo_like((200, 150))
    data = encode(image, "PNG")
    start = data.index(b"IDAT") - 4
    length = int.from_bytes(data[start : start + 4], "big")
    compressed = data[start + 8 : start + 8 + length]
    chunks = b"".join(png_chunk(b"IDAT", compressed[i : i + 16]) for i in range(0, len(compressed), 16))
    split = data[:start] + chunks + data[start + 12 + length :]

    result = normalize(split)

    assert result.record.passthrough
    assert Image.open(io.BytesIO(result.data)).convert("RGB").tobytes() == image.tobytes()
