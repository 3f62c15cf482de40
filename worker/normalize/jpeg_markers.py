"""JPEG marker walk: bounded refusals before libjpeg decodes anything, and metadata stripping for pass-through.

libjpeg re-reads the whole coefficient canvas for every scan of a progressive (or multi-scan) JPEG, even at
1/8 DCT scale: a small file that repeats a cheap scan thousands of times costs minutes of CPU (measured in
docs/normalizer.md). Pillow also parses every APPn/COM segment in Python before decoding and keeps each in
a list. So the segments are walked here first, with a bound on every count.

The entropy-coded data after each SOS is skipped with one regular-expression search for the next real
marker (0xFF followed by anything but a stuffed 0x00, a restart marker or a fill byte), so the walk costs
C-speed bytes plus Python work per *segment*, and segments are counted and capped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from imagejobs.errors import ErrorCode, JobFailure

MiB = 1024 * 1024
# Segments of every kind; real files have tens (a 16 MB extended XMP is 250 APP1 segments).
MAX_SEGMENTS = 2000
# APPn and COM payload: EXIF is at most 64 KB, ICC and extended XMP run to a few MB at most.
MAX_METADATA_BYTES = 16 * MiB

_SOI, _EOI, _SOS, _COM, _APP14 = 0xD8, 0xD9, 0xDA, 0xFE, 0xEE
# Not a marker: bytes between segments that libjpeg skips. A file with any cannot be copied losslessly.
GARBAGE = -1
_APP0, _APP15 = 0xE0, 0xEF
_STANDALONE = frozenset({0x01, _SOI, *range(0xD0, 0xD8)})  # TEM, SOI, RST0..7: no length field
# The start of the next marker after entropy-coded data (0xFF00 is a stuffed byte, RSTn sit inside scans).
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
# APP14 "Adobe": the 5-byte identifier, version (2), flags0 (2), flags1 (2), colour transform (1).
_ADOBE_PAYLOAD = 12


@dataclass(frozen=True)
class Segment:
    marker: int
    start: int  # offset of the 0xFF that starts the marker
    end: int  # first byte after the segment, including the entropy-coded data that follows an SOS

    @property
    def is_metadata(self) -> bool:
        return _APP0 <= self.marker <= _APP15 or self.marker == _COM


@dataclass(frozen=True)
class JpegLayout:
    """What the walk found up to the first EOI (a second image after it, as in MPO, is not walked)."""

    scans: int
    segments: int
    metadata_bytes: int
    complete: bool  # the walk reached EOI through well-formed segments only


def walk_segments(data: bytes) -> Iterator[Segment]:
    """Segments from after SOI to EOI inclusive; stops silently where the structure breaks (the decoder
    then reports the damage in its own words). The caller bounds how many it takes."""
    position = 2
    while position + 1 < len(data):
        if data[position] != 0xFF:
            # libjpeg skips bytes up to the next marker (with a warning) and goes on: so does the walk, or
            # scans hidden behind one stray byte would go uncounted.
            found = _NEXT_MARKER.search(data, position)
            if found is None:
                return
            yield Segment(GARBAGE, position, found.start())
            position = found.start()
        segment = _segment_at(data, position)
        if segment is None:
            return
        yield segment
        if segment.marker == _EOI:
            return
        position = segment.end


def _segment_at(data: bytes, position: int) -> Segment | None:
    """The segment whose marker starts at `position` (after any fill bytes), or None if it is cut short."""
    size = len(data)
    while position + 1 < size and data[position + 1] == 0xFF:  # fill bytes before a marker
        position += 1
    if position + 1 >= size:
        return None
    marker = data[position + 1]
    if marker == _EOI or marker in _STANDALONE:
        return Segment(marker, position, position + 2)
    if position + 4 > size:
        return None
    end = position + 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    if end > size or end < position + 4:
        return None
    if marker == _SOS:
        found = _NEXT_MARKER.search(data, end)
        end = found.start() if found else size
    return Segment(marker, position, end)


def inspect_jpeg(data: bytes, max_scans: int) -> JpegLayout:
    """Count scans, segments and metadata bytes; refuse with TOO_COMPLEX as soon as one is over its bound."""
    scans = segments = metadata = 0
    complete = False
    for segment in walk_segments(data):
        segments += 1
        if segment.marker == _SOS:
            scans += 1
            if scans > max_scans:
                raise JobFailure(
                    ErrorCode.TOO_COMPLEX,
                    f"The JPEG image has more than {max_scans} scans; we decode at most {max_scans} "
                    "(ordinary progressive JPEGs have 6 to 18), because each scan costs a pass over the "
                    "whole image.",
                )
        elif segment.is_metadata:
            metadata += segment.end - segment.start - 4
        if segments > MAX_SEGMENTS:
            raise JobFailure(
                ErrorCode.TOO_COMPLEX,
                f"The JPEG image has more than {MAX_SEGMENTS:,} marker segments; we read at most {MAX_SEGMENTS:,}.",
            )
        if metadata > MAX_METADATA_BYTES:
            raise JobFailure(
                ErrorCode.TOO_COMPLEX,
                f"The JPEG image carries more than {MAX_METADATA_BYTES // MiB} MB of metadata "
                f"(APPn and COM segments); we read at most {MAX_METADATA_BYTES // MiB} MB.",
            )
        complete = segment.marker == _EOI
    return JpegLayout(scans=scans, segments=segments, metadata_bytes=metadata, complete=complete)


def strip_jpeg_metadata(data: bytes) -> bytes | None:
    """The same JPEG without any APPn or COM segment (EXIF, XMP, IPTC, ICC, JFIF, comments) and without
    bytes after EOI; the coded pixels are copied untouched. APP14 "Adobe" stays, cut to its fixed 12-byte
    payload: it tells the decoder whether three components are RGB or YCbCr.

    None when the walk does not reach EOI through well-formed segments: libjpeg may still read such a file,
    but a lossless copy cannot be promised, so the caller re-encodes instead.
    """
    parts = [data[:2]]
    reached_end = False
    for count, segment in enumerate(walk_segments(data)):
        if count >= MAX_SEGMENTS or segment.marker == GARBAGE:
            return None
        if segment.marker == _EOI:
            reached_end = True
        if not segment.is_metadata:
            parts.append(data[segment.start : segment.end])
        elif segment.marker == _APP14 and data[segment.start + 4 : segment.start + 9] == b"Adobe":
            payload = data[segment.start + 4 : segment.end][:_ADOBE_PAYLOAD]
            if len(payload) == _ADOBE_PAYLOAD:
                parts.append(bytes((0xFF, _APP14)) + (len(payload) + 2).to_bytes(2, "big") + payload)
    return b"".join(parts) if reached_end else None
