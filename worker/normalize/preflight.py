"""Cheap refusals before any decoder runs: a bounded walk of the file's own structure.

What the walks bound, and why, is in each module: JPEG scans, segments and APPn/COM bytes
(`jpeg_markers`), PNG chunks, checksums and text (`png_chunks`), GIF extension data and frames
(`gif_blocks`). Over a bound the upload ends TOO_COMPLEX with a sentence naming it. The sandbox's CPU and
memory limits (`worker/normalize/sandbox/`) stand behind these for whatever nobody foresaw.
"""

from __future__ import annotations

from dataclasses import dataclass

from worker.normalize.gif_blocks import GifLayout, inspect_gif
from worker.normalize.jpeg_markers import JpegLayout, inspect_jpeg
from worker.normalize.model import NormalizeLimits
from worker.normalize.png_chunks import PngHeader, check_png


@dataclass(frozen=True)
class Preflight:
    jpeg: JpegLayout | None = None
    png: PngHeader | None = None
    gif: GifLayout | None = None


def preflight(data: bytes, source_format: str, limits: NormalizeLimits) -> Preflight:
    if source_format == "JPEG":
        return Preflight(jpeg=inspect_jpeg(data, limits.max_jpeg_scans))
    if source_format == "PNG":
        return Preflight(png=check_png(data))
    if source_format == "GIF":
        return Preflight(gif=inspect_gif(data))
    return Preflight()
