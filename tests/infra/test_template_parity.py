"""The embedded local stack provisions what the template declares.

moto cannot deploy the transformed template faithfully (toolchain facts), so the local stack creates its
resources with direct API calls from `local_stack.resources`; these tests read the template and compare it
with that spec and with what `local_stack.provision` really creates in a moto server.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from local_stack import resources as resource_spec
from local_stack.resources import STACK
from tests.infra.conftest import REPO, local_client, of_type, parameter_default

WEB_ORIGIN = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def provisioned(aws_emulator: str) -> tuple[Any, Any]:
    """The local stack's resources, created by the provisioning entry point compose runs."""
    answer = subprocess.run(
        [sys.executable, "-m", "local_stack.provision", "--endpoint-url", aws_emulator, "--web-origin", WEB_ORIGIN],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert answer.returncode == 0, answer.stderr
    done = SimpleNamespace(**json.loads(answer.stdout.strip().splitlines()[-1]))
    return done, lambda service: local_client(service, aws_emulator)


def _queue(resources_: dict[str, Any], name: str) -> dict[str, Any]:
    return resources_[name]["Properties"]  # type: ignore[no-any-return]


def _jobs_event_source(resources_: dict[str, Any]) -> dict[str, Any]:
    mappings = [
        body["Properties"]
        for body in of_type(resources_, "AWS::Lambda::EventSourceMapping").values()
        if body["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]}
    ]
    assert len(mappings) == 1, "exactly one event source mapping reads the jobs queue"
    return mappings[0]


def _template_table(resources_: dict[str, Any]) -> dict[str, Any]:
    return resources_["JobsTable"]["Properties"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------- queue


def test_queue_visibility_timeout_is_six_times_the_worker_timeout_in_template_and_spec(resources):
    worker_timeout = resources["WorkerFunction"]["Properties"]["Timeout"]
    visibility = _queue(resources, "JobsQueue")["VisibilityTimeout"]

    assert worker_timeout == resource_spec.WORKER_TIMEOUT_SECONDS
    assert visibility == 6 * worker_timeout
    assert visibility == STACK.queue.visibility_timeout


def test_redrive_and_dead_letter_retention_match_the_spec(resources):
    jobs = _queue(resources, "JobsQueue")
    dlq = _queue(resources, "JobsDeadLetterQueue")

    assert jobs["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}
    assert jobs["RedrivePolicy"]["maxReceiveCount"] == STACK.queue.max_receive_count
    assert dlq["MessageRetentionPeriod"] == STACK.queue.dlq_retention_seconds
    assert dlq["VisibilityTimeout"] == STACK.queue.dlq_visibility_timeout


def test_worker_is_told_the_same_max_receive_count_as_the_redrive_policy(resources):
    environment = resources["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    redrive = _queue(resources, "JobsQueue")["RedrivePolicy"]

    assert int(environment["IMGREC_MAX_RECEIVE_COUNT"]) == redrive["maxReceiveCount"]


def test_provisioned_queues_match_the_template(resources, provisioned):
    done, client = provisioned
    sqs = client("sqs")
    jobs = sqs.get_queue_attributes(QueueUrl=done.queue_url, AttributeNames=["All"])["Attributes"]
    dlq = sqs.get_queue_attributes(QueueUrl=done.dlq_url, AttributeNames=["All"])["Attributes"]
    template_jobs = _queue(resources, "JobsQueue")

    assert int(jobs["VisibilityTimeout"]) == template_jobs["VisibilityTimeout"]
    redrive = json.loads(jobs["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == template_jobs["RedrivePolicy"]["maxReceiveCount"]
    assert redrive["deadLetterTargetArn"] == dlq["QueueArn"]
    assert int(dlq["MessageRetentionPeriod"]) == _queue(resources, "JobsDeadLetterQueue")["MessageRetentionPeriod"]
    assert int(dlq["VisibilityTimeout"]) == _queue(resources, "JobsDeadLetterQueue")["VisibilityTimeout"]


# ---------------------------------------------------------------- event source mapping


def test_event_source_mapping_matches_the_spec(template, resources):
    mapping = _jobs_event_source(resources)
    spec = STACK.event_source

    # The alias, so that canary releases govern queue consumption too.
    assert mapping["FunctionName"] == {"Ref": "WorkerFunction.Alias"}
    assert mapping["BatchSize"] == spec.batch_size
    assert mapping["MaximumBatchingWindowInSeconds"] == spec.maximum_batching_window_seconds
    assert mapping["FunctionResponseTypes"] == list(spec.function_response_types)
    maximum_concurrency = parameter_default(template, mapping["ScalingConfig"]["MaximumConcurrency"])
    assert maximum_concurrency == spec.maximum_concurrency


def test_local_poller_defaults_are_the_templates_event_source(template, resources):
    from local_stack.poller import Poller

    defaults = {field.name: field.default for field in dataclasses.fields(Poller)}
    mapping = _jobs_event_source(resources)

    assert defaults["batch_size"] == mapping["BatchSize"]
    assert defaults["batching_window_seconds"] == mapping["MaximumBatchingWindowInSeconds"]
    assert defaults["maximum_concurrency"] == parameter_default(
        template, mapping["ScalingConfig"]["MaximumConcurrency"]
    )


def test_no_reserved_concurrency_on_any_function(resources):
    for name, body in of_type(resources, "AWS::Serverless::Function").items():
        assert "ReservedConcurrentExecutions" not in body["Properties"], name


# ---------------------------------------------------------------- table


def test_table_keys_indexes_and_ttl_match_the_spec(resources):
    table = _template_table(resources)
    spec = STACK.table
    attribute_types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}

    assert table["KeySchema"] == [
        {"AttributeName": spec.hash_key, "KeyType": "HASH"},
        {"AttributeName": spec.range_key, "KeyType": "RANGE"},
    ]
    assert attribute_types[spec.hash_key] == "S"
    assert attribute_types[spec.range_key] == "S"
    declared = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert set(declared) == {index.name for index in spec.indexes}
    for index in spec.indexes:
        assert declared[index.name]["KeySchema"] == [
            {"AttributeName": index.hash_key, "KeyType": "HASH"},
            {"AttributeName": index.range_key, "KeyType": "RANGE"},
        ]
        assert attribute_types[index.hash_key] == "S"
        assert attribute_types[index.range_key] == index.range_type
    assert table["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def test_provisioned_table_matches_the_template(resources, provisioned):
    done, client = provisioned
    dynamodb = client("dynamodb")
    described = dynamodb.describe_table(TableName=done.table_name)["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=done.table_name)["TimeToLiveDescription"]
    table = _template_table(resources)

    assert described["KeySchema"] == table["KeySchema"]
    assert sorted(described["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        table["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )
    local_indexes = {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in described["GlobalSecondaryIndexes"]}
    template_indexes = {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in table["GlobalSecondaryIndexes"]}
    assert local_indexes == template_indexes
    assert ttl["AttributeName"] == table["TimeToLiveSpecification"]["AttributeName"]


# ---------------------------------------------------------------- bucket


def _template_cors(resources_: dict[str, Any]) -> dict[str, Any]:
    rules = resources_["ImagesBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert len(rules) == 1
    return rules[0]  # type: ignore[no-any-return]


def test_bucket_cors_matches_the_spec(resources):
    rule = _template_cors(resources)
    spec = STACK.cors

    assert rule["AllowedMethods"] == list(spec.allowed_methods)
    assert rule["AllowedHeaders"] == list(spec.allowed_headers)
    assert rule["ExposedHeaders"] == list(spec.expose_headers)
    assert rule["MaxAge"] == spec.max_age_seconds
    # The web app's origin (the hosted web app's URL unless WebAppOrigin says otherwise), never a wildcard.
    assert rule["AllowedOrigins"] == [{"Fn::Sub": "https://${WebDistribution.DomainName}"}]


def test_provisioned_bucket_cors_matches_the_template(resources, provisioned):
    done, client = provisioned
    [local] = client("s3").get_bucket_cors(Bucket=done.bucket_name)["CORSRules"]
    rule = _template_cors(resources)

    assert local["AllowedMethods"] == rule["AllowedMethods"]
    assert local["AllowedHeaders"] == rule["AllowedHeaders"]
    assert local["ExposeHeaders"] == rule["ExposedHeaders"]
    assert local["MaxAgeSeconds"] == rule["MaxAge"]
    assert local["AllowedOrigins"] == [WEB_ORIGIN]
