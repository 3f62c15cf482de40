"""Entry point of the WebSocket API's `$connect` authorizer (a Lambda REQUEST authorizer): the Cognito token
from the `token` query parameter, verified (api/cognito_tokens.py); the caller's `sub` becomes the
connection's principal. Imports little: it runs before every connection."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from api.cognito_tokens import CognitoVerifier, InvalidTokenError, PoolKeys, issuer_of
from imagejobs.observability import logger
from imagejobs.settings import SocketAuthSettings, load_settings


@cache
def verifier() -> CognitoVerifier:
    settings = load_settings(SocketAuthSettings)
    issuer = issuer_of(settings.user_pool_region, settings.user_pool_id)
    return CognitoVerifier(
        issuer=issuer,
        client_ids=frozenset(settings.user_pool_client_ids.split(",")),
        keys=PoolKeys(f"{issuer}/.well-known/jwks.json"),
    )


def policy(principal: str, effect: str, resource: str, context: dict[str, str] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }
    if context:
        answer["context"] = context
    return answer


def authorize(event: dict[str, Any], check: CognitoVerifier) -> dict[str, Any]:
    token = (event.get("queryStringParameters") or {}).get("token") or ""
    resource = str(event.get("methodArn", ""))
    try:
        identity = check.verify(token)
    except InvalidTokenError as error:
        logger.info("connection refused", reason=str(error))
        return policy("anonymous", "Deny", resource)
    return policy(identity.subject, "Allow", resource, {"sub": identity.subject, "username": identity.username})


@logger.inject_lambda_context(clear_state=True, log_event=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return authorize(event, verifier())
