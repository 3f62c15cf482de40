"""Count frames (GIF) and pages (TIFF) with bounded work.

Pillow's `n_frames` walks every frame or IFD in Python: a 40 MB GIF of one-pixel frames holds ~2 million
of them and keeps a worker busy for tens of seconds. Only the first frame is ever decoded, so the count is
informative and stops at FRAME_COUNT_LIMIT.
"""

from __future__ import annotations

from typing import Literal

from worker.normalize.gif_blocks import MAX_FRAMES_COUNTED, inspect_gif

FRAME_COUNT_LIMIT = MAX_FRAMES_COUNTED


def count_gif_frames(data: bytes) -> int:
    """Image descriptors in a GIF block stream, at most FRAME_COUNT_LIMIT (see gif_blocks.inspect_gif)."""
    return inspect_gif(data).frames


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
