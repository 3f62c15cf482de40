"""GIF block walk: frames counted and extension data bounded before Pillow parses anything.

Pillow reads every extension sub-block in Python and keeps a comment's sub-blocks in a list: a 40 MB GIF
whose comment comes in 1-byte sub-blocks takes 5-9 s of CPU and ~1.7 GB to open (docs/benchmarks.md). This walk
counts the same bytes with a bound on each count, so such a file is refused before Pillow sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

from imagejobs.errors import ErrorCode, JobFailure

MiB = 1024 * 1024
# Comments, application data (NETSCAPE looping, XMP, ICC) and plain-text extensions, as stored.
MAX_EXTENSION_BYTES = 1 * MiB
# A 1 MB XMP packet, which GIF writers store as raw bytes, walks as ~11,000 "sub-blocks".
MAX_EXTENSION_SUB_BLOCKS = 65_536
# Only the first frame is decoded (by Pillow's C decoder); past these the frame count is "at least". 200,000
# sub-blocks of 255 bytes are more than an upload holds; of 1 byte, ~0.1 s of this walk.
MAX_FRAMES_COUNTED = 1000
MAX_SUB_BLOCKS_WALKED = 200_000

_IMAGE, _EXTENSION = 0x2C, 0x21


@dataclass(frozen=True)
class GifLayout:
    frames: int
    extension_bytes: int
    extension_sub_blocks: int


class _Walk:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.sub_blocks = 0
        self.extension_bytes = 0
        self.extension_sub_blocks = 0

    def skip_sub_blocks(self, position: int, *, extension: bool) -> int:
        """Position after the sub-block chain starting at `position` (its zero-length terminator included)."""
        data, size = self.data, len(self.data)
        while position < size and self.sub_blocks < MAX_SUB_BLOCKS_WALKED:
            length = data[position]
            position += 1 + length
            if length == 0:
                break
            self.sub_blocks += 1
            if extension:
                self.extension_bytes += length
                self.extension_sub_blocks += 1
                self._check_extensions()  # at once: the walk itself must not pay for a flood
        return position

    def _check_extensions(self) -> None:
        if self.extension_bytes > MAX_EXTENSION_BYTES:
            raise JobFailure(
                ErrorCode.TOO_COMPLEX,
                f"The GIF image carries more than {MAX_EXTENSION_BYTES // MiB} MB of extension data "
                f"(comments, application data); we read at most {MAX_EXTENSION_BYTES // MiB} MB.",
            )
        if self.extension_sub_blocks > MAX_EXTENSION_SUB_BLOCKS:
            raise JobFailure(
                ErrorCode.TOO_COMPLEX,
                f"The GIF image splits its extension data into more than {MAX_EXTENSION_SUB_BLOCKS:,} "
                f"blocks; we read at most {MAX_EXTENSION_SUB_BLOCKS:,}.",
            )


def inspect_gif(data: bytes) -> GifLayout:
    """Image descriptors (at most MAX_FRAMES_COUNTED) and extension totals; a damaged stream counts what it
    has. Raises TOO_COMPLEX when the extensions are over their bounds."""
    walk = _Walk(data)
    frames = 0
    if len(data) >= 13:
        position = 13 + colour_table_size(data[10])
        while position < len(data) and frames < MAX_FRAMES_COUNTED and walk.sub_blocks < MAX_SUB_BLOCKS_WALKED:
            block = data[position]
            if block == _IMAGE:
                frames += 1
                if position + 10 > len(data):
                    break
                # descriptor, local colour table, LZW minimum code size, then the image data
                position += 10 + colour_table_size(data[position + 9]) + 1
                position = walk.skip_sub_blocks(position, extension=False)
            elif block == _EXTENSION:
                position = walk.skip_sub_blocks(position + 2, extension=True)
            else:  # trailer or garbage: the stream ends here either way
                break
    return GifLayout(max(frames, 1), walk.extension_bytes, walk.extension_sub_blocks)


def colour_table_size(flags: int) -> int:
    return 3 * (2 ** ((flags & 0x07) + 1)) if flags & 0x80 else 0
