"""The allowed-domains rule of the pre sign-up check, and its Lambda entry point."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from api.logic.sign_up import DomainRule, InvalidDomainRuleError, SignUpRefusedError, check_sign_up

CASES = json.loads((Path(__file__).parents[2] / "fixtures" / "sign_up_cases.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[case["why"] for case in CASES])
def test_self_sign_up_follows_the_shared_cases(case: dict[str, Any]) -> None:
    rule = DomainRule.parse(case["domains"])

    if case["allowed"]:
        check_sign_up("PreSignUp_SignUp", case["email"], rule)
    else:
        with pytest.raises(SignUpRefusedError):
            check_sign_up("PreSignUp_SignUp", case["email"], rule)


def test_a_refusal_names_the_allowed_domains_and_the_refused_one() -> None:
    rule = DomainRule.parse("example.com,*.example.org")

    with pytest.raises(SignUpRefusedError) as refused:
        check_sign_up("PreSignUp_SignUp", "mallory@gmail.com", rule)

    assert "example.com or any sub-domain of example.org" in str(refused.value)
    assert "gmail.com is not one of them" in str(refused.value)


def test_an_operator_may_create_an_account_at_any_domain() -> None:
    check_sign_up("PreSignUp_AdminCreateUser", "contractor@elsewhere.test", DomainRule.parse("example.com"))


def test_federated_sign_ups_follow_the_rule_too() -> None:
    with pytest.raises(SignUpRefusedError):
        check_sign_up("PreSignUp_ExternalProvider", "x@elsewhere.test", DomainRule.parse("example.com"))


def test_entries_are_read_case_insensitively_with_spaces() -> None:
    rule = DomainRule.parse(" Example.COM , *.Example.org ")

    assert rule == DomainRule(frozenset({"example.com"}), frozenset({"example.org"}))


@pytest.mark.parametrize("text", ["example", "*.", "exa mple.com", "http://example.com", "*.*.example.com"])
def test_a_malformed_setting_fails_loudly(text: str) -> None:
    with pytest.raises(InvalidDomainRuleError):
        DomainRule.parse(text)


# ---------------------------------------------------------------- the Lambda entry point


def _event(email: str, source: str = "PreSignUp_SignUp") -> dict[str, Any]:
    return {
        "version": "1",
        "triggerSource": source,
        "region": "us-east-1",
        "userPoolId": "us-east-1_example",
        "userName": "0b7a-uuid",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown", "clientId": "client"},
        "request": {"userAttributes": {"email": email}},
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("IMGREC_SIGN_UP_ALLOWED_DOMAINS", "example.com")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Imgrec")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "imgrec-sign-up")
    from api import handle_pre_sign_up
    from api.sign_up_settings import get_domain_rule

    get_domain_rule.cache_clear()
    yield handle_pre_sign_up
    get_domain_rule.cache_clear()


def _context() -> Any:
    return SimpleNamespace(
        function_name="imgrec-sign-up",
        function_version="7",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:imgrec-sign-up:live",
        memory_limit_in_mb=512,
        aws_request_id="request-1",
    )


def test_the_trigger_returns_the_event_unchanged_for_an_allowed_address(handler: Any) -> None:
    event = _event("alice@example.com")

    assert handler.lambda_handler(event, _context()) == _event("alice@example.com")


def test_the_trigger_refuses_with_the_reason_and_counts_the_refusal_for_its_version(
    handler: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SignUpRefusedError, match=r"gmail\.com is not one of them"):
        handler.lambda_handler(_event("mallory@gmail.com"), _context())

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    [emf] = [line for line in lines if "_aws" in line]
    assert emf["SignUpsRefused"] == [1.0] or emf["SignUpsRefused"] == 1.0
    assert emf["function_version"] == "7"
    assert emf["service"] == handler.SERVICE
    # The address itself is never logged, only its domain.
    assert "mallory" not in json.dumps(lines)
