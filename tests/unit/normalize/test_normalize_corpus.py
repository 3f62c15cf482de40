"""The generated corpus through `normalize`: every image people send comes out Rekognition-ready or typed."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image, ImageCms

from imagejobs.errors import ErrorCode, JobFailure
from tests.fixtures.corpus import (
    BLUE,
    GREY,
    ORIENTATION_CORNERS,
    RED,
    close_to,
    corner_pixel,
    encode,
    exif_with_orientation,
    icc_source_image,
    jpeg_segments,
    marked,
    photo_like,
    sample,
)
from worker.normalize import NormalizedImage, NormalizeLimits, normalize

LIMITS = NormalizeLimits()
WHITE = (255, 255, 255)


def _decode(result: NormalizedImage) -> Image.Image:
    return Image.open(io.BytesIO(result.data)).convert("RGB")


# ------------------------------------------------------------------------------------------- orientation


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_moves_the_stored_corners_where_the_spec_says(orientation, rekognition_check):
    result = normalize(sample(f"jpeg_orientation_{orientation}"))

    upright = rekognition_check(result, LIMITS)
    red_corner, blue_corner = ORIENTATION_CORNERS[orientation]
    assert close_to(corner_pixel(upright, red_corner), RED)
    assert close_to(corner_pixel(upright, blue_corner), BLUE)
    assert upright.size == ((160, 240) if orientation >= 5 else (240, 160))
    assert (result.record.transpose is None) == (orientation == 1)
    assert result.record.orientation_applied_by == (None if orientation == 1 else "pixels")


@pytest.mark.parametrize(
    ("name", "applied_by"),
    [("png_orientation_6", "pixels"), ("webp_orientation_6", "pixels"), ("tiff_orientation_6", "decoder")],
)
def test_other_formats_with_an_exif_orientation_are_rotated_once(name, applied_by, rekognition_check):
    result = normalize(sample(name))

    upright = rekognition_check(result, LIMITS)
    assert upright.size == (160, 240)
    assert result.record.transpose == "ROTATE_270"
    assert result.record.orientation_applied_by == applied_by
    assert close_to(corner_pixel(upright, "top-right"), RED)
    assert close_to(corner_pixel(upright, "bottom-right"), BLUE)


def test_heic_rotation_is_applied_exactly_once(rekognition_check):
    result = normalize(sample("heic_rotated"))

    upright = rekognition_check(result, LIMITS)
    # Same place as a JPEG with orientation 6: once by libheif, not again from the EXIF tag.
    assert upright.size == (160, 240)
    assert close_to(corner_pixel(upright, "top-right"), RED)
    assert close_to(corner_pixel(upright, "bottom-right"), BLUE)
    assert result.record.orientation_applied_by == "decoder"
    assert result.record.transpose == "ROTATE_270"


def test_avif_orientation_is_applied_once_by_us(rekognition_check):
    result = normalize(sample("avif_rotated"))

    upright = rekognition_check(result, LIMITS)
    assert upright.size == (160, 240)
    assert close_to(corner_pixel(upright, "top-right"), RED)
    assert close_to(corner_pixel(upright, "bottom-right"), BLUE)
    assert result.record.orientation_applied_by == "pixels"


def test_orientation_survives_the_jpeg_draft_path(rekognition_check):
    stored = marked((1600, 1000), marker=400)
    data = encode(stored, "JPEG", quality=92, exif=exif_with_orientation(8))
    limits = NormalizeLimits(max_edge=400)

    result = normalize(data, limits)

    upright = rekognition_check(result, limits)
    assert upright.size == (250, 400)
    assert result.record.draft_denominator == 4
    assert close_to(corner_pixel(upright, "bottom-left", inset=30), RED)
    assert close_to(corner_pixel(upright, "top-left", inset=30), BLUE)


# ------------------------------------------------------------------------------------------ formats


# Red as stored by each sample; in a greyscale JPEG it is its ITU-R 601 luma (0.299 * 255).
@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("heic", RED),
        ("avif", RED),
        ("webp", RED),
        ("webp_alpha", RED),
        ("bmp", RED),
        ("jpeg_grey", (76, 76, 76)),
    ],
)
def test_other_formats_decode_to_upright_rgb_jpeg(name, marker, rekognition_check):
    result = normalize(sample(name))

    upright = rekognition_check(result, LIMITS)
    assert result.content_type == "image/jpeg"
    assert not result.record.passthrough
    assert upright.size == (240, 160)
    assert close_to(corner_pixel(upright, "top-left"), marker)
    assert close_to(corner_pixel(upright, "bottom-left"), GREY)


def test_animated_gif_uses_its_first_frame(rekognition_check):
    result = normalize(sample("gif_animated"))

    upright = rekognition_check(result, LIMITS)
    assert close_to(corner_pixel(upright, "top-left"), RED)
    assert result.record.frames == 3


def test_multipage_tiff_uses_its_first_page(rekognition_check):
    result = normalize(sample("tiff_multipage"))

    upright = rekognition_check(result, LIMITS)
    assert upright.size == (120, 100)
    assert close_to(corner_pixel(upright, "bottom-right"), RED)
    assert result.record.frames == 2


# ------------------------------------------------------------------------------------------- colour


@pytest.mark.parametrize("name", ["cmyk_adobe_jpeg", "cmyk_plain_jpeg"])
def test_cmyk_both_conventions_come_out_in_the_right_colours(name, rekognition_check):
    result = normalize(sample(name))

    upright = rekognition_check(result, LIMITS)
    assert close_to(corner_pixel(upright, "top-left"), RED)
    assert close_to(corner_pixel(upright, "top-right"), BLUE)
    assert close_to(corner_pixel(upright, "bottom-left"), GREY)


def test_16bit_greyscale_is_scaled_not_clipped(rekognition_check):
    upright = rekognition_check(normalize(sample("png_16bit_grey")), LIMITS)

    # The gradient runs top (0) to bottom (65535); clipping would turn everything past 1/256 white.
    middle = upright.getpixel((128, 50))
    assert isinstance(middle, tuple)
    assert 100 <= middle[0] <= 156
    assert upright.getpixel((128, 2))[0] <= 20  # type: ignore[index]
    assert upright.getpixel((128, 97))[0] >= 235  # type: ignore[index]


def test_16bit_rgb_png_is_reencoded_as_8bit(rekognition_check):
    result = normalize(sample("png_16bit_rgb"))

    upright = rekognition_check(result, LIMITS)
    assert not result.record.passthrough
    assert close_to(corner_pixel(upright, "top-left", inset=10), (255, 128, 0))
    assert close_to(corner_pixel(upright, "top-right", inset=10), (16, 16, 16))


def test_rgba_is_flattened_onto_white(rekognition_check):
    result = normalize(sample("png_rgba"))

    upright = rekognition_check(result, LIMITS)
    # Alpha runs from 0 at the top to 255 at the bottom.
    assert close_to(upright.getpixel((120, 1)), WHITE, 8)  # type: ignore[arg-type]
    assert close_to(upright.getpixel((120, 158)), GREY, 8)  # type: ignore[arg-type]
    assert "alpha->white" in result.record.colour_conversions


def test_palette_transparency_is_flattened_onto_white(rekognition_check):
    result = normalize(sample("png_palette_transparency"))

    upright = rekognition_check(result, LIMITS)
    assert close_to(corner_pixel(upright, "bottom-left"), WHITE)
    assert close_to(corner_pixel(upright, "top-left"), RED)


@pytest.mark.parametrize("name", ["jpeg_icc_adobe_rgb", "jpeg_icc_display_p3"])
def test_wide_gamut_profiles_are_converted_to_srgb(name, rekognition_check):
    data = sample(name)
    profile = Image.open(io.BytesIO(data)).info["icc_profile"]
    reference = ImageCms.profileToProfile(
        icc_source_image(),
        ImageCms.ImageCmsProfile(io.BytesIO(profile)),
        ImageCms.createProfile("sRGB"),
        outputMode="RGB",
    )
    assert reference is not None

    result = normalize(data)

    upright = rekognition_check(result, LIMITS)
    for point in ((40, 60), (120, 60)):
        expected = reference.getpixel(point)
        untouched = icc_source_image().getpixel(point)
        assert isinstance(expected, tuple)
        assert isinstance(untouched, tuple)
        assert close_to(upright.getpixel(point), expected, 6)  # type: ignore[arg-type]
        assert not close_to(expected, untouched, 6), "the test colours must be ones the profile changes"
    assert result.record.icc_profile is not None
    assert result.record.icc_profile.endswith("test")


# -------------------------------------------------------------------------------------- fast paths


@pytest.mark.parametrize("name", ["jpeg_compliant", "jpeg_progressive", "jpeg_icc_srgb", "jpeg_garbage_exif"])
def test_compliant_jpegs_pass_through_with_their_coded_pixels_untouched(name, rekognition_check):
    data = sample(name)

    result = normalize(data)

    rekognition_check(result, LIMITS)
    assert result.content_type == "image/jpeg"
    assert result.record.passthrough
    assert result.record.scale == 1.0
    # Every segment but APPn/COM (JFIF, EXIF, ICC: metadata) is copied byte for byte, in order.
    coded = [data[s:e] for marker, s, e in jpeg_segments(data) if not (0xE0 <= marker <= 0xEF or marker == 0xFE)]
    assert b"".join(coded) == result.data


def test_a_compliant_png_passes_through_byte_for_byte(rekognition_check):
    data = sample("png_compliant")  # Pillow writes IHDR, IDAT and IEND only: nothing to drop

    result = normalize(data)

    rekognition_check(result, LIMITS)
    assert result.data == data
    assert result.content_type == "image/png"
    assert result.record.passthrough


def test_a_compliant_jpeg_over_the_byte_limit_is_reencoded(rekognition_check):
    data = encode(photo_like((1200, 900)), "JPEG", quality=98)
    limits = NormalizeLimits(max_output_bytes=len(data) - 1)

    result = normalize(data, limits)

    rekognition_check(result, limits)
    assert not result.record.passthrough
    assert result.record.jpeg_quality is not None


def test_a_large_jpeg_is_drafted_and_fitted_to_the_max_edge(rekognition_check):
    limits = NormalizeLimits(max_edge=800)  # 2400 / 2 = 1200 and 2400 / 4 = 600: no DCT scale fits

    result = normalize(encode(photo_like((2400, 1600)), "JPEG", quality=85), limits)

    rekognition_check(result, limits)
    assert (result.width, result.height) == (800, 533)
    assert result.record.draft_denominator == 2
    assert result.record.scale == pytest.approx(1 / 3, abs=1e-3)


# ----------------------------------------------------------------------------------------- fitting


def test_extreme_panorama_keeps_the_short_side_at_the_minimum(rekognition_check):
    result = normalize(sample("wide_20000x200"))

    rekognition_check(result, LIMITS)
    # Fitting 20000 to 2048 would leave 20 px; the short side wins, the long side stays <= 10,000.
    assert (result.width, result.height) == (8000, 80)
    assert result.record.scale == pytest.approx(0.4)


def test_a_panorama_too_thin_for_any_size_is_too_small():
    data = encode(Image.new("RGB", (20000, 150), RED), "PNG")

    with pytest.raises(JobFailure) as failure:
        normalize(data)

    assert failure.value.code is ErrorCode.TOO_SMALL


# ------------------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("empty", ErrorCode.EMPTY_FILE),
        ("random_bytes", ErrorCode.UNSUPPORTED_FORMAT),
        ("text_named_jpg", ErrorCode.UNSUPPORTED_FORMAT),
        ("svg", ErrorCode.UNSUPPORTED_FORMAT),
        ("pdf", ErrorCode.UNSUPPORTED_FORMAT),
        ("tiny_1x1", ErrorCode.TOO_SMALL),
        ("narrow_79x300", ErrorCode.TOO_SMALL),
        ("png_claims_100000x100000", ErrorCode.TOO_MANY_PIXELS),
        ("jpeg_truncated", ErrorCode.DECODE_ERROR),
        ("png_bad_crc", ErrorCode.DECODE_ERROR),
    ],
)
def test_bad_inputs_fail_with_their_code_and_a_sentence(name, code):
    with pytest.raises(JobFailure) as failure:
        normalize(sample(name))

    assert failure.value.code is code
    assert failure.value.message.endswith(".")
    assert len(failure.value.message) > 20


def test_a_header_over_the_pixel_cap_is_never_decoded(monkeypatch):
    from PIL import PngImagePlugin

    def refuse_to_decode(self):
        raise MemoryError("decoded although the header was over the cap")

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", refuse_to_decode)
    data = encode(Image.new("RGB", (1200, 1000)), "PNG")

    with pytest.raises(JobFailure) as failure:
        normalize(data, NormalizeLimits(max_pixels=1_000_000))

    assert failure.value.code is ErrorCode.TOO_MANY_PIXELS
    assert "1,200,000" in failure.value.message


def test_a_damaged_idat_chunk_is_a_decode_error_even_when_pillow_would_read_it():
    data = bytearray(sample("png_compliant"))
    idat = data.index(b"IDAT")
    length = int.from_bytes(data[idat - 4 : idat], "big")
    data[idat + 4 + length + 3] ^= 0x01  # flip one bit of IDAT's CRC, data untouched

    with pytest.raises(JobFailure) as failure:
        normalize(bytes(data))

    assert failure.value.code is ErrorCode.DECODE_ERROR


# ------------------------------------------------------------------------------------------- record


def test_the_record_is_json_with_camel_case_keys():
    result = normalize(sample("jpeg_orientation_6"))

    payload = json.loads(json.dumps(result.record.to_json()))

    assert payload["originalFormat"] == "JPEG"
    assert (payload["originalWidth"], payload["originalHeight"]) == (240, 160)
    assert (payload["outputWidth"], payload["outputHeight"]) == (160, 240)
    assert payload["transpose"] == "ROTATE_270"
    assert payload["passthrough"] is False
    assert payload["originalBytes"] == len(sample("jpeg_orientation_6"))
    assert all("_" not in key for key in payload)


def test_limits_outside_what_rekognition_allows_are_rejected():
    with pytest.raises(ValueError, match="max_edge"):
        NormalizeLimits(max_edge=12_000)
    with pytest.raises(ValueError, match="max_output_bytes"):
        NormalizeLimits(max_output_bytes=6 * 1024 * 1024)


def test_a_phone_sized_jpeg_is_decoded_at_half_scale_without_a_resample(rekognition_check):
    # 788x592 against a 400 px edge is 4032x3024 against 2048 in small: half scale is 1.5 % under the edge.
    stored = marked((788, 592), marker=150)
    limits = NormalizeLimits(max_edge=400)

    result = normalize(encode(stored, "JPEG", quality=92, exif=exif_with_orientation(6)), limits)

    upright = rekognition_check(result, limits)
    assert upright.size == (296, 394)
    assert result.record.draft_denominator == 2
    assert result.record.scale == pytest.approx(0.5)
    assert close_to(corner_pixel(upright, "top-right", inset=30), RED)
    assert close_to(corner_pixel(upright, "bottom-right", inset=30), BLUE)
