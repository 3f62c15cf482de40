"""S3 for the worker: size check before download, bounded reads, derived objects."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imagejobs.errors import TransientError

_MISSING = {"404", "NoSuchKey", "NotFound"}


class ObjectStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    async def size_of(self, key: str) -> int | None:
        try:
            head = await self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise TransientError(f"S3 HEAD failed: {error}") from error
        except BotoCoreError as error:
            raise TransientError(f"S3 HEAD failed: {error}") from error
        return int(head["ContentLength"])

    async def read(self, key: str, max_bytes: int) -> bytes:
        """The object's bytes; the Range keeps a replaced, larger object from being read whole."""
        try:
            answer = await self._client.get_object(Bucket=self._bucket, Key=key, Range=f"bytes=0-{max_bytes}")
            async with answer["Body"] as body:
                data: bytes = await body.read()
        except (ClientError, BotoCoreError) as error:
            raise TransientError(f"S3 GET failed: {error}") from error
        return data

    async def read_json(self, key: str) -> Any | None:
        """The JSON document at `key`, or None when there is none (the role may list the prefix, so a
        missing key is a 404, not a 403)."""
        try:
            answer = await self._client.get_object(Bucket=self._bucket, Key=key)
            async with answer["Body"] as body:
                return json.loads(await body.read())
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise TransientError(f"S3 GET failed: {error}") from error
        except BotoCoreError as error:
            raise TransientError(f"S3 GET failed: {error}") from error

    async def write(self, key: str, data: bytes, content_type: str) -> None:
        try:
            await self._client.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)
        except (ClientError, BotoCoreError) as error:
            raise TransientError(f"S3 PUT failed: {error}") from error

    async def write_json(self, key: str, document: Any) -> None:
        body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
        await self.write(key, body, "application/json")
