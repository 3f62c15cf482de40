"""S3 for the API: presigned POST forms that pin key, size and type; object checks; presigned GETs."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from api.logic.ports import UploadForm
from imagejobs.aws_errors import error_code, translate
from imagejobs.s3_documents import MISSING, read_json

_DELETE_BATCH = 1000  # DeleteObjects takes at most 1,000 keys


class ObjectStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def upload_form(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> UploadForm:
        """A presigned POST whose policy pins the key, 1..max_bytes and the content type."""
        form = self._client.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )
        return UploadForm(url=form["url"], fields=dict(form["fields"]))

    def size_of(self, key: str) -> int | None:
        """The object's size, or None when it is not there (yet)."""
        try:
            head = self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error_code(error) in MISSING:
                return None
            raise translate(error, "S3 HEAD") from error
        except BotoCoreError as error:
            raise translate(error, "S3 HEAD") from error
        return int(head["ContentLength"])

    def put(self, key: str, body: bytes, content_type: str) -> None:
        try:
            self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)
        except (ClientError, BotoCoreError) as error:
            raise translate(error, "S3 PUT") from error

    def read_json(self, key: str) -> Any | None:
        """The JSON document at `key`, or None when it is gone (expired by the lifecycle rule)."""
        return read_json(self._client, self._bucket, key)

    def download_url(self, key: str, expires_in: int) -> str:
        return str(
            self._client.generate_presigned_url(
                "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_in
            )
        )

    def list_keys(self, prefix: str, limit: int | None = None) -> list[str]:
        """Every key under `prefix` (up to `limit`): what a deletion removes, found rather than assumed."""
        found: list[str] = []
        try:
            for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix):
                found += [item["Key"] for item in page.get("Contents", [])]
                if limit is not None and len(found) >= limit:
                    return found[:limit]
        except (ClientError, BotoCoreError) as error:
            raise translate(error, "S3 LIST") from error
        return found

    def delete(self, keys: list[str]) -> int:
        """Remove these objects (a missing one is no error: deleting twice is deleting once)."""
        removed = 0
        for start in range(0, len(keys), _DELETE_BATCH):
            group = keys[start : start + _DELETE_BATCH]
            try:
                answer = self._client.delete_objects(
                    Bucket=self._bucket, Delete={"Objects": [{"Key": key} for key in group], "Quiet": True}
                )
            except (ClientError, BotoCoreError) as error:
                raise translate(error, "S3 DELETE") from error
            failed = answer.get("Errors", [])
            if failed:
                raise translate(
                    ClientError({"Error": {"Code": failed[0].get("Code", "InternalError")}}, "DeleteObjects"),
                    "S3 DELETE",
                )
            removed += len(group)
        return removed
