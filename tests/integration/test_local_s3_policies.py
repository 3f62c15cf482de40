"""The emulated S3 refuses what S3 refuses for a presigned POST (local_stack/s3_post_policy.py), through
the embedded stack: the API's own forms, used as issued, work; bent, they are refused with S3's errors."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from imagejobs import keys
from local_stack import names
from tests.support.api import ApiClient
from tests.support.images import photo_like


def post(form: dict[str, Any], data: bytes, **changed: str) -> requests.Response:
    return requests.post(form["url"], data={**form["fields"], **changed}, files={"file": ("f", data)}, timeout=30)


def error_code(answer: requests.Response) -> str:
    return answer.text.split("<Code>", 1)[1].split("</Code>", 1)[0]


def signed_by_the_stack(stack: Any, key: str, expires_in: int, max_bytes: int) -> dict[str, Any]:
    """A form signed as the API signs its own (same credentials, conditions), with a chosen expiry and size."""
    s3 = boto3.client(
        "s3",
        endpoint_url=stack.aws_url,
        region_name=names.REGION,
        config=Config(signature_version="s3v4"),
    )
    form: dict[str, Any] = s3.generate_presigned_post(
        Bucket=names.BUCKET_NAME,
        Key=key,
        Fields={"Content-Type": "image/jpeg"},
        Conditions=[{"Content-Type": "image/jpeg"}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=expires_in,
    )
    return form


def test_a_form_used_as_issued_uploads_and_the_job_succeeds(api: ApiClient) -> None:
    _, jobs = api.analyze([("ok.jpg", photo_like(seed=31))])

    assert jobs[0]["status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        ({"Content-Type": "text/html"}, "Policy Condition failed"),
        ({"key": "uploads/someone-else/b-x/j-x"}, "Policy Condition failed"),
        ({"acl": "public-read"}, "Extra input fields: acl"),
    ],
)
def test_a_form_bent_away_from_its_policy_is_refused(
    stack: Any, api: ApiClient, changed: dict[str, str], expected: str
) -> None:
    slot = api.create_batch([("a.jpg", b"x")])["jobs"][0]

    refused = post(slot["upload"], photo_like(seed=32), **changed)

    assert (refused.status_code, error_code(refused)) == (403, "AccessDenied")
    assert expected in refused.text
    # Nothing was written anywhere: not at the bent key, not at the form's own.
    listed = stack.client("s3").list_objects_v2(Bucket=names.BUCKET_NAME, Prefix=slot["upload"]["fields"]["key"])
    assert listed.get("KeyCount", 0) == 0


def test_one_users_form_cannot_overwrite_anothers_cached_answers(stack: Any, api: ApiClient) -> None:
    bob = ApiClient(api.base_url, token="bob")
    batch_id, jobs = bob.analyze([("bob.jpg", photo_like(seed=33))], features=["LABELS"])
    assert jobs[0]["status"] == "SUCCEEDED"
    s3 = stack.client("s3")
    # Bob's objects only (his job's and his cached answers), not every derived object of the test session:
    # one form per object, and the session's grow to hundreds.
    derived = [
        o["Key"]
        for prefix in (f"{keys.DERIVED_PREFIX}{batch_id}/", keys.owner_cache_prefix("bob"))
        for o in s3.list_objects_v2(Bucket=names.BUCKET_NAME, Prefix=prefix).get("Contents", [])
    ]
    assert any(key.startswith(keys.CACHE_PREFIX) for key in derived) and len(derived) >= 2
    before = {key: s3.get_object(Bucket=names.BUCKET_NAME, Key=key)["Body"].read() for key in derived}
    alice_slot = api.create_batch([("a.jpg", b"x")])["jobs"][0]

    answers = [post(alice_slot["upload"], b'{"Labels": []}', key=key) for key in derived]

    assert {(a.status_code, error_code(a)) for a in answers} == {(403, "AccessDenied")}
    assert {key: s3.get_object(Bucket=names.BUCKET_NAME, Key=key)["Body"].read() for key in derived} == before


def test_an_upload_over_the_policys_size_is_entity_too_large(stack: Any) -> None:
    form = signed_by_the_stack(stack, "uploads/size-test", expires_in=600, max_bytes=1000)

    assert post(form, b"x" * 1000).status_code == 204
    refused = post(form, b"x" * 1001)
    assert (refused.status_code, error_code(refused)) == (400, "EntityTooLarge")
    assert "<MaxSizeAllowed>1000</MaxSizeAllowed>" in refused.text


def test_an_expired_form_is_access_denied(stack: Any) -> None:
    form = signed_by_the_stack(stack, "uploads/expiry-test", expires_in=-1, max_bytes=1000)

    refused = post(form, b"x" * 10)

    assert (refused.status_code, error_code(refused)) == (403, "AccessDenied")
    assert "Policy expired" in refused.text
