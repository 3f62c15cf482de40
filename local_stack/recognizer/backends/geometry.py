"""Relative (0..1) boxes and polygons as Rekognition writes them."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def clamp01(value: float) -> float:
    return min(1.0, max(0.0, value))


def relative_box(left: float, top: float, width: float, height: float) -> Json:
    """A BoundingBox from relative coordinates, cut to the image."""
    left, top = clamp01(left), clamp01(top)
    return {
        "Width": round(clamp01(left + width) - left, 6),
        "Height": round(clamp01(top + height) - top, 6),
        "Left": round(left, 6),
        "Top": round(top, 6),
    }


def box_polygon(box: Json) -> list[Json]:
    left, top, width, height = box["Left"], box["Top"], box["Width"], box["Height"]
    corners = ((left, top), (left + width, top), (left + width, top + height), (left, top + height))
    return [{"X": round(x, 6), "Y": round(y, 6)} for x, y in corners]
