"""Shrink a big decoded image to its fitted size without a second full-size copy.

Pillow's resize() and reduce() turn RGBA into premultiplied RGBa first, and mode conversions (palette,
16-bit, transparency) copy the whole image at 4 bytes a pixel: on a 100 MP PNG each copy is 400 MB. Here
the image is converted and box-reduced one horizontal strip at a time, so the peak is the decoded image
plus a strip and the reduced result; the final antialiased resample then runs on the small image. This is
the reduce-then-resample recipe of Pillow's resize(reducing_gap=...), applied per strip.
"""

from __future__ import annotations

from PIL import Image

from worker.normalize.colour import to_working_mode
from worker.normalize.fitting import resize

# Below this a full-size copy is cheap enough that the simpler path is used.
STRIP_MIN_PIXELS = 16_000_000
# Box-reduce by the whole factor the fit allows (Pillow's reducing_gap=1.0, its fastest setting): on these
# sizes memory matters more than the last bit of sharpness, and an antialiased resample still follows.
_REDUCING_GAP = 1.0
# Source rows per strip (rounded to a multiple of the reduce factor): ~40 MB of RGBA at 10,000 px wide.
_STRIP_ROWS = 1024


def shrink(
    image: Image.Image,
    source_format: str,
    target: tuple[int, int],
    steps: list[str],
    strip_min_pixels: int = STRIP_MIN_PIXELS,
) -> Image.Image:
    """`image` in a working mode (see colour.to_working_mode) at exactly `target` size."""
    return resize(prepare(image, source_format, target, steps, strip_min_pixels), target)


def prepare(
    image: Image.Image,
    source_format: str,
    target: tuple[int, int],
    steps: list[str],
    strip_min_pixels: int = STRIP_MIN_PIXELS,
) -> Image.Image:
    """`image` in a working mode, box-reduced in strips when big: what the final resize() should start from.

    Returns `image` itself when nothing had to change; otherwise the caller can free `image` before the
    resize, which is what keeps the peak to one full-size buffer.
    """
    factor = int(min(image.width / target[0], image.height / target[1]) / _REDUCING_GAP)
    # 32-bit and float greyscale are scaled by their extrema, which a strip does not know.
    whole_image_only = image.mode in ("I", "F")
    if factor < 2 or whole_image_only or image.width * image.height < strip_min_pixels:
        return to_working_mode(image, source_format, steps)
    return _reduce_in_strips(image, source_format, factor, steps)


def _reduce_in_strips(image: Image.Image, source_format: str, factor: int, steps: list[str]) -> Image.Image:
    rows = max(factor, _STRIP_ROWS // factor * factor)
    output: Image.Image | None = None
    for top in range(0, image.height, rows):
        strip_steps: list[str] = []
        strip = image.crop((0, top, image.width, min(image.height, top + rows)))
        small = to_working_mode(strip, source_format, strip_steps).reduce(factor)
        del strip
        if output is None:
            steps.extend(strip_steps)  # every strip takes the same steps; record them once
            size = (-(-image.width // factor), -(-image.height // factor))
            output = Image.new(small.mode, size)
        output.paste(small, (0, top // factor))
    assert output is not None  # an image has at least one row
    return output
