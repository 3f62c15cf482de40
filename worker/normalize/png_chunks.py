"""PNG chunk walk: checksums, bounds on chunk count and text, the IHDR fields Pillow hides (it reads 16-bit
RGB as 8-bit "RGB"), and the critical chunks a metadata-free copy is made of."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from imagejobs.errors import ErrorCode, JobFailure

MiB = 1024 * 1024
SIGNATURE = b"\x89PNG\r\n\x1a\n"
# libpng writes 8 KB IDAT chunks: a 40 MB upload holds ~5,000. Pillow handles every chunk in Python.
MAX_CHUNKS = 100_000
# tEXt, zTXt, iTXt and eXIf as stored (Pillow also caps each decompressed text chunk at 1 MB, 64 MB in all).
MAX_METADATA_BYTES = 1 * MiB
_METADATA_CHUNKS = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf"})
# All a pass-through copy keeps: the header, the pixels and the end (colour type 2 needs no palette).
_PIXEL_CHUNKS = frozenset({b"IHDR", b"IDAT", b"IEND"})


@dataclass(frozen=True)
class PngHeader:
    bit_depth: int
    colour_type: int  # 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA
    # (start, end) of each IHDR, IDAT and IEND chunk, in file order; complete when IEND was reached.
    pixel_chunks: tuple[tuple[int, int], ...] = ()
    complete: bool = False

    @property
    def is_8bit_rgb(self) -> bool:
        return self.bit_depth == 8 and self.colour_type == 2


def check_png(data: bytes) -> PngHeader:
    """Verify every chunk's CRC up to IEND, like libpng does, within the bounds above; return the IHDR facts.

    Pillow checks CRCs only before the image data, so a corrupt IDAT chunk could otherwise be passed
    through to a stricter decoder.
    """
    position = len(SIGNATURE)
    bit_depth = colour_type = None
    pixel_chunks: list[tuple[int, int]] = []
    chunks = metadata = 0
    complete = False
    while position + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, position)
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            break  # truncated: the decoder reports it with the right words
        chunks += 1
        if kind in _METADATA_CHUNKS:
            metadata += length
        _check_bounds(chunks, metadata)
        body = data[position + 8 : end - 4]
        (crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(kind + body) != crc:
            raise JobFailure(ErrorCode.DECODE_ERROR, f"The PNG image is damaged (bad checksum in a {kind!r} chunk).")
        if kind == b"IHDR" and len(body) >= 10 and bit_depth is None:
            bit_depth, colour_type = body[8], body[9]
        if kind in _PIXEL_CHUNKS:
            pixel_chunks.append((position, end))
        if kind == b"IEND":
            complete = True
            break
        position = end
    if bit_depth is None or colour_type is None:
        raise JobFailure(ErrorCode.DECODE_ERROR, "The PNG image has no readable header.")
    return PngHeader(bit_depth, colour_type, tuple(pixel_chunks), complete)


def _check_bounds(chunks: int, metadata: int) -> None:
    if chunks > MAX_CHUNKS:
        raise JobFailure(
            ErrorCode.TOO_COMPLEX, f"The PNG image has more than {MAX_CHUNKS:,} chunks; we read at most {MAX_CHUNKS:,}."
        )
    if metadata > MAX_METADATA_BYTES:
        raise JobFailure(
            ErrorCode.TOO_COMPLEX,
            f"The PNG image carries more than {MAX_METADATA_BYTES // MiB} MB of text and EXIF chunks; "
            f"we read at most {MAX_METADATA_BYTES // MiB} MB.",
        )


def strip_png_metadata(data: bytes, header: PngHeader) -> bytes | None:
    """The same PNG with only IHDR, IDAT and IEND: no text, EXIF, ICC, time or private chunks, nothing after
    IEND. None when the walk did not reach IEND (the caller re-encodes instead)."""
    if not header.complete:
        return None
    return SIGNATURE + b"".join(data[start:end] for start, end in header.pixel_chunks)
