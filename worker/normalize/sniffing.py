"""Decide an upload's type from its first bytes, never from its name or declared content type.

Only formats on the allow-list get a Pillow format name; everything else is refused here, before any
decoder sees the bytes. Decoder CVEs cluster in rare formats, so the list is short on purpose.
"""

from __future__ import annotations

from imagejobs.errors import ErrorCode, JobFailure

ACCEPTED_FORMATS_TEXT = "JPEG, PNG, WebP, HEIC/HEIF, AVIF, TIFF, BMP or GIF"

# ISO-BMFF brands (the `ftyp` box) that name the codec inside the HEIF container.
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEVC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_GENERIC_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"mif2"})
# BMP info-header sizes Pillow's decoder understands (OS/2 1.x, OS/2 2.x short, V1..V5).
_BMP_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})

_ACCEPTED_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),  # BigTIFF
    (b"MM\x00+", "TIFF"),
)
# Formats people send that we refuse, named so the error message can say what the file was.
_KNOWN_REFUSED = (
    (b"%PDF", "a PDF document"),
    (b"8BPS", "a Photoshop document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
    (b"\xff\x4f\xff\x51", "a JPEG 2000 codestream"),
    (b"%!PS", "a PostScript document"),
    (b"\x00\x00\x01\x00", "a Windows icon"),
)


def sniff_format(data: bytes) -> str:
    """The Pillow format name that may decode `data`, or a JobFailure (EMPTY_FILE / UNSUPPORTED_FORMAT)."""
    if not data:
        raise JobFailure(ErrorCode.EMPTY_FILE, "The file is empty (0 bytes).")
    found = _sniff_accepted(data)
    if found is None:
        raise JobFailure(ErrorCode.UNSUPPORTED_FORMAT, f"{_describe_refused(data)}; send {ACCEPTED_FORMATS_TEXT}.")
    return found


def _sniff_accepted(data: bytes) -> str | None:
    for magic, name in _ACCEPTED_MAGIC:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:2] == b"BM" and len(data) >= 18 and int.from_bytes(data[14:18], "little") in _BMP_HEADER_SIZES:
        return "BMP"
    if data[4:8] == b"ftyp":
        return _sniff_heif_family(data)
    return None


def _sniff_heif_family(data: bytes) -> str | None:
    box_size = int.from_bytes(data[0:4], "big")
    major = data[8:12]
    # Compatible brands follow the major brand and its 4-byte minor version, up to the end of the box.
    end = min(max(box_size, 16), len(data), 256)
    compatible = {data[i : i + 4] for i in range(16, end - 3, 4)}
    brands = {major} | compatible
    if major in _AVIF_BRANDS or (major in _GENERIC_HEIF_BRANDS and brands & _AVIF_BRANDS):
        return "AVIF"
    if brands & _HEVC_BRANDS or major in _GENERIC_HEIF_BRANDS:
        return "HEIF"
    return None  # MP4/MOV video and other ISO-BMFF files share the `ftyp` box


def _describe_refused(data: bytes) -> str:
    for magic, name in _KNOWN_REFUSED:
        if data.startswith(magic):
            return f"The file is {name}, not an image format we read"
    head = data[:512].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in head:
        return "The file is an SVG drawing, not an image format we read"
    if data[4:8] == b"ftyp":
        return "The file is a video or an ISO media file, not an image format we read"
    return "The file is not an image format we read"
