"""How the normalizer behaves inside the worker process: threads, strict warnings, lazy plugin setup."""

from __future__ import annotations

import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from imagejobs.errors import ErrorCode, JobFailure
from tests.fixtures.corpus import SAMPLES, png_claiming, sample
from worker.normalize import normalize

GOOD = [
    "jpeg_orientation_6",
    "cmyk_plain_jpeg",
    "png_rgba",
    "png_16bit_grey",
    "jpeg_icc_display_p3",
    "heic_rotated",
    "avif_rotated",
    "webp_alpha",
    "gif_animated",
    "tiff_orientation_6",
    "jpeg_compliant",
]


def _outcome(name: str) -> str:
    try:
        return normalize(sample(name)).record.sha256
    except JobFailure as failure:
        return failure.code.value


def test_concurrent_calls_give_the_same_bytes_as_sequential_ones():
    names = [*GOOD, "jpeg_truncated", "png_bad_crc"] * 4
    sequential = [_outcome(name) for name in names]

    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(_outcome, names))

    assert concurrent == sequential


def test_warnings_as_errors_change_nothing_but_stay_typed_where_pillow_warns():
    lenient = {name: _outcome(name) for name in SAMPLES}

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        strict = {name: _outcome(name) for name in SAMPLES}  # an untyped exception would escape here

    differing = {name for name in SAMPLES if strict[name] != lenient[name]}
    # Pillow's JPEG opener itself warns on corrupt EXIF (reading the DPI); strict, that is a decode error.
    assert differing == {"jpeg_garbage_exif"}
    assert strict["jpeg_garbage_exif"] == ErrorCode.DECODE_ERROR.value


def test_pillows_decompression_bomb_warning_is_typed_when_warnings_are_errors(monkeypatch):
    # 10,000 x 9,000 is over Pillow's default warning threshold (89.5 MP) and under our default cap (100 MP).
    # The worker raises the threshold to its cap at start; here it is Pillow's default, whatever ran before.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 89_478_485)
    data = png_claiming(10_000, 9_000)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(JobFailure) as failure:
            normalize(data)

    assert failure.value.code is ErrorCode.TOO_MANY_PIXELS


def test_pillow_heif_is_registered_on_the_first_heif_not_at_import():
    script = (
        "from PIL import Image\n"
        "import worker.normalize as n\n"
        "from tests.fixtures.corpus import sample\n"
        "Image.init()\n"
        "before = 'HEIF' in Image.OPEN\n"
        "n.normalize(sample('jpeg_orientation_6'))\n"
        "after_jpeg = 'HEIF' in Image.OPEN\n"
        "n.normalize(sample('heic'))\n"
        "print(before, after_jpeg, 'HEIF' in Image.OPEN)\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)

    assert completed.stdout.split() == ["False", "False", "True"]
