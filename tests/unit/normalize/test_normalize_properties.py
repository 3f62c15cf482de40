"""Property: for any generated image and limits, the output meets every Rekognition rule or is a JobFailure."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from imagejobs.errors import ErrorCode, JobFailure
from tests.fixtures.corpus import exif_with_orientation
from worker.normalize import NormalizeLimits, normalize

# Modes each encoder writes; a drawn mode is converted to the nearest one the format takes.
_WRITABLE = {
    "JPEG": ("L", "RGB", "CMYK"),
    "PNG": ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"),
    "WEBP": ("RGB", "RGBA"),
    "GIF": ("L", "P"),
    "BMP": ("1", "L", "P", "RGB"),
    "TIFF": ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "F"),
    "AVIF": ("RGB", "RGBA"),
}
_EXIF_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "AVIF")
_MODES = ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "F")


@st.composite
def images(draw: st.DrawFn) -> tuple[bytes, tuple[int, int], int]:
    fmt = draw(st.sampled_from(sorted(_WRITABLE)))
    # Mostly valid sizes, some under the 80 px minimum.
    edges = st.one_of(st.integers(80, 700), st.integers(80, 700), st.integers(1, 100))
    width = draw(edges)
    height = draw(edges)
    mode = draw(st.sampled_from(_MODES))
    if mode not in _WRITABLE[fmt]:
        mode = "RGB" if "RGB" in _WRITABLE[fmt] else "L"
    noisy = draw(st.booleans())
    base = (
        Image.merge("RGB", [Image.effect_noise((width, height), 60) for _ in range(3)])
        if noisy
        else Image.new("RGB", (width, height), tuple(draw(st.lists(st.integers(0, 255), min_size=3, max_size=3))))
    )
    image = base.convert("RGBA" if mode in ("LA", "RGBA") else "RGB").convert(mode) if mode != "RGB" else base
    orientation = draw(st.integers(1, 8)) if fmt in _EXIF_FORMATS else 1
    params: dict[str, object] = {"exif": exif_with_orientation(orientation)} if orientation != 1 else {}
    if fmt == "JPEG":
        params["progressive"] = draw(st.booleans())
    if fmt == "AVIF":
        params["speed"] = 10
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue(), (width, height), orientation


limits_strategy = st.builds(
    NormalizeLimits,
    max_pixels=st.one_of(st.just(100_000_000), st.integers(6_400, 500_000)),
    max_edge=st.integers(80, 1024),
    max_output_bytes=st.integers(20_000, 5 * 1024 * 1024),
)


# `rekognition_check` is a pure function, safe to share across examples.
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(generated=images(), limits=limits_strategy)
def test_any_image_comes_out_within_rekognition_limits_or_as_a_typed_failure(generated, limits, rekognition_check):
    data, (width, height), orientation = generated
    try:
        result = normalize(data, limits)
    except JobFailure as failure:
        event(f"failed {failure.code.value}")
        # Failures only where the input or the limits leave no valid output.
        too_small = min(width, height) < limits.min_edge
        too_many = width * height > limits.max_pixels
        too_thin = max(width, height) * limits.min_edge / min(width, height) > 10_000
        expected = too_small or too_many or too_thin or failure.code is ErrorCode.FILE_TOO_LARGE
        assert expected, failure
        return

    event(f"normalized passthrough={result.record.passthrough}")
    rekognition_check(result, limits)
    upright = (height, width) if orientation >= 5 else (width, height)
    assert result.width <= upright[0]
    assert result.height <= upright[1]
    assert (result.width >= result.height) == (upright[0] >= upright[1]) or abs(upright[0] - upright[1]) <= 1
    if max(result.width, result.height) > limits.max_edge:
        assert min(result.width, result.height) == limits.min_edge
