"""Hostile uploads through the whole pipeline (issue 11): one user's bomb ends typed and quickly, without
holding up another user's image in the same worker batch; metadata never reaches what is stored."""

from __future__ import annotations

from tests.fixtures.corpus import gif_sub_block_bomb, gif_with_extension, jpeg_scan_bomb
from tests.support.api import ApiClient
from tests.support.images import photo_like


def _uploaded(client: ApiClient, name: str, data: bytes, content_type: str) -> tuple[str, str]:
    answer = client.request(
        "POST", "/batches", json={"images": [{"filename": name, "contentType": content_type, "size": len(data)}]}
    )
    assert answer.status_code == 201, answer.text
    created = answer.json()
    client.upload(created["jobs"][0], data)
    return created["batchId"], created["jobs"][0]["jobId"]


def test_a_scan_bomb_ends_typed_while_another_users_image_in_the_same_batch_succeeds(api: ApiClient) -> None:
    bob = ApiClient(api.base_url, token="bob")
    bomb = jpeg_scan_bomb((10_000, 10_000), scans=3_000)  # a few thousand scans of a 100 MP canvas
    bomb_batch, bomb_job = _uploaded(bob, "bomb.jpg", bomb, "image/jpeg")
    good_batch, good_job = _uploaded(api, "cat.jpg", photo_like(seed=901, width=1200, height=900), "image/jpeg")

    bob.submit(bomb_batch)
    api.submit(good_batch)  # within the poller's batching window: one worker invocation gets both
    bombed = bob.wait_job(bomb_job, timeout=60)
    good = api.wait_job(good_job, timeout=60)

    assert bombed["status"] == "FAILED" and bombed["error"]["code"] == "TOO_COMPLEX"
    assert "scan" in bombed["error"]["message"]
    assert bombed["attempts"] == 1  # refused at once, not retried to the dead-letter queue
    assert good["status"] == "SUCCEEDED" and good["results"]["labels"]
    assert good["attempts"] == 1  # the bomb did not fail the batch it shared


def test_gif_comments_never_reach_the_stored_image_and_an_oversized_one_does_not_stick(
    api: ApiClient, stack: object
) -> None:
    s3 = stack.client("s3")  # type: ignore[attr-defined]
    bucket = stack.resources.bucket_name  # type: ignore[attr-defined]
    marker = b"PRIVATE-COMMENT-"
    for size in (60_000, 70_000):  # under and over JPEG's 65,533-byte COM limit
        batch_id, job_id = _uploaded(api, f"c{size}.gif", gif_with_extension(0xFE, marker * (size // 16)), "image/gif")
        api.submit(batch_id)

        job = api.wait_job(job_id, timeout=60)

        assert job["status"] == "SUCCEEDED", job["error"]
        stored = s3.get_object(Bucket=bucket, Key=f"derived/{batch_id}/{job_id}/normalized.jpg")["Body"].read()
        assert marker not in stored


def test_a_gif_of_one_byte_sub_blocks_is_refused_typed(api: ApiClient) -> None:
    batch_id, job_id = _uploaded(api, "blocks.gif", gif_sub_block_bomb(2_000_000), "image/gif")
    api.submit(batch_id)

    job = api.wait_job(job_id, timeout=60)

    assert job["status"] == "FAILED" and job["error"]["code"] == "TOO_COMPLEX"
