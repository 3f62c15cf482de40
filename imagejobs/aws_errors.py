"""One translation of AWS SDK failures into this product's errors, used by every adapter.

Throttling, 5xx answers, timeouts and connection failures are `TransientError` (the API answers 503 with
`Retry-After`, the worker retries the job later). Anything else the SDK raises — access denied, a
malformed request, a missing resource — is a `DependencyError`: retrying cannot fix it, it is our bug or
a misconfiguration, and it surfaces as INTERNAL with the details in the log.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from imagejobs.errors import DependencyError, ImgrecError, TransientError

TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "TransactionConflictException",
        "RequestThrottled",
        "SlowDown",
        "InternalError",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_transient(error: ClientError) -> bool:
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return error_code(error) in TRANSIENT_CODES or status >= 500 or status == 429


def translate(error: ClientError | BotoCoreError, action: str) -> ImgrecError:
    """The error to raise instead of `error`, which happened while doing `action` (e.g. "S3 GET")."""
    if isinstance(error, ClientError):
        if is_transient(error):
            return TransientError(f"{action}: {error_code(error)}")
        return DependencyError(f"{action}: {error}")
    if isinstance(error, ParamValidationError):  # we built a bad request: our bug, not the network
        return DependencyError(f"{action}: {error}")
    return TransientError(f"{action}: {error}")  # timeouts, connection failures, incomplete reads
