"""Production properties of the TRANSFORMED template, for each parameter set that changes its shape:
the hosted web app, canary releases, cost guardrails, accounts and sign-up, the API edge, multi-region."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from tests.infra.cfn import PSEUDO, STACK_UUID, Evaluation
from tests.infra.conftest import TEMPLATE, load_sam_transform, of_type

MULTI_REGION_FIRST = {
    "PeerRegion": "eu-west-1",
    "PeerImagesBucketName": "imgrec-images-0f0e0d0c-peer",
    "PeerUserPoolArn": "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Peer",
    "ApiDomainName": "api.example.com",
    "ApiCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
    "ApiHostedZoneId": "Z0123456789ABC",
}
MULTI_REGION_SECOND = {**MULTI_REGION_FIRST, "PeerRegion": "us-east-1", "GlobalTableName": "imgrec-JobsTable-ABC"}
SHAPES = {
    "single-region": {},
    "sign-up-for-domains": {"SelfSignUp": "true", "SignUpAllowedEmailDomains": "example.com,*.example.org"},
    "sign-up-for-anyone": {"SelfSignUp": "true"},
    "multi-region-first": MULTI_REGION_FIRST,
    "multi-region-second": MULTI_REGION_SECOND,
}
RELEASED_FUNCTIONS = [
    "ApiFunction",
    "WorkerFunction",
    "DeadLetterFunction",
    "PreSignUpFunction",
    "IndexerFunction",
    "DeletionFunction",
    # Notifications (issue 12): released by canary with their own CodeDeploy role (NotificationsDeploymentRole).
    "NotifierFunction",
    "WebhookSenderFunction",
    "SocketFunction",
    "SocketAuthFunction",
]
# The functions the pre-traffic hook probes (all but the sign-up check: see its DeploymentPreference).
# What DeploymentRole releases (the notification functions have NotificationsDeploymentRole).
CORE_RELEASED_FUNCTIONS = ["ApiFunction", "WorkerFunction", "DeadLetterFunction", "IndexerFunction", "DeletionFunction"]
# What the pre-traffic hook invokes: those, the notifier and the webhook sender.
PROBED_FUNCTIONS = [*CORE_RELEASED_FUNCTIONS, "NotifierFunction", "WebhookSenderFunction"]
IDS = {
    "ImgrecApi": "a1b2c3d4e5",
    "UserPoolDomain": f"imgrec-{STACK_UUID}",
    "WebDistribution.DomainName": "d111.cloudfront.net",
    "SocketApi": "w1x2y3",
}


@cache
def _transformed(shape: str) -> dict[str, Any]:
    sam_transform = load_sam_transform()
    return sam_transform.transform_template(sam_transform.load_template(TEMPLATE), SHAPES[shape])  # type: ignore[no-any-return]


def deployed(shape: str) -> Evaluation:
    return Evaluation(_transformed(shape), SHAPES[shape])


def _one(resources: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    [(name, body)] = of_type(resources, resource_type).items()
    return name, body


def _csp(evaluation: Evaluation) -> dict[str, list[str]]:
    _, policy = _one(evaluation.resources, "AWS::CloudFront::ResponseHeadersPolicy")
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    text = evaluation.render(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"], IDS)
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in text.split(";")) if d}


# ---------------------------------------------------------------- dependency graph


def _targets(node: Any) -> set[str]:
    """Every logical id or parameter a node refers to (Ref, GetAtt, ${...} in Sub), pseudo parameters aside."""
    return {name for name in _references(node) if not name.startswith("AWS::")}


@pytest.mark.parametrize("shape", SHAPES)
def test_every_reference_resolves_in_every_shape(shape: str) -> None:
    """A resource or output that names a resource absent in this shape (its condition false) fails the deploy:
    cfn-lint checks the template, this checks each parameter set (e.g. the second region, with no table)."""
    evaluation = deployed(shape)
    known = set(evaluation.resources) | set(evaluation.template.get("Parameters", {}))
    dangling = {
        name: sorted(_targets(body) - known)
        for name, body in {**evaluation.resources, **evaluation.outputs}.items()
        if _targets(body) - known
    }
    assert not dangling


def _references(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                named = {name.split(".")[0] for name in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                found |= (named - set(variables)) | _references(variables)
            else:
                found |= _references(value)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item)
    return found


@pytest.mark.parametrize("shape", SHAPES)
def test_no_dependency_cycle_in_any_shape(shape: str) -> None:
    """The web app, API, bucket and user pool name each other; CloudFormation refuses any cycle."""
    resources = deployed(shape).resources
    graph = {
        name: (
            _references(body)
            | set(
                body.get("DependsOn", [])
                if isinstance(body.get("DependsOn"), list)
                else {body["DependsOn"]}
                if "DependsOn" in body
                else set()
            )
        )
        & set(resources)
        for name, body in resources.items()
    }
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in visiting, f"cycle: {' -> '.join([*path, name])}"
        if name in done:
            return
        visiting.add(name)
        for target in graph[name]:
            visit(target, [*path, name])
        visiting.discard(name)
        done.add(name)

    for name in graph:
        visit(name, [])


# ---------------------------------------------------------------- the hosted web app


def test_web_app_bucket_is_private_and_read_only_by_this_distribution_through_oac() -> None:
    evaluation = deployed("single-region")
    resources = evaluation.resources
    bucket = resources["WebBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    [allow] = [
        s for s in resources["WebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"
    ]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    source = evaluation.render(allow["Condition"]["StringEquals"]["AWS:SourceArn"], {"WebDistribution": "E123"})
    assert source == "arn:aws:cloudfront::123456789012:distribution/E123"
    oac = resources["WebOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["SigningBehavior"], oac["SigningProtocol"], oac["OriginAccessControlOriginType"]) == (
        "always",
        "sigv4",
        "s3",
    )
    config = resources["WebDistribution"]["Properties"]["DistributionConfig"]
    [origin] = config["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["WebOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] in {"https-only", "redirect-to-https"}
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": "WebResponseHeadersPolicy"}


def test_security_headers_pin_https_forbid_framing_and_sniffing() -> None:
    _, policy = _one(deployed("single-region").resources, "AWS::CloudFront::ResponseHeadersPolicy")
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ContentTypeOptions"]["Override"] is True
    assert all(header["Override"] is True for header in headers.values())


def test_csp_allows_exactly_the_api_the_upload_bucket_cognito_and_the_websocket_api() -> None:
    evaluation = deployed("single-region")
    csp = _csp(evaluation)
    bucket = evaluation.render(evaluation.resources["ImagesBucket"]["Properties"]["BucketName"])
    api = f"https://{IDS['ImgrecApi']}.execute-api.us-east-1.amazonaws.com"
    cognito = f"https://imgrec-{STACK_UUID}.auth.us-east-1.amazoncognito.com"
    buckets = [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.us-east-1.amazonaws.com"]

    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'", api, *buckets, cognito, "wss://w1x2y3.execute-api.us-east-1.amazonaws.com"]
    assert csp["img-src"] == ["'self'", "data:", *buckets]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in json.dumps(csp) and "'unsafe-eval'" not in json.dumps(csp)


def test_the_upload_urls_the_api_signs_are_allowed_by_the_csp(monkeypatch: pytest.MonkeyPatch) -> None:
    """boto3 (the API's pinned version) decides the upload URL's host: the CSP must allow that exact origin."""
    import os

    import boto3
    from botocore.config import Config

    # As in Lambda: no endpoint override (other tests point boto3 at the local emulator through these).
    for name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)

    evaluation = deployed("single-region")
    bucket = evaluation.render(evaluation.resources["ImagesBucket"]["Properties"]["BucketName"])
    s3 = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1").client(
        "s3", config=Config(signature_version="s3v4")
    )
    post_origin = s3.generate_presigned_post(bucket, "uploads/a.jpg")["url"].rstrip("/")
    get_origin = re.match(
        r"https://[^/]+", s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "d"})
    )

    assert post_origin in _csp(evaluation)["connect-src"]
    assert get_origin and get_origin.group(0) in _csp(evaluation)["img-src"]


def test_bucket_names_carry_no_account_id_and_the_cognito_domain_neither() -> None:
    evaluation = deployed("single-region")
    resources = evaluation.resources
    bucket = evaluation.render(resources["ImagesBucket"]["Properties"]["BucketName"])
    domain = evaluation.render(resources["UserPoolDomain"]["Properties"]["Domain"])
    assert bucket == f"imgrec-images-{STACK_UUID}"
    assert domain == f"imgrec-{STACK_UUID}"
    for name in (bucket, domain):
        assert PSEUDO["AWS::AccountId"] not in name
    assert "AWS::AccountId" not in json.dumps(_transformed("single-region")["Resources"]["UserPoolDomain"])


def test_cors_and_cognito_follow_the_web_app_url_unless_another_origin_is_given() -> None:
    for params, origin in (
        ({}, "https://d111.cloudfront.net"),
        ({"WebAppOrigin": "http://localhost:8000"}, "http://localhost:8000"),
    ):
        sam_transform = load_sam_transform()
        evaluation = Evaluation(sam_transform.transform_template(sam_transform.load_template(TEMPLATE), params), params)
        resources = evaluation.resources
        env = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
        assert evaluation.render(env["IMGREC_CORS_ORIGIN"], IDS) == origin
        [rule] = resources["ImagesBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
        assert [evaluation.render(o, IDS) for o in rule["AllowedOrigins"]] == [origin]
        client = resources["UserPoolClient"]["Properties"]
        assert [evaluation.render(u, IDS) for u in client["CallbackURLs"]] == [origin + "/"]
        config = json.loads(evaluation.render(evaluation.outputs["WebAppConfig"]["Value"], IDS))
        assert config["auth"]["redirectUri"] == origin + "/"
        assert config["apiBaseUrl"] == f"https://{IDS['ImgrecApi']}.execute-api.us-east-1.amazonaws.com/v1"


# ---------------------------------------------------------------- canary releases


@pytest.mark.parametrize("function", RELEASED_FUNCTIONS)
def test_every_function_with_traffic_is_released_behind_an_alias_with_rollback_alarms(function: str) -> None:
    resources = deployed("single-region").resources
    [(alias_name, alias)] = [
        (name, body)
        for name, body in of_type(resources, "AWS::Lambda::Alias").items()
        if body["Properties"]["FunctionName"] == {"Ref": function}
    ]
    assert alias["Properties"]["Name"] == "live"
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    group = resources[update["DeploymentGroupName"]["Ref"]]["Properties"]
    assert group["DeploymentConfigName"]["Fn::Sub"][1] == {"ConfigName": "Canary10Percent10Minutes"}
    assert group["AutoRollbackConfiguration"]["Enabled"] is True
    assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]
    assert group["ServiceRoleArn"]["Fn::GetAtt"][0] in {
        "DeploymentRole",
        "SignUpDeploymentRole",
        "NotificationsDeploymentRole",
    }
    alarms = [resources[a["Name"]["Ref"]]["Properties"] for a in group["AlarmConfiguration"]["Alarms"]]
    version = alias["Properties"]["FunctionVersion"]  # {"Fn::GetAtt": [<new version>, "Version"]}

    def watches_new_version(alarm: dict[str, Any], metric: str) -> bool:
        stats = (
            [alarm]
            if "MetricName" in alarm
            else [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
        )
        return any(
            stat["MetricName"] == metric and {"Name": "ExecutedVersion", "Value": version} in stat["Dimensions"]
            for stat in stats
        )

    assert any(watches_new_version(alarm, "Errors") for alarm in alarms), alias_name
    assert any(watches_new_version(alarm, "Throttles") for alarm in alarms), alias_name


def test_api_release_also_rolls_back_on_5xx_and_the_worker_release_on_dead_letters() -> None:
    resources = deployed("single-region").resources

    def alarm_metrics(function: str) -> set[str]:
        group = resources[f"{function}DeploymentGroup"]["Properties"]
        return {
            resources[a["Name"]["Ref"]]["Properties"].get("MetricName", "")
            for a in group["AlarmConfiguration"]["Alarms"]
        }

    assert "5XXError" in alarm_metrics("ApiFunction")
    assert "JobsDeadLettered" in alarm_metrics("WorkerFunction")


def test_the_preset_is_a_parameter() -> None:
    resources = deployed("single-region").resources
    sam_transform = load_sam_transform()
    linear = sam_transform.transform_template(
        sam_transform.load_template(TEMPLATE), {"DeploymentPreset": "Linear10PercentEvery1Minute"}
    )["Resources"]
    for function in RELEASED_FUNCTIONS:
        assert resources[f"{function}DeploymentGroup"]["Properties"]["DeploymentConfigName"]["Fn::Sub"][1] == {
            "ConfigName": "Canary10Percent10Minutes"
        }
        assert linear[f"{function}DeploymentGroup"]["Properties"]["DeploymentConfigName"]["Fn::Sub"][1] == {
            "ConfigName": "Linear10PercentEvery1Minute"
        }


def test_event_sources_and_the_api_invoke_the_aliases() -> None:
    resources = deployed("single-region").resources
    mappings = sorted(
        (body["Properties"]["EventSourceArn"]["Fn::GetAtt"][0], body["Properties"]["FunctionName"]["Ref"])
        for body in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    )
    assert mappings == [
        ("DeletionsQueue", "DeletionFunctionAliaslive"),
        ("JobsDeadLetterQueue", "DeadLetterFunctionAliaslive"),
        ("JobsQueue", "WorkerFunctionAliaslive"),
        ("JobsTable", "IndexerFunctionAliaslive"),
        ("JobsTable", "NotifierFunctionAliaslive"),
        ("WebhookQueue", "WebhookSenderFunctionAliaslive"),
    ]
    assert resources["ApiInvokePermission"]["Properties"]["FunctionName"] == {"Ref": "ApiFunctionAliaslive"}
    _, rest_api = _one(resources, "AWS::ApiGateway::RestApi")
    uri = rest_api["Properties"]["Body"]["paths"]["/{proxy+}"]["x-amazon-apigateway-any-method"][
        "x-amazon-apigateway-integration"
    ]["uri"]
    function_name = deployed("single-region").render(resources["ApiFunction"]["Properties"]["FunctionName"])
    assert deployed("single-region").render(uri).endswith(f":function:{function_name}:live/invocations")


def test_the_pre_traffic_hook_is_optional_and_probes_the_new_versions() -> None:
    on = deployed("single-region").resources
    hook_env = on["SmokeTestFunction"]["Properties"]["Environment"]["Variables"]
    for function in PROBED_FUNCTIONS:
        alias = on[f"{function}Aliaslive"]
        assert alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["BeforeAllowTrafficHook"] == {
            "Ref": "SmokeTestFunction"
        }
        assert {"Ref": alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]} in hook_env.values()
    sam_transform = load_sam_transform()
    params = {"PreTrafficSmokeTest": "false"}
    off = Evaluation(sam_transform.transform_template(sam_transform.load_template(TEMPLATE), params), params).resources
    assert "SmokeTestFunction" not in off
    for function in PROBED_FUNCTIONS:
        assert (
            "BeforeAllowTrafficHook" not in off[f"{function}Aliaslive"]["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        )


def test_the_hook_may_invoke_and_codedeploy_may_move_exactly_the_released_versions() -> None:
    """Published versions of this shape's released functions (the indexer only where the table is), never more."""
    for shape in ("single-region", "multi-region-second"):
        resources = deployed(shape).resources
        versions = sorted(f"${{{f}.Arn}}:*" for f in CORE_RELEASED_FUNCTIONS if f in resources)
        probed = sorted(f"${{{f}.Arn}}:*" for f in PROBED_FUNCTIONS if f in resources)
        for role, action, expected in (
            ("SmokeTestRole", "lambda:InvokeFunction", probed),
            ("DeploymentRole", "lambda:UpdateAlias", versions),
        ):
            [statement] = [
                s
                for p in resources[role]["Properties"]["Policies"]
                for s in p["PolicyDocument"]["Statement"]
                if action in s["Action"]
            ]
            assert sorted(r["Fn::Sub"] for r in statement["Resource"]) == expected, (shape, role)
        assert ("IndexerFunction" in resources) == (shape == "single-region")


# ---------------------------------------------------------------- cost guardrails


def test_a_budget_alerts_the_alarm_topic_which_budgets_and_alarms_may_publish_to() -> None:
    evaluation = deployed("single-region")
    resources = evaluation.resources
    budget = resources["MonthlyBudget"]["Properties"]
    assert budget["Budget"]["BudgetLimit"] == {"Amount": {"Ref": "MonthlyBudgetUsd"}, "Unit": "USD"}
    for notification in budget["NotificationsWithSubscribers"]:
        assert notification["Subscribers"] == [{"SubscriptionType": "SNS", "Address": {"Ref": "AlarmTopic"}}]
    statements = {s["Sid"]: s for s in resources["AlarmTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]}
    budgets = statements["BudgetsOfThisAccount"]
    assert budgets["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert budgets["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert evaluation.render(budgets["Condition"]["ArnLike"]["aws:SourceArn"]) == "arn:aws:budgets::123456789012:*"
    # SNS's AWS managed key cannot be used by CloudWatch or Budgets: the topic has a key that allows both.
    assert resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    [grant] = [
        s for s in resources["AlarmTopicKey"]["Properties"]["KeyPolicy"]["Statement"] if "Service" in s["Principal"]
    ]
    assert sorted(grant["Principal"]["Service"]) == ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"]
    assert grant["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert "MonthlyBudget" not in Evaluation(_transformed("single-region"), {"MonthlyBudgetUsd": "0"}).resources


# ---------------------------------------------------------------- accounts


def test_sign_up_off_by_default_admin_creates_accounts_and_no_trigger_is_attached() -> None:
    evaluation = deployed("single-region")
    pool = evaluation.resources["UserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert "LambdaConfig" not in pool
    assert json.loads(evaluation.render(evaluation.outputs["WebAppConfig"]["Value"], IDS))["auth"]["signUp"] is False


def test_sign_up_for_allowed_domains_verifies_email_and_runs_the_check() -> None:
    evaluation = deployed("sign-up-for-domains")
    resources = evaluation.resources
    pool = resources["UserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["LambdaConfig"] == {"PreSignUp": {"Ref": "PreSignUpFunctionAliaslive"}}
    permission = resources["PreSignUpPermission"]["Properties"]
    assert permission["Principal"] == "cognito-idp.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["UserPool", "Arn"]}
    env = resources["PreSignUpFunction"]["Properties"]["Environment"]["Variables"]
    assert env["IMGREC_SIGN_UP_ALLOWED_DOMAINS"] == {"Ref": "SignUpAllowedEmailDomains"}
    config = json.loads(evaluation.render(evaluation.outputs["WebAppConfig"]["Value"], IDS))
    assert config["auth"]["signUp"] == {"allowedDomains": ["example.com", "*.example.org"]}


def test_sign_up_for_anyone_needs_no_trigger() -> None:
    evaluation = deployed("sign-up-for-anyone")
    pool = evaluation.resources["UserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    assert "LambdaConfig" not in pool
    assert json.loads(evaluation.render(evaluation.outputs["WebAppConfig"]["Value"], IDS))["auth"]["signUp"] == {
        "allowedDomains": []
    }


def test_the_sign_up_rollback_alarm_subtracts_the_refusals_the_check_really_reports() -> None:
    from api import handle_pre_sign_up

    resources = deployed("sign-up-for-domains").resources
    alarm = resources["PreSignUpNewVersionCrashesAlarm"]["Properties"]
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    refused = metrics["refused"]["MetricStat"]["Metric"]
    assert refused["MetricName"] == "SignUpsRefused"
    assert {d["Name"]: d["Value"] for d in refused["Dimensions"]}["service"] == handle_pre_sign_up.SERVICE
    version = resources["PreSignUpFunctionAliaslive"]["Properties"]["FunctionVersion"]
    assert {"Name": "function_version", "Value": version} in refused["Dimensions"]
    assert metrics["crashes"]["Expression"] == "errors - FILL(refused, 0)"
    env = resources["PreSignUpFunction"]["Properties"]["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"] == handle_pre_sign_up.SERVICE


def test_the_sign_up_check_may_only_write_its_logs() -> None:
    role = deployed("sign-up-for-domains").resources["PreSignUpRole"]["Properties"]
    actions = {a for p in role["Policies"] for s in p["PolicyDocument"]["Statement"] for a in s["Action"]}
    assert actions == {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_web_client_has_no_password_grant_and_the_cli_has_its_own_client() -> None:
    resources = deployed("single-region").resources
    web = resources["UserPoolClient"]["Properties"]
    cli = resources["CliClient"]["Properties"]
    assert "ALLOW_USER_PASSWORD_AUTH" not in web["ExplicitAuthFlows"]
    assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" not in web["ExplicitAuthFlows"] + cli["ExplicitAuthFlows"]
    assert cli["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert cli["GenerateSecret"] is False and cli["AllowedOAuthFlowsUserPoolClient"] is False


def test_mfa_and_threat_protection_are_parameters_and_the_pool_is_deletion_protected() -> None:
    defaults = deployed("single-region").resources["UserPool"]["Properties"]
    assert defaults["DeletionProtection"] == "ACTIVE"
    assert defaults["MfaConfiguration"] == {"Ref": "Mfa"}
    assert defaults["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert "UserPoolAddOns" not in defaults
    strict = Evaluation(_transformed("single-region"), {"Mfa": "ON", "ThreatProtection": "ENFORCED"}).resources
    assert strict["UserPool"]["Properties"]["UserPoolAddOns"] == {"AdvancedSecurityMode": {"Ref": "ThreatProtection"}}
    assert strict["UserPool"]["Properties"]["UserPoolTier"] == "PLUS"
    off = Evaluation(_transformed("single-region"), {"Mfa": "OFF"}).resources
    assert "EnabledMfas" not in off["UserPool"]["Properties"]


# ---------------------------------------------------------------- API edge and settings


def test_waf_limits_each_user_per_minute_and_answers_429_in_the_error_envelope() -> None:
    evaluation = deployed("single-region")
    _, acl = _one(evaluation.resources, "AWS::WAFv2::WebACL")
    rules = {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}
    per_user = rules["rate-limit-per-user"]
    statement = per_user["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "CUSTOM_KEYS"
    assert statement["CustomKeys"] == [
        {"Header": {"Name": "authorization", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}
    ]
    assert statement["EvaluationWindowSec"] == 60
    assert statement["Limit"] == {"Ref": "RequestsPerUserPerMinute"}
    for name in ("rate-limit-per-user", "rate-limit-per-ip"):
        response = rules[name]["Action"]["Block"]["CustomResponse"]
        assert response["ResponseCode"] == 429
        headers = {h["Name"]: evaluation.render(h["Value"], IDS) for h in response["ResponseHeaders"]}
        assert headers["Retry-After"] == "60"
        assert headers["Access-Control-Allow-Origin"] == "https://d111.cloudfront.net"
        body = acl["Properties"]["CustomResponseBodies"][response["CustomResponseBodyKey"]]
        assert body["ContentType"] == "APPLICATION_JSON"
        envelope = json.loads(body["Content"])
        assert envelope["error"]["code"] == "RATE_LIMITED" and envelope["error"]["message"]


def test_quotas_cors_origin_and_throttle_age_reach_the_functions() -> None:
    resources = deployed("single-region").resources
    api = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    worker = resources["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    assert api["IMGREC_QUOTA_IMAGES_PER_DAY"] == {"Ref": "QuotaImagesPerDay"}
    assert api["IMGREC_QUOTA_JOBS_PER_BATCH"] == {"Ref": "QuotaJobsPerBatch"}
    assert "IMGREC_CORS_ORIGIN" in api
    assert worker["IMGREC_THROTTLE_MAX_AGE_HOURS"] == {"Ref": "ThrottleMaxAgeHours"}
    template = _transformed("single-region")
    assert template["Parameters"]["ThrottleMaxAgeHours"]["Default"] == 6
    # A throttled job must end before SQS drops its message (JobsQueue retention).
    retention_hours = resources["JobsQueue"]["Properties"]["MessageRetentionPeriod"] / 3600
    assert template["Parameters"]["ThrottleMaxAgeHours"]["MaxValue"] < retention_hours


def test_api_gateway_refusals_use_the_error_envelope() -> None:
    _, rest_api = _one(deployed("single-region").resources, "AWS::ApiGateway::RestApi")
    responses = rest_api["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]
    for name in ("DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED"):
        template = responses[name]["responseTemplates"]["application/json"]
        assert template.startswith('{"error":{"code":')
    assert responses["THROTTLED"]["responseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"


# ---------------------------------------------------------------- data: table stream, multi-region


@pytest.mark.parametrize("shape", ["single-region", "sign-up-for-domains", "multi-region-first"])
def test_the_job_table_has_a_full_change_stream_in_every_shape_that_creates_it(shape: str) -> None:
    table = deployed(shape).resources["JobsTable"]
    assert table["Type"] == "AWS::DynamoDB::GlobalTable"
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_single_region_has_one_replica_no_replication_no_custom_domain() -> None:
    resources = deployed("single-region").resources
    assert [r["Region"] for r in resources["JobsTable"]["Properties"]["Replicas"]] == [{"Ref": "AWS::Region"}]
    bucket = resources["ImagesBucket"]["Properties"]
    assert "ReplicationConfiguration" not in bucket and "VersioningConfiguration" not in bucket
    for absent in ("ImagesReplicationRole", "ApiDomain", "ApiLatencyRecord", "ApiHealthCheck"):
        assert absent not in resources


def test_the_first_region_owns_a_global_table_replicates_images_and_routes_by_latency() -> None:
    evaluation = deployed("multi-region-first")
    resources = evaluation.resources
    replicas = resources["JobsTable"]["Properties"]["Replicas"]
    assert [r["Region"] for r in replicas] == [{"Ref": "AWS::Region"}, {"Ref": "PeerRegion"}]
    assert all(r["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] for r in replicas)
    bucket = resources["ImagesBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    [rule] = bucket["ReplicationConfiguration"]["Rules"]
    assert evaluation.render(rule["Destination"]["Bucket"]) == "arn:aws:s3:::imgrec-images-0f0e0d0c-peer"
    replicate = [
        s
        for p in resources["ImagesReplicationRole"]["Properties"]["Policies"]
        for s in p["PolicyDocument"]["Statement"]
        if "s3:ReplicateObject" in s["Action"]
    ]
    assert [evaluation.render(s["Resource"]) for s in replicate] == ["arn:aws:s3:::imgrec-images-0f0e0d0c-peer/*"]
    record = resources["ApiLatencyRecord"]["Properties"]
    assert record["Region"] == {"Ref": "AWS::Region"} and record["SetIdentifier"] == {"Ref": "AWS::Region"}
    assert record["HealthCheckId"] == {"Ref": "ApiHealthCheck"}
    check = resources["ApiHealthCheck"]["Properties"]["HealthCheckConfig"]
    assert (check["Type"], check["ResourcePath"]) == ("HTTPS", "/v1/health")
    assert (
        evaluation.render(check["FullyQualifiedDomainName"], IDS)
        == f"{IDS['ImgrecApi']}.execute-api.us-east-1.amazonaws.com"
    )
    assert resources["ApiDomain"]["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert "https://api.example.com" in _csp(evaluation)["connect-src"]
    _, rest_api = _one(resources, "AWS::ApiGateway::RestApi")
    providers = rest_api["Properties"]["Body"]["securityDefinitions"]["CognitoAuthorizer"][
        "x-amazon-apigateway-authorizer"
    ]["providerARNs"]
    assert providers == [{"Fn::GetAtt": ["UserPool", "Arn"]}, {"Ref": "PeerUserPoolArn"}]


def test_the_second_region_joins_the_first_regions_table_instead_of_creating_one() -> None:
    evaluation = deployed("multi-region-second")
    resources = evaluation.resources
    assert "JobsTable" not in resources
    for function in ("ApiFunction", "WorkerFunction", "DeadLetterFunction", "DeletionFunction"):
        assert resources[function]["Properties"]["Environment"]["Variables"]["IMGREC_TABLE_NAME"] == {
            "Ref": "GlobalTableName"
        }
    grants = [
        s
        for p in resources["WorkerRole"]["Properties"]["Policies"]
        for s in p["PolicyDocument"]["Statement"]
        if "dynamodb:PutItem" in s["Action"]
    ]
    assert [evaluation.render(s["Resource"]) for s in grants] == [
        "arn:aws:dynamodb:us-east-1:123456789012:table/imgrec-JobsTable-ABC"
    ]
    assert "JobsTableStreamArn" not in evaluation.outputs


def test_the_second_region_deletes_in_the_shared_table_and_leaves_indexing_to_the_first() -> None:
    """The first region's stream carries both regions' writes: one indexer there counts each job once."""
    evaluation = deployed("multi-region-second")
    resources = evaluation.resources
    assert not [name for name in resources if name.startswith(("Indexer", "IndexFailures"))]
    assert (
        "IMGREC_SMOKE_INDEXER_VERSION" not in resources["SmokeTestFunction"]["Properties"]["Environment"]["Variables"]
    )
    table_grants = sorted(
        evaluation.render(resource)
        for p in resources["DeletionRole"]["Properties"]["Policies"]
        for s in p["PolicyDocument"]["Statement"]
        if any(a.startswith("dynamodb:") for a in s["Action"] if isinstance(s["Action"], list))
        or str(s["Action"]).startswith("dynamodb:")
        for resource in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    )
    table = "arn:aws:dynamodb:us-east-1:123456789012:table/imgrec-JobsTable-ABC"
    assert table_grants == [table, *(f"{table}/index/{index}" for index in ("byBatch", "byOwner", "byTerm"))]
    first = deployed("multi-region-first").resources
    stream_readers = sorted(
        body["Properties"]["FunctionName"]["Ref"]
        for body in of_type(first, "AWS::Lambda::EventSourceMapping").values()
        if body["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["JobsTable", "StreamArn"]}
    )
    # The notifier reads the same stream there, for the same reason: each job's event is sent once.
    assert stream_readers == ["IndexerFunctionAliaslive", "NotifierFunctionAliaslive"]
    second_readers = [
        body
        for body in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if "StreamArn" in str(body["Properties"]["EventSourceArn"])
    ]
    assert not second_readers


def test_a_deletion_in_either_region_reaches_the_other_regions_copies() -> None:
    """Deletions remove objects by name; in a versioned, replicated bucket that leaves delete markers, which
    must replicate (lifecycle expiry never does) and whose hidden versions expire a day later."""
    bucket = deployed("multi-region-first").resources["ImagesBucket"]["Properties"]
    [rule] = bucket["ReplicationConfiguration"]["Rules"]
    assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
    assert "Tag" not in json.dumps(rule["Filter"]), "S3 replicates no delete markers for tag-based rules"
    expiring = {r["Prefix"]: r for r in bucket["LifecycleConfiguration"]["Rules"] if "Prefix" in r}
    for prefix in ("uploads/", "derived/"):
        assert expiring[prefix]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1
