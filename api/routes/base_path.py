"""URLs in answers (`Location`) that resolve against the base URL the client used: the stage prefix when
deployed (`/v1`), `/api` locally, nothing behind a custom domain mapped at the root."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent


def base_path(event: APIGatewayProxyEvent) -> str:
    """`requestContext.path` is the path the client sent (with the stage or mapping prefix); `path` is the
    resource path the API matched. The difference is the prefix."""
    full = event.request_context.path or ""
    resource = event.path or ""
    if resource and full.endswith(resource):
        return full[: len(full) - len(resource)].rstrip("/")
    return ""


def resolvable(event: APIGatewayProxyEvent, path: str) -> str:
    return base_path(event) + path
