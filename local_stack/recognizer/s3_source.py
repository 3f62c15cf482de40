"""Reads `Image.S3Object` from S3 (the local moto S3 in the embedded stack) with boto3."""

from __future__ import annotations

import threading
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .errors import ImageTooLargeError, InvalidS3ObjectError
from .operations import S3Location


class ImageSource(Protocol):
    def read(self, location: S3Location, max_bytes: int) -> bytes: ...


class S3ImageSource:
    """One boto3 S3 client, made on first use (boto3 clients are thread-safe once made, not while made)."""

    def __init__(self, endpoint_url: str | None = None, client: Any | None = None) -> None:
        self._endpoint_url = endpoint_url
        self._client = client
        self._lock = threading.Lock()

    def _s3(self) -> Any:
        with self._lock:
            if self._client is None:
                session = boto3.session.Session()
                credentials = {}
                if session.get_credentials() is None:
                    # A local S3 accepts any credentials; without some, botocore refuses to sign at all.
                    credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
                make_client: Any = session.client  # untyped: boto3-stubs overloads reject **credentials
                self._client = make_client(
                    "s3",
                    endpoint_url=self._endpoint_url,
                    region_name=session.region_name or "us-east-1",
                    # As many connections as calls served at once (the worker sends a whole batch's at once).
                    config=Config(
                        connect_timeout=5, read_timeout=30, retries={"max_attempts": 2}, max_pool_connections=64
                    ),
                    **credentials,
                )
            return self._client

    def read(self, location: S3Location, max_bytes: int) -> bytes:
        request: dict[str, str] = {"Bucket": location.bucket, "Key": location.name}
        if location.version:
            request["VersionId"] = location.version
        try:
            response = self._s3().get_object(**request)
            body = response["Body"]
            if int(response.get("ContentLength", 0)) > max_bytes:
                body.close()
                raise ImageTooLargeError(f"S3 object is larger than {max_bytes} bytes")
            data: bytes = body.read()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Unknown")
            raise InvalidS3ObjectError(f"Unable to get object from S3 ({code})") from error
        except BotoCoreError as error:
            raise InvalidS3ObjectError("Unable to get object from S3") from error
        return data
