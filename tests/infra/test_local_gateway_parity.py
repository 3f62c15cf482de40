"""The local gateway's rate rule answers as the template's WAF rule `rate-limit-per-user` does."""

from __future__ import annotations

import json
from typing import Any

from local_stack.gateway import Gateway
from local_stack.rate_limit import DEFAULT_LIMIT, WINDOW_SECONDS, RateLimiter
from tests.infra.conftest import parameter_default


def web_acl(template: dict[str, Any]) -> dict[str, Any]:
    (acl,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::WAFv2::WebACL"]
    return acl["Properties"]  # type: ignore[no-any-return]


def user_rule(template: dict[str, Any]) -> dict[str, Any]:
    (rule,) = [r for r in web_acl(template)["Rules"] if r["Name"] == "rate-limit-per-user"]
    return rule  # type: ignore[no-any-return]


def test_the_local_rule_counts_what_the_template_counts(template: dict[str, Any]) -> None:
    statement = user_rule(template)["Statement"]["RateBasedStatement"]

    assert statement["EvaluationWindowSec"] == WINDOW_SECONDS
    assert [key["Header"]["Name"] for key in statement["CustomKeys"]] == ["authorization"]
    assert parameter_default(template, statement["Limit"]) == DEFAULT_LIMIT


def test_the_local_refusal_is_the_templates_custom_response(template: dict[str, Any]) -> None:
    response = user_rule(template)["Action"]["Block"]["CustomResponse"]
    body = web_acl(template)["CustomResponseBodies"][response["CustomResponseBodyKey"]]["Content"]
    headers = {h["Name"]: h["Value"] for h in response["ResponseHeaders"]}
    gateway = Gateway(
        handler=lambda event, context: {"statusCode": 200, "body": "{}"},
        rate_limiter=RateLimiter(limit=1),
    )

    gateway.route("GET", "/api/batches", {"authorization": "Bearer a"}, b"")
    status, answer_headers, answer = gateway.route("GET", "/api/batches", {"authorization": "Bearer a"}, b"")

    assert status == response["ResponseCode"] == 429
    assert json.loads(answer) == json.loads(body)
    assert answer_headers["Retry-After"] == headers["Retry-After"]
