"""DetectLabels' IMAGE_PROPERTIES feature, measured from the pixels with Pillow (both backends)."""

from __future__ import annotations

from typing import Any

from PIL import Image, ImageFilter, ImageStat

Json = dict[str, Any]
_SAMPLE_EDGE = 256


def image_properties(image: Image.Image, max_colors: int = 10) -> Json:
    sample = image.copy()
    sample.thumbnail((_SAMPLE_EDGE, _SAMPLE_EDGE))
    gray = sample.convert("L")
    stats = ImageStat.Stat(gray)
    edges = ImageStat.Stat(gray.filter(ImageFilter.FIND_EDGES))
    quality = {
        "Brightness": round(100.0 * stats.mean[0] / 255.0, 3),
        "Sharpness": round(min(100.0, 100.0 * edges.mean[0] / 64.0), 3),
        "Contrast": round(min(100.0, 100.0 * stats.stddev[0] / 128.0), 3),
    }
    return {"Quality": quality, "DominantColors": dominant_colors(sample, max_colors)}


def dominant_colors(image: Image.Image, max_colors: int) -> list[Json]:
    quantized = image.quantize(colors=max(1, max_colors))
    palette = quantized.getpalette() or []
    total = quantized.width * quantized.height
    colors = []
    counts: list[tuple[int, int]] = quantized.getcolors() or []  # type: ignore[assignment]
    for count, index in sorted(counts, reverse=True)[:max_colors]:
        red, green, blue = palette[3 * index : 3 * index + 3]
        colors.append(
            {
                "Red": red,
                "Blue": blue,
                "Green": green,
                "HexCode": f"#{red:02x}{green:02x}{blue:02x}",
                "PixelPercent": round(100.0 * count / total, 3),
            }
        )
    return colors
