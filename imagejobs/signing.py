"""Webhook signatures, as the Standard Webhooks specification defines them.

Three headers: `webhook-id` (the event id: the same on every retry and redelivery, the receiver's dedupe
key), `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`: space-separated
`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, one per secret in use — two while a rotated-out
secret is still honoured, so a receiver that checks either one keeps working during the overlap.
A secret is shown as `whsec_` + base64 of 32 random bytes; the HMAC key is the decoded bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secrets_in_use: list[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    if not secrets_in_use:
        raise ValueError("at least one secret signs a delivery")
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, message_id, timestamp, body) for s in secrets_in_use),
    }
