"""What the template promises about access, encryption, edge protection and alarms, read from the template."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest

from api.sign_up_settings import SignUpSettings
from api.smoke_settings import SmokeSettings
from imagejobs.settings import (
    ENV_PREFIX,
    ApiSettings,
    NotifierSettings,
    SocketAuthSettings,
    SocketSettings,
    StoreSettings,
    WebhookSenderSettings,
    WorkerSettings,
)
from tests.infra.cfn import Evaluation
from tests.infra.conftest import REPO, of_type, parameter_default

REKOGNITION_ACTIONS = {
    "rekognition:DetectLabels",
    "rekognition:DetectFaces",
    "rekognition:DetectText",
    "rekognition:DetectModerationLabels",
}
# Actions that support no resource-level permissions: the only ones allowed on "*".
STAR_RESOURCE_ACTIONS = REKOGNITION_ACTIONS | {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "cloudwatch:DescribeAlarms",
}
FUNCTION_ROLES = {
    "ApiFunction": "ApiRole",
    "WorkerFunction": "WorkerRole",
    "DeadLetterFunction": "DeadLetterRole",
    "PreSignUpFunction": "PreSignUpRole",
    "SmokeTestFunction": "SmokeTestRole",
    "IndexerFunction": "IndexerRole",
    "DeletionFunction": "DeletionRole",
    "NotifierFunction": "NotifierRole",
    "WebhookSenderFunction": "WebhookSenderRole",
    "SocketFunction": "SocketRole",
    "SocketAuthFunction": "SocketAuthRole",
}
HANDLERS = {
    "ApiFunction": "api.handle_api.lambda_handler",
    "WorkerFunction": "worker.handle_jobs.lambda_handler",
    "DeadLetterFunction": "worker.handle_dead_letters.lambda_handler",
    "PreSignUpFunction": "api.handle_pre_sign_up.lambda_handler",
    "SmokeTestFunction": "api.handle_pre_traffic.lambda_handler",
    "IndexerFunction": "worker.handle_index.lambda_handler",
    "DeletionFunction": "api.handle_deletions.lambda_handler",
}
# Every role of the template, function or service, is held to the same rules.
ALL_ROLES = [*FUNCTION_ROLES.values(), "DeploymentRole", "SignUpDeploymentRole", "NotificationsDeploymentRole"]
# Who may delete objects, and where: deletions (the API within a request, the deletion handler), and the
# indexer for the analytics record of a job that is gone.
DELETERS = {"ApiRole": {"uploads/", "derived/", "analytics/"}, "DeletionRole": {"uploads/", "derived/", "analytics/"}}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allow_statements(resources: dict[str, Any], role: str) -> list[dict[str, Any]]:
    statements = []
    for policy in resources[role]["Properties"].get("Policies", []):
        statements += [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    return statements


def granted(resources: dict[str, Any], role: str) -> dict[str, list[Any]]:
    """action -> every resource it is granted on, for one role."""
    result: dict[str, list[Any]] = {}
    for statement in allow_statements(resources, role):
        for action in _as_list(statement["Action"]):
            result.setdefault(action, []).extend(_as_list(statement["Resource"]))
    return result


def object_prefixes(resource_list: list[Any]) -> set[str]:
    """The bucket prefixes that `!Sub "${ImagesBucket.Arn}/<prefix>*"` resources name."""
    prefixes = set()
    for resource in resource_list:
        match = re.fullmatch(
            r"\$\{ImagesBucket\.Arn\}/(.*)\*", resource.get("Fn::Sub", "") if isinstance(resource, dict) else ""
        )
        assert match, f"S3 object permission on something other than a bucket prefix: {resource}"
        prefixes.add(match.group(1))
    return prefixes


# ---------------------------------------------------------------- IAM


def test_every_function_has_its_own_role_and_no_sam_generated_policies(resources):
    for function, role in FUNCTION_ROLES.items():
        properties = resources[function]["Properties"]
        assert properties["Role"] == {"Fn::GetAtt": [role, "Arn"]}
        assert "Policies" not in properties, "SAM policy templates would add grants beside the role"
    for name, body in of_type(resources, "AWS::Serverless::Function").items():
        assert name in FUNCTION_ROLES, f"{name} has no role checked here"
        assert "Events" not in body["Properties"] or all(
            event["Type"] == "Api" for event in body["Properties"]["Events"].values()
        ), "SQS events through SAM would attach AWS managed policies on '*'"


def test_no_wildcard_actions_and_star_resources_only_where_aws_allows_nothing_narrower(resources):
    for role in ALL_ROLES:
        for action, targets in granted(resources, role).items():
            assert "*" not in action, f"{role}: wildcard action {action}"
            if "*" in targets:
                assert action in STAR_RESOURCE_ACTIONS, f"{role}: {action} on '*'"


def test_rekognition_is_exactly_the_four_detect_calls_and_only_for_the_worker(resources):
    worker = {a for a in granted(resources, "WorkerRole") if a.startswith("rekognition:")}
    assert worker == REKOGNITION_ACTIONS
    for role in ALL_ROLES:
        if role != "WorkerRole":
            assert not [a for a in granted(resources, role) if a.startswith("rekognition:")], role


def test_s3_object_access_is_confined_to_the_products_prefixes(resources):
    api = granted(resources, "ApiRole")
    worker = granted(resources, "WorkerRole")

    # Presigned POSTs are signed by the API role: it can only ever let a client write an original.
    assert object_prefixes(api["s3:PutObject"]) == {"uploads/"}
    assert object_prefixes(api["s3:GetObject"]) == {"uploads/", "derived/"}
    assert object_prefixes(worker["s3:GetObject"]) == {"uploads/", "derived/"}
    assert object_prefixes(worker["s3:PutObject"]) == {"derived/"}
    for role in ("DeadLetterRole", "PreSignUpRole", "SmokeTestRole"):
        assert not [a for a in granted(resources, role) if a.startswith("s3:")], role
    # The indexer reads results and writes analytics records only; deletions read nothing at all.
    indexer = granted(resources, "IndexerRole")
    assert object_prefixes(indexer["s3:GetObject"]) == {"derived/"}
    assert object_prefixes(indexer["s3:PutObject"]) == {"analytics/"}
    assert object_prefixes(indexer["s3:DeleteObject"]) == {"analytics/"}
    assert {a for a in granted(resources, "DeletionRole") if a.startswith("s3:")} == {
        "s3:DeleteObject",
        "s3:ListBucket",
    }
    for role in ALL_ROLES:
        grants = granted(resources, role)
        assert not {"s3:PutBucketPolicy", "s3:PutObjectAcl"} & set(grants)
        if role in DELETERS:
            assert object_prefixes(grants["s3:DeleteObject"]) == DELETERS[role]
        elif role != "IndexerRole":
            assert "s3:DeleteObject" not in grants, role


def test_list_bucket_is_granted_on_the_images_bucket_only(resources):
    # Unconditioned on purpose: it is what turns a missing key into 404 rather than 403 (docs/decisions.md).
    for role in ALL_ROLES:
        statements = [s for s in allow_statements(resources, role) if "s3:ListBucket" in _as_list(s["Action"])]
        if role in ("ApiRole", "WorkerRole", "IndexerRole", "DeletionRole"):
            [statement] = statements
            assert statement["Resource"] == {"Fn::GetAtt": ["ImagesBucket", "Arn"]}, role
        else:
            assert not statements, role


def test_queue_access_per_role(resources):
    jobs_queue = {"Fn::GetAtt": ["JobsQueue", "Arn"]}
    dead_letters = {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}
    api = {a: r for a, r in granted(resources, "ApiRole").items() if a.startswith("sqs:")}
    worker = {a: r for a, r in granted(resources, "WorkerRole").items() if a.startswith("sqs:")}
    dead = {a: r for a, r in granted(resources, "DeadLetterRole").items() if a.startswith("sqs:")}
    poll = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"}

    webhooks = {"Fn::GetAtt": ["WebhookQueue", "Arn"]}  # redeliveries and test events (notifications)
    assert api == {"sqs:SendMessage": [{"Fn::GetAtt": ["DeletionsQueue", "Arn"]}, webhooks, jobs_queue]}
    # The worker also sends: a job still throttled on its last allowed receive goes back as a new message.
    assert set(worker) == poll | {"sqs:SendMessage"} and all(r == [jobs_queue] for r in worker.values())
    assert set(dead) == poll and all(r == [dead_letters] for r in dead.values())
    # Deletions poll their own queue and hand over to a fresh message; the indexer only sets records aside.
    deletions_queue = {"Fn::GetAtt": ["DeletionsQueue", "Arn"]}
    deletion = {a: r for a, r in granted(resources, "DeletionRole").items() if a.startswith("sqs:")}
    assert set(deletion) == poll | {"sqs:SendMessage"} and all(r == [deletions_queue] for r in deletion.values())
    indexer = {a: r for a, r in granted(resources, "IndexerRole").items() if a.startswith("sqs:")}
    assert indexer == {"sqs:SendMessage": [{"Fn::GetAtt": ["IndexFailuresQueue", "Arn"]}]}
    # The notifier queues deliveries and sets aside stream records it gave up on; the sender polls its queue.
    notifier = {a: r for a, r in granted(resources, "NotifierRole").items() if a.startswith("sqs:")}
    assert notifier == {"sqs:SendMessage": [webhooks, {"Fn::GetAtt": ["NotifierFailuresQueue", "Arn"]}]}
    sender = {a: r for a, r in granted(resources, "WebhookSenderRole").items() if a.startswith("sqs:")}
    assert set(sender) == poll and all(r == [webhooks] for r in sender.values())
    for role in ALL_ROLES:
        if role not in (
            "ApiRole",
            "WorkerRole",
            "DeadLetterRole",
            "DeletionRole",
            "IndexerRole",
            "NotifierRole",
            "WebhookSenderRole",
        ):
            assert not [a for a in granted(resources, role) if a.startswith("sqs:")], role


def test_only_the_indexer_and_the_notifier_read_the_tables_stream(resources):
    """Two readers, the most DynamoDB Streams advises per shard (more get throttled)."""
    stream_actions = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
    for reader in ("IndexerRole", "NotifierRole"):
        granted_ = granted(resources, reader)
        assert all(granted_[a] == [{"Fn::GetAtt": ["JobsTable", "StreamArn"]}] for a in stream_actions), reader
    for role in ALL_ROLES:
        if role not in ("IndexerRole", "NotifierRole"):
            assert not stream_actions & set(granted(resources, role)), role


def test_table_access_per_role(resources):
    table = {"Fn::GetAtt": ["JobsTable", "Arn"]}
    api = granted(resources, "ApiRole")
    worker = granted(resources, "WorkerRole")

    assert {"dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"} <= set(api)
    index_targets = [r for r in api["dynamodb:Query"] if r != table]
    assert sorted(Evaluation({}).render(r, {"JobsTable.Arn": "TABLE"}) for r in index_targets) == [
        "TABLE/index/byBatch",
        "TABLE/index/byBatchStatus",
        "TABLE/index/byOwner",
        "TABLE/index/byTerm",
    ]
    assert set(a for a in worker if a.startswith("dynamodb:")) == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",
    }
    # Items are deleted by deletions (the API, the deletion handler), by the indexer (index items), and by
    # the notifier and the WebSocket function (connections that closed or are gone, and what they watched).
    deleting = {"ApiRole", "DeletionRole", "IndexerRole", "NotifierRole", "SocketRole"}
    for role in ALL_ROLES:
        for action, targets in granted(resources, role).items():
            if action.startswith("dynamodb:"):
                assert "*" not in targets, f"{role}: {action} on every table"
                assert action not in {"dynamodb:Scan", "dynamodb:DeleteTable"}, role
                assert action != "dynamodb:DeleteItem" or role in deleting, role


def test_logs_are_written_only_to_each_functions_own_log_group(resources):
    for function, role in FUNCTION_ROLES.items():
        log_group = resources[function]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        grants = granted(resources, role)
        assert grants["logs:PutLogEvents"] == [{"Fn::GetAtt": [log_group, "Arn"]}]
        assert "logs:CreateLogGroup" not in grants


# ---------------------------------------------------------------- functions


@pytest.mark.parametrize(("function", "handler"), sorted(HANDLERS.items()))
def test_function_command_names_an_existing_handler(resources, function, handler):
    properties = resources[function]["Properties"]
    assert properties["PackageType"] == "Image"
    assert properties["ImageConfig"]["Command"] == [handler]
    assert resources[function]["Metadata"]["Dockerfile"] == "Dockerfile"
    module_name, attribute = handler.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module_name), attribute))


def test_functions_are_traced_and_the_api_traces_too(template, resources):
    assert template["Globals"]["Function"]["Tracing"] == "Active"
    assert resources["ImgrecApi"]["Properties"]["TracingEnabled"] is True


def test_environment_variables_are_exactly_settings_the_code_reads(template, resources):
    common = template["Globals"]["Function"]["Environment"]["Variables"]
    assert not [name for name in common if name.startswith(ENV_PREFIX)], "each function gets only its own settings"
    models = {
        "ApiFunction": ApiSettings,
        "WorkerFunction": WorkerSettings,
        "DeadLetterFunction": WorkerSettings,
        "PreSignUpFunction": SignUpSettings,
        "SmokeTestFunction": SmokeSettings,
        "IndexerFunction": StoreSettings,
        "DeletionFunction": ApiSettings,
        "NotifierFunction": NotifierSettings,
        "WebhookSenderFunction": WebhookSenderSettings,
        "SocketFunction": SocketSettings,
        "SocketAuthFunction": SocketAuthSettings,
    }
    assert set(models) == set(of_type(resources, "AWS::Serverless::Function"))
    for function, model in models.items():
        variables = {**common, **resources[function]["Properties"]["Environment"]["Variables"]}
        declared = {name for name in variables if name.startswith(ENV_PREFIX)}
        known = {ENV_PREFIX + field.upper() for field in model.model_fields}
        required = {ENV_PREFIX + name.upper() for name, field in model.model_fields.items() if field.is_required()}
        assert declared <= known, f"{function}: unknown settings {declared - known}"
        assert required <= declared, f"{function}: missing required settings {required - declared}"
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Imgrec"
    assert resources["ApiFunction"]["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "imgrec-api"
    assert resources["WorkerFunction"]["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == (
        "imgrec-worker"
    )


def test_parameter_defaults_are_valid_worker_settings(template, resources):
    """A default deploy must pass the worker's own settings validation at cold start."""
    common = template["Globals"]["Function"]["Environment"]["Variables"]
    variables = {**common, **resources["WorkerFunction"]["Properties"]["Environment"]["Variables"]}
    environ = {
        name: str(parameter_default(template, value))
        for name, value in variables.items()
        if name.startswith(ENV_PREFIX) and not (isinstance(value, dict) and value.get("Ref") in resources)
    }
    environ |= {"IMGREC_TABLE_NAME": "table", "IMGREC_BUCKET_NAME": "bucket", "IMGREC_QUEUE_URL": "https://q/1/q"}

    from imagejobs.settings import load_settings

    settings = load_settings(WorkerSettings, environ)
    assert settings.lease_seconds > resources["WorkerFunction"]["Properties"]["Timeout"]


