"""PNG chunk walk: checksums and the IHDR fields Pillow hides (it reads 16-bit RGB as 8-bit "RGB")."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from imagejobs.errors import ErrorCode, JobFailure

_SIGNATURE_LENGTH = 8


@dataclass(frozen=True)
class PngHeader:
    bit_depth: int
    colour_type: int  # 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA

    @property
    def is_8bit_rgb(self) -> bool:
        return self.bit_depth == 8 and self.colour_type == 2


def check_png(data: bytes) -> PngHeader:
    """Verify every chunk's CRC up to IEND, like libpng does; return the IHDR facts.

    Pillow checks CRCs only before the image data, so a corrupt IDAT chunk could otherwise be passed
    through to a stricter decoder.
    """
    position = _SIGNATURE_LENGTH
    header: PngHeader | None = None
    while position + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, position)
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            break  # truncated: the decoder reports it with the right words
        body = data[position + 8 : end - 4]
        (crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(kind + body) != crc:
            raise JobFailure(ErrorCode.DECODE_ERROR, f"The PNG image is damaged (bad checksum in a {kind!r} chunk).")
        if kind == b"IHDR" and len(body) >= 10:
            header = PngHeader(bit_depth=body[8], colour_type=body[9])
        if kind == b"IEND":
            break
        position = end
    if header is None:
        raise JobFailure(ErrorCode.DECODE_ERROR, "The PNG image has no readable header.")
    return header
