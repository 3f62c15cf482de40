"""The notifications part of the template (issue 12) agrees with the local stack and with the code: the
notifier's stream event source and filters, the webhook queue and its sender, the WebSocket API and its
authorizer, least-privilege roles, alarms, and the web app's config naming the socket."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_stack import notify_services
from local_stack.resources import STACK
from local_stack.socket_gateway import ROUTES
from tests.infra.conftest import local_client, of_type
from tests.infra.test_template_production import IDS, deployed


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def _actions(role: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in _statements(role):
        actions = statement["Action"]
        found |= {actions} if isinstance(actions, str) else set(actions)
    return found


def test_the_notifier_reads_the_stream_with_the_local_stacks_filters_only_where_the_table_is_created():
    resources = deployed("single-region").resources
    mapping = resources["NotifierEventSource"]["Properties"]
    spec = STACK.notifications

    assert mapping["FunctionName"] == {"Ref": "NotifierFunctionAliaslive"}
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["JobsTable", "StreamArn"]}
    assert [f["Pattern"] for f in mapping["FilterCriteria"]["Filters"]] == list(spec.notifier_filters)
    assert mapping["BatchSize"] == spec.stream_batch_size
    assert mapping["MaximumRetryAttempts"] == spec.stream_maximum_retry_attempts
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["NotifierFailuresQueue", "Arn"]}
    # The second region's stack joins the first one's table: its stream is read there, once.
    second = deployed("multi-region-second").resources
    assert "NotifierEventSource" not in second and "NotifierFunction" in second


def test_the_local_filters_pass_what_the_notifier_needs_and_drop_the_rest():
    from local_stack.stream_poller import matches_any

    filters = STACK.notifications.notifier_filters

    def record(sk: str, event: str = "MODIFY", **new: Any) -> dict[str, Any]:
        return {"eventName": event, "dynamodb": {"Keys": {"sk": {"S": sk}}, "NewImage": new}}

    assert matches_any(filters, record("JOB", status={"S": "SUCCEEDED"}))
    assert not matches_any(filters, record("JOB", status={"S": "PROCESSING"}))
    assert not matches_any(filters, record("JOB", event="REMOVE", status={"S": "FAILED"}))
    assert matches_any(filters, record("BATCH", finishedAt={"S": "2026-11-27T10:00:00.000Z"}))
    assert not matches_any(filters, record("BATCH", total={"N": "3"}))
    assert not matches_any(filters, record("TERM#label#cat", status={"S": "SUCCEEDED"}))


def test_the_webhook_queue_matches_the_local_one_and_outlives_the_retry_schedule(aws_emulator):
    from imagejobs.settings import DEFAULT_RETRY_DELAYS

    resources = deployed("single-region").resources
    queue = resources["WebhookQueue"]["Properties"]
    function = resources["WebhookSenderFunction"]["Properties"]
    mapping = next(
        body["Properties"]
        for body in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if body["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["WebhookQueue", "Arn"]}
    )
    sqs = local_client("sqs", aws_emulator)
    local = sqs.get_queue_attributes(QueueUrl=notify_services.provision_webhook_queue(sqs), AttributeNames=["All"])

    assert function["Timeout"] == STACK.notifications.sender_timeout_seconds
    assert queue["VisibilityTimeout"] == 6 * function["Timeout"] == int(local["Attributes"]["VisibilityTimeout"])
    assert queue["MessageRetentionPeriod"] == int(local["Attributes"]["MessageRetentionPeriod"])
    assert queue["MessageRetentionPeriod"] > sum(DEFAULT_RETRY_DELAYS) + 3600
    redrive = json.loads(local["Attributes"]["RedrivePolicy"])
    assert queue["RedrivePolicy"]["maxReceiveCount"] == redrive["maxReceiveCount"] > 1 + len(DEFAULT_RETRY_DELAYS)
    assert mapping["FunctionName"] == {"Ref": "WebhookSenderFunctionAliaslive"}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "MaximumBatchingWindowInSeconds" not in mapping  # a delivery goes out as soon as it is queued


def test_roles_hold_only_what_each_function_does():
    resources = deployed("single-region").resources
    notifier = resources["NotifierRole"]
    sender = resources["WebhookSenderRole"]
    socket = resources["SocketRole"]

    assert _actions(resources["SocketAuthRole"]) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
    assert "sns:Publish" in _actions(notifier) and "sns:Publish" not in _actions(sender) | _actions(socket)
    [publish] = [s for s in _statements(notifier) if s["Action"] == "sns:Publish"]
    assert publish["Resource"] == {"Ref": "EventsTopic"}
    [send] = [s for s in _statements(notifier) if s["Action"] == "sqs:SendMessage"]
    assert send["Resource"] == [
        {"Fn::GetAtt": ["WebhookQueue", "Arn"]},
        {"Fn::GetAtt": ["NotifierFailuresQueue", "Arn"]},
    ]
    assert not {"dynamodb:Scan", "dynamodb:BatchWriteItem"} & (_actions(notifier) | _actions(sender) | _actions(socket))
    assert not {"sqs:SendMessage", "execute-api:ManageConnections"} & _actions(sender)
    for role in (notifier, socket):
        [manage] = [s for s in _statements(role) if s["Action"] == "execute-api:ManageConnections"]
        resource = json.dumps(manage["Resource"])
        assert "SocketApi" in resource and "/v1/POST/@connections/*" in resource
    api_sends = [s for s in _statements(resources["ApiRole"]) if s["Action"] == "sqs:SendMessage"]
    assert {"Fn::GetAtt": ["WebhookQueue", "Arn"]} in [s["Resource"] for s in api_sends]


def test_the_websocket_api_checks_the_token_on_connect_and_keeps_it_out_of_its_logs():
    resources = deployed("single-region").resources
    routes = {
        body["Properties"]["RouteKey"]: body["Properties"]
        for body in of_type(resources, "AWS::ApiGatewayV2::Route").values()
    }
    authorizer = resources["SocketAuthorizer"]["Properties"]
    stage = resources["SocketStage"]["Properties"]

    assert set(routes) == {"$connect", "$disconnect", "$default", *ROUTES}
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    assert routes["$connect"]["AuthorizerId"] == {"Ref": "SocketAuthorizer"}
    assert authorizer["AuthorizerType"] == "REQUEST"
    assert authorizer["IdentitySource"] == ["route.request.querystring.token"]
    assert resources["SocketApi"]["Properties"]["RouteSelectionExpression"] == "$request.body.action"
    log_format = stage["AccessLogSettings"]["Format"]
    assert "querystring" not in log_format.lower() and "token" not in log_format.lower()
    env = resources["SocketAuthFunction"]["Properties"]["Environment"]["Variables"]
    assert env["IMGREC_USER_POOL_ID"] == {"Ref": "UserPool"}


@pytest.mark.parametrize(
    ("alarm", "metric"),
    [
        ("NotifierIteratorAgeAlarm", "IteratorAge"),
        ("NotifierErrorsAlarm", "NotifierFailures"),
        ("WebhooksFailingAlarm", "WebhooksFailed"),
        ("WebhookDeadLetterAlarm", "ApproximateNumberOfMessagesVisible"),
    ],
)
def test_notification_alarms_watch_what_the_code_reports(alarm, metric):
    properties = deployed("single-region").resources[alarm]["Properties"]
    assert properties["MetricName"] == metric
    assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_the_metrics_the_alarms_read_are_the_ones_the_code_emits():
    from pathlib import Path

    sources = "".join(
        (Path(__file__).resolve().parents[2] / path).read_text(encoding="utf-8")
        for path in ("worker/notifier.py", "worker/webhook_sender.py")
    )
    assert 'name="NotifierFailures"' in sources and 'name="WebhooksFailed"' in sources


def test_the_web_app_config_names_the_websocket_api():
    evaluation = deployed("single-region")
    config = json.loads(evaluation.render(evaluation.outputs["WebAppConfig"]["Value"], {**IDS, "SocketApi": "w1x2y3"}))
    assert config["socketUrl"] == "wss://w1x2y3.execute-api.us-east-1.amazonaws.com/v1"
