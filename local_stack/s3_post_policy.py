"""Presigned POST policies, enforced in the emulated S3 as S3 enforces them (moto accepts any form).

S3 checks a browser-form upload in this order, and so does `check_form`: the signature (SigV4 over the
base64 policy, with the secret of the access key named in `x-amz-credential`), the policy's expiration,
every condition (`{"field": value}`, `["eq"|"starts-with", "$field", value]`, `["content-length-range",
min, max]`), and that every form field is covered by a condition. Failures answer S3's XML errors. Without
this, the local stack would accept uploads that AWS refuses: over the size limit, with another content
type, after expiry, or to another key (for example over another user's cached answers under `derived/`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from local_stack import names

# Fields S3 does not require conditions for (S3 developer guide, "Creating a POST policy").
_EXEMPT_FIELDS = frozenset({"x-amz-signature", "file", "policy", "signature", "awsaccesskeyid"})
_POLICY_FAILED = "Invalid according to Policy: "


@dataclass
class PostPolicyError(Exception):
    status: int
    code: str
    message: str
    details: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def to_xml(self) -> str:
        extra = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in self.details.items())
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{escape(self.message)}</Message>{extra}"
            f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId><HostId>local</HostId></Error>"
        )


def _denied(reason: str) -> PostPolicyError:
    return PostPolicyError(403, "AccessDenied", _POLICY_FAILED + reason)


def local_secret(access_key_id: str) -> str | None:
    if access_key_id == names.LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"]:
        return names.LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
    return None


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sigv4_signature(secret: str, date: str, region: str, service: str, string_to_sign: str) -> str:
    key = _hmac(("AWS4" + secret).encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def _secret(access_key_id: str, secret_for: Callable[[str], str | None]) -> str:
    secret = secret_for(access_key_id)
    if secret is None:
        raise PostPolicyError(
            403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        )
    return secret


def _signature_mismatch() -> PostPolicyError:
    return PostPolicyError(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
    )


def _check_signature(form: Mapping[str, str], policy_b64: str, secret_for: Callable[[str], str | None]) -> None:
    if "awsaccesskeyid" in form:  # Signature Version 2 (boto3's default for a client without s3v4)
        secret = _secret(form["awsaccesskeyid"], secret_for)
        digest = hmac.new(secret.encode(), policy_b64.encode(), hashlib.sha1).digest()
        if not hmac.compare_digest(base64.b64encode(digest).decode(), form.get("signature", "")):
            raise _signature_mismatch()
        return
    if form.get("x-amz-algorithm", "") != "AWS4-HMAC-SHA256":
        raise PostPolicyError(400, "InvalidArgument", "POST requires AWS4-HMAC-SHA256 or AWSAccessKeyId and signature")
    credential = form.get("x-amz-credential", "").split("/")
    if len(credential) != 5 or credential[3:] != ["s3", "aws4_request"]:
        raise PostPolicyError(400, "InvalidArgument", "x-amz-credential is malformed")
    access_key_id, date, region = credential[:3]
    expected = sigv4_signature(_secret(access_key_id, secret_for), date, region, "s3", policy_b64)
    if not hmac.compare_digest(expected, form.get("x-amz-signature", "")):
        raise _signature_mismatch()


def _decode_policy(policy_b64: str) -> dict[str, Any]:
    try:
        policy = json.loads(base64.b64decode(policy_b64, validate=True))
    except (binascii.Error, ValueError):
        raise PostPolicyError(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from None
    if not isinstance(policy, dict) or not isinstance(policy.get("conditions"), list) or "expiration" not in policy:
        raise PostPolicyError(400, "InvalidPolicyDocument", "Invalid Policy: expiration and conditions are required.")
    return policy


def _check_expiration(policy: Mapping[str, Any], now: datetime) -> None:
    try:
        expiration = datetime.fromisoformat(str(policy["expiration"]).replace("Z", "+00:00"))
    except ValueError:
        raise PostPolicyError(400, "InvalidPolicyDocument", "Invalid Policy: Invalid 'expiration' value.") from None
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=UTC)
    if now >= expiration:
        raise _denied("Policy expired.")


def _check_size(size: int, low: Any, high: Any) -> None:
    if size > int(high):
        raise PostPolicyError(
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            {"ProposedSize": str(size), "MaxSizeAllowed": str(int(high))},
        )
    if size < int(low):
        raise PostPolicyError(
            400,
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed size",
            {"ProposedSize": str(size), "MinSizeAllowed": str(int(low))},
        )


def _check_conditions(conditions: list[Any], values: Mapping[str, str], size: int) -> set[str]:
    """Checks each condition against `values` (lower-cased field names); returns the fields covered."""
    covered: set[str] = set()
    for condition in conditions:
        if isinstance(condition, dict) and len(condition) == 1:
            ((name, expected),) = condition.items()
            operator, subject = "eq", str(name).lower()
        elif isinstance(condition, list) and len(condition) == 3 and condition[0] == "content-length-range":
            _check_size(size, condition[1], condition[2])
            continue
        elif isinstance(condition, list) and len(condition) == 3 and str(condition[1]).startswith("$"):
            operator, subject, expected = str(condition[0]).lower(), str(condition[1])[1:].lower(), condition[2]
        else:
            raise PostPolicyError(400, "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {condition}")
        covered.add(subject)
        actual = values.get(subject, "")
        if operator == "eq" and actual == str(expected):
            continue
        if operator == "starts-with" and actual.startswith(str(expected)):
            continue
        if operator not in {"eq", "starts-with"}:
            raise PostPolicyError(400, "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {condition}")
        raise _denied(f"Policy Condition failed: {json.dumps([operator, '$' + subject, expected])}")
    return covered


def check_form(
    form: Mapping[str, str],
    bucket: str,
    size: int,
    now: datetime | None = None,
    secret_for: Callable[[str], str | None] = local_secret,
) -> None:
    """Raises PostPolicyError when S3 would refuse this browser-form upload of `size` bytes to `bucket`."""
    fields = {name.lower(): value for name, value in form.items()}
    policy_b64 = fields.get("policy")
    if not policy_b64:
        # The bucket blocks public access: an unsigned form upload is anonymous, and refused.
        raise PostPolicyError(403, "AccessDenied", "Access Denied")
    _check_signature(fields, policy_b64, secret_for)
    policy = _decode_policy(policy_b64)
    _check_expiration(policy, now or datetime.now(UTC))
    covered = _check_conditions(policy["conditions"], {**fields, "bucket": bucket}, size)
    extra = sorted(
        name
        for name in fields
        if name not in covered and name not in _EXEMPT_FIELDS and not name.startswith("x-ignore-")
    )
    if extra:
        raise _denied(f"Extra input fields: {', '.join(extra)}")


def install() -> None:
    """Makes moto's S3 check browser-form uploads (idempotent, process-wide: the emulator process only)."""
    from moto.s3.responses import S3Response

    if getattr(S3Response._bucket_response_post, "_imgrec_checked", False):
        return
    unchecked = S3Response._bucket_response_post

    def bucket_response_post(self: S3Response, request: Any, bucket_name: str) -> Any:
        if self.form_data and "delete" not in self.querystring:
            body = self.raw_body if isinstance(self.raw_body, bytes) else str(self.raw_body or "").encode()
            try:
                check_form(dict(self.form_data.items()), bucket_name, len(body))
            except PostPolicyError as error:
                return error.status, {"Content-Type": "application/xml"}, error.to_xml()
        return unchecked(self, request, bucket_name)

    bucket_response_post._imgrec_checked = True  # type: ignore[attr-defined]
    S3Response._bucket_response_post = bucket_response_post  # type: ignore[method-assign]
