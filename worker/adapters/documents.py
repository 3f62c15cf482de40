"""S3 for the indexer (synchronous boto3: it handles one stream record after another): read a job's
results, write and remove its analytics record."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imagejobs.aws_errors import translate
from imagejobs.s3_documents import read_json


class Documents:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def read_json(self, key: str) -> Any | None:
        """The document, or None when it is gone (deleted, or expired by the lifecycle rule)."""
        return read_json(self._client, self._bucket, key)

    def write_line(self, key: str, document: dict[str, Any]) -> None:
        """One JSON object on one line (newline-delimited JSON, what Athena's JSON SerDe and DuckDB read)."""
        body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        try:
            self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/x-ndjson")
        except (ClientError, BotoCoreError) as error:
            raise translate(error, "S3 PUT") from error

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self._bucket, Key=key)
        except (ClientError, BotoCoreError) as error:
            raise translate(error, "S3 DELETE") from error
