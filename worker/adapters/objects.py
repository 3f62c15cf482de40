"""S3 for the worker: one bounded GET for an upload (its size from the same answer), derived objects."""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imagejobs.aws_errors import error_code, translate
from imagejobs.detect_requests import ImageSource, s3_image
from imagejobs.s3_documents import MISSING
from worker.ports import Download

_TOTAL = re.compile(r"/(\d+)$")  # Content-Range: bytes 0-1023/5000


class ObjectStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    async def download(self, key: str, max_bytes: int) -> Download | None:
        """The upload, or only its size when that is over `max_bytes` (the body is then not read), or None
        when it is not there. One ranged GET: its Content-Range gives the size a HEAD would have."""
        try:
            answer = await self._client.get_object(Bucket=self._bucket, Key=key, Range=f"bytes=0-{max_bytes}")
        except ClientError as error:
            if error_code(error) in MISSING:
                return None
            if error_code(error) == "InvalidRange":  # no byte of a zero-length object can be asked for
                return Download(size=0, data=b"")
            raise translate(error, "S3 GET") from error
        except BotoCoreError as error:
            raise translate(error, "S3 GET") from error
        total = _TOTAL.search(str(answer.get("ContentRange") or ""))
        size = int(total.group(1)) if total else int(answer.get("ContentLength", 0))
        async with answer["Body"] as body:
            if size > max_bytes:
                return Download(size=size, data=None)
            try:
                data: bytes = await body.read()
            except BotoCoreError as error:
                raise translate(error, "S3 GET") from error
        return Download(size=size, data=data)

    def image_source(self, key: str) -> ImageSource:
        """Where Rekognition reads a stored image (with the worker's own S3 permissions)."""
        return s3_image(self._bucket, key)

    async def read_json(self, key: str) -> Any | None:
        """The JSON document at `key`, or None when there is none (the role may list the prefix, so a
        missing key is a 404, not a 403)."""
        try:
            answer = await self._client.get_object(Bucket=self._bucket, Key=key)
            async with answer["Body"] as body:
                return json.loads(await body.read())
        except ClientError as error:
            if error_code(error) in MISSING:
                return None
            raise translate(error, "S3 GET") from error
        except BotoCoreError as error:
            raise translate(error, "S3 GET") from error

    async def write(self, key: str, data: bytes, content_type: str) -> None:
        try:
            await self._client.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)
        except (ClientError, BotoCoreError) as error:
            raise translate(error, "S3 PUT") from error

    async def write_json(self, key: str, document: Any) -> None:
        body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
        await self.write(key, body, "application/json")
