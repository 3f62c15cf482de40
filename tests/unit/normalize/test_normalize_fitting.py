"""Fitting: output sizes for every shape, and the byte limit met by quality steps, then by shrinking."""

from __future__ import annotations

import pytest
from PIL import Image

from imagejobs.errors import ErrorCode, JobFailure
from worker.normalize import NormalizeLimits
from worker.normalize.fitting import QUALITY_STEPS, encode_jpeg, plan_fit

LIMITS = NormalizeLimits(max_edge=4096)  # the sizes below are worked out for a 4096 px long side


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((640, 480), (640, 480)),  # small enough: never upscaled
        ((4096, 80), (4096, 80)),  # exactly on both limits
        ((6000, 4000), (4096, 2731)),
        ((4000, 6000), (2731, 4096)),
        ((10_000, 10_000), (4096, 4096)),
        ((20_000, 200), (8000, 80)),  # short side wins; long side over max_edge but <= 10,000
        ((200, 20_000), (80, 8000)),
        ((100_000, 800), (10_000, 80)),  # exactly 125:1
    ],
)
def test_fit_sizes(size, expected):
    plan = plan_fit(*size, LIMITS)

    assert (plan.width, plan.height) == expected
    assert plan.resizes == (expected != size)


@pytest.mark.parametrize("size", [(79, 300), (300, 79), (1, 1), (20_000, 150), (150, 20_000)])
def test_sizes_that_cannot_reach_80_px_are_too_small(size):
    with pytest.raises(JobFailure) as failure:
        plan_fit(*size, LIMITS)

    assert failure.value.code is ErrorCode.TOO_SMALL


def _noise(size: tuple[int, int]) -> Image.Image:
    return Image.merge("RGB", [Image.effect_noise(size, 90) for _ in range(3)])


def test_quality_steps_down_until_the_bytes_fit():
    image = _noise((800, 800))
    best = encode_jpeg(image, NormalizeLimits(max_output_bytes=5 * 1024 * 1024))
    limits = NormalizeLimits(max_output_bytes=len(best.data) * 2 // 3)

    encoded = encode_jpeg(image, limits)

    assert best.quality == QUALITY_STEPS[0]
    assert encoded.quality < best.quality
    assert len(encoded.data) <= limits.max_output_bytes
    assert (encoded.width, encoded.height) == (800, 800)


def test_when_no_quality_fits_the_image_shrinks_but_stays_above_80_px():
    limits = NormalizeLimits(max_output_bytes=40_000)

    encoded = encode_jpeg(_noise((1000, 700)), limits)

    assert len(encoded.data) <= limits.max_output_bytes
    assert 80 <= encoded.height < 700
    assert encoded.width / encoded.height == pytest.approx(1000 / 700, rel=0.02)


def test_an_image_that_cannot_fit_at_any_accepted_size_is_refused():
    with pytest.raises(JobFailure) as failure:
        encode_jpeg(_noise((300, 100)), NormalizeLimits(max_output_bytes=1_000))

    assert failure.value.code is ErrorCode.FILE_TOO_LARGE


# ----------------------------------------------------------------------------------- DCT-scaled fit

DEFAULT = NormalizeLimits()  # max_edge 2048, 3 % tolerance


@pytest.mark.parametrize(
    ("size", "expected", "denominator"),
    [
        ((4032, 3024), (2016, 1512), 2),  # 12 MP phones: 1.6 % under 2048
        ((3024, 4032), (1512, 2016), 2),
        ((4000, 3000), (2000, 1500), 2),  # 2.3 % under
        ((4080, 3060), (2040, 1530), 2),
        ((4096, 3072), (2048, 1536), 2),  # exactly on the edge
        ((4031, 3023), (2016, 1512), 2),  # odd sides: libjpeg rounds up
        ((8064, 6048), (2016, 1512), 4),  # 48 MP
        ((16128, 6000), (2016, 750), 8),
    ],
)
def test_jpeg_fit_snaps_to_the_dct_scale_within_the_tolerance(size, expected, denominator):
    plan = plan_fit(*size, DEFAULT, dct_scaling=True)

    assert (plan.width, plan.height) == expected
    assert plan.dct_denominator == denominator
    assert plan.scale == pytest.approx(max(expected) / max(size))


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((3840, 2160), (2048, 1152)),  # 1920 would be 6.25 % under: outside the tolerance
        ((6000, 4000), (2048, 1365)),  # 3000 is over the edge, 1500 far under: decode at 1/2, then resample
        ((20_000, 200), (8000, 80)),  # the short side's minimum still wins
        ((4032, 150), (2150, 80)),  # 2016x75 would be under 80 px: not snapped
    ],
)
def test_jpeg_fit_keeps_the_plain_size_when_no_dct_scale_is_close_enough(size, expected):
    plan = plan_fit(*size, DEFAULT, dct_scaling=True)

    assert (plan.width, plan.height) == expected
    assert plan.dct_denominator == 1


def test_tolerance_zero_and_non_jpeg_formats_keep_the_plain_fit():
    assert (plan_fit(4032, 3024, DEFAULT).width, plan_fit(4032, 3024, DEFAULT).dct_denominator) == (2048, 1)
    plain = plan_fit(4032, 3024, NormalizeLimits(dct_fit_tolerance=0.0), dct_scaling=True)
    assert (plain.width, plain.height, plain.dct_denominator) == (2048, 1536, 1)
