"""Strip-wise shrinking: the same pixels as the same steps on the whole image, close to a fair resample."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from worker.normalize.colour import to_srgb, to_working_mode
from worker.normalize.fitting import resize
from worker.normalize.shrinking import shrink


def _scene(mode: str) -> Image.Image:
    image = Image.linear_gradient("L").resize((1500, 1100)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for index in range(12):
        draw.ellipse((index * 110, index * 80, index * 110 + 200, index * 80 + 150), fill=(255, index * 20, 0))
    if mode == "RGBA":
        image.putalpha(Image.linear_gradient("L").rotate(90).resize(image.size))
        return image
    if mode == "P+transparency":
        paletted = image.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
        paletted.info["transparency"] = paletted.getpixel((0, 0))
        return paletted
    if mode == "I;16":
        return Image.linear_gradient("L").resize((1500, 1100)).convert("I").point(lambda v: v * 257).convert("I;16")
    return image.convert(mode)


def _max_difference(first: Image.Image, second: Image.Image) -> int:
    return max(high for _, high in ImageChops.difference(first, second).getextrema())  # type: ignore[misc]


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P+transparency", "I;16", "CMYK", "L"])
def test_strips_give_the_pixels_of_the_same_steps_on_the_whole_image(mode):
    image = _scene(mode)
    target = (300, 220)  # 5x smaller: box-reduce by 5, then resample

    whole_steps: list[str] = []
    strip_steps: list[str] = []
    whole = resize(to_working_mode(image, "PNG", whole_steps).reduce(5), target)
    strips = shrink(image, "PNG", target, strip_steps, strip_min_pixels=1)

    assert strips.size == target
    assert strips.mode == whole.mode
    assert strip_steps == whole_steps
    assert _max_difference(to_srgb(whole, None, [])[0], to_srgb(strips, None, [])[0]) <= 2


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P+transparency"])
def test_strip_shrinking_looks_like_a_fair_resample(mode):
    image = _scene(mode)
    target = (300, 220)

    fair = shrink(image, "PNG", target, [], strip_min_pixels=10**12)  # Pillow's resize, whole image
    strips = shrink(image, "PNG", target, [], strip_min_pixels=1)

    difference = ImageChops.difference(to_srgb(fair, None, [])[0], to_srgb(strips, None, [])[0])
    assert max(ImageStat.Stat(difference).mean) <= 2.0
