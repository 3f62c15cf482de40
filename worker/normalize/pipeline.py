"""normalize(): bytes of any accepted image in, bytes Rekognition accepts (and what was done) out.

Order matters for speed and memory: bounded structure walks and header checks before any decode, JPEG DCT
scaling during decode, mode conversions only where unavoidable at full size, colour management and
flattening after the resize, the transpose last on the smallest image. Nothing but pixels leaves: every
output, pass-through included, is free of comments, EXIF, XMP, IPTC, text chunks and ICC profiles.
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageFile

from worker.normalize.colour import is_srgb_or_absent, profile_description, to_srgb
from worker.normalize.decoding import count_frames, decode, decoder_errors, open_checked
from worker.normalize.fitting import FitPlan, encode_jpeg, plan_fit, resize
from worker.normalize.jpeg_markers import strip_jpeg_metadata
from worker.normalize.model import NormalizationRecord, NormalizedImage, NormalizeLimits
from worker.normalize.orientation import (
    TRANSPOSE_FOR_ORIENTATION,
    decoder_applied_orientation,
    exif_orientation,
    has_orientation_tag,
    swaps_axes,
)
from worker.normalize.png_chunks import PngHeader, strip_png_metadata
from worker.normalize.preflight import Preflight, preflight
from worker.normalize.shrinking import prepare
from worker.normalize.sniffing import sniff_format

DEFAULT_LIMITS = NormalizeLimits()
_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
# libjpeg decodes at 1/2, 1/4 or 1/8 scale; only worth asking for when shrinking by 2x or more.
_DRAFT_MAX_SCALE = 0.5
_DCT_FORMATS = frozenset({"JPEG", "MPO"})


def normalize(data: bytes, limits: NormalizeLimits = DEFAULT_LIMITS) -> NormalizedImage:
    """Make `data` acceptable to Rekognition, or raise JobFailure with the reason (never anything else)."""
    source_format = sniff_format(data)
    checked = preflight(data, source_format, limits)
    image = open_checked(data, source_format, limits)
    try:
        return _normalize_opened(data, image, source_format, limits, checked)
    finally:
        image.close()


def _normalize_opened(
    data: bytes,
    image: ImageFile.ImageFile,
    source_format: str,
    limits: NormalizeLimits,
    checked: Preflight,
) -> NormalizedImage:
    frames = checked.gif.frames if checked.gif is not None else count_frames(image, data, source_format)
    width, height = image.size
    by_decoder = decoder_applied_orientation(image)
    method = TRANSPOSE_FOR_ORIENTATION.get(exif_orientation(image))
    upright = (height, width) if swaps_axes(method) else (width, height)
    plan = plan_fit(*upright, limits, dct_scaling=image.format in _DCT_FORMATS)
    raw_icc = image.info.get("icc_profile")
    icc = raw_icc if isinstance(raw_icc, bytes) and raw_icc else None
    facts = _Facts(
        original_format=image.format or source_format,
        original_bytes=len(data),
        original_width=width,
        original_height=height,
        frames=frames,
        transpose=method,
        decoder_orientation=by_decoder,
    )
    if _is_compliant(image, source_format, facts, plan, png=checked.png, icc=icc, limits=limits):
        stripped = _without_metadata(data, source_format, checked)
        if stripped is not None:
            _verify_decodes(stripped, source_format)
            return _passthrough(stripped, source_format, facts, icc)

    stored_target = (plan.height, plan.width) if swaps_axes(method) else (plan.width, plan.height)
    draft_denominator = 1
    if plan.scale <= _DRAFT_MAX_SCALE and image.format in _DCT_FORMATS:
        # A DCT-scaled fit asks for the floor size, which makes Pillow pick exactly that denominator.
        d = plan.dct_denominator
        request = (width // d, height // d) if d > 1 else stored_target
        with decoder_errors(source_format):
            image.draft(None, request)
        draft_denominator = max(1, round(width / image.size[0]))
    decode(image, source_format)

    steps: list[str] = []
    working = prepare(image, source_format, stored_target, steps)
    if working is not image:
        image.close()  # frees the full-size pixels now, not when normalize() returns: this is the peak
    rgb, icc_description = to_srgb(resize(working, stored_target), icc, steps)
    del working
    upright_image = rgb.transpose(method) if method is not None else rgb
    encoded = encode_jpeg(upright_image, limits)
    record = NormalizationRecord(
        original_format=facts.original_format,
        original_bytes=facts.original_bytes,
        original_width=width,
        original_height=height,
        transpose=facts.transpose_name,
        scale=round(max(encoded.width, encoded.height) / max(upright), 6),
        output_bytes=len(encoded.data),
        sha256=hashlib.sha256(encoded.data).hexdigest(),
        passthrough=False,
        output_format="JPEG",
        output_width=encoded.width,
        output_height=encoded.height,
        frames=frames,
        orientation_applied_by=facts.applied_by,
        colour_conversions=tuple(steps),
        icc_profile=icc_description,
        jpeg_quality=encoded.quality,
        draft_denominator=draft_denominator,
    )
    return NormalizedImage(encoded.data, "image/jpeg", encoded.width, encoded.height, record)


class _Facts:
    """What is known about the original before decoding."""

    def __init__(
        self,
        *,
        original_format: str,
        original_bytes: int,
        original_width: int,
        original_height: int,
        frames: int,
        transpose: Image.Transpose | None,
        decoder_orientation: int,
    ) -> None:
        self.original_format = original_format
        self.original_bytes = original_bytes
        self.original_width = original_width
        self.original_height = original_height
        self.frames = frames
        self.transpose = transpose
        self.decoder_orientation = decoder_orientation

    @property
    def transpose_name(self) -> str | None:
        if self.transpose is not None:
            return self.transpose.name
        decoder_method = TRANSPOSE_FOR_ORIENTATION.get(self.decoder_orientation)
        return decoder_method.name if decoder_method is not None else None

    @property
    def applied_by(self) -> str | None:
        if self.transpose is not None:
            return "pixels"
        return "decoder" if self.decoder_orientation != 1 else None


def _is_compliant(
    image: ImageFile.ImageFile,
    source_format: str,
    facts: _Facts,
    plan: FitPlan,
    *,
    png: PngHeader | None,
    icc: bytes | None,
    limits: NormalizeLimits,
) -> bool:
    """Already what Rekognition wants: send the uploaded bytes as they are."""
    return (
        source_format in _CONTENT_TYPES
        and image.format == source_format  # not MPO, whose extra frames ride along in the bytes
        and image.mode == "RGB"
        and "transparency" not in image.info
        and facts.frames == 1
        and facts.transpose is None
        and facts.decoder_orientation == 1
        and not has_orientation_tag(image)
        and not plan.resizes
        and facts.original_bytes <= limits.max_output_bytes
        and (png is None or png.is_8bit_rgb)  # Pillow shows 16-bit RGB PNGs as 8-bit "RGB"
        and is_srgb_or_absent(icc)
    )


def _without_metadata(data: bytes, source_format: str, checked: Preflight) -> bytes | None:
    """The upload's coded pixels with every metadata segment or chunk dropped, or None (re-encode instead)."""
    if source_format == "JPEG":
        return strip_jpeg_metadata(data)
    if checked.png is not None:
        return strip_png_metadata(data, checked.png)
    return None


def _verify_decodes(data: bytes, source_format: str) -> None:
    """A header can be fine over a truncated body: decode the bytes that will be sent once (JPEG at 1/8
    scale: every coded byte is read, few pixels are made), which also proves the stripped copy is whole."""
    with decoder_errors(source_format):
        image = Image.open(io.BytesIO(data), formats=[source_format])
        try:
            if source_format == "JPEG":
                image.draft(None, (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
        finally:
            image.close()


def _passthrough(data: bytes, source_format: str, facts: _Facts, icc: bytes | None) -> NormalizedImage:
    width, height = facts.original_width, facts.original_height
    record = NormalizationRecord(
        original_format=facts.original_format,
        original_bytes=facts.original_bytes,
        original_width=width,
        original_height=height,
        transpose=None,
        scale=1.0,
        output_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        passthrough=True,
        output_format=source_format,
        output_width=width,
        output_height=height,
        frames=facts.frames,
        icc_profile=profile_description(icc) if icc else None,
    )
    return NormalizedImage(data, _CONTENT_TYPES[source_format], width, height, record)
