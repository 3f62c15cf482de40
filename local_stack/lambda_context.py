"""A stand-in for the Lambda context object, for handlers invoked by the local stack."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from local_stack import names


@dataclass
class LocalLambdaContext:
    function_name: str
    timeout_seconds: int = 120
    memory_limit_in_mb: int = 2048
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{names.REGION}:{names.ACCOUNT_ID}:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))
