"""Byte-mutation fuzzing: damaged versions of valid images end as JobFailure or valid output, never hang.

Deterministic (fixed seed); bounded by a time budget (IMGREC_FUZZ_SECONDS, default 8 s) so CI stays fast
and a longer local run is one variable away.
"""

from __future__ import annotations

import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest

from imagejobs.errors import JobFailure
from tests.fixtures.corpus import sample
from worker.normalize import NormalizeLimits, normalize

SEEDS = (
    "jpeg_orientation_6",
    "jpeg_progressive",
    "cmyk_adobe_jpeg",
    "jpeg_icc_display_p3",
    "png_rgba",
    "png_palette_transparency",
    "png_16bit_grey",
    "gif_animated",
    "tiff_multipage",
    "webp",
    "webp_alpha",
    "bmp",
    "heic_rotated",
    "avif_rotated",
    "jpeg_compliant_metadata",
    "png_compliant_metadata",
    "gif_comment_70k",
    "jpeg_scan_bomb",
)
BUDGET_SECONDS = float(os.environ.get("IMGREC_FUZZ_SECONDS", "8"))
# One damaged input taking this long counts as a hang.
HANG_SECONDS = 10.0
# Small caps keep a mutated header from buying a slow full decode of a huge canvas.
LIMITS = NormalizeLimits(max_pixels=4_000_000, max_edge=512)


def mutate(data: bytes, rng: random.Random) -> bytes:
    buffer = bytearray(data)
    kind = rng.randrange(6)
    if kind == 0:  # flip a few bytes, biased to the header where parsers decide sizes and offsets
        for _ in range(rng.randint(1, 8)):
            index = rng.randrange(min(len(buffer), 512) if rng.random() < 0.7 else len(buffer))
            buffer[index] = rng.randrange(256)
    elif kind == 1:  # truncate
        del buffer[rng.randrange(1, len(buffer)) :]
    elif kind == 2:  # insert junk
        index = rng.randrange(len(buffer))
        buffer[index:index] = rng.randbytes(rng.randint(1, 64))
    elif kind == 3:  # duplicate a slice (repeated chunks, markers, IFD entries)
        start = rng.randrange(len(buffer))
        piece = buffer[start : start + rng.randint(1, 256)]
        index = rng.randrange(len(buffer))
        buffer[index:index] = piece
    elif kind == 4:  # write an extreme 16/32-bit value: lengths, dimensions, offsets
        index = rng.randrange(min(len(buffer), 256))
        value = rng.choice((b"\xff\xff", b"\x00\x00", b"\x7f\xff\xff\xff", b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"))
        buffer[index : index + len(value)] = value
    else:  # zero a run
        start = rng.randrange(len(buffer))
        length = rng.randint(1, 128)
        buffer[start : start + length] = bytes(min(length, len(buffer) - start))
    return bytes(buffer)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_mutated_images_never_raise_untyped_errors_or_hang(rekognition_check):
    rng = random.Random(20260601)
    originals = [sample(name) for name in SEEDS]
    untyped: list[tuple[int, str, BaseException]] = []
    outcomes = {"ok": 0, "failed": 0}
    deadline = time.monotonic() + BUDGET_SECONDS
    iteration = 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        while time.monotonic() < deadline:
            iteration += 1
            seed_index = rng.randrange(len(originals))
            data = mutate(originals[seed_index], rng)
            future = pool.submit(normalize, data, LIMITS)
            try:
                result = future.result(timeout=HANG_SECONDS)
            except FutureTimeout:
                pytest.fail(f"iteration {iteration} ({SEEDS[seed_index]}) hung for {HANG_SECONDS} s")
            except JobFailure:
                outcomes["failed"] += 1
            except Exception as error:  # collecting exactly what must never happen
                untyped.append((iteration, SEEDS[seed_index], error))
            else:
                rekognition_check(result, LIMITS)
                outcomes["ok"] += 1

    assert not untyped, untyped[:5]
    assert iteration >= 50, "the budget ran out before the fuzzer did meaningful work"
    # Both outcomes must occur, or the mutations are too weak or too destructive to test anything.
    assert outcomes["ok"] > 0
    assert outcomes["failed"] > 0
