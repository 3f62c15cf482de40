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
