"""Colour: any decoded mode becomes 8-bit sRGB without alpha, and every step taken is named for the record.

Two stages so the expensive part runs on few pixels: `to_working_mode` (full size, only when the source
mode cannot be resized or colour-managed as is) and `to_srgb` (after the resize).
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageChops, ImageCms

# Transparent pixels are flattened onto white: documents, logos and screenshots are drawn for white.
BACKGROUND = (255, 255, 255)
WORKING_MODES = frozenset({"L", "LA", "RGB", "RGBA", "CMYK"})
_ALPHA_OF = {"L": "LA", "RGB": "RGBA"}
_PROFILE_SPACE_FOR_MODE = {"L": "GRAY", "RGB": "RGB", "CMYK": "CMYK"}
_SIMPLE_CONVERSIONS = {
    "1": "L",
    "La": "LA",
    "RGBa": "RGBA",
    "RGBX": "RGB",
    "YCbCr": "RGB",
    "LAB": "RGB",
    "HSV": "RGB",
    "PA": "RGBA",
}
_ICC_ERRORS = (ImageCms.PyCMSError, OSError, ValueError, TypeError)


def to_working_mode(image: Image.Image, source_format: str, steps: list[str]) -> Image.Image:
    """Return an 8-bit L, LA, RGB, RGBA or CMYK image with the same pixels (transparency kept as alpha)."""
    mode = image.mode
    if mode == "CMYK" and source_format == "JPEG":
        return _fix_jpeg_cmyk(image, steps)
    if "transparency" in image.info and mode in ("P", "L", "RGB"):
        target = "RGBA" if mode == "P" else _ALPHA_OF[mode]
        steps.append(f"{mode}+transparency->{target}")
        return image.convert(target)
    if mode in WORKING_MODES:
        return image
    if mode == "P":
        target = "RGB"
    elif mode in _SIMPLE_CONVERSIONS:
        target = _SIMPLE_CONVERSIONS[mode]
    elif mode.startswith(("I", "F")):
        steps.append(f"{mode}->L")
        return _high_depth_to_l(image)
    else:
        target = "RGB"
    steps.append(f"{mode}->{target}")
    return image.convert(target)


def _fix_jpeg_cmyk(image: Image.Image, steps: list[str]) -> Image.Image:
    # Pillow reads every CMYK JPEG as Adobe-inverted. Photoshop writes the APP14 "Adobe" marker with
    # inverted data; writers without the marker store plain CMYK, which must be inverted back.
    if "adobe" in image.info:
        steps.append("CMYK(adobe-inverted)")
        return image
    steps.append("CMYK(plain)")
    return ImageChops.invert(image)


def _high_depth_to_l(image: Image.Image) -> Image.Image:
    """16-bit, 32-bit and float greyscale scaled to 8 bits (Pillow's convert("L") clips, not scales)."""
    wide = image if image.mode in ("I", "F") else image.convert("I")
    _, high = wide.getextrema()
    if image.mode.startswith("I;16"):
        divisor = 257.0
    elif image.mode == "F" and isinstance(high, float) and high <= 1.0:
        divisor = 1 / 255
    elif isinstance(high, (int, float)) and high > 255:
        divisor = 257.0 if high <= 65535 else float(high) / 255
    else:
        divisor = 1.0
    scaled = wide.point(lambda value: value / divisor) if divisor != 1.0 else wide
    return scaled.convert("L")


def to_srgb(image: Image.Image, icc: bytes | None, steps: list[str]) -> tuple[Image.Image, str | None]:
    """Convert a working-mode image to 8-bit sRGB RGB; returns the image and the ICC profile's description.

    Alpha is flattened before the profile is applied: profiles map white to white, and one composite on
    the image's own mode is cheaper than splitting channels around the colour transform.
    """
    base = _flatten(image, steps) if image.mode in ("LA", "RGBA") else image
    description = None
    if icc:
        base, description = _apply_icc(base, icc, steps)
    if base.mode != "RGB":
        steps.append(f"{base.mode}->RGB")
        base = base.convert("RGB")
    return base, description


def _apply_icc(image: Image.Image, icc: bytes, steps: list[str]) -> tuple[Image.Image, str | None]:
    try:
        description, space = _describe_profile(icc)
    except _ICC_ERRORS:
        steps.append("icc:unreadable-ignored")
        return image, None
    if space != _PROFILE_SPACE_FOR_MODE.get(image.mode):
        steps.append(f"icc:{space}-profile-on-{image.mode}-ignored")
        return image, description
    if image.mode == "RGB" and "srgb" in description.lower():
        return image, description
    try:
        transform = _transform_to_srgb(icc, image.mode)
        converted = transform.apply(image)
    except _ICC_ERRORS:
        steps.append("icc:unusable-ignored")
        return image, description
    steps.append(f"icc:{description}->sRGB")
    return converted, description


@lru_cache(maxsize=8)
def _describe_profile(icc: bytes) -> tuple[str, str]:
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    description = (ImageCms.getProfileDescription(profile) or "unnamed").strip() or "unnamed"
    return description, str(profile.profile.xcolor_space).strip()


@lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@lru_cache(maxsize=8)
def _transform_to_srgb(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform:
    # NOCACHE: lcms2's one-pixel cache is written during a transform, so a cached transform shared by
    # the worker's threads must not use it.
    return ImageCms.buildTransform(
        ImageCms.ImageCmsProfile(io.BytesIO(icc)),
        _srgb_profile(),
        mode,
        "RGB",
        renderingIntent=ImageCms.Intent.PERCEPTUAL,
        flags=ImageCms.Flags.NOCACHE,
    )


def _flatten(image: Image.Image, steps: list[str]) -> Image.Image:
    without_alpha = image.mode[:-1]
    extrema = image.getextrema()
    lowest_alpha = extrema[-1][0] if isinstance(extrema[-1], tuple) else extrema[0]
    if lowest_alpha == 255:
        return image.convert(without_alpha)  # fully opaque: nothing to flatten
    steps.append("alpha->white")
    flat = Image.new(without_alpha, image.size, BACKGROUND if without_alpha == "RGB" else BACKGROUND[0])
    flat.paste(image, (0, 0), image)  # the image's own alpha band is the mask
    return flat


def is_srgb_or_absent(icc: bytes | None) -> bool:
    """True when the pixels are sRGB as far as the profile tells (an unreadable profile is not trusted)."""
    if not icc:
        return True
    try:
        description, space = _describe_profile(icc)
    except _ICC_ERRORS:
        return False
    return space == "RGB" and "srgb" in description.lower()


def profile_description(icc: bytes) -> str | None:
    try:
        return _describe_profile(icc)[0]
    except _ICC_ERRORS:
        return None
