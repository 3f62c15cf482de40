"""The sandbox's wire format over a pair of plain pipes: frames of a JSON header and raw bytes.

A frame is `>II` (header length, payload length), the UTF-8 JSON header, then the payload. JSON, never
pickle: the child parses hostile images, so nothing it sends may be able to run code in the parent.
"""

from __future__ import annotations

import json
import struct
from dataclasses import asdict, fields
from typing import Any

from worker.normalize.model import NormalizationRecord, NormalizedImage, NormalizeLimits

PREFIX = struct.Struct(">II")
# Replies carry at most a 5 MB image; requests at most an upload (the worker caps those at 500 MB).
MAX_HEADER_BYTES = 1024 * 1024
MAX_PAYLOAD_BYTES = 512 * 1024 * 1024

Header = dict[str, Any]


class ProtocolError(Exception):
    """A frame that does not follow this format (a bug, or a child that lost its mind)."""


def encode_frame(header: Header, payload: bytes = b"") -> tuple[bytes, bytes]:
    """The frame as two buffers (prefix + header, payload), so the payload is never copied."""
    raw = json.dumps(header, separators=(",", ":")).encode()
    return PREFIX.pack(len(raw), len(payload)) + raw, payload


def decode_prefix(prefix: bytes) -> tuple[int, int]:
    header_length, payload_length = PREFIX.unpack(prefix)
    if header_length > MAX_HEADER_BYTES or payload_length > MAX_PAYLOAD_BYTES:
        raise ProtocolError(f"frame too large ({header_length} + {payload_length} bytes)")
    return header_length, payload_length


def decode_header(raw: bytes) -> Header:
    try:
        header = json.loads(raw)
    except ValueError as error:
        raise ProtocolError("header is not JSON") from error
    if not isinstance(header, dict):
        raise ProtocolError("header is not an object")
    return header


def limits_to_json(limits: NormalizeLimits) -> Header:
    return asdict(limits)


def limits_from_json(document: Header) -> NormalizeLimits:
    return NormalizeLimits(**document)


def image_to_json(image: NormalizedImage) -> Header:
    return {
        "contentType": image.content_type,
        "width": image.width,
        "height": image.height,
        "record": asdict(image.record),
    }


_RECORD_FIELDS = frozenset(field.name for field in fields(NormalizationRecord))


def image_from_json(document: Header, data: bytes) -> NormalizedImage:
    """Rebuild what the child made, checking shapes rather than trusting them."""
    try:
        record_fields = dict(document["record"])
        if set(record_fields) != _RECORD_FIELDS:
            raise ProtocolError("unexpected record fields")
        record_fields["colour_conversions"] = tuple(str(step) for step in record_fields["colour_conversions"])
        record = NormalizationRecord(**record_fields)
        image = NormalizedImage(
            data, str(document["contentType"]), int(document["width"]), int(document["height"]), record
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ProtocolError("malformed image header") from error
    if image.content_type not in ("image/jpeg", "image/png") or record.output_bytes != len(data):
        raise ProtocolError("image header does not match its bytes")
    return image
