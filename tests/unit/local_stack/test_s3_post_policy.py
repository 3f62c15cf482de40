"""The emulated S3 checks a presigned POST as S3 does: signature, expiry, each condition, no extra fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from local_stack import names
from local_stack.s3_post_policy import PostPolicyError, check_form

BUCKET = "imgrec-images"
KEY = "uploads/alice/b-1/j-1"


def signed_form(expires_in: int = 3600, signature_version: str = "s3v4", secret: str = "local") -> dict[str, str]:
    """A form as the API signs it (api/adapters/objects.py): key, content type, size range."""
    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:1",
        region_name=names.REGION,
        aws_access_key_id="local",
        aws_secret_access_key=secret,
        config=Config(signature_version=signature_version),
    )
    form = client.generate_presigned_post(
        Bucket=BUCKET,
        Key=KEY,
        Fields={"Content-Type": "image/jpeg"},
        Conditions=[{"Content-Type": "image/jpeg"}, ["content-length-range", 1, 100]],
        ExpiresIn=expires_in,
    )
    return dict(form["fields"])


def refusal(form: dict[str, Any], size: int = 10, bucket: str = BUCKET, **kwargs: Any) -> PostPolicyError:
    with pytest.raises(PostPolicyError) as refused:
        check_form(form, bucket, size, **kwargs)
    return refused.value


@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
def test_a_form_used_as_signed_is_accepted(signature_version: str) -> None:
    check_form(signed_form(signature_version=signature_version), BUCKET, 10)


def test_a_file_over_the_range_is_entity_too_large_and_an_empty_one_too_small() -> None:
    too_large = refusal(signed_form(), size=101)
    too_small = refusal(signed_form(), size=0)

    assert (too_large.status, too_large.code, too_large.details["MaxSizeAllowed"]) == (400, "EntityTooLarge", "100")
    assert (too_small.status, too_small.code, too_small.details["MinSizeAllowed"]) == (400, "EntityTooSmall", "1")
    assert (
        "<Code>EntityTooLarge</Code>" in too_large.to_xml() and "<ProposedSize>101</ProposedSize>" in too_large.to_xml()
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("key", "derived/ab/cd/labels.json"), ("key", KEY + "-other"), ("Content-Type", "text/html")],
)
def test_a_field_changed_from_the_policy_is_access_denied(field: str, value: str) -> None:
    refused = refusal({**signed_form(), field: value})

    assert (refused.status, refused.code) == (403, "AccessDenied")
    assert refused.message.startswith("Invalid according to Policy: Policy Condition failed")


def test_another_bucket_is_access_denied() -> None:
    assert refusal(signed_form(), bucket="other-bucket").code == "AccessDenied"


def test_an_expired_policy_is_access_denied() -> None:
    form = signed_form(expires_in=60)

    check_form(form, BUCKET, 10, now=datetime.now(UTC) + timedelta(seconds=30))
    refused = refusal(form, now=datetime.now(UTC) + timedelta(seconds=61))
    assert (refused.code, refused.message) == ("AccessDenied", "Invalid according to Policy: Policy expired.")


def test_a_field_the_policy_does_not_name_is_refused_unless_x_ignore() -> None:
    assert refusal({**signed_form(), "acl": "public-read"}).message.endswith("Extra input fields: acl")
    check_form({**signed_form(), "x-ignore-note": "anything"}, BUCKET, 10)


def test_a_forged_signature_or_a_policy_signed_with_another_secret_does_not_match() -> None:
    assert refusal({**signed_form(), "x-amz-signature": "0" * 64}).code == "SignatureDoesNotMatch"
    assert refusal(signed_form(secret="not-the-local-secret")).code == "SignatureDoesNotMatch"
    assert refusal(signed_form(signature_version="s3", secret="nope")).code == "SignatureDoesNotMatch"


def test_a_widened_policy_fails_its_signature() -> None:
    """Editing the policy document itself (say, to lift the size limit) breaks the signature over it."""
    import base64
    import json

    form = signed_form()
    policy = json.loads(base64.b64decode(form["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if not isinstance(c, list)]
    form["policy"] = base64.b64encode(json.dumps(policy).encode()).decode()

    assert refusal(form, size=10_000).code == "SignatureDoesNotMatch"


def test_an_unsigned_form_is_anonymous_and_denied() -> None:
    refused = refusal({"key": KEY, "Content-Type": "image/jpeg"})
    assert (refused.status, refused.code) == (403, "AccessDenied")
