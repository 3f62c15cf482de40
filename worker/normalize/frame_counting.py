"""Count frames (GIF) and pages (TIFF) with bounded work.

Pillow's `n_frames` walks every frame or IFD in Python: a 40 MB GIF of one-pixel frames holds ~2 million
of them and keeps a worker busy for tens of seconds. Only the first frame is ever decoded, so the count is
informative and stops at FRAME_COUNT_LIMIT.
"""

from __future__ import annotations

from typing import Literal

FRAME_COUNT_LIMIT = 1000

_GIF_IMAGE = 0x2C
_GIF_EXTENSION = 0x21
_GIF_TRAILER = 0x3B


def count_gif_frames(data: bytes, limit: int = FRAME_COUNT_LIMIT) -> int:
    """Image descriptors in a GIF block stream, at most `limit` (a damaged stream counts what it has)."""
    if len(data) < 13:
        return 1
    position = 13 + _colour_table_size(data[10])
    frames = 0
    while position < len(data) and frames < limit:
        block = data[position]
        if block == _GIF_IMAGE:
            frames += 1
            if position + 10 > len(data):
                break
            position += 10 + _colour_table_size(data[position + 9]) + 1  # descriptor, table, LZW code size
            position = _skip_sub_blocks(data, position)
        elif block == _GIF_EXTENSION:
            position = _skip_sub_blocks(data, position + 2)
        else:  # trailer or garbage: the stream ends here either way
            break
    return max(frames, 1)


def _colour_table_size(flags: int) -> int:
    return 3 * (2 ** ((flags & 0x07) + 1)) if flags & 0x80 else 0


def _skip_sub_blocks(data: bytes, position: int) -> int:
    while position < len(data):
        size = data[position]
        position += 1 + size
        if size == 0:
            break
    return position


def count_tiff_pages(data: bytes, limit: int = FRAME_COUNT_LIMIT) -> int:
    """Length of the IFD chain (classic TIFF and BigTIFF), at most `limit`; loops end the count."""
    if len(data) < 8:
        return 1
    order: Literal["little", "big"] = "little" if data[:2] == b"II" else "big"
    big = int.from_bytes(data[2:4], order) == 43
    count_size, entry_size, offset_size = (8, 20, 8) if big else (2, 12, 4)
    offset = int.from_bytes(data[8:16] if big else data[4:8], order)
    seen: set[int] = set()
    while offset and offset not in seen and len(seen) < limit and offset + count_size <= len(data):
        seen.add(offset)
        entries = int.from_bytes(data[offset : offset + count_size], order)
        next_at = offset + count_size + entries * entry_size
        if next_at + offset_size > len(data):
            break
        offset = int.from_bytes(data[next_at : next_at + offset_size], order)
    return max(len(seen), 1)
