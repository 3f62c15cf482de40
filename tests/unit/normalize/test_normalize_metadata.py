"""Nothing but pixels leaves the normalizer: no comment, EXIF (GPS), XMP, IPTC, text chunk or ICC profile in
any output, pass-through included, and the pixels of a pass-through are the upload's own."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from imagejobs.errors import JobFailure
from tests.fixtures.corpus import (
    METADATA_SECRETS,
    SAMPLES,
    encode,
    insert_jpeg_segment,
    jpeg_segments,
    marked,
    photo_like,
    sample,
)
from tests.unit.normalize.conftest import assert_only_pixels
from worker.normalize import NormalizedImage, normalize


def _assert_only_pixels(result: NormalizedImage) -> None:
    assert_only_pixels(result)
    for secret in METADATA_SECRETS:
        assert secret not in result.data
    decoded = Image.open(io.BytesIO(result.data))
    assert not decoded.getexif()
    assert "icc_profile" not in decoded.info
    assert "comment" not in decoded.info


@pytest.mark.parametrize("name", ["jpeg_compliant_metadata", "png_compliant_metadata"])
def test_a_pass_through_drops_every_metadata_segment_and_keeps_the_pixels(name):
    data = sample(name)
    assert all(secret in data for secret in METADATA_SECRETS[:2])  # the sample does carry GPS EXIF and XMP

    result = normalize(data)

    assert result.record.passthrough
    _assert_only_pixels(result)
    original = Image.open(io.BytesIO(data)).convert("RGB")
    assert Image.open(io.BytesIO(result.data)).convert("RGB").tobytes() == original.tobytes()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_no_output_of_the_corpus_carries_metadata(name):
    try:
        result = normalize(sample(name))
    except JobFailure:
        return  # refused inputs have no output
    _assert_only_pixels(result)


@pytest.mark.parametrize("name", ["gif_comment_60k", "gif_comment_70k"])
def test_a_long_gif_comment_is_dropped_not_copied(name):
    # JPEG's COM segment holds at most 65,533 bytes: copying a 70 KB comment used to raise ValueError.
    assert b"secret-comment" in sample(name)

    result = normalize(sample(name))

    _assert_only_pixels(result)
    assert not result.record.passthrough


def test_the_adobe_marker_is_kept_for_the_decoder_at_its_fixed_size():
    # Its colour transform byte (here 1: YCbCr) tells libjpeg how to read three components; extra bytes go.
    adobe = b"Adobe" + b"\x00\x64\x00\x00\x00\x00" + b"\x01" + b"secret-comment"
    data = insert_jpeg_segment(encode(photo_like((320, 240)), "JPEG", quality=90), 0xEE, adobe)

    result = normalize(data)

    assert result.record.passthrough
    kept = [result.data[s:e] for m, s, e in jpeg_segments(result.data) if m == 0xEE]
    assert kept == [b"\xff\xee\x00\x0e" + adobe[:12]]
    _assert_only_pixels(result)


def test_a_jpeg_whose_segments_cannot_be_walked_cleanly_is_reencoded_not_passed_through():
    data = encode(marked((320, 240)), "JPEG", quality=90, comment=b"secret-comment")
    # Garbage between two header segments: libjpeg skips it with a warning, a lossless strip cannot.
    sof = next(start for marker, start, _ in jpeg_segments(data) if marker == 0xC0)
    damaged = data[:sof] + b"\x00\x01" + data[sof:]

    result = normalize(damaged)

    assert not result.record.passthrough
    _assert_only_pixels(result)
