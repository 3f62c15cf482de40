"""Entry point of the pre-traffic hook CodeDeploy calls before shifting traffic to new versions.

It always reports back (a hook that never answers holds the release for an hour): Succeeded when every
probe passed, Failed otherwise, and Failed before re-raising anything unexpected.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from api.adapters.deployment import CodeDeployReporter, LambdaInvoker
from api.logic.smoke import Invoker, Reporter, probes, run_probes
from api.smoke_settings import get_smoke_settings

logger = Logger()
# A cold start of a 3 GB image function may take seconds: wait for it, never retry an invocation.
_CONFIG = Config(read_timeout=120, connect_timeout=5, retries={"mode": "standard", "max_attempts": 1})


def handle_hook(event: dict[str, Any], invoker: Invoker, reporter: Reporter) -> bool:
    deployment_id = str(event["DeploymentId"])
    hook_execution_id = str(event["LifecycleEventHookExecutionId"])
    try:
        settings = get_smoke_settings()
        checks = probes(
            settings.smoke_api_version,
            settings.smoke_worker_version,
            settings.smoke_dead_letter_version,
            settings.smoke_deletion_version,
            settings.smoke_indexer_version,
            settings.smoke_notifier_version,
            settings.smoke_webhook_sender_version,
        )
        failures = run_probes(checks, invoker)
    except Exception:
        logger.exception("smoke test crashed", deployment_id=deployment_id)
        reporter.report(deployment_id, hook_execution_id, passed=False)
        raise
    for name, reason in failures.items():
        logger.error("smoke probe failed", deployment_id=deployment_id, probe=name, reason=reason)
    reporter.report(deployment_id, hook_execution_id, passed=not failures)
    logger.info("smoke test done", deployment_id=deployment_id, passed=not failures)
    return not failures


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    session = boto3.session.Session()
    passed = handle_hook(
        event,
        LambdaInvoker(session.client("lambda", config=_CONFIG)),
        CodeDeployReporter(session.client("codedeploy", config=_CONFIG)),
    )
    return {"passed": passed}
