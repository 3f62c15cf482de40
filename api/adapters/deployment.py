"""Lambda and CodeDeploy for the pre-traffic hook; ClientError becomes InvocationError here."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from api.logic.smoke import Answer, InvocationError


class LambdaInvoker:
    def __init__(self, client: Any) -> None:
        self._client = client

    def invoke(self, version_arn: str, event: dict[str, Any]) -> Answer:
        try:
            response = self._client.invoke(
                FunctionName=version_arn, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
            )
        except ClientError as error:
            raise InvocationError(f"{error.response['Error']['Code']}: {error.response['Error']['Message']}") from error
        raw = response["Payload"].read()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")[:500]
        return Answer(function_error=response.get("FunctionError"), payload=payload)


class CodeDeployReporter:
    """Tells CodeDeploy whether the release may go on ("Succeeded") or must roll back ("Failed")."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def report(self, deployment_id: str, hook_execution_id: str, *, passed: bool) -> None:
        self._client.put_lifecycle_event_hook_execution_status(
            deploymentId=deployment_id,
            lifecycleEventHookExecutionId=hook_execution_id,
            status="Succeeded" if passed else "Failed",
        )
