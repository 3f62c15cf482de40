"""The normalizer's public value types: the limits it enforces and what it hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from imagejobs.settings import (
    REKOGNITION_MAX_EDGE,
    REKOGNITION_MAX_IMAGE_BYTES,
    REKOGNITION_MIN_EDGE,
    MiB,
)

# Rekognition counts `Image.Bytes` in MB; 512 KiB of margin keeps us under both 5 MiB and 5,000,000 bytes
# whatever the SDK or a future API version adds around the payload.
DEFAULT_MAX_OUTPUT_BYTES = REKOGNITION_MAX_IMAGE_BYTES - MiB // 2
# libjpeg-turbo's own progression (what Pillow, cjpeg and most cameras write) has 10 scans in colour, 6 in
# greyscale, 18 in CMYK; a scan bomb needs thousands. At the pixel cap each scan over one full-size
# component costs ~16 ms, so 100 scans stay within seconds (docs/normalizer.md).
DEFAULT_MAX_JPEG_SCANS = 100
# How far under `max_edge` a JPEG may be fitted so that libjpeg's DCT scaling (1/2, 1/4, 1/8) does the whole
# shrink: 4032 px phone photos become 2016 px (1.6 % under 2048) at a third of the CPU (docs/benchmarks.md).
DEFAULT_DCT_FIT_TOLERANCE = 0.03


@dataclass(frozen=True)
class NormalizeLimits:
    """What the normalizer admits and produces. Defaults match `WorkerSettings`."""

    max_pixels: int = 100_000_000
    max_edge: int = 2048
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES
    min_edge: int = REKOGNITION_MIN_EDGE
    max_jpeg_scans: int = DEFAULT_MAX_JPEG_SCANS
    # 0 restores the plain fit: the long side exactly `max_edge` whatever the decoder could do cheaply.
    dct_fit_tolerance: float = DEFAULT_DCT_FIT_TOLERANCE

    def __post_init__(self) -> None:
        if not REKOGNITION_MIN_EDGE <= self.min_edge <= self.max_edge <= REKOGNITION_MAX_EDGE:
            msg = f"need {REKOGNITION_MIN_EDGE} <= min_edge <= max_edge <= {REKOGNITION_MAX_EDGE}"
            raise ValueError(msg)
        if not 0 < self.max_output_bytes <= REKOGNITION_MAX_IMAGE_BYTES:
            raise ValueError(f"max_output_bytes must be in 1..{REKOGNITION_MAX_IMAGE_BYTES}")
        if self.max_pixels < self.min_edge * self.min_edge:
            raise ValueError("max_pixels admits no image at all")
        if self.max_jpeg_scans < 1:
            raise ValueError("max_jpeg_scans must be at least 1")
        if not 0 <= self.dct_fit_tolerance < 0.5:
            raise ValueError("dct_fit_tolerance must be in [0, 0.5)")


@dataclass(frozen=True)
class NormalizationRecord:
    """What was done to one image; stored on the job, so every field is JSON-able."""

    original_format: str
    original_bytes: int
    original_width: int
    original_height: int
    # Pillow's Transpose member name applied to the pixels ("ROTATE_90", "FLIP_LEFT_RIGHT", ...), or None.
    transpose: str | None
    # Output long side / oriented original long side (1.0 when not resized; JPEG draft included).
    scale: float
    output_bytes: int
    sha256: str
    passthrough: bool
    output_format: str = "JPEG"
    output_width: int = 0
    output_height: int = 0
    # Frames or pages in the original; only the first is used.
    frames: int = 1
    # Who applied the orientation: "pixels" (we did), "decoder" (libheif's irot/imir) or None.
    orientation_applied_by: str | None = None
    # Ordered colour steps, e.g. ["CMYK(adobe-inverted)->RGB", "icc:Display P3->sRGB", "alpha->white"].
    colour_conversions: tuple[str, ...] = field(default_factory=tuple)
    # Description of the embedded ICC profile, if any.
    icc_profile: str | None = None
    # JPEG quality of the re-encoded output (None on pass-through).
    jpeg_quality: int | None = None
    # libjpeg DCT scaling denominator used while decoding (1 = full decode).
    draft_denominator: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "originalFormat": self.original_format,
            "originalBytes": self.original_bytes,
            "originalWidth": self.original_width,
            "originalHeight": self.original_height,
            "transpose": self.transpose,
            "scale": self.scale,
            "outputBytes": self.output_bytes,
            "sha256": self.sha256,
            "passthrough": self.passthrough,
            "outputFormat": self.output_format,
            "outputWidth": self.output_width,
            "outputHeight": self.output_height,
            "frames": self.frames,
            "orientationAppliedBy": self.orientation_applied_by,
            "colourConversions": list(self.colour_conversions),
            "iccProfile": self.icc_profile,
            "jpegQuality": self.jpeg_quality,
            "draftDenominator": self.draft_denominator,
        }


_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}


@dataclass(frozen=True)
class NormalizedImage:
    """Bytes Rekognition accepts, with their dimensions and the record of how they were made."""

    data: bytes
    content_type: str
    width: int
    height: int
    record: NormalizationRecord

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self.content_type]
