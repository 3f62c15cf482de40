"""Entry point of Cognito's pre sign-up trigger: only allowed e-mail domains may create an account.

Refusing means raising: Cognito shows the sign-up page the error's message ("PreSignUp failed with error
<message>."). Cognito waits at most 5 s for an answer, so this module imports only the logger and metrics
(no Tracer: X-Ray patching loads botocore), and logs the address's domain, never the address.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from api.logic.sign_up import SignUpRefusedError, check_sign_up
from api.sign_up_settings import get_domain_rule

# The rollback alarm of this function's releases names this service (infra/template.yaml).
SERVICE = "imgrec-sign-up"
logger = Logger(service=SERVICE)
metrics = Metrics(service=SERVICE)


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower() or "-"


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    source = str(event.get("triggerSource", ""))
    address = str(event.get("request", {}).get("userAttributes", {}).get("email", ""))
    try:
        check_sign_up(source, address, get_domain_rule())
    except SignUpRefusedError:
        # Per version: the rollback alarm subtracts these from the version's Errors (infra/template.yaml).
        metrics.add_dimension(name="function_version", value=context.function_version)
        metrics.add_metric(name="SignUpsRefused", unit="Count", value=1)
        logger.info("sign-up refused", trigger_source=source, domain=_domain_of(address))
        raise
    logger.info("sign-up allowed", trigger_source=source, domain=_domain_of(address))
    return event