# ---------------------------------------------------------------- data at rest and in transit


def _denies_insecure_transport(policy: dict[str, Any]) -> bool:
    return any(
        s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Statement"]
    )


def test_bucket_is_private_encrypted_tls_only_and_expires_its_objects(resources):
    bucket = resources["ImagesBucket"]["Properties"]
    block = bucket["PublicAccessBlockConfiguration"]

    assert all(
        block[key] is True
        for key in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    )
    [encryption] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert _denies_insecure_transport(resources["ImagesBucketPolicy"]["Properties"]["PolicyDocument"])
    rules = {rule["Prefix"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"] if "Prefix" in rule}
    assert set(rules) == {"uploads/", "derived/", "analytics/", "athena-results/"}
    assert all(rule["Status"] == "Enabled" for rule in rules.values())
    for prefix in ("uploads/", "derived/", "analytics/"):
        assert rules[prefix]["ExpirationInDays"] == {"Ref": "RetentionDays"}
    for prefix in ("uploads/", "derived/"):
        assert rules[prefix]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1
    assert rules["athena-results/"]["ExpirationInDays"] <= 7


def test_queues_are_encrypted_and_tls_only(resources):
    queues = of_type(resources, "AWS::SQS::Queue")
    assert {"JobsQueue", "JobsDeadLetterQueue", "DeletionsQueue", "DeletionsDeadLetterQueue"} <= set(queues)
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
    [policy] = of_type(resources, "AWS::SQS::QueuePolicy").values()
    assert _denies_insecure_transport(policy["Properties"]["PolicyDocument"])
    assert sorted(q["Ref"] for q in policy["Properties"]["Queues"]) == sorted(queues)
    [deny] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert sorted(r["Fn::GetAtt"][0] for r in deny["Resource"]) == sorted(queues)


def test_table_has_point_in_time_recovery_encryption_and_deletion_protection(resources):
    table = resources["JobsTable"]["Properties"]
    [replica] = table["Replicas"]
    assert replica["Region"] == {"Ref": "AWS::Region"}
    assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert replica["DeletionProtectionEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert resources["JobsTable"]["UpdateReplacePolicy"] == "Retain"


# ---------------------------------------------------------------- API edge


def test_api_uses_cognito_with_only_health_openapi_and_preflights_open(transformed):
    [rest_api] = of_type(transformed["Resources"], "AWS::ApiGateway::RestApi").values()
    body = Evaluation(transformed).resolve(rest_api["Properties"]["Body"])
    authorizer = body["securityDefinitions"]["CognitoAuthorizer"]["x-amazon-apigateway-authorizer"]
    assert authorizer["providerARNs"] == [{"Fn::GetAtt": ["UserPool", "Arn"]}]
    open_methods = {
        (path, method)
        for path, methods in body["paths"].items()
        for method, operation in methods.items()
        if method != "parameters" and not operation.get("security")
    }
    assert open_methods == {("/health", "get"), ("/openapi.json", "get"), ("/docs", "get"), ("/{proxy+}", "options")}
    # Everything else needs a Cognito token.
    assert body["paths"]["/{proxy+}"]["x-amazon-apigateway-any-method"]["security"] == [{"CognitoAuthorizer": []}]


def test_api_stage_is_throttled_logged_and_accepts_binary_images(transformed):
    [stage] = of_type(transformed["Resources"], "AWS::ApiGateway::Stage").values()
    [setting] = stage["Properties"]["MethodSettings"]
    assert setting["ThrottlingRateLimit"] == {"Ref": "ApiThrottlingRateLimit"}
    assert setting["ThrottlingBurstLimit"] == {"Ref": "ApiThrottlingBurstLimit"}
    assert stage["Properties"]["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    [rest_api] = of_type(transformed["Resources"], "AWS::ApiGateway::RestApi").values()
    # CloudFormation spells "/" as "~1" in this property; the OpenAPI body carries the plain media type.
    assert rest_api["Properties"]["BinaryMediaTypes"] == ["image~1*"]
    assert rest_api["Properties"]["Body"]["x-amazon-apigateway-binary-media-types"] == ["image/*"]


def test_web_acl_has_the_managed_rule_groups_and_a_rate_limit_and_guards_the_stage(transformed):
    resources = transformed["Resources"]
    [acl] = of_type(resources, "AWS::WAFv2::WebACL").values()
    statements = [rule["Statement"] for rule in acl["Properties"]["Rules"]]
    managed = {s["ManagedRuleGroupStatement"]["Name"] for s in statements if "ManagedRuleGroupStatement" in s}
    assert managed == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    }
    assert any("RateBasedStatement" in s for s in statements)
    [stage_name] = of_type(resources, "AWS::ApiGateway::Stage")
    [association] = of_type(resources, "AWS::WAFv2::WebACLAssociation").values()
    assert "${" + stage_name + "}" in association["Properties"]["ResourceArn"]["Fn::Sub"]


# ---------------------------------------------------------------- operations


def _alarms(resources: dict[str, Any]) -> list[dict[str, Any]]:
    return [body["Properties"] for body in of_type(resources, "AWS::CloudWatch::Alarm").values()]


def _alarm_on(resources: dict[str, Any], metric: str, dimension_value: Any) -> dict[str, Any]:
    """The one operational alarm (not a release's rollback alarm on ExecutedVersion) on this metric."""
    matching = [
        alarm
        for alarm in _alarms(resources)
        if alarm.get("MetricName") == metric
        and dimension_value in [d["Value"] for d in alarm.get("Dimensions", [])]
        and "ExecutedVersion" not in [d["Name"] for d in alarm.get("Dimensions", [])]
    ]
    assert len(matching) == 1, f"one alarm on {metric} for {dimension_value}"
    return matching[0]


def test_alarms_cover_dead_letters_queue_age_worker_errors_and_throttles(resources):
    service = resources["WorkerFunction"]["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    dead_lettered = _alarm_on(resources, "JobsDeadLettered", service)
    throttles = _alarm_on(resources, "RekognitionThrottles", service)
    _alarm_on(resources, "ApproximateNumberOfMessagesVisible", {"Fn::GetAtt": ["JobsDeadLetterQueue", "QueueName"]})
    _alarm_on(resources, "ApproximateAgeOfOldestMessage", {"Fn::GetAtt": ["JobsQueue", "QueueName"]})
    _alarm_on(resources, "Errors", {"Ref": "WorkerFunction"})
    # The library: the indexer failing or lagging, records it gave up on, deletions set aside.
    _alarm_on(resources, "Errors", {"Ref": "IndexerFunction"})
    _alarm_on(resources, "IteratorAge", {"Ref": "IndexerFunction"})
    _alarm_on(resources, "ApproximateNumberOfMessagesVisible", {"Fn::GetAtt": ["IndexFailuresQueue", "QueueName"]})
    _alarm_on(
        resources, "ApproximateNumberOfMessagesVisible", {"Fn::GetAtt": ["DeletionsDeadLetterQueue", "QueueName"]}
    )

    # The dead-letter handler reports under the worker's service name, which the alarm's dimension names.
    assert (
        resources["DeadLetterFunction"]["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == service
    )
    for alarm in (dead_lettered, throttles):
        assert alarm["Namespace"] == "Imgrec"
    for alarm in _alarms(resources):
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert alarm["TreatMissingData"] == "notBreaching"


def test_outputs_give_clients_what_they_need(template):
    assert {"ApiUrl", "BucketName", "UserPoolId", "UserPoolClientId", "WebAppConfig"} <= set(template["Outputs"])


def test_every_checkov_skip_gives_a_reason(resources):
    skips = [
        (name, skip)
        for name, body in resources.items()
        for skip in body.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips, "the template documents its accepted checkov findings"
    for name, skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip)
        assert len(skip.get("comment", "").split()) >= 8, f"{name}: {skip['id']} needs a written reason"


def test_web_app_config_output_is_a_frontend_config_for_cognito(template, resources):
    """The WebAppConfig output becomes the hosted web app's config.json: valid JSON, the keys the app reads."""
    shipped = json.loads((REPO / "frontend" / "config.json").read_text(encoding="utf-8"))
    evaluation = Evaluation(template)
    resolved = json.loads(evaluation.render(evaluation.outputs["WebAppConfig"]["Value"]))

    assert set(resolved) <= set(shipped)
    assert resolved["auth"]["mode"] == "cognito"
    assert {"domain", "clientId", "redirectUri"} <= set(resolved["auth"])
    assert resolved["maxUploadBytes"] == int(template["Parameters"]["MaxUploadBytes"]["Default"])
    client = resources["UserPoolClient"]["Properties"]
    assert client["AllowedOAuthFlows"] == ["code"]
    # The hosted web app's own URL is where Cognito sends the user back.
    web_url = "https://<WebDistribution.DomainName>/"
    assert [evaluation.render(url) for url in client["CallbackURLs"]] == [web_url]
    assert resolved["auth"]["redirectUri"] == web_url
