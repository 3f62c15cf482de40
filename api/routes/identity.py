"""Who is calling: the Cognito authorizer's `sub` claim (the local gateway puts the token's name there)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from api.errors import UnauthorizedError


def caller(event: APIGatewayProxyEvent) -> str:
    authorizer = event.request_context.authorizer
    claims = (authorizer.claims if authorizer else None) or {}
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise UnauthorizedError("sign in first: send Authorization: Bearer <token>")
    return subject
