"""Reading a JSON document from S3 with synchronous boto3, the way every adapter of the project does it:
None when it is gone (deleted, or expired by the lifecycle rule), SDK errors translated."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imagejobs.aws_errors import error_code, translate

MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


def read_json(client: Any, bucket: str, key: str) -> Any | None:
    try:
        answer = client.get_object(Bucket=bucket, Key=key)
        return json.loads(answer["Body"].read())
    except ClientError as error:
        if error_code(error) in MISSING:
            return None
        raise translate(error, "S3 GET") from error
    except BotoCoreError as error:
        raise translate(error, "S3 GET") from error
